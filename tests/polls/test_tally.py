"""Counting, checked against examples worked out by hand. No database: tallying is a pure function."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protect.polls.tally import (
    APPROVAL,
    IRV,
    SCHULZE,
    SINGLE,
    BallotError,
    Candidate,
    check_ballot,
    count,
    lot_order,
)

A, B, C, D, E = 1, 2, 3, 4, 5
CANDIDATES = [Candidate(A, "A"), Candidate(B, "B"), Candidate(C, "C"), Candidate(D, "D"), Candidate(E, "E")]


def four():
    return CANDIDATES[:4]


def three():
    return CANDIDATES[:3]


def counts_of(result):
    return {row.option_id: row.count for row in result.rows}


# Single choice and approval ----------------------------------------------------------------------------------


def test_single_choice_most_votes_wins_with_shares_of_the_ballots():
    result = count(SINGLE, three(), [(A,), (A,), (B,), (A,), (B,)])
    assert counts_of(result) == {A: 3, B: 2, C: 0}
    assert [row.share for row in result.rows] == [Fraction(3, 5), Fraction(2, 5), 0]
    assert result.rows[0].percent == 60.0
    assert result.winner == A and not result.tie
    assert [row.winner for row in result.rows] == [True, False, False]


def test_single_choice_equal_most_votes_is_a_declared_tie():
    result = count(SINGLE, three(), [(A,), (B,), (C,), (A,), (B,)])
    assert result.winner is None
    assert result.tie and result.winners == [A, B]
    assert [row.tied for row in result.rows] == [True, True, False]
    assert not any(row.winner for row in result.rows)


def test_no_ballots_no_winner_and_no_tie():
    for method in (SINGLE, APPROVAL, IRV, SCHULZE):
        result = count(method, three(), [])
        assert result.winner is None and not result.tie, method
        assert result.ballots == 0
        assert all(row.share == 0 for row in result.rows)


def test_approval_counts_every_tick_and_shares_are_of_voters():
    ballots = [(A, B), (B,), (B, C), (A,)]
    result = count(APPROVAL, three(), ballots)
    assert counts_of(result) == {A: 2, B: 3, C: 1}
    assert result.winner == B
    assert result.rows[1].share == Fraction(3, 4)  # three of the four voters approve B
    assert result.count_label == "Approvals"


def test_approval_tie():
    result = count(APPROVAL, three(), [(A, B), (A, B, C)])
    assert result.tie and result.winners == [A, B]


# Instant runoff --------------------------------------------------------------------------------------------


def test_runoff_eliminates_the_last_and_transfers_until_a_majority_of_continuing_ballots():
    # The demo's first-training vote: R(iga)=A, T(allinn)=B, V(ilnius)=C, S(t Petersburg)=D.
    ballots = [
        (A, C, B),
        (C, A, B),
        (B, A),
        (D, B, A),
        (A, B, C, D),
        (B, C),
        (A, B),
        (B, A, C),
        (C,),  # exhausted once Vilnius is out
        (A, C, B, D),
    ]
    result = count(IRV, four(), ballots)
    assert [r.counts for r in result.rounds] == [
        {A: 4, B: 3, C: 2, D: 1},
        {A: 4, B: 4, C: 2},  # D's ballot moved to B
        {A: 5, B: 4},  # one C ballot to A, the other exhausted
    ]
    assert [r.eliminated for r in result.rounds] == [D, C, None]
    assert result.rounds[-1].elected == A
    assert [(r.continuing, r.exhausted) for r in result.rounds] == [(10, 0), (10, 0), (9, 1)]
    assert result.winner == A
    assert result.exhausted == 1
    # the chart shows first preferences
    assert counts_of(result) == {A: 4, B: 3, C: 2, D: 1}
    assert "more than half" in result.rounds[-1].note


def test_runoff_majority_in_the_first_round_ends_the_count():
    result = count(IRV, three(), [(A, B), (A,), (B, A)])
    assert len(result.rounds) == 1
    assert result.winner == A


def test_runoff_majority_is_of_the_ballots_still_counting_not_of_all_ballots():
    # 7 ballots; after C is out two are exhausted; A has 3 of the 5 still counting: more than half.
    ballots = [(A,), (A,), (A,), (B,), (B,), (C,), (C,)]
    result = count(IRV, three(), ballots)
    # round 1: A3 B2 C2: B and C tie for fewest in the first round -> lot decides which goes
    assert result.rounds[0].counts == {A: 3, B: 2, C: 2}
    loser = result.rounds[0].eliminated
    assert loser == next(oid for oid in lot_order("", [A, B, C]) if oid in (B, C))
    assert result.rounds[1].exhausted == 2 and result.rounds[1].continuing == 5
    assert result.winner == A


def test_runoff_tie_for_fewest_is_broken_by_the_earliest_round_where_they_differ():
    ballots = [(A,)] * 4 + [(B,)] * 3 + [(C,)] * 2 + [(D, C)]
    result = count(IRV, four(), ballots)
    assert result.rounds[0].eliminated == D
    # round 2: A4 B3 C3 -> B and C tie for fewest; C had fewer in round 1, so C goes
    assert result.rounds[1].counts == {A: 4, B: 3, C: 3}
    assert result.rounds[1].eliminated == C
    assert "round 1" in result.rounds[1].note and "earliest round" in result.rounds[1].note
    # round 3: A4 B3 with 3 ballots exhausted; 4 of 7 is a majority
    assert result.rounds[2].counts == {A: 4, B: 3}
    assert result.rounds[2].exhausted == 3
    assert result.winner == A


def test_runoff_tie_in_every_round_is_broken_by_the_lot_order_of_the_seed():
    ballots = [(A,), (A,), (B,), (C,)]
    orders = {}
    for seed in ("seed-one", "seed-two", "seed-three", "seed-four"):
        result = count(IRV, three(), ballots, seed=seed)
        expected = next(oid for oid in lot_order(seed, [A, B, C]) if oid in (B, C))
        assert result.rounds[0].eliminated == expected
        assert "lot order" in result.rounds[0].note
        assert result.lot_order == lot_order(seed, [A, B, C])
        orders[seed] = expected
        assert result.winner == A  # A 2 of 3 still counting
    assert set(orders.values()) == {B, C}  # the seed, not the ballot order, decides


def test_lot_order_is_reproducible_from_the_seed():
    assert lot_order("abc", [3, 1, 2]) == lot_order("abc", [1, 2, 3])
    assert sorted(lot_order("abc", [1, 2, 3])) == [1, 2, 3]


def test_runoff_equal_votes_for_every_remaining_location_is_a_declared_tie():
    result = count(IRV, three(), [(A, C), (B, C), (A,), (B,), (C, A)])
    # round 1: A2 B2 C1 -> C out, its ballot to A -> round 2: A3 B2: 3 of 5 is a majority
    assert result.winner == A
    tied = count(IRV, three(), [(A, C), (B, C), (C, A), (C, B)])
    # round 1: A1 B1 C2 -> A and B tie for fewest, lot decides; round 2: C3 vs the other 1 -> C wins
    assert tied.winner == C
    even = count(IRV, three(), [(A, B), (B, A), (A,), (B,)])
    assert even.rounds[0].counts == {A: 2, B: 2, C: 0}
    assert even.rounds[0].eliminated == C
    assert even.rounds[1].counts == {A: 2, B: 2}
    assert even.rounds[1].tied == (A, B)
    assert even.winner is None and even.tie and even.winners == [A, B]
    assert "declared tie" in even.rounds[1].note


def test_runoff_with_every_ballot_exhausted_has_no_winner():
    result = count(IRV, [Candidate(A, "A")], [])
    assert result.winner is None and not result.tie
    assert result.rounds[0].continuing == 0


# Schulze ---------------------------------------------------------------------------------------------------


def _expand(groups):
    ballots = []
    for times, ranking in groups:
        ballots += [tuple(ranking)] * times
    return ballots


def test_schulze_worked_example_with_45_voters():
    # The classic example (Schulze's own, also on Wikipedia): the winner is E.
    ballots = _expand(
        [
            (5, (A, C, B, E, D)),
            (5, (A, D, E, C, B)),
            (8, (B, E, D, A, C)),
            (3, (C, A, B, E, D)),
            (7, (C, A, E, B, D)),
            (2, (C, B, A, D, E)),
            (7, (D, C, E, B, A)),
            (8, (E, B, A, D, C)),
        ]
    )
    result = count(SCHULZE, CANDIDATES, ballots)
    pw = result.pairwise
    beats = [[pw.beats[(a, b)] if a != b else None for b in (A, B, C, D, E)] for a in (A, B, C, D, E)]
    assert beats == [
        [None, 20, 26, 30, 22],
        [25, None, 16, 33, 18],
        [19, 29, None, 17, 24],
        [15, 12, 28, None, 14],
        [23, 27, 21, 31, None],
    ]
    strongest = [[pw.strongest[(a, b)] if a != b else None for b in (A, B, C, D, E)] for a in (A, B, C, D, E)]
    assert strongest == [
        [None, 28, 28, 30, 24],
        [25, None, 28, 33, 24],
        [25, 29, None, 29, 24],
        [25, 28, 28, None, 24],
        [25, 28, 28, 31, None],
    ]
    assert result.winner == E
    assert pw.order == [E, A, C, B, D]


def test_schulze_condorcet_cycle_of_unequal_strength_has_a_winner():
    # A beats B 6:3, B beats C 7:2, C beats A 5:4: a cycle. The weakest link is C over A, so A wins.
    ballots = _expand([(4, (A, B, C)), (3, (B, C, A)), (2, (C, A, B))])
    result = count(SCHULZE, three(), ballots)
    pw = result.pairwise
    assert (pw.beats[(A, B)], pw.beats[(B, C)], pw.beats[(C, A)]) == (6, 7, 5)
    assert pw.strongest[(A, C)] == 6 and pw.strongest[(C, A)] == 5  # A reaches C through B
    assert pw.strongest[(B, A)] == 5 and pw.strongest[(A, B)] == 6
    assert result.winner == A


def test_schulze_perfect_cycle_is_a_declared_tie():
    ballots = _expand([(3, (A, B, C)), (3, (B, C, A)), (3, (C, A, B))])
    result = count(SCHULZE, three(), ballots)
    assert result.tie and sorted(result.winners) == [A, B, C]
    assert result.winner is None


def test_schulze_finds_the_condorcet_winner_that_runoff_misses():
    # B is everyone's second choice and beats A and C head to head, but has the fewest first preferences.
    ballots = _expand([(4, (A, B, C)), (3, (C, B, A)), (2, (B, A, C))])
    assert count(SCHULZE, three(), ballots).winner == B
    assert count(IRV, three(), ballots).winner == A


def test_schulze_ranked_locations_beat_unranked_ones_and_unranked_are_equal():
    result = count(SCHULZE, three(), [(A,), (B, A)])
    pw = result.pairwise
    assert pw.beats[(A, B)] == 1 and pw.beats[(B, A)] == 1
    assert pw.beats[(A, C)] == 2 and pw.beats[(C, A)] == 0
    assert pw.beats[(B, C)] == 1 and pw.beats[(C, B)] == 0


# Ballot checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "ballot", "message"),
    [
        (SINGLE, (A, B), "exactly one"),
        (SINGLE, (), "empty"),
        (APPROVAL, (), "empty"),
        (IRV, (A, A), "twice"),
        (SCHULZE, (A, 99), "not an option"),
        (APPROVAL, (B, B), "twice"),
    ],
)
def test_ballots_that_do_not_fit_are_refused(method, ballot, message):
    with pytest.raises(BallotError, match=message):
        check_ballot(method, [A, B, C], ballot)
    with pytest.raises(BallotError):
        count(method, three(), [ballot])


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown counting method"):
        count("borda", three(), [])


# Issue 16: the lot, singular and plural, Schulze ties --------------------------------------------------------


def test_runoff_decided_by_the_lot_says_so_and_names_every_location_of_the_tie():
    # Round 1: A 2, B 1, C 1 of 4 (no majority). B and C are equal in every round: the lot draws one.
    # B out: its ballot goes to A, A 3 of 4 wins. C out: its ballot goes to B, A 2 B 2 is a declared tie.
    ballots = [(A,), (A,), (B, A), (C, B)]
    outcomes = {}
    for seed in ("seed-one", "seed-two", "seed-three", "seed-four"):
        result = count(IRV, three(), ballots, seed=seed)
        first = result.rounds[0]
        assert first.tied_fewest == (B, C) and first.by_lot
        assert first.eliminated == next(oid for oid in lot_order(seed, [A, B, C]) if oid in (B, C))
        assert first.note.startswith("B and C are tied for the fewest votes (1 vote each).")
        assert "1 votes" not in first.note and "tied with" not in first.note
        assert result.lot_decisive is True and result.decided_by_lot
        assert result.lot_text().startswith("Decided by lot: in round 1, ")
        assert f"eliminated {result.label(first.eliminated)}" in result.lot_text()
        outcomes[first.eliminated] = result.winners
    assert outcomes == {B: [A], C: [A, B]}  # the seeds drew both ways: the lot did decide


def test_runoff_broken_by_the_lot_but_not_decided_by_it():
    ballots = [(A,), (A,), (B,), (C,)]  # B or C out by lot; A has 2 of the 3 still counting either way
    result = count(IRV, three(), ballots, seed="seed-one")
    assert [r.by_lot for r in result.rounds] == [True, False]
    assert result.lot_decisive is False and not result.decided_by_lot
    assert "Any other draw gives the same result" in result.lot_text()
    assert result.rounds[1].note == "A has 2 of the 3 votes still counting, more than half: elected."
    assert result.runoff_win() == (2, 2, 3)  # round 2, with 2 of 3 votes still counting


def test_runoff_without_a_draw_is_not_decided_by_lot_and_says_one_vote():
    result = count(IRV, three(), [(A,), (A,), (B,)])
    assert result.lot_rounds == [] and result.lot_decisive is False and result.lot_text() == ""
    single = count(IRV, three(), [(A,)])
    assert single.rounds[0].note == "A has 1 of the 1 vote still counting, more than half: elected."
    assert single.runoff_win() == (1, 1, 1)
    tie = count(IRV, [Candidate(A, "A"), Candidate(B, "B")], [(A,), (B,)])
    assert tie.rounds[0].note == "A and B have 1 vote each: the count stops with a declared tie."
    fewest = count(IRV, four(), [(A,), (A,), (A,), (B,), (B,), (C, B)] + [(D,)] * 2)
    assert fewest.rounds[0].note == "C has the fewest votes (1 vote): eliminated."


def test_runoff_draws_among_locations_without_votes_are_not_tried_and_never_decide():
    # Ten locations with no votes at all go out one by one, nine by lot; A and B then tie. Trying every order of
    # the draws would be 9! counts; none can change anything, so none is tried and the answer is a plain "no".
    cands = [Candidate(oid, f"L{oid}") for oid in range(1, 13)]
    result = count(IRV, cands, [(1,), (1,), (2,), (2,)], seed="s")
    assert sum(r.by_lot for r in result.rounds) == 9  # the tenth is alone with none left
    assert result.winners == [1, 2] and result.lot_decisive is False


def test_runoff_with_too_many_draws_to_try_says_the_result_may_depend_on_them(monkeypatch):
    from protect.polls import tally

    monkeypatch.setattr(tally, "LOT_RUNS", 0)
    result = count(IRV, three(), [(A,), (A,), (B,), (C,)], seed="seed-one")
    assert result.lot_decisive is None and not result.decided_by_lot
    assert "may depend on that draw" in result.lot_text()


def test_schulze_order_shows_equal_paths_as_a_tie():
    # A is everyone's first; B and C are 3-3 head to head: strongest paths 0 both ways, so they are tied.
    ballots = _expand([(3, (A, B, C)), (3, (A, C, B))])
    result = count(SCHULZE, three(), ballots)
    pw = result.pairwise
    assert pw.beats[(B, C)] == pw.beats[(C, B)] == 3
    assert pw.strongest[(B, C)] == pw.strongest[(C, B)] == 0
    assert pw.groups == [[A], [B, C]]
    assert pw.ranks() == [(1, [A]), (2, [B, C])]
    assert result.winner == A


def test_schulze_groups_keep_a_strict_order_and_a_perfect_cycle_is_one_rank():
    strict = count(SCHULZE, three(), _expand([(4, (A, B, C)), (3, (B, C, A)), (2, (C, A, B))]))
    assert strict.pairwise.groups == [[A], [B], [C]]
    cycle = count(SCHULZE, three(), _expand([(3, (A, B, C)), (3, (B, C, A)), (3, (C, A, B))]))
    assert cycle.pairwise.groups == [[A, B, C]] and cycle.pairwise.ranks() == [(1, [A, B, C])]
    # a tie below a tie: 1 = A, B; 3 = C, D
    tied = count(SCHULZE, four(), _expand([(2, (A, B, C, D)), (2, (B, A, D, C))]))
    assert tied.pairwise.ranks() == [(1, [A, B]), (3, [C, D])]


# Issue 17: what the results page says, word for word, and the tie-breaks beyond the first round ----------------


def test_each_method_names_its_columns_as_the_results_table_shows_them():
    single = count(SINGLE, three(), [(A,), (B,)])
    assert (single.method, single.count_label, single.share_label) == (SINGLE, "Votes", "Share of ballots")
    approval = count(APPROVAL, three(), [(A, B), (B,)])
    assert (approval.method, approval.count_label) == (APPROVAL, "Approvals")
    assert approval.share_label == "Share of voters approving"
    for method in (IRV, SCHULZE):
        ranked = count(method, three(), [(A, B), (B,), (A,), (A, C)])
        assert (ranked.method, ranked.count_label, ranked.share_label) == (
            method,
            "First preferences",
            "Share of ballots",
        )
        # the chart shows each location's first preferences as a share of all ballots
        assert [(row.label, row.count, row.share) for row in ranked.rows] == [
            ("A", 3, Fraction(3, 4)),
            ("B", 1, Fraction(1, 4)),
            ("C", 0, 0),
        ]


def test_every_method_names_the_locations_by_their_labels_and_nothing_for_an_unknown_one():
    for method in (SINGLE, APPROVAL, IRV, SCHULZE):
        result = count(method, three(), [(B,)])
        assert [row.label for row in result.rows] == ["A", "B", "C"], method
        assert result.label(B) == "B" and result.label(C) == "C", method
        assert result.label(None) == "" and result.label(99) == "", method


@pytest.mark.parametrize(
    ("method", "ballot", "message"),
    [
        (SCHULZE, (A, 99), "The ballot names a location that is not an option of this poll."),
        (IRV, (A, B, A), "The ballot names the same location twice."),
        (APPROVAL, (), "The ballot is empty."),
        (SINGLE, (A, C), "Choose exactly one location."),
    ],
)
def test_a_refused_ballot_says_why_in_a_sentence(method, ballot, message):
    with pytest.raises(BallotError) as refused:
        check_ballot(method, [A, B, C], ballot)
    assert str(refused.value) == message


def test_runoff_tie_for_fewest_is_broken_by_a_later_round_when_the_first_had_them_equal():
    # Round 1: B and C both 3. E's ballot goes to B (round 2: B 4, C 3), D's to C (round 3: B 4, C 4).
    # In round 3 B and C tie for the fewest: round 1 cannot tell them apart, round 2 can: C goes, no lot.
    ballots = [(A,)] * 5 + [(B,)] * 3 + [(C, A)] * 3 + [(D, C), (D,), (E, B)]
    result = count(IRV, CANDIDATES, ballots, seed="s")
    assert [r.counts for r in result.rounds[:3]] == [
        {A: 5, B: 3, C: 3, D: 2, E: 1},
        {A: 5, B: 4, C: 3, D: 2},
        {A: 5, B: 4, C: 4},
    ]
    third = result.rounds[2]
    assert third.eliminated == C and not third.by_lot and result.lot_text() == ""
    assert third.note == (
        "B and C are tied for the fewest votes (4 votes each). C had fewer votes in round 2, the earliest round "
        "where they differed: eliminated."
    )
    assert result.winner == A
    assert result.runoff_win() == (4, 8, 12)


def test_runoff_tie_of_three_narrowed_to_two_names_the_two_the_lot_chose_between():
    # Round 2: B, C and D all have 4; in round 1 C and D had 3 and B 4, so only C and D go to the lot.
    ballots = [(A,)] * 5 + [(B,)] * 4 + [(C,)] * 3 + [(D,)] * 3 + [(E, C), (E, D)]
    result = count(IRV, CANDIDATES, ballots, seed="s")
    second = result.rounds[1]
    assert second.tied_fewest == (B, C, D) and second.drawn_from == (C, D)
    assert second.eliminated == next(oid for oid in lot_order("s", [A, B, C, D, E]) if oid in (C, D)) == C
    assert second.note == (
        "B, C and D are tied for the fewest votes (4 votes each). Of them, C and D had the same votes in every "
        "round, so the published lot order decides: C, drawn first of them, is eliminated."
    )
    assert result.lot_text() == (
        "The published lot order broke a tie: in round 2, C and D had the same votes in every round and the "
        "published lot order eliminated C. Any other draw gives the same result."
    )


def test_runoff_with_two_draws_names_both_and_tries_every_other_draw():
    # A 2, B 1, C 1, D 1: the lot takes one of B, C, D, then one of the other two; A wins whatever it draws.
    ballots = [(A,), (A,), (B,), (C,), (D,)]
    result = count(IRV, four(), ballots, seed="s")
    assert [r.drawn_from for r in result.rounds] == [(B, C, D), (C, D), ()]
    assert result.rounds[0].note == (
        "B, C and D are tied for the fewest votes (1 vote each). They had the same votes in every round, so the "
        "published lot order decides: B, drawn first of them, is eliminated."
    )
    assert result.lot_decisive is False
    assert result.lot_text() == (
        "The published lot order broke a tie: in round 1, B, C and D had the same votes in every round and the "
        "published lot order eliminated B; in round 2, C and D had the same votes in every round and the "
        "published lot order eliminated C. Any other draw gives the same result."
    )


def test_runoff_tries_exactly_lot_runs_other_draws_before_saying_it_may_depend_on_them(monkeypatch):
    # The other draws: C or D in round 1 (2 counts), D in round 2 (1), and in each of the first two counts
    # the other one of round 2 (2 more): 5 counts tell that A wins whatever is drawn; 4 cannot tell.
    from protect.polls import tally

    ballots = [(A,), (A,), (B,), (C,), (D,)]
    monkeypatch.setattr(tally, "LOT_RUNS", 5)
    assert count(IRV, four(), ballots, seed="s").lot_decisive is False
    monkeypatch.setattr(tally, "LOT_RUNS", 4)
    assert count(IRV, four(), ballots, seed="s").lot_decisive is None


def test_runoff_decided_by_a_draw_in_a_later_round_says_so():
    # Round 1: D out (fewest). Round 2: B and C have 2 each, and had in round 1: the lot. B out: A wins with
    # B's ballots; C out: B wins with C's. The draw of round 2 decided the result.
    ballots = [(A,)] * 3 + [(B, A)] * 2 + [(C, B)] * 2 + [(D,)]
    result = count(IRV, four(), ballots, seed="s")
    assert [r.by_lot for r in result.rounds] == [False, True, False]
    assert result.lot_decisive is True and result.decided_by_lot
    assert result.lot_text() == (
        "Decided by lot: in round 2, B and C had the same votes in every round and the published lot order "
        "eliminated B. Another draw would have given a different result."
    )


def test_runoff_names_only_the_draw_that_mattered_not_one_among_locations_without_votes():
    # D and E (no votes) go out first, by lot between them; later B and C (1 vote each) are drawn too.
    result = count(IRV, CANDIDATES, [(A,), (A,), (B,), (C,)], seed="s")
    assert [r.drawn_from for r in result.rounds] == [(D, E), (), (B, C), ()]
    assert result.lot_text() == (
        "The published lot order broke a tie: in round 3, B and C had the same votes in every round and the "
        "published lot order eliminated B. Any other draw gives the same result."
    )


def test_runoff_without_ballots_says_there_is_no_winner_and_no_runoff_detail():
    result = count(IRV, three(), [])
    assert result.rounds[0].note == "No ballot is counting: there is no winner."
    assert result.runoff_win() is None


def test_runoff_detail_is_only_for_an_instant_runoff_winner():
    tie = count(IRV, [Candidate(A, "A"), Candidate(B, "B")], [(A,), (B,)])
    assert tie.tie and tie.runoff_win() is None
    assert count(SCHULZE, three(), [(A, B)]).runoff_win() is None
    assert count(SINGLE, three(), [(A,)]).runoff_win() is None


def test_schulze_with_one_voter_follows_that_voters_ranking():
    result = count(SCHULZE, three(), [(B, C)])
    pw = result.pairwise
    assert result.winners == [B] and result.winner == B and not result.tie
    assert pw.ranks() == [(1, [B]), (2, [C]), (3, [A])]
    assert pw.wins(B, C) and pw.wins(C, A) and pw.wins(B, A)
    assert not pw.wins(C, B) and not pw.wins(A, B)
    assert [row.winner for row in result.rows] == [False, True, False]


def test_schulze_two_voters_who_disagree_on_the_top_tie_the_two_and_not_the_third():
    # One voter A > B > C, the other B > A > C: A and B are 1-1 head to head, both beat C 2-0.
    result = count(SCHULZE, three(), [(A, B, C), (B, A, C)])
    pw = result.pairwise
    assert pw.strongest[(A, B)] == pw.strongest[(B, A)] == 0
    assert not pw.wins(A, B) and not pw.wins(B, A) and pw.wins(A, C)
    assert result.tie and result.winners == [A, B]
    assert [row.tied for row in result.rows] == [True, True, False]
    assert pw.ranks() == [(1, [A, B]), (3, [C])]
