"""Single transferable vote: choosing ``seats`` locations out of the candidates, round by round.

The rule is the Scottish STV count (the Scottish Local Government Elections Order 2007, rules 45–52) with
exact fractions instead of its truncation to five decimals:

- Quota (Droop): the whole part of (ballots ÷ (seats + 1)), plus one.
- Each round every ballot counts, at its current value, for its highest ranked location still in the count
  (neither elected nor excluded); a ballot with none left is non-transferable ("exhausted").
- A location whose votes reach the quota is elected. Then, one per round, the largest surplus not yet
  transferred (votes above the quota) is transferred by the *weighted inclusive Gregory method*: every ballot
  the elected location holds moves to its next location still in the count, at its current value times
  surplus ÷ the location's votes. The elected location keeps exactly the quota.
- With no surplus to transfer, the location with the fewest votes is excluded and each of its ballots moves
  on at its current value.
- When as many locations remain as seats to fill, they are all elected.
- Ties (the largest surplus, the fewest votes): the location with more (fewer) votes at the earliest round
  where their votes differed; if equal in every round, the published lot order of the poll (``tally.lot_order``,
  the same draw as the instant-runoff polls): the surplus of the first drawn is transferred first, the first
  drawn is excluded. Those are this application's tie rules for every ranked count (the order's rule 49 looks
  back at the most recent stage and draws by lot at the count; ours is published before voting).

Why Scottish STV and not Meek: each of its rounds is one visible step (a surplus transferred or a location
excluded) that a group can follow in a table and check by hand, and it is a rule in public use. Meek's method
recomputes every keep value in an iteration to convergence at each round, which is fairer to later
preferences but cannot be shown as a few transfers. Exact fractions (no truncation) mean the count does not
depend on where anyone rounds; the pages show two decimals, the CSV the exact values as decimals to 6 places.

When the lot order decided an exclusion or the order of surpluses, the count is run again with each other
draw (``LOT_RUNS`` counts at most) to tell whether the lot decided the result, as the instant runoff does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_decimal
from flask_babel import gettext, ngettext

from protect.polls.tally import (
    COUNTERS,
    LOT_RUNS,
    STV,
    Candidate,
    Row,
    Tally,
    _first_preferences,
    _locale,
    _share,
    join_names,
    lot_order,
)


@dataclass
class StvRound:
    number: int
    votes: dict[int, Fraction]  # every location's votes at the start of the round (elected ones: their holding)
    exhausted: Fraction
    elected: list[int] = field(default_factory=list)  # elected in this round
    surplus_of: int | None = None  # the location whose surplus this round transfers
    surplus: Fraction = Fraction(0)
    transfer_value: Fraction = Fraction(0)  # the factor each of its ballots' values is multiplied by
    excluded: int | None = None
    tied: tuple[int, ...] = ()  # locations tied for the surplus or the exclusion
    drawn_from: tuple[int, ...] = ()  # those of them equal in every round, among whom the lot order chose
    filled: bool = False  # the remaining locations elected because as many remain as seats
    note: str = ""

    @property
    def by_lot(self) -> bool:
        return bool(self.drawn_from)

    @property
    def chosen(self) -> int | None:
        return self.surplus_of if self.surplus_of is not None else self.excluded


@dataclass
class StvCount:
    seats: int
    quota: int
    ballots: int
    rounds: list[StvRound]
    elected: list[int]  # in order of election
    status: dict[int, tuple[str, int]] = field(default_factory=dict)  # location -> ("elected"|"excluded", round)
    lot_decisive: bool | None = False

    @property
    def lot_rounds(self) -> list[StvRound]:
        return [r for r in self.rounds if r.by_lot]

    def lot_text(self, labels: dict[int, str]) -> str:
        return lot_text(self, labels)


def stv_count(candidates: Sequence[Candidate], ballots: Sequence[Sequence[int]], seats: int, seed: str) -> Tally:
    """The count of ``ballots`` (rankings of option ids) choosing ``seats`` of ``candidates``."""
    labels = {c.id: c.label for c in candidates}
    ids = [c.id for c in candidates]
    lots = lot_order(seed, ids)
    rankings = Counter(tuple(b) for b in ballots)
    result = _count(rankings, ids, seats, lots, labels, {})
    result.lot_decisive = _lot_decisive(rankings, ids, seats, lots, labels, result)
    first = _first_preferences(candidates, ballots)
    rows = []
    for c in candidates:
        rows.append(Row(c.id, c.label, first[c.id], _share(first[c.id], len(ballots)), c.id in result.elected))
    tally = Tally(
        method=STV,
        ballots=len(ballots),
        rows=rows,
        winners=list(result.elected),
        count_label=gettext("First preferences"),
        share_label=gettext("Share of ballots"),
        lot_order=lots,
        labels=labels,
        lot_decisive=result.lot_decisive,
    )
    tally.stv = result
    return tally


def quota(ballots: int, seats: int) -> int:
    """The Droop quota."""
    return ballots // (seats + 1) + 1


def _count(
    rankings: Counter[tuple[int, ...]],
    ids: list[int],
    seats: int,
    lots: list[int],
    labels: dict[int, str],
    draws: dict[int, int],
) -> StvCount:
    total = sum(rankings.values())
    q = quota(total, seats)
    # Each location's parcels: [ranking, value of one ballot, number of ballots].
    holdings: dict[int, list[tuple[tuple[int, ...], Fraction, int]]] = {oid: [] for oid in ids}
    exhausted = Fraction(0)
    continuing = list(ids)
    elected: list[int] = []
    pending: list[int] = []  # elected, surplus not yet transferred
    status: dict[int, tuple[str, int]] = {}
    rounds: list[StvRound] = []

    def give(ranking: tuple[int, ...], value: Fraction, n: int) -> Fraction:
        """Hand a parcel to its highest ranked location still in the count; the value lost if none."""
        for oid in ranking:
            if oid in continuing:
                holdings[oid].append((ranking, value, n))
                return Fraction(0)
        return value * n

    for ranking, n in rankings.items():
        exhausted += give(ranking, Fraction(1), n)
    result = StvCount(seats, q, total, rounds, elected, status)
    if total == 0:
        rounds.append(
            StvRound(
                1,
                {oid: Fraction(0) for oid in ids},
                Fraction(0),
                note=gettext("No ballot was cast: nobody is elected."),
            )
        )
        return result
    while True:
        votes = {oid: sum((v * n for _r, v, n in holdings[oid]), Fraction(0)) for oid in ids}
        for oid in elected:
            if oid not in pending:
                votes[oid] = Fraction(q)
        current = StvRound(len(rounds) + 1, votes, exhausted)
        rounds.append(current)
        notes: list[str] = []
        reached = [oid for oid in continuing if votes[oid] >= q]
        if reached:
            reached = _ordered(reached, votes, rounds[:-1], lots, largest=True)
            for oid in reached:
                if len(elected) == seats:
                    break
                continuing.remove(oid)
                elected.append(oid)
                status[oid] = ("elected", current.number)
                current.elected.append(oid)
                if votes[oid] > q:
                    pending.append(oid)
            notes.append(
                gettext(
                    "%(names)s reached the quota of %(quota)d: elected.",
                    names=join_names(labels[o] for o in current.elected),
                    quota=q,
                )
            )
        if len(elected) == seats:
            current.note = " ".join(notes + [gettext("Every seat is filled.")])
            break
        if len(continuing) <= seats - len(elected):
            current.filled = True
            filled = _ordered(continuing, votes, rounds[:-1], lots, largest=True)
            for oid in filled:
                elected.append(oid)
                status[oid] = ("elected", current.number)
                current.elected.append(oid)
            continuing.clear()
            notes.append(
                ngettext(
                    "%(names)s: as many locations remain as seats to fill (%(num)d), elected without reaching "
                    "the quota.",
                    "%(names)s: as many locations remain as seats to fill (%(num)d), elected without reaching "
                    "the quota.",
                    len(filled),
                    names=join_names(labels[o] for o in filled),
                )
            )
            current.note = " ".join(notes)
            break
        if pending:
            biggest = max(votes[o] - q for o in pending)
            tied = [o for o in pending if votes[o] - q == biggest]
            chosen = _choose(current, tied, rounds[:-1], lots, draws, largest=True)
            pending.remove(chosen)
            surplus = votes[chosen] - q
            factor = surplus / votes[chosen]
            current.surplus_of, current.surplus, current.transfer_value = chosen, surplus, factor
            parcels, holdings[chosen] = holdings[chosen], []
            for ranking, value, n in parcels:
                exhausted += give(ranking, value * factor, n)
            notes.append(
                gettext(
                    "The surplus of %(name)s (%(surplus)s votes) is transferred: each of its ballots moves on at "
                    "%(factor)s of its value.",
                    name=labels[chosen],
                    surplus=shown(surplus),
                    factor=shown(factor, 4),
                )
            )
        else:
            fewest = min(votes[o] for o in continuing)
            tied = [o for o in continuing if votes[o] == fewest]
            chosen = _choose(current, tied, rounds[:-1], lots, draws, largest=False)
            continuing.remove(chosen)
            status[chosen] = ("excluded", current.number)
            current.excluded = chosen
            parcels, holdings[chosen] = holdings[chosen], []
            for ranking, value, n in parcels:
                exhausted += give(ranking, value, n)
            notes.append(
                gettext(
                    "%(name)s has the fewest votes (%(votes)s): excluded, its ballots move on at their value.",
                    name=labels[chosen],
                    votes=shown(fewest),
                )
            )
        if current.tied and not current.by_lot:
            notes.append(
                gettext(
                    "%(names)s were tied; the earliest round where their votes differed chose %(name)s.",
                    names=join_names(labels[o] for o in current.tied),
                    name=labels[current.chosen],
                )
            )
        if current.by_lot:
            notes.append(
                gettext(
                    "%(names)s had the same votes in every round: the published lot order chose %(name)s.",
                    names=join_names(labels[o] for o in current.drawn_from),
                    name=labels[current.chosen],
                )
            )
        current.note = " ".join(notes)
    return result


def _ordered(
    oids: list[int], votes: dict[int, Fraction], earlier: list[StvRound], lots: list[int], largest: bool
) -> list[int]:
    """``oids`` most votes first (largest) or fewest first, ties by the earliest round where they differed,
    then by the lot order."""
    sign = -1 if largest else 1
    history = [tuple(sign * r.votes[o] for r in earlier) for o in oids]
    key = {o: (sign * votes[o], h, lots.index(o)) for o, h in zip(oids, history, strict=True)}
    return sorted(oids, key=lambda o: key[o])


def _choose(
    current: StvRound, tied: list[int], earlier: list[StvRound], lots: list[int], draws: dict[int, int], largest: bool
) -> int:
    """The one of ``tied`` this round acts on: by the earliest round where their votes differed, then the lot
    order (or ``draws[round]``, an other draw being tried)."""
    if len(tied) == 1:
        return tied[0]
    current.tied = tuple(tied)
    left = list(tied)
    for past in earlier:
        values = {o: past.votes[o] for o in left}
        best = max(values.values()) if largest else min(values.values())
        narrowed = [o for o in left if values[o] == best]
        if len(narrowed) < len(left):
            left = narrowed
            if len(left) == 1:
                return left[0]
    current.drawn_from = tuple(left)
    wanted = draws.get(current.number)
    return wanted if wanted in left else next(o for o in lots if o in left)


def _lot_decisive(
    rankings: Counter[tuple[int, ...]],
    ids: list[int],
    seats: int,
    lots: list[int],
    labels: dict[int, str],
    result: StvCount,
) -> bool | None:
    """Whether another draw would have elected other locations (LOT_RUNS counts at most; None beyond)."""
    elected = frozenset(result.elected)
    pending: list[tuple[dict[int, int], StvCount]] = [({}, result)]
    runs = 0
    while pending:
        draws, counted = pending.pop()
        after = max(draws, default=0)
        for r in counted.rounds:
            if not r.by_lot or r.number <= after:
                continue
            for other in r.drawn_from:
                if other == r.chosen:
                    continue
                runs += 1
                if runs > LOT_RUNS:
                    return None
                tried = {**draws, r.number: other}
                again = _count(rankings, ids, seats, lots, labels, tried)
                if frozenset(again.elected) != elected:
                    return True
                pending.append((tried, again))
    return False


def decimal(value: Fraction, places: int = 2) -> str:
    """A fraction as a decimal with ``places`` places (rounded half up), for the pages and notes."""
    scaled = value * 10**places
    whole = int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2))
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    if places == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole // 10**places}.{whole % 10**places:0{places}d}"


def shown(value: Fraction, places: int = 2) -> str:
    """A fraction as the pages show it: ``places`` decimals in the interface's language ("2.40", "2,40")."""
    exact = decimal(value, places)
    return format_decimal(Decimal(exact), format="#,##0." + "0" * places, locale=_locale())


