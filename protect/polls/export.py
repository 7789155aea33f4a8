"""The tally as CSV. A secret poll's export holds counts only; an open poll's also lists each voter's choice.

The text starts with a UTF-8 byte-order mark, as the decision and registration exports do: spreadsheet
programs read "Gdańsk" or "Reykjavík" right only with it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from protect.core.regions import country_name
from protect.core.timefmt import iso_utc
from protect.polls.models import Poll
from protect.polls.services import BallotLine, Turnout
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

    row("Question", poll.question)
    row("Counting method", poll.method_label)
    row("Ballot", "secret" if poll.secret else "open")
    row("Status", status)
    row("Opens (UTC)", iso_utc(poll.opens_at))
    row("Closes (UTC)", iso_utc(poll.closes_at))
    row("Ballots cast", numbers.ballots)
    row("Eligible voters", numbers.eligible)
    if result.winner is not None:
        row("Winner", result.label(result.winner))
    elif result.tie:
        row("Declared tie between", *[result.label(oid) for oid in result.winners])
    else:
        row("Winner", "none")
    if result.rounds:
        decided = {True: "yes", False: "no", None: "possibly"}[result.lot_decisive]
        row("Decided by lot", decided, *([result.lot_text()] if result.lot_rounds else []))
    row()
    row("Location", "City", "Country", result.count_label, result.share_label + " (%)")
    options = {option.id: option for option in poll.options}
    for line in result.rows:
        option = options[line.option_id]
        row(line.label, option.city, country_name(option.country), line.count, f"{line.percent:.1f}")
    if result.rounds:
        row()
        row("Round", *[result.label(oid) for oid in options], "Exhausted", "Still counting", "Outcome")
        for r in result.rounds:
            outcome = ""
            if r.eliminated is not None:
                outcome = f"{result.label(r.eliminated)} eliminated"
                if r.by_lot:
                    outcome += " (drawn by lot)"
                elif r.tied_fewest:
                    outcome += " (tie broken by an earlier round)"
            elif r.elected is not None:
                outcome = f"{result.label(r.elected)} elected"
            elif r.tied:
                outcome = "tie"
            row(r.number, *[r.counts.get(oid, "") for oid in options], r.exhausted, r.continuing, outcome)
        row(
            "Lot order for the last tie-break (seed)",
            poll.tie_break_seed,
            *[result.label(oid) for oid in result.lot_order],
        )
    if result.pairwise is not None:
        order = result.pairwise.order
        row()
        row("Schulze rank", "Location", "Tied")
        for place, group in result.pairwise.ranks():
            for oid in group:
                row(place, result.label(oid), "tied" if len(group) > 1 else "")
        row()
        row("Voters preferring the row to the column", *[result.label(oid) for oid in order])
        for a in order:
            row(result.label(a), *["" if a == b else result.pairwise.beats[(a, b)] for b in order])
        row()
        row("Strongest path from the row to the column", *[result.label(oid) for oid in order])
        for a in order:
            row(result.label(a), *["" if a == b else result.pairwise.strongest[(a, b)] for b in order])
    if not poll.secret:
        row()
        row("Voter", "Cast at (UTC)", "Last changed (UTC)", "Choice (in order of preference where ranked)")
        for ballot in ballots:
            row(
                ballot.voter.display_name,
                iso_utc(ballot.cast_at),
                iso_utc(ballot.changed_at),
                *[result.label(oid) for oid in ballot.choice()],
            )
    return buffer.getvalue()
