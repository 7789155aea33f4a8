"""Counting the ballots: pure functions of the options and the ballots, no database, no clock.

The texts a count writes (round notes, column names) are in the interface's language of the request that
counted (English outside a request): the tally cache keys a count on that language too.

A ballot is a tuple of option ids. Single choice: the one option chosen. Approval: every acceptable option.
Ranked (instant runoff and Schulze): the options in order of preference, most preferred first; a voter may
rank only some of the options.

Rules stated on the poll page (``METHOD_RULES``) are the rules implemented here:

- Single choice and approval: most votes (approvals) wins; equal most is a declared tie.
- Instant runoff: a location with more than half of the ballots still counting wins. Otherwise the location
  with the fewest votes is eliminated and its ballots go to their next ranked location still in the count;
  a ballot with no location left is exhausted. A tie for fewest votes is broken by the earlier rounds (the
  one with fewer votes in the earliest round where they differ is eliminated), and if they were equal in
  every round, by the lot order drawn when the poll was created. When every remaining location has the same
  number of votes, the count stops with a declared tie. When the lot order decided an elimination, the count
  is run again with every other draw (``LOT_RUNS`` at most) to tell whether the lot decided the result.
- Schulze: for each pair of locations, how many voters rank one above the other (ranked above unranked;
  unranked ones are equal). The strongest path from A to B is the path of pairwise wins whose weakest link
  is strongest. A wins if its strongest path to every other location is at least as strong as the way
  back; several such locations are a declared tie. The order below the winners is made the same way: the
  locations that no remaining location beats (strictly stronger path) share the next rank, so locations
  whose paths are equal both ways are shown as tied, never as ranked one above the other.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from babel import Locale
from babel.lists import format_list
from babel.numbers import parse_pattern
from flask_babel import get_locale, gettext, lazy_gettext, ngettext

SINGLE = "single"
APPROVAL = "approval"
IRV = "irv"
SCHULZE = "schulze"
STV = "stv"  # single transferable vote, several winners: counted in protect.polls.stv
METHODS = (SINGLE, APPROVAL, IRV, SCHULZE, STV)
RANKED_METHODS = frozenset({IRV, SCHULZE, STV})
LOT_RUNS = 64  # counts run again with other lot draws, at most, to tell whether the lot decided the result
# Counts kept in modules of their own, which build on this one and register here when imported:
# method -> count(candidates, ballots, seats, seed) -> Tally. protect.polls.stv registers STV.
COUNTERS: dict[str, Any] = {}

METHOD_LABELS = {
    SINGLE: lazy_gettext("Single choice"),
    APPROVAL: lazy_gettext("Approval voting"),
    IRV: lazy_gettext("Ranked choice, instant runoff"),
    SCHULZE: lazy_gettext("Ranked choice, Schulze (Condorcet)"),
    STV: lazy_gettext("Ranked choice, several winners (single transferable vote)"),
}
METHOD_HOW_TO_VOTE = {
    SINGLE: lazy_gettext("Choose the one location you prefer."),
    APPROVAL: lazy_gettext("Tick every location you find acceptable (at least one)."),
    IRV: lazy_gettext(
        "Rank the locations in order of preference: add them to your ranking and move them up or down. "
        "Rank as many as you like; unranked locations are never counted for you."
    ),
    SCHULZE: lazy_gettext(
        "Rank the locations in order of preference: add them to your ranking and move them up or down. "
        "Rank as many as you like; every ranked location counts as preferred to every unranked one."
    ),
    STV: lazy_gettext(
        "Rank the locations in order of preference: add them to your ranking and move them up or down. "
        "Several locations are chosen; if your first choice is elected with votes to spare, or excluded, your "
        "ballot helps your next choices. Rank as many as you like."
    ),
}
METHOD_RULES = {
    SINGLE: lazy_gettext(
        "Each voter chooses one location. The location chosen by the most voters wins. If two or more "
        "locations have the same highest number of votes, the result is a declared tie and the group decides how "
        "to proceed."
    ),
    APPROVAL: lazy_gettext(
        "Each voter ticks every location they could accept. The location with the most approvals wins: "
        "it is the one acceptable to the most people. The share shown is the share of voters who approved it. "
        "Equal most approvals is a declared tie."
    ),
    IRV: lazy_gettext(
        "Voters rank locations in order of preference. In each round every ballot counts for its highest "
        "ranked location that is still in the count. A location with more than half of the ballots still "
        "counting wins. Otherwise the location with the fewest votes is eliminated and its ballots move to their "
        "next choice; a ballot with no ranked location left is exhausted and no longer counts. Tie-break: if two "
        "or more locations share the fewest votes, the one with fewer votes in the earliest round where their "
        "votes differed is eliminated; if they were equal in every round, the one drawn first in the lot order "
        "(fixed when the poll was created and shown with the results) is eliminated. If every remaining location "
        "has the same number of votes, the count stops with a declared tie."
    ),
    SCHULZE: lazy_gettext(
        "Voters rank locations in order of preference. Every pair of locations is compared: how many "
        "voters rank one above the other (a ranked location is above an unranked one). A location that beats "
        "another head to head has a path to it; a path through other locations is as strong as its weakest "
        "head-to-head win. The winner is the location whose strongest path to every other location is at least "
        "as strong as the strongest path back. This finds the location that beats every other head to head "
        "whenever there is one, and still gives a fair answer when preferences go round in a circle. If several "
        "locations qualify, the result is a declared tie."
    ),
    STV: lazy_gettext(
        "Single transferable vote (Scottish STV, exact fractions). Voters rank locations. The quota is the "
        "number of ballots divided by one more than the number of locations to choose, rounded down, plus one. "
        "Each ballot counts for its highest ranked location still in the count. A location reaching the quota "
        "is elected; its surplus (votes above the quota) is passed on, one surplus per round, the largest first: "
        "every ballot it holds moves to its next choice at a reduced value (surplus divided by its votes). With "
        "no surplus to pass on, the location with the fewest votes is excluded and its ballots move to their next "
        "choice at their value. When as many locations remain as seats to fill, they are elected. Ties: the "
        "earliest round where their votes differed, then the lot order fixed when the poll was created."
    ),
}


@dataclass(frozen=True)
class Candidate:
    id: int
    label: str


@dataclass
class Row:
    """One option's line in the main table and chart."""

    option_id: int
    label: str
    count: int
    share: Fraction  # of the ballots (single, approval, first preferences)
    winner: bool = False
    tied: bool = False
    note: str = ""

    @property
    def percent(self) -> float:
        return float(self.share * 100)