def lot_text(count: StvCount, labels: dict[int, str]) -> str:
    """What the lot decided, in one or two sentences ("" when it decided nothing)."""
    draws = count.lot_rounds
    if not draws:
        return ""
    what = "; ".join(
        gettext(
            "in round %(round)d the published lot order chose %(name)s among %(names)s",
            round=r.number,
            name=labels[r.chosen],
            names=join_names(labels[o] for o in r.drawn_from),
        )
        for r in draws
    )
    if count.lot_decisive:
        return gettext("Decided by lot: %(what)s. Another draw would have elected other locations.", what=what)
    if count.lot_decisive is None:
        return gettext("The published lot order broke a tie: %(what)s. The result may depend on that draw.", what=what)
    return gettext(
        "The published lot order broke a tie: %(what)s. Any other draw elects the same locations.", what=what
    )


def round_outcome(r: StvRound, labels: dict[int, str]) -> str:
    """What a round did, in a few words (the table's last column, the CSV)."""
    parts = []
    if r.elected:
        parts.append(gettext("%(names)s elected", names=join_names(labels[o] for o in r.elected)))
    if r.surplus_of is not None:
        parts.append(
            gettext(
                "surplus of %(name)s transferred (%(surplus)s at %(factor)s)",
                name=labels[r.surplus_of],
                surplus=shown(r.surplus),
                factor=shown(r.transfer_value, 4),
            )
        )
    if r.excluded is not None:
        parts.append(gettext("%(name)s excluded", name=labels[r.excluded]))
    if r.by_lot:
        parts.append(gettext("decided by lot"))
    return "; ".join(parts)


