"""The single transferable vote count (protect.polls.stv), checked by hand-worked elections and against an
independent reference counter on thousands of random elections.

No kept library counts Scottish STV with exact fractions and this application's published tie rules (pyrankvote
and others truncate, use other quotas or break ties their own way), so the reference is written here, apart:
it keeps every ballot separately (no grouping of equal rankings), recomputes every location's votes from all
the ballots each round, and transfers by walking each ballot's ranking from the start. Only the rules are
shared, as the docstring of protect.polls.stv states them."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from protect.polls.stv import decimal, quota
from protect.polls.tally import STV, Candidate, count, lot_order


def reference_stv(ids, ballots, seats, seed):
    """An independent Scottish STV count (exact WIGM): the elected ids in order, and for each round which
    location was acted on (('surplus'|'exclude', id)) — what the module's rounds must show."""
    lots = lot_order(seed, ids)
    total = len(ballots)
    if total == 0:
        return [], []
    q = total // (seats + 1) + 1
    papers = [{"ranking": list(b), "weight": Fraction(1), "at": None} for b in ballots]
    state = {c: "hopeful" for c in ids}
    elected, actions, history = [], [], []
    surplus_due = []

    def place(paper):
        for c in paper["ranking"]:
            if state[c] == "hopeful":
                paper["at"] = c
                return
        paper["at"] = None

    for paper in papers:
        place(paper)

    def tallies():
        t = {c: Fraction(0) for c in ids}
        for paper in papers:
            if paper["at"] is not None:
                t[paper["at"]] += paper["weight"]
        for c in ids:
            if state[c] == "elected" and c not in surplus_due:
                t[c] = Fraction(q)
        return t

    def pick(tied, largest):
        if len(tied) == 1:
            return tied[0]
        left = list(tied)
        for past in history:
            pick_value = max if largest else min
            target = pick_value(past[c] for c in left)
            left = [c for c in left if past[c] == target]
            if len(left) == 1:
                return left[0]
        return min(left, key=lots.index)

    while True:
        t = tallies()
        hopeful = [c for c in ids if state[c] == "hopeful"]
        over = [c for c in hopeful if t[c] >= q]
        # most votes first; ties by history (largest) then lot
        while over and len(elected) < seats:
            best = max(t[c] for c in over)
            c = pick([c for c in over if t[c] == best], largest=True)
            over.remove(c)
            state[c] = "elected"
            elected.append(c)
            if t[c] > q:
                surplus_due.append(c)
        if len(elected) == seats:
            break
        hopeful = [c for c in ids if state[c] == "hopeful"]
        if len(hopeful) <= seats - len(elected):
            while hopeful:
                best = max(t[c] for c in hopeful)
                c = pick([c for c in hopeful if t[c] == best], largest=True)
                hopeful.remove(c)
                elected.append(c)
            break
        history.append(t)
        if surplus_due:
            best = max(t[c] - q for c in surplus_due)
            c = pick([c for c in surplus_due if t[c] - q == best], largest=True)
            surplus_due.remove(c)
            factor = (t[c] - q) / t[c]
            for paper in papers:
                if paper["at"] == c:
                    paper["weight"] *= factor
                    place(paper)
            actions.append(("surplus", c))
        else:
            low = min(t[c] for c in hopeful)
            c = pick([c for c in hopeful if t[c] == low], largest=False)
            state[c] = "excluded"
            for paper in papers:
                if paper["at"] == c:
                    place(paper)
            actions.append(("exclude", c))
    return elected, actions


def counted(ids, ballots, seats, seed="seed"):
    return count(STV, [Candidate(i, f"L{i}") for i in ids], ballots, seed=seed, seats=seats)


def actions_of(tally):
    out = []
    for r in tally.stv.rounds:
        if r.surplus_of is not None:
            out.append(("surplus", r.surplus_of))
        elif r.excluded is not None:
            out.append(("exclude", r.excluded))
    return out


def test_the_droop_quota():
    assert quota(100, 3) == 26
    assert quota(99, 3) == 25
    assert quota(8, 1) == 5
    assert quota(0, 2) == 1