@dataclass
class Round:
    number: int
    counts: dict[int, int]  # votes of each location still in the count
    continuing: int
    exhausted: int
    eliminated: int | None = None
    elected: int | None = None
    tied: tuple[int, ...] = ()  # a declared tie: every remaining location has the same votes
    tied_fewest: tuple[int, ...] = ()  # the locations tied for the fewest votes, the eliminated one included
    drawn_from: tuple[int, ...] = ()  # those of them equal in every round, among whom the lot order chose
    note: str = ""

    @property
    def by_lot(self) -> bool:
        """Whether the lot order chose the location eliminated in this round."""
        return bool(self.drawn_from)


@dataclass
class Pairwise:
    order: list[int]  # option ids, in Schulze ranking order (tied ones in ballot order)
    beats: dict[tuple[int, int], int]  # voters preferring a over b
    strongest: dict[tuple[int, int], int]  # strength of the strongest path from a to b
    groups: list[list[int]] = field(default_factory=list)  # the order as ranks: a group of several is a tie

    def wins(self, a: int, b: int) -> bool:
        return self.strongest[(a, b)] > self.strongest[(b, a)]

    def ranks(self) -> list[tuple[int, list[int]]]:
        """(rank, locations) in order; tied locations share a rank and the next rank skips: 1, 2, 2, 4."""
        ranked, place = [], 1
        for group in self.groups:
            ranked.append((place, group))
            place += len(group)
        return ranked