def stv_csv_rows(result: Tally, seed: str) -> list[list[object]]:
    """The single transferable vote's part of the tally CSV: seats, quota, and every round's votes (exact
    values as decimals to 6 places), non-transferable votes and what the round did."""
    count: StvCount = result.stv
    labels = result.labels
    ids = list(labels)
    rows: list[list[object]] = [
        [],
        [gettext("Seats"), count.seats],
        [gettext("Quota (Droop)"), count.quota],
        [
            gettext("Decided by lot"),
            {True: gettext("yes"), False: gettext("no"), None: gettext("possibly")}[count.lot_decisive],
            lot_text(count, labels),
        ],
        [],
        [gettext("Round"), *[labels[o] for o in ids], gettext("Non-transferable"), gettext("Outcome")],
    ]
    for r in count.rounds:
        rows.append(
            [r.number, *[decimal(r.votes[o], 6) for o in ids], decimal(r.exhausted, 6), round_outcome(r, labels)]
        )
    rows.append([gettext("Lot order for ties (seed)"), seed, *[labels[o] for o in result.lot_order]])
    return rows


@dataclass(frozen=True)
class Step:
    """One round's bar of a location in the rounds chart: its votes relative to the chart's scale."""

    number: int
    x: float  # per cent of the row's width
    width: float
    height: float  # per cent of the bar area's height
    value: str


