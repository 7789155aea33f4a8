"""The tally as CSV. A secret poll's export holds counts only; an open poll's also lists each voter's choice.

The text starts with a UTF-8 byte-order mark, as the decision and registration exports do: spreadsheet
programs read "Gdańsk" or "Reykjavík" right only with it. Headings and words are in the requester's language;
numbers, times (ISO, UTC) and the percentages stay machine-readable."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext, pgettext

from protect.core.regions import country_name
from protect.core.timefmt import iso_utc
from protect.polls.models import Poll
from protect.polls.services import BallotLine, Publication, Turnout
from protect.polls.stv import stv_csv_rows
from protect.polls.tally import Tally


def _safe(value: object) -> object:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote such text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def tally_csv(poll: Poll, result: Tally, numbers: Turnout, status: str, ballots: Sequence[BallotLine]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    out = csv.writer(buffer, lineterminator="\r\n")

    def row(*cells: object) -> None:
        out.writerow([_safe(cell) for cell in cells])

    statuses = {
        "open": pgettext("poll status", "open"),
        "scheduled": pgettext("poll status", "scheduled"),
        "closed": pgettext("poll status", "closed"),
    }
    row(gettext("Question"), poll.question)
    row(gettext("Counting method"), poll.method_label)
    row(gettext("Ballot"), pgettext("ballot", "secret") if poll.secret else pgettext("ballot", "open"))
    row(gettext("Status"), statuses.get(status, status))
    row(gettext("Opens (UTC)"), iso_utc(poll.opens_at))
    row(gettext("Closes (UTC)"), iso_utc(poll.closes_at))
    row(gettext("Ballots cast"), numbers.ballots)
    row(gettext("Eligible voters"), numbers.eligible)
    if result.stv is not None:  # single transferable vote: several elected, the rounds below
        row(gettext("Elected"), *[result.label(oid) for oid in result.winners])
    elif result.winner is not None:
        row(gettext("Winner"), result.label(result.winner))
    elif result.tie:
        row(gettext("Declared tie between"), *[result.label(oid) for oid in result.winners])
    else:
        row(gettext("Winner"), gettext("none"))
    if result.rounds:
        decided = {True: gettext("yes"), False: gettext("no"), None: gettext("possibly")}[result.lot_decisive]
        row(gettext("Decided by lot"), decided, *([result.lot_text()] if result.lot_rounds else []))
    row()
    row(
        gettext("Location"),
        gettext("City"),
        gettext("Country"),
        result.count_label,
        gettext("%(share)s (%%)", share=result.share_label),
    )
    options = {option.id: option for option in poll.options}
    for line in result.rows:
        option = options[line.option_id]
        row(line.label, option.city, country_name(option.country), line.count, f"{line.percent:.1f}")
    if result.rounds:
        row()
        row(
            gettext("Round"),
            *[result.label(oid) for oid in options],
            gettext("Exhausted"),
            gettext("Still counting"),
            gettext("Outcome"),
        )
        for r in result.rounds:
            outcome = ""
            if r.eliminated is not None:
                name = result.label(r.eliminated)
                if r.by_lot:
                    outcome = gettext("%(name)s eliminated (drawn by lot)", name=name)
                elif r.tied_fewest:
                    outcome = gettext("%(name)s eliminated (tie broken by an earlier round)", name=name)
                else:
                    outcome = gettext("%(name)s eliminated", name=name)
            elif r.elected is not None:
                outcome = gettext("%(name)s elected", name=result.label(r.elected))
            elif r.tied:
                outcome = gettext("tie")
            row(r.number, *[r.counts.get(oid, "") for oid in options], r.exhausted, r.continuing, outcome)
        row(
            gettext("Lot order for the last tie-break (seed)"),
            poll.tie_break_seed,
            *[result.label(oid) for oid in result.lot_order],
        )
    if result.stv is not None:
        for cells in stv_csv_rows(result, poll.tie_break_seed):
            row(*cells)
    if result.pairwise is not None:
        order = result.pairwise.order
        row()
        row(gettext("Schulze rank"), gettext("Location"), gettext("Tied"))
        for place, group in result.pairwise.ranks():
            for oid in group:
                row(place, result.label(oid), gettext("tied") if len(group) > 1 else "")
        row()
        row(gettext("Voters preferring the row to the column"), *[result.label(oid) for oid in order])
        for a in order:
            row(result.label(a), *["" if a == b else result.pairwise.beats[(a, b)] for b in order])
        row()
        row(gettext("Strongest path from the row to the column"), *[result.label(oid) for oid in order])
        for a in order:
            row(result.label(a), *["" if a == b else result.pairwise.strongest[(a, b)] for b in order])
    if not poll.secret:
        row()
        row(
            gettext("Voter"),
            gettext("Cast at (UTC)"),
            gettext("Last changed (UTC)"),
            gettext("Choice (in order of preference where ranked)"),
        )
        for ballot in ballots:
            row(
                ballot.voter.display_name,
                iso_utc(ballot.cast_at),
                iso_utc(ballot.changed_at),
                *[result.label(oid) for oid in ballot.choice()],
            )
    return buffer.getvalue()


# A closed secret poll's published ballots -----------------------------------------------------------------------


def publication_data(poll: Poll, published: Publication, numbers: Turnout) -> dict[str, Any]:
    """Everything needed to recount a closed secret poll, and to check a receipt, as plain JSON: the options,
    the anonymised ballots (receipt code and marks, in the random order of the seal) and the count made from
    them. No voter, no time of voting."""
    result = published.result
    return {
        "poll": {
            "id": poll.id,
            "question": poll.question,
            "method": poll.method,
            "opens_at": iso_utc(poll.opens_at),
            "closes_at": iso_utc(poll.closes_at),
            "tie_break_seed": poll.tie_break_seed,
            "seats": poll.seats,  # how many locations the count elects (more than one: single transferable vote)
        },
        "options": [{"id": option.id, "position": option.position, "label": option.label} for option in poll.options],
        "marks": ("option ids in order of preference" if poll.ranked else "option ids chosen, in ascending order"),
        "receipt": "receipt = first 20 base32 characters of SHA-256('protect-receipt' NUL secret NUL marks), "
        "marks as comma-separated option ids, secret without dashes",
        "ballots": [{"receipt": ballot.receipt, "marks": list(ballot.marks)} for ballot in published.ballots],
        "result": {
            "ballots": result.ballots,
            "eligible_voters": numbers.eligible,
            "winners": list(result.winners),
            "counts": {str(row.option_id): row.count for row in result.rows},
            "rounds": rounds_data(result),
        },
    }


def rounds_data(result: Tally) -> list[dict[str, Any]]:
    """A count's rounds as plain JSON: each round's votes per option, and who was eliminated or elected."""
    return [
        {
            "number": r.number,
            "counts": {str(oid): votes for oid, votes in r.counts.items()},
            "eliminated": r.eliminated,
            "elected": r.elected,
        }
        for r in result.rounds
    ]


def publication_csv(poll: Poll, published: Publication) -> str:
    """The anonymised ballots as CSV: one line per ballot, its receipt code and its marks (by name)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    out = csv.writer(buffer, lineterminator="\r\n")
    labels = {option.id: option.label for option in poll.options}
    width = max((len(ballot.marks) for ballot in published.ballots), default=1)
    if poll.ranked:
        marks = [gettext("Preference %(number)d", number=n) for n in range(1, width + 1)]
    else:
        marks = [gettext("Chosen %(number)d", number=n) for n in range(1, width + 1)]
    out.writerow([gettext("Receipt code"), *marks])
    for ballot in published.ballots:
        out.writerow([ballot.receipt or "", *[_safe(labels[oid]) for oid in ballot.marks]])
    return buffer.getvalue()