def test_a_hand_worked_election_with_a_surplus_and_an_exclusion():
    # 3 seats, 20 ballots: quota 6. A has 10 first preferences, split 6 → B, 4 → C on the second.
    ballots = [(1, 2)] * 6 + [(1, 3)] * 4 + [(2,)] * 2 + [(3,)] * 3 + [(4,)] * 4 + [(5, 4)]
    result = counted([1, 2, 3, 4, 5], ballots, seats=3)
    rounds = result.stv.rounds
    assert result.stv.quota == 6
    assert rounds[0].elected == [1]
    assert rounds[0].surplus_of == 1
    assert rounds[0].transfer_value == Fraction(4, 10)
    # B gets 6 × 0.4 = 2.4, C gets 4 × 0.4 = 1.6.
    assert rounds[1].votes[2] == Fraction(2) + Fraction(12, 5)
    assert rounds[1].votes[3] == Fraction(3) + Fraction(8, 5)
    assert rounds[1].votes[1] == 6
    # Round 2: nobody reaches 6; E (1 vote) is excluded and goes to D (5).
    assert rounds[1].excluded == 5
    assert rounds[2].votes[4] == 5
    # Round 3: B 4.4, C 4.6, D 5: B is excluded, its ballots (A's at 0.4 and B's own) exhaust.
    assert rounds[2].excluded == 2
    assert result.winners[0] == 1 and set(result.winners) == {1, 3, 4}
    assert rounds[-1].filled
    assert result.tie is False


def test_the_lot_breaks_an_exclusion_tie_and_the_result_says_so():
    ids = [1, 2, 3]
    ballots = [(1,)] * 3 + [(2,)] + [(3,)]
    result = counted(ids, ballots, seats=2, seed="abc")
    # Quota 2: A is elected in round 1 and its surplus exhausts; in round 2 B and C have 1 vote each.
    assert result.stv.rounds[0].surplus_of == 1
    first = result.stv.rounds[1]
    assert first.excluded in (2, 3)
    assert first.by_lot and set(first.drawn_from) == {2, 3}
    expected_out = next(oid for oid in lot_order("abc", ids) if oid in (2, 3))
    assert first.excluded == expected_out
    # Either draw elects the other one: the lot decided the result.
    assert result.lot_decisive is True
    assert result.decided_by_lot


def test_no_ballots_elects_nobody():
    result = counted([1, 2, 3], [], seats=2)
    assert result.winners == []
    assert len(result.stv.rounds) == 1


def test_fewer_candidates_than_seats_are_all_elected():
    result = counted([1, 2], [(1,), (2, 1)], seats=3)
    assert set(result.winners) == {1, 2}


def test_decimal():
    assert decimal(Fraction(12, 5)) == "2.40"
    assert decimal(Fraction(2, 3), 4) == "0.6667"
    assert decimal(Fraction(1, 200)) == "0.01"


def _random_election(rng: random.Random):
    n = rng.randint(2, 9)
    ids = rng.sample(range(1, 100), n)
    seats = rng.randint(1, min(4, n))
    voters = rng.randint(0, 40)
    # Some structure: a few popular orders, so that surpluses and ties both happen.
    popular = [rng.sample(ids, rng.randint(1, n)) for _ in range(3)]
    ballots = []
    for _ in range(voters):
        if rng.random() < 0.5:
            ballots.append(tuple(rng.choice(popular)))
        else:
            ballots.append(tuple(rng.sample(ids, rng.randint(1, n))))
    return ids, ballots, seats


@pytest.mark.parametrize("chunk", range(4))
def test_the_count_agrees_with_the_reference_on_random_elections(chunk):
    rng = random.Random(20260 + chunk)
    lots_used = 0
    for _ in range(1000):
        ids, ballots, seats = _random_election(rng)
        seed = f"{rng.random()}"
        result = counted(ids, ballots, seats, seed)
        elected, actions = reference_stv(ids, ballots, seats, seed)
        assert result.winners == elected, (ids, ballots, seats, seed)
        assert actions_of(result) == actions, (ids, ballots, seats, seed)
        assert len(set(result.winners)) == len(result.winners) <= seats
        lots_used += bool(result.stv.lot_rounds)
    assert lots_used > 20  # the elections do exercise the lot