@dataclass
class Tally:
    method: str
    ballots: int
    rows: list[Row]
    winners: list[int]
    count_label: str
    share_label: str
    rounds: list[Round] = field(default_factory=list)
    pairwise: Pairwise | None = None
    lot_order: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    # Instant runoff: whether the result depends on the lot order. True: another draw gives another result;
    # False: every other draw gives the same (or no draw was made); None: not worked out (over LOT_RUNS counts).
    lot_decisive: bool | None = False
    stv: Any = None  # single transferable vote: the protect.polls.stv.StvCount with its rounds

    @property
    def lot_rounds(self) -> list[Round]:
        """The rounds whose elimination the lot order chose."""
        return [r for r in self.rounds if r.by_lot]

    @property
    def decided_by_lot(self) -> bool:
        return self.lot_decisive is True

    def lot_text(self) -> str:
        """What the lot order decided, in one or two sentences ("" when it decided nothing)."""
        if self.stv is not None:
            return self.stv.lot_text(self.labels)
        draws = self.lot_rounds
        if not draws:
            return ""
        # A draw among locations without votes changes nothing (see _lot_decisive): name it only if alone.
        draws = [r for r in draws if r.counts.get(r.eliminated or 0)] or draws
        what = "; ".join(
            gettext(
                "in round %(round)d, %(names)s had the same votes in every round and the published lot order "
                "eliminated %(name)s",
                round=r.number,
                names=join_names(self.label(oid) for oid in r.drawn_from),
                name=self.label(r.eliminated),
            )
            for r in draws
        )
        if self.lot_decisive:
            return gettext("Decided by lot: %(what)s. Another draw would have given a different result.", what=what)
        if self.lot_decisive is None:
            return gettext(
                "The published lot order broke a tie: %(what)s. The result may depend on that draw.", what=what
            )
        return gettext(
            "The published lot order broke a tie: %(what)s. Any other draw gives the same result.", what=what
        )

    def runoff_win(self) -> tuple[int, int, int] | None:
        """(round, the winner's votes, the votes still counting) for an instant-runoff winner, else None: the
        pages put them in one sentence ("Riga won in round 2 with 3 of 5 votes still counting")."""
        if self.method != IRV or not self.rounds or self.winner is None:
            return None
        last = self.rounds[-1]
        return last.number, last.counts.get(self.winner, 0), last.continuing

    @property
    def winner(self) -> int | None:
        return self.winners[0] if len(self.winners) == 1 else None

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1 and self.method != STV  # STV elects several: not a tie

    @property
    def exhausted(self) -> int:
        return self.rounds[-1].exhausted if self.rounds else 0

    def label(self, option_id: int | None) -> str:
        return self.labels.get(option_id, "") if option_id is not None else ""


class BallotError(ValueError):
    """A ballot that cannot be counted. The service refuses such ballots before they are stored."""


def lot_order(seed: str, option_ids: Iterable[int]) -> list[int]:
    """The order in which options are drawn by lot: by SHA-256 of ``seed:id``. Anyone can recompute it."""
    return sorted(option_ids, key=lambda oid: (hashlib.sha256(f"{seed}:{oid}".encode()).hexdigest(), oid))


def check_ballot(method: str, option_ids: Sequence[int], ballot: Sequence[int]) -> None:
    """Raise BallotError unless ``ballot`` is a valid ballot of ``method`` over ``option_ids``."""
    known = set(option_ids)
    if any(oid not in known for oid in ballot):
        raise BallotError(gettext("The ballot names a location that is not an option of this poll."))
    if len(set(ballot)) != len(ballot):
        raise BallotError(gettext("The ballot names the same location twice."))
    if not ballot:
        raise BallotError(gettext("The ballot is empty."))
    if method == SINGLE and len(ballot) != 1:
        raise BallotError(gettext("Choose exactly one location."))