@dataclass(frozen=True)
class Track:
    option_id: int
    label: str
    outcome: str  # "elected" | "excluded" | ""
    round: int | None  # when it was elected or excluded
    steps: list[Step]


@dataclass(frozen=True)
class RoundsChart:
    tracks: list[Track]
    quota_height: float  # per cent of the bar area's height where the quota line is drawn


def rounds_chart(result: Tally) -> RoundsChart:
    """A row per location, a bar per round (its votes), and the quota as a line across: drawn with SVG
    attributes only (no style, the CSP forbids it). The same figures are in the rounds table."""
    count: StvCount = result.stv
    rounds = count.rounds
    scale = max([Fraction(count.quota)] + [v for r in rounds for v in r.votes.values()])
    slot = 100 / max(1, len(rounds))
    tracks = []
    for oid, label in result.labels.items():
        steps = [
            Step(
                r.number,
                round(i * slot + slot * 0.1, 2),
                round(slot * 0.8, 2),
                round(float(100 * r.votes[oid] / scale), 2) if scale else 0.0,
                shown(r.votes[oid]),
            )
            for i, r in enumerate(rounds)
        ]
        outcome, number = count.status.get(oid, ("", None))
        tracks.append(Track(oid, label, outcome, number, steps))
    return RoundsChart(tracks, round(float(100 * count.quota / scale), 2) if scale else 0.0)


COUNTERS[STV] = stv_count  # tally.count() dispatches the method here
