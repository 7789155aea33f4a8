"""The status rules and the search folding, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from protect.decisions import rules


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("proposed", "agreed"),
        ("proposed", "withdrawn"),
        ("proposed", "superseded"),
        ("agreed", "implemented"),
        ("agreed", "proposed"),
        ("agreed", "superseded"),
        ("agreed", "withdrawn"),
        ("implemented", "superseded"),
        ("withdrawn", "proposed"),
    ],
)
def test_allowed_transitions(current, new):
    assert rules.transition_problem(current, new) is None


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("implemented", "proposed"),
        ("implemented", "agreed"),
        ("implemented", "withdrawn"),
        ("proposed", "implemented"),
        ("superseded", "proposed"),
        ("superseded", "agreed"),
        ("withdrawn", "agreed"),
    ],
)
def test_refused_transitions_are_conflicts_with_a_reason(current, new):
    problem = rules.transition_problem(current, new)
    assert problem is not None
    assert problem.status == 409 and problem.field == "status"
    assert f"cannot become {rules.STATUSES[new].lower()}" in problem.message


def test_implemented_to_proposed_says_what_to_do_instead():
    problem = rules.transition_problem("implemented", "proposed")
    assert "propose a new decision and mark this one superseded" in problem.message


def test_the_same_status_or_an_unknown_one_is_refused():
    assert rules.transition_problem("agreed", "agreed").message == "The decision is agreed already."
    unknown = rules.transition_problem("agreed", "approved")
    assert unknown.status == 422 and "Choose a status" in unknown.message


def test_every_status_has_a_label_and_its_transitions_lead_to_known_statuses():
    assert set(rules.TRANSITIONS) == set(rules.STATUSES)
    for targets in rules.TRANSITIONS.values():
        assert set(targets) <= set(rules.STATUSES)
    assert rules.allowed_statuses("superseded") == ()


def test_superseding_needs_a_replacement_that_is_not_itself():
    assert rules.supersede_problem(1, None, None, {}).message.startswith("Choose the decision")
    itself = rules.supersede_problem(1, 1, "proposed", {})
    assert itself.status == 422 and itself.field == "superseded_by_id" and "cannot supersede itself" in itself.message
    missing = rules.supersede_problem(1, 99, None, {})
    assert "no such decision" in missing.message


def test_superseding_in_a_cycle_is_refused():
    # 2 was superseded by 3, 3 by 1: superseding 1 by 2 would close the loop 1 -> 2 -> 3 -> 1.
    successor_of = {2: 3, 3: 1}
    problem = rules.supersede_problem(1, 2, "implemented", successor_of)
    assert problem is not None and "cycle" in problem.message
    # a chain that does not come back is fine
    assert rules.supersede_problem(1, 4, "agreed", {4: None, 2: 3}) is None


def test_a_stored_loop_elsewhere_does_not_hang_the_check():
    problem = rules.supersede_problem(1, 5, "withdrawn", {5: 6, 6: 5})
    assert problem is not None and "withdrawn itself" in problem.message


def test_the_replacement_must_stand():
    for status in ("superseded", "withdrawn"):
        problem = rules.supersede_problem(1, 2, status, {})
        assert problem is not None and f"is {status} itself" in problem.message
    for status in rules.SUPERSEDING_STATUSES:
        assert rules.supersede_problem(1, 2, status, {}) is None


def test_overdue_means_due_before_today_and_not_done():
    today = date(2016, 3, 15)
    assert rules.is_overdue(date(2016, 3, 14), today)
    assert not rules.is_overdue(date(2016, 3, 15), today)
    assert not rules.is_overdue(date(2016, 3, 14), today, done=True)
    assert not rules.is_overdue(None, today)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Training in Вильнюс", "ВИЛЬНЮС"),
        ("Санкт-Петербург", "санкт-петербург"),
        ("Crossing at ØRESUND", "øresund"),
        ("Rīga and Šiauliai", "RĪGA ŠIAULIAI"),
        ("Guðrún Jónsdóttir", "GUÐRÚN"),
        ("Straße", "STRASSE"),
        ("Ärzte in Tallinn", "ärzte"),
    ],
)
def test_fold_matches_whatever_the_case_in_any_alphabet(text, query):
    folded = rules.fold(text)
    assert all(word in folded for word in rules.fold(query).split())


def test_fold_normalises_composed_and_decomposed_letters():
    assert rules.fold("Ri\u0304ga") == rules.fold("Rīga") == "rīga"


def test_tags_are_split_trimmed_and_unique_regardless_of_case():
    assert rules.normalise_tags(" Riga,  target   groups; riga ,, Tallinn") == ["Riga", "target groups", "Tallinn"]
    assert rules.normalise_tags(["Vilnius", "VILNIUS"]) == ["Vilnius"]
    assert rules.normalise_tags(None) == []