def count(
    method: str,
    candidates: Sequence[Candidate],
    ballots: Sequence[Sequence[int]],
    seed: str = "",
    seats: int = 1,
) -> Tally:
    """The result of ``method`` for ``ballots`` over ``candidates`` (in the order shown on the ballot)."""
    if method not in METHODS:
        raise ValueError(f"unknown counting method {method!r}")
    ids = [c.id for c in candidates]
    for ballot in ballots:
        check_ballot(method, ids, ballot)
    if method in (SINGLE, APPROVAL):
        return _plurality(method, candidates, ballots)
    if method == IRV:
        return _instant_runoff(candidates, ballots, seed)
    if method in COUNTERS:
        return COUNTERS[method](candidates, ballots, seats, seed)
    return _schulze(candidates, ballots)


def _share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def _first_preferences(candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]]) -> dict[int, int]:
    counts = {c.id: 0 for c in candidates}
    for ballot in ballots:
        counts[ballot[0]] += 1
    return counts


def _top(counts: dict[int, int]) -> list[int]:
    if not counts or max(counts.values()) == 0:
        return []
    best = max(counts.values())
    return [oid for oid, n in counts.items() if n == best]


def _rows(candidates: Sequence[Candidate], counts: dict[int, int], ballots: int, winners: list[int]) -> list[Row]:
    tie = len(winners) > 1
    return [
        Row(
            c.id,
            c.label,
            counts[c.id],
            _share(counts[c.id], ballots),
            c.id in winners and not tie,
            c.id in winners and tie,
        )
        for c in candidates
    ]


def _plurality(method: str, candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]]) -> Tally:
    counts = {c.id: 0 for c in candidates}
    for ballot in ballots:
        for oid in ballot:
            counts[oid] += 1
    winners = _top(counts)
    approval = method == APPROVAL
    return Tally(
        method=method,
        ballots=len(ballots),
        rows=_rows(candidates, counts, len(ballots), winners),
        winners=winners,
        count_label=gettext("Approvals") if approval else gettext("Votes"),
        share_label=gettext("Share of voters approving") if approval else gettext("Share of ballots"),
        labels={c.id: c.label for c in candidates},
    )


def _instant_runoff(candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]], seed: str) -> Tally:
    labels = {c.id: c.label for c in candidates}
    ids = [c.id for c in candidates]
    lots = lot_order(seed, labels)
    rankings = Counter(tuple(ballot) for ballot in ballots)  # each distinct ranking once, with its voters
    rounds, winners = _runoff(rankings, ids, lots, labels, {})
    first = _first_preferences(candidates, ballots)
    return Tally(
        method=IRV,
        ballots=len(ballots),
        rows=_rows(candidates, first, len(ballots), winners),
        winners=winners,
        count_label=gettext("First preferences"),
        share_label=gettext("Share of ballots"),
        rounds=rounds,
        lot_order=lots,
        labels=labels,
        lot_decisive=_lot_decisive(rankings, ids, lots, labels, rounds, winners),
    )


