"""Counting the ballots: pure functions of the options and the ballots, no database, no clock.

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
  number of votes, the count stops with a declared tie.
- Schulze: for each pair of locations, how many voters rank one above the other (ranked above unranked;
  unranked ones are equal). The strongest path from A to B is the path of pairwise wins whose weakest link
  is strongest. A wins if its strongest path to every other location is at least as strong as the way
  back; several such locations are a declared tie.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

SINGLE = "single"
APPROVAL = "approval"
IRV = "irv"
SCHULZE = "schulze"
METHODS = (SINGLE, APPROVAL, IRV, SCHULZE)
RANKED_METHODS = frozenset({IRV, SCHULZE})

METHOD_LABELS = {
    SINGLE: "Single choice",
    APPROVAL: "Approval voting",
    IRV: "Ranked choice, instant runoff",
    SCHULZE: "Ranked choice, Schulze (Condorcet)",
}
METHOD_HOW_TO_VOTE = {
    SINGLE: "Choose the one location you prefer.",
    APPROVAL: "Tick every location you find acceptable (at least one).",
    IRV: "Rank the locations in order of preference: add them to your ranking and move them up or down. "
    "Rank as many as you like; unranked locations are never counted for you.",
    SCHULZE: "Rank the locations in order of preference: add them to your ranking and move them up or down. "
    "Rank as many as you like; every ranked location counts as preferred to every unranked one.",
}
METHOD_RULES = {
    SINGLE: "Each voter chooses one location. The location chosen by the most voters wins. If two or more "
    "locations have the same highest number of votes, the result is a declared tie and the group decides how "
    "to proceed.",
    APPROVAL: "Each voter ticks every location they could accept. The location with the most approvals wins: "
    "it is the one acceptable to the most people. The share shown is the share of voters who approved it. "
    "Equal most approvals is a declared tie.",
    IRV: "Voters rank locations in order of preference. In each round every ballot counts for its highest "
    "ranked location that is still in the count. A location with more than half of the ballots still "
    "counting wins. Otherwise the location with the fewest votes is eliminated and its ballots move to their "
    "next choice; a ballot with no ranked location left is exhausted and no longer counts. Tie-break: if two "
    "or more locations share the fewest votes, the one with fewer votes in the earliest round where their "
    "votes differed is eliminated; if they were equal in every round, the one drawn first in the lot order "
    "(fixed when the poll was created and shown with the results) is eliminated. If every remaining location "
    "has the same number of votes, the count stops with a declared tie.",
    SCHULZE: "Voters rank locations in order of preference. Every pair of locations is compared: how many "
    "voters rank one above the other (a ranked location is above an unranked one). A location that beats "
    "another head to head has a path to it; a path through other locations is as strong as its weakest "
    "head-to-head win. The winner is the location whose strongest path to every other location is at least "
    "as strong as the strongest path back. This finds the location that beats every other head to head "
    "whenever there is one, and still gives a fair answer when preferences go round in a circle. If several "
    "locations qualify, the result is a declared tie.",
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
    tied: tuple[int, ...] = ()
    note: str = ""


@dataclass
class Pairwise:
    order: list[int]  # option ids, in Schulze ranking order
    beats: dict[tuple[int, int], int]  # voters preferring a over b
    strongest: dict[tuple[int, int], int]  # strength of the strongest path from a to b

    def wins(self, a: int, b: int) -> bool:
        return self.strongest[(a, b)] > self.strongest[(b, a)]


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

    @property
    def winner(self) -> int | None:
        return self.winners[0] if len(self.winners) == 1 else None

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1

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
        raise BallotError("The ballot names a location that is not an option of this poll.")
    if len(set(ballot)) != len(ballot):
        raise BallotError("The ballot names the same location twice.")
    if not ballot:
        raise BallotError("The ballot is empty.")
    if method == SINGLE and len(ballot) != 1:
        raise BallotError("Choose exactly one location.")


def count(
    method: str,
    candidates: Sequence[Candidate],
    ballots: Sequence[Sequence[int]],
    seed: str = "",
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
        count_label="Approvals" if approval else "Votes",
        share_label="Share of voters approving" if approval else "Share of ballots",
        labels={c.id: c.label for c in candidates},
    )


def _instant_runoff(candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]], seed: str) -> Tally:
    labels = {c.id: c.label for c in candidates}
    lots = lot_order(seed, labels)
    remaining = [c.id for c in candidates]
    rounds: list[Round] = []
    winners: list[int] = []
    while remaining:
        counts = {oid: 0 for oid in remaining}
        exhausted = 0
        for ballot in ballots:
            choice = next((oid for oid in ballot if oid in counts), None)
            if choice is None:
                exhausted += 1
            else:
                counts[choice] += 1
        continuing = len(ballots) - exhausted
        current = Round(len(rounds) + 1, counts, continuing, exhausted)
        rounds.append(current)
        if continuing == 0:
            current.note = "No ballot is counting: there is no winner." if not ballots else "Every ballot is exhausted."
            break
        leader = max(counts, key=lambda oid: counts[oid])
        if counts[leader] * 2 > continuing:
            current.elected = leader
            current.note = (
                f"{labels[leader]} has {counts[leader]} of {continuing} votes still counting, more than half: elected."
            )
            winners = [leader]
            break
        if len(set(counts.values())) == 1:
            current.tied = tuple(remaining)
            names = _join(labels[oid] for oid in remaining)
            current.note = f"{names} have {counts[leader]} votes each: the count stops with a declared tie."
            winners = list(remaining)
            break
        loser, reason = _choose_elimination(counts, rounds[:-1], lots, labels)
        current.eliminated = loser
        current.note = f"{labels[loser]} has the fewest votes{reason}: eliminated."
        remaining.remove(loser)
    first = _first_preferences(candidates, ballots)
    return Tally(
        method=IRV,
        ballots=len(ballots),
        rows=_rows(candidates, first, len(ballots), winners),
        winners=winners,
        count_label="First preferences",
        share_label="Share of ballots",
        rounds=rounds,
        lot_order=lots,
        labels=labels,
    )


def _choose_elimination(
    counts: dict[int, int], earlier: list[Round], lots: list[int], labels: dict[int, str]
) -> tuple[int, str]:
    fewest = min(counts.values())
    tied = [oid for oid in counts if counts[oid] == fewest]
    if len(tied) == 1:
        return tied[0], ""
    names = _join(labels[oid] for oid in tied)
    for past in earlier:
        votes = {oid: past.counts.get(oid, 0) for oid in tied}
        low = min(votes.values())
        narrowed = [oid for oid in tied if votes[oid] == low]
        if len(narrowed) < len(tied):
            tied = narrowed
            if len(tied) == 1:
                return tied[0], (
                    f" (tied with {names}; it had fewer votes in round {past.number}, the earliest round where "
                    "they differed)"
                )
    drawn = next(oid for oid in lots if oid in tied)
    return drawn, f" (tied with {names} in every round; drawn first in the lot order)"


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
    wins = {a: sum(1 for b in ids if b != a and strongest[(a, b)] > strongest[(b, a)]) for a in ids}
    order = sorted(ids, key=lambda oid: (-wins[oid], ids.index(oid)))
    winners = [a for a in ids if all(strongest[(a, b)] >= strongest[(b, a)] for b in ids if b != a)]
    if not ballots:
        winners = []
    first = _first_preferences(candidates, ballots)
    return Tally(
        method=SCHULZE,
        ballots=len(ballots),
        rows=_rows(candidates, first, len(ballots), winners),
        winners=winners,
        count_label="First preferences",
        share_label="Share of ballots",
        pairwise=Pairwise(order, beats, strongest),
        labels=labels,
    )


def _join(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
