"""The status rules without holes: a decision is superseded only by one that was agreed (or implemented), and a
decision that replaces others cannot go back to a proposal or be withdrawn, leaving them replaced by nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.decisions import rules, services
from protect.decisions.models import REPLACES_MAX, STATUS_CHANGES_MAX, Decision, DecisionStatusChange
from protect.extensions import db
from tests.decisions.factories import make_decision


def _supersede(client, decision, replacement):
    return client.post(
        f"/decisions/{decision.id}/status",
        data={"status": "superseded", "superseded_by_id": str(replacement.id), "note": "Replaced in Riga."},
    )


def test_a_proposed_decision_cannot_supersede_another(moderator_client, expert):
    old = make_decision(expert, title="Old", status="agreed")
    proposal = make_decision(expert, title="Only a proposal")
    response = _supersede(moderator_client, old, proposal)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "a decision can be superseded only by one that is agreed or implemented" in page
    assert 'value="Replaced in Riga."' in page  # the note is kept
    db.session.expire_all()
    assert db.session.get(Decision, old.id).status == "agreed"
    assert db.session.get(Decision, old.id).superseded_by_id is None


def test_an_agreed_or_implemented_decision_supersedes(moderator_client, expert):
    for status in ("agreed", "implemented"):
        old = make_decision(expert, status="agreed")
        replacement = make_decision(expert, status=status)
        assert _supersede(moderator_client, old, replacement).status_code == 303
        db.session.expire_all()
        assert db.session.get(Decision, old.id).superseded_by_id == replacement.id


def test_the_choices_offer_only_agreed_and_implemented_decisions(moderator_client, expert):
    old = make_decision(expert, status="agreed")
    make_decision(expert, title="Proposed one")
    make_decision(expert, title="Agreed one", status="agreed")
    make_decision(expert, title="Withdrawn one", status="withdrawn")
    titles = [title for _, title, _ in services.superseding_choices(old.id)]
    assert titles == ["Agreed one"]
    page = moderator_client.get(f"/decisions/{old.id}").get_data(as_text=True)
    assert "Agreed one (agreed)" in page and "Proposed one (proposed)" not in page


def test_a_replacement_cannot_be_withdrawn_or_reopened(moderator_client, expert):
    old = make_decision(expert, title="Training in St Petersburg", status="agreed")
    new = make_decision(expert, title="Training in Riga", status="agreed")
    assert _supersede(moderator_client, old, new).status_code == 303
    for status in ("withdrawn", "proposed"):
        response = moderator_client.post(f"/decisions/{new.id}/status", data={"status": status})
        assert response.status_code == 409
        assert "This decision replaces “Training in St Petersburg”" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Decision, new.id).status == "agreed"
    # Moving on is allowed: implemented, or superseded in turn by a newer agreed decision.
    assert moderator_client.post(f"/decisions/{new.id}/status", data={"status": "implemented"}).status_code == 303


def test_the_replacement_rule_alone():
    assert rules.replacement_problem("withdrawn", []) is None
    assert rules.replacement_problem("implemented", ["A"]) is None
    problem = rules.replacement_problem("proposed", ["A", "B", "C", "D"])
    assert (
        problem is not None
        and "“A”, “B”, “C” and others" in problem.message
        and "go back to proposed" in problem.message
    )


def test_one_decision_replaces_a_bounded_number(moderator, expert):
    replacement = make_decision(expert, status="agreed")
    for _ in range(REPLACES_MAX):
        old = make_decision(expert, status="agreed")
        services.change_status(moderator, old.id, "superseded", superseded_by_id=replacement.id)
    one_more = make_decision(expert, status="agreed")
    try:
        services.change_status(moderator, one_more.id, "superseded", superseded_by_id=replacement.id)
    except services.RuleViolation as error:
        db.session.rollback()
        assert error.status == 422 and f"replaces {REPLACES_MAX} decisions already" in error.message
    else:
        raise AssertionError("a 21st decision was superseded by the same one")
    assert db.session.get(Decision, one_more.id).status == "agreed"


def test_a_timeline_is_bounded(moderator_client, moderator, expert):
    decision = make_decision(expert)
    status = "proposed"
    steps = 1
    while steps < STATUS_CHANGES_MAX:
        status = "agreed" if status == "proposed" else "proposed"
        services.change_status(moderator, decision.id, status)
        steps += 1
    response = moderator_client.post(
        f"/decisions/{decision.id}/status", data={"status": "withdrawn", "note": "Enough back and forth."}
    )
    assert response.status_code == 422
    assert f"changed status {STATUS_CHANGES_MAX} times" in response.get_data(as_text=True)
    count = db.session.execute(
        select(func.count()).select_from(DecisionStatusChange).where(DecisionStatusChange.decision_id == decision.id)
    ).scalar_one()
    assert count == STATUS_CHANGES_MAX