def _runoff(
    rankings: Counter[tuple[int, ...]],
    ids: list[int],
    lots: list[int],
    labels: dict[int, str],
    draws: dict[int, int],
) -> tuple[list[Round], list[int]]:
    """The rounds and the winners. ``draws``: round number -> the location to eliminate instead of the lot
    order's first, where the lot decides (used to try the other draws)."""
    remaining = list(ids)
    rounds: list[Round] = []
    winners: list[int] = []
    total = sum(rankings.values())
    while remaining:
        counts = {oid: 0 for oid in remaining}
        exhausted = 0
        for ranking, voters in rankings.items():
            choice = next((oid for oid in ranking if oid in counts), None)
            if choice is None:
                exhausted += voters
            else:
                counts[choice] += voters
        continuing = total - exhausted
        current = Round(len(rounds) + 1, counts, continuing, exhausted)
        rounds.append(current)
        if continuing == 0:
            if total:
                current.note = gettext("Every ballot is exhausted.")
            else:
                current.note = gettext("No ballot is counting: there is no winner.")
            break
        leader = max(counts, key=lambda oid: counts[oid])
        if counts[leader] * 2 > continuing:
            current.elected = leader
            current.note = ngettext(
                "%(name)s has %(count)d of the %(num)d vote still counting, more than half: elected.",
                "%(name)s has %(count)d of the %(num)d votes still counting, more than half: elected.",
                continuing,
                name=labels[leader],
                count=counts[leader],
            )
            winners = [leader]
            break
        if len(set(counts.values())) == 1:
            current.tied = tuple(remaining)
            names = join_names(labels[oid] for oid in remaining)
            current.note = ngettext(
                "%(names)s have %(num)d vote each: the count stops with a declared tie.",
                "%(names)s have %(num)d votes each: the count stops with a declared tie.",
                counts[leader],
                names=names,
            )
            winners = list(remaining)
            break
        _eliminate(current, rounds[:-1], lots, labels, draws.get(current.number))
        remaining.remove(current.eliminated)  # type: ignore[arg-type]
    return rounds, winners


def _eliminate(current: Round, earlier: list[Round], lots: list[int], labels: dict[int, str], draw: int | None) -> None:
    """Choose the location ``current`` eliminates (fewest votes; ties broken as METHOD_RULES[IRV] says) and
    write the round's note. ``draw``: the location to take instead of the lot order's first, if the lot decides."""
    counts = current.counts
    fewest = min(counts.values())
    tied = [oid for oid in counts if counts[oid] == fewest]
    if len(tied) == 1:
        current.eliminated = tied[0]
        current.note = ngettext(
            "%(name)s has the fewest votes (%(num)d vote): eliminated.",
            "%(name)s has the fewest votes (%(num)d votes): eliminated.",
            fewest,
            name=labels[tied[0]],
        )
        return
    current.tied_fewest = tuple(tied)
    head = ngettext(
        "%(names)s are tied for the fewest votes (%(num)d vote each)",
        "%(names)s are tied for the fewest votes (%(num)d votes each)",
        fewest,
        names=join_names(labels[oid] for oid in tied),
    )
    left = tied
    for past in earlier:
        earlier_votes = {oid: past.counts.get(oid, 0) for oid in left}
        low = min(earlier_votes.values())
        narrowed = [oid for oid in left if earlier_votes[oid] == low]
        if len(narrowed) < len(left):
            left = narrowed
            if len(left) == 1:
                current.eliminated = left[0]
                current.note = gettext(
                    "%(tied)s. %(name)s had fewer votes in round %(round)d, the earliest round where they "
                    "differed: eliminated.",
                    tied=head,
                    name=labels[left[0]],
                    round=past.number,
                )
                return
    current.drawn_from = tuple(left)  # in ballot order
    chosen = draw if draw in left else next(oid for oid in lots if oid in left)
    current.eliminated = chosen
    if len(left) == len(tied):
        current.note = gettext(
            "%(tied)s. They had the same votes in every round, so the published lot order decides: %(name)s, "
            "drawn first of them, is eliminated.",
            tied=head,
            name=labels[chosen],
        )
    else:
        current.note = gettext(
            "%(tied)s. Of them, %(names)s had the same votes in every round, so the published lot order decides: "
            "%(name)s, drawn first of them, is eliminated.",
            tied=head,
            names=join_names(labels[oid] for oid in left),
            name=labels[chosen],
        )


def _lot_decisive(
    rankings: Counter[tuple[int, ...]],
    ids: list[int],
    lots: list[int],
    labels: dict[int, str],
    rounds: list[Round],
    winners: list[int],
) -> bool | None:
    """Whether another draw of the lot would have given another result: the count run again with each other
    choice at each draw (and at the draws that follow from it), LOT_RUNS counts at most (None beyond)."""
    result = frozenset(winners)
    pending: list[tuple[dict[int, int], list[Round]]] = [({}, rounds)]
    runs = 0
    while pending:
        draws, counted = pending.pop()
        after = max(draws, default=0)
        for r in counted:
            # Locations with no votes leave nothing to transfer: the others follow them out in the next rounds
            # whatever the order, so a draw among them never changes the result and is not tried.
            if not r.by_lot or r.number <= after or r.counts[r.eliminated] == 0:  # type: ignore[index]
                continue
            for other in r.drawn_from:
                if other == r.eliminated:
                    continue
                runs += 1
                if runs > LOT_RUNS:
                    return None
                tried = {**draws, r.number: other}
                other_rounds, other_winners = _runoff(rankings, ids, lots, labels, tried)
                if frozenset(other_winners) != result:
                    return True
                pending.append((tried, other_rounds))
    return False


def _schulze(candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]]) -> Tally:
    ids = [c.id for c in candidates]
    labels = {c.id: c.label for c in candidates}
    beats = {(a, b): 0 for a in ids for b in ids if a != b}
    # Each distinct ranking once, weighted by how many voters gave it: a ranked location is above every one
    # ranked after it and every unranked one; unranked locations are equal (no pair between them counts).
    for ranking, voters in Counter(tuple(ballot) for ballot in ballots).items():
        ranked = set(ranking)
        below = [oid for oid in ids if oid not in ranked]
        for place, a in enumerate(ranking):
            for b in ranking[place + 1 :]:
                beats[(a, b)] += voters
            for b in below:
                beats[(a, b)] += voters
    strongest = {pair: (n if n > beats[(pair[1], pair[0])] else 0) for pair, n in beats.items()}
    for via in ids:
        for a in ids:
            if a == via:
                continue
            for b in ids:
                if b in (a, via):
                    continue
                strongest[(a, b)] = max(strongest[(a, b)], min(strongest[(a, via)], strongest[(via, b)]))
    groups = _schulze_groups(ids, strongest)
    order = [oid for group in groups for oid in group]
    winners = [a for a in ids if all(strongest[(a, b)] >= strongest[(b, a)] for b in ids if b != a)]
    if not ballots:
        winners = []
    first = _first_preferences(candidates, ballots)
    return Tally(
        method=SCHULZE,
        ballots=len(ballots),
        rows=_rows(candidates, first, len(ballots), winners),
        winners=winners,
        count_label=gettext("First preferences"),
        share_label=gettext("Share of ballots"),
        pairwise=Pairwise(order, beats, strongest, groups),
        labels=labels,
    )


def _schulze_groups(ids: list[int], strongest: dict[tuple[int, int], int]) -> list[list[int]]:
    """The Schulze order as ranks: the locations no remaining location beats (a strictly stronger path, the
    relation Schulze proved transitive) share the next rank, and are taken out; and again. Locations whose
    strongest paths are equal both ways (0 and 0 included) are tied, never ranked one above the other."""
    remaining = list(ids)
    groups: list[list[int]] = []
    while remaining:
        unbeaten = [a for a in remaining if not any(strongest[(b, a)] > strongest[(a, b)] for b in remaining if b != a)]
        group = unbeaten or list(remaining)  # never empty for a transitive relation; kept safe all the same
        groups.append(group)
        remaining = [oid for oid in remaining if oid not in group]
    return groups


def votes(n: int) -> str:
    """ "1 vote", "2 votes"."""
    return ngettext("%(num)d vote", "%(num)d votes", n)


def _locale() -> Locale:
    return get_locale() or Locale.parse("en_GB")  # outside a request: British English, as protect.core.timefmt


def join_names(names: Iterable[str]) -> str:
    """ "Riga, Oslo and Tallinn", in the interface's language (British English outside a request)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return format_list(names, locale=_locale())


def percent_text(share: Fraction | float) -> str:
    """A share as a percentage with one decimal, in the interface's language: "66.7%", "66,7 %"."""
    locale = _locale()
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (1, 1)
    return pattern.apply(float(share), locale)
