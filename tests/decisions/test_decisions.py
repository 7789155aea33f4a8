"""Decisions: experts propose them, only the author or a moderator edits the text (every edit kept), moderators
set the status through the allowed steps, and every step is on the timeline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.decisions.models import Decision, DecisionStatusChange, DecisionVersion
from protect.extensions import db
from tests.decisions.factories import decision_form, make_decision, make_meeting, tag_names
from tests.factories import make_user


def indexed_text(decision: Decision) -> str:
    """What the search index holds of the decision (its text, rationale and tags)."""
    from protect.search.models import SearchEntry

    return db.session.execute(
        select(SearchEntry.body).where(SearchEntry.kind == "decision", SearchEntry.object_id == decision.id)
    ).scalar_one()


def test_an_expert_proposes_a_decision(expert_client, expert, moderator):
    meeting = make_meeting(moderator, title="Launch meeting")
    data = decision_form(
        title="Trainings last two days",
        text="Every training runs over **two full days**.",
        rationale="One day is too short for the case work.",
        tags="format, Trainings, format",
        owner_id=moderator.id,
        due_on="2015-12-15",
        meeting_id=meeting.id,
    )
    response = expert_client.post("/decisions/new", data=data)
    assert response.status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    assert response.headers["Location"] == f"/decisions/{decision.id}"
    assert (decision.status, decision.author_id, decision.owner_id) == ("proposed", expert.id, moderator.id)
    assert decision.due_on == date(2015, 12, 15) and decision.meeting_id == meeting.id
    assert tag_names(decision) == ["format", "Trainings"]
    indexed = indexed_text(decision)
    assert "One day is too short" in indexed and "Trainings" in indexed
    steps = db.session.execute(select(DecisionStatusChange)).scalars().all()
    assert [(s.from_status, s.to_status, s.actor_id) for s in steps] == [(None, "proposed", expert.id)]
    assert db.session.execute(select(DecisionVersion.number)).scalars().all() == [1]
    assert "decisions.proposed" in db.session.execute(select(AuditEvent.action)).scalars().all()
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "<strong>two full days</strong>" in page
    assert "Mads Moderator" in page and "Launch meeting" in page
    assert "Moderators and administrators set the status." in page  # no status form for an expert
    assert f'action="/decisions/{decision.id}/status"' not in page


def test_bad_decision_input_is_refused_beside_the_field_and_kept(expert_client):
    bad = decision_form(title="Host cities", text="Riga first.", due_on="next spring", owner_id="99999")
    response = expert_client.post("/decisions/new", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the date as a date, for example 2016-03-15." in page
    assert 'value="next spring"' in page and 'value="Host cities"' in page  # the input is kept
    assert db.session.execute(select(Decision)).first() is None
    # the date fixed, the owner is still not a member
    response = expert_client.post("/decisions/new", data={**bad, "due_on": "2016-03-15"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The owner must be a member of the workspace" in page
    assert "Riga first." in page
    assert db.session.execute(select(Decision)).first() is None


def test_a_deactivated_person_cannot_own_a_decision(expert_client):
    gone = make_user("expert", active=False)
    response = expert_client.post("/decisions/new", data=decision_form(owner_id=gone.id))
    assert response.status_code == 422
    assert "must be a member" in response.get_data(as_text=True)


def test_an_empty_title_and_text_are_refused(expert_client):
    response = expert_client.post("/decisions/new", data=decision_form(title="  ", text=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a title." in page and "Write down what was decided." in page


def test_visitors_are_sent_to_sign_in(client, expert):
    decision = make_decision(expert)
    for url in ("/decisions/", f"/decisions/{decision.id}", "/decisions/new", "/decisions/meetings/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/decisions/{decision.id}/status", data={"status": "agreed"})
    assert response.status_code == 302
    assert db.session.get(Decision, decision.id).status == "proposed"


def test_the_author_edits_the_text_and_every_version_is_kept(client_for, expert):
    decision = make_decision(expert, title="Two days", text="Trainings last two days.")
    client = client_for(expert)
    form = client.get(f"/decisions/{decision.id}/edit").get_data(as_text=True)
    assert f'name="version" value="{decision.version}"' in form
    data = decision_form(decision, text="Trainings last two full days.", tags="format")
    assert client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    assert decision.version == 2 and decision.text == "Trainings last two full days."
    assert "format" in indexed_text(decision) and "Trainings last two full days." in indexed_text(decision)
    texts = db.session.execute(
        select(DecisionVersion.text).where(DecisionVersion.decision_id == decision.id).order_by(DecisionVersion.number)
    ).scalars()
    assert list(texts) == ["Trainings last two days.", "Trainings last two full days."]
    history = client.get(f"/decisions/{decision.id}/history").get_data(as_text=True)
    assert "Version 1" in history and "Version 2" in history
    assert (
        '<ins><span class="sr-only">[added: </span>full <span class="sr-only">]</span></ins>' in history
    )  # word by word
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "edited 1 time" in page


def test_other_experts_may_not_edit_but_moderators_may(client_for, expert, moderator):
    decision = make_decision(expert, text="Original.")
    other = client_for(make_user("expert"))
    data = decision_form(decision, text="Changed by someone else.")
    assert other.get(f"/decisions/{decision.id}/edit").status_code == 403
    assert other.post(f"/decisions/{decision.id}/edit", data=data).status_code == 403
    assert db.session.get(Decision, decision.id).text == "Original."
    page = other.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f"/decisions/{decision.id}/edit" not in page  # no edit button either
    assert client_for(moderator).post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).text == "Changed by someone else."


def test_a_stale_edit_is_refused_with_both_texts_and_nothing_lost(client_for, expert, moderator):
    decision = make_decision(expert, text="Riga hosts the first training.")
    stale = decision_form(decision, text="Tallinn hosts the first training.")
    assert (
        client_for(moderator)
        .post(f"/decisions/{decision.id}/edit", data=decision_form(decision, text="Vilnius hosts the first training."))
        .status_code
        == 303
    )
    response = client_for(expert).post(f"/decisions/{decision.id}/edit", data=stale)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this decision" in page
    assert "Tallinn hosts the first training." in page  # mine, in the form
    assert "Vilnius" in page  # theirs, shown beside it
    assert 'name="version" value="2"' in page  # saving again keeps mine
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).text == "Vilnius hosts the first training."
    again = client_for(expert).post(f"/decisions/{decision.id}/edit", data={**stale, "version": "2"})
    assert again.status_code == 303
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).text == "Tallinn hosts the first training."
    assert db.session.execute(select(DecisionVersion.number)).scalars().all() == [1, 2, 3]


def test_an_edit_without_a_version_is_refused(expert_client, expert):
    decision = make_decision(expert)
    data = decision_form(decision, text="New")
    data["version"] = "x"
    response = expert_client.post(f"/decisions/{decision.id}/edit", data=data)
    assert response.status_code == 422
    assert "which version it began from" in response.get_data(as_text=True)


def test_experts_cannot_set_the_status(expert_client, expert):
    decision = make_decision(expert)
    response = expert_client.post(f"/decisions/{decision.id}/status", data={"status": "agreed"})
    assert response.status_code == 403
    response = expert_client.htmx("post", f"/decisions/{decision.id}/status", data={"status": "agreed"})
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#alerts"
    assert db.session.get(Decision, decision.id).status == "proposed"


def test_a_moderator_moves_a_decision_along_and_the_timeline_shows_every_step(moderator_client, moderator, expert):
    decision = make_decision(expert)
    response = moderator_client.post(
        f"/decisions/{decision.id}/status", data={"status": "agreed", "note": "Agreed by all experts present."}
    )
    assert response.status_code == 303
    response = moderator_client.htmx("post", f"/decisions/{decision.id}/status", data={"status": "implemented"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section id="decision-status"')
    assert "Implemented" in fragment and "Agreed by all experts present." in fragment
    assert "<hx-partial" in fragment and "The decision is now implemented." in fragment
    assert "<html" not in fragment and "What was decided" not in fragment  # only the status panel
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).status == "implemented"
    steps = db.session.execute(
        select(DecisionStatusChange)
        .where(DecisionStatusChange.decision_id == decision.id)
        .order_by(DecisionStatusChange.id)
    ).scalars()
    assert [(s.from_status, s.to_status, s.actor_id) for s in steps] == [
        (None, "proposed", expert.id),
        ("proposed", "agreed", moderator.id),
        ("agreed", "implemented", moderator.id),
    ]
    page = moderator_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert page.count('class="timeline__note"') == 1 and "Mads Moderator" in page


def test_implemented_cannot_go_back_to_proposed(moderator_client, expert):
    decision = make_decision(expert, status="implemented")
    data = {"status": "proposed", "note": "Let us discuss it again"}
    response = moderator_client.post(f"/decisions/{decision.id}/status", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "A decision that is implemented cannot become proposed." in page
    assert 'value="Let us discuss it again"' in page  # the note is kept
    htmx = moderator_client.htmx("post", f"/decisions/{decision.id}/status", data=data)
    assert htmx.status_code == 409
    assert "cannot become proposed" in htmx.get_data(as_text=True)
    assert 'id="decision-status"' in htmx.get_data(as_text=True)  # shown in the panel, not a 500 page
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).status == "implemented"
    assert len(db.session.execute(select(DecisionStatusChange)).all()) == 1


def test_an_unknown_status_is_refused(moderator_client, expert):
    decision = make_decision(expert)
    response = moderator_client.post(f"/decisions/{decision.id}/status", data={"status": "approved"})
    assert response.status_code == 422
    assert db.session.get(Decision, decision.id).status == "proposed"


def test_superseding_points_at_the_replacement(moderator_client, expert):
    old = make_decision(expert, title="First training in St Petersburg", status="agreed")
    new = make_decision(expert, title="First training in Riga", status="agreed")  # a replacement is agreed
    response = moderator_client.post(
        f"/decisions/{old.id}/status", data={"status": "superseded", "superseded_by_id": str(new.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    old = db.session.get(Decision, old.id)
    assert (old.status, old.superseded_by_id) == ("superseded", new.id)
    page = moderator_client.get(f"/decisions/{old.id}").get_data(as_text=True)
    assert f'href="/decisions/{new.id}">First training in Riga</a>' in page
    replacement = moderator_client.get(f"/decisions/{new.id}").get_data(as_text=True)
    assert "This decision replaces" in replacement and "First training in St Petersburg" in replacement


def test_superseding_with_itself_is_refused_and_the_choice_kept(moderator_client, expert):
    decision = make_decision(expert, status="agreed")
    data = {"status": "superseded", "superseded_by_id": str(decision.id), "note": "oops"}
    response = moderator_client.post(f"/decisions/{decision.id}/status", data=data)
    assert response.status_code == 422
    assert "A decision cannot supersede itself." in response.get_data(as_text=True)
    assert db.session.get(Decision, decision.id).status == "agreed"


def test_superseding_without_a_replacement_or_with_a_missing_one_is_refused(moderator_client, expert):
    decision = make_decision(expert)
    response = moderator_client.post(f"/decisions/{decision.id}/status", data={"status": "superseded"})
    assert response.status_code == 422 and "Choose the decision that replaces" in response.get_data(as_text=True)
    response = moderator_client.post(
        f"/decisions/{decision.id}/status", data={"status": "superseded", "superseded_by_id": "99999"}
    )
    assert response.status_code == 422 and "no such decision" in response.get_data(as_text=True)
    response = moderator_client.post(
        f"/decisions/{decision.id}/status", data={"status": "superseded", "superseded_by_id": "abc"}
    )
    assert response.status_code == 422
    assert db.session.get(Decision, decision.id).status == "proposed"


def test_superseding_in_a_cycle_is_refused(moderator_client, expert):
    a = make_decision(expert, title="A", status="agreed")
    b = make_decision(expert, title="B", status="agreed")  # a replacement must be agreed (or implemented)
    assert (
        moderator_client.post(
            f"/decisions/{a.id}/status", data={"status": "superseded", "superseded_by_id": b.id}
        ).status_code
        == 303
    )
    # B superseded by A: A is superseded itself (by B), so this would make a loop.
    response = moderator_client.post(
        f"/decisions/{b.id}/status", data={"status": "superseded", "superseded_by_id": a.id}
    )
    assert response.status_code == 422
    message = response.get_data(as_text=True)
    assert "cycle" in message
    db.session.expire_all()
    assert db.session.get(Decision, b.id).status == "agreed"


def test_a_missing_decision_is_404(expert_client, moderator_client):
    assert expert_client.get("/decisions/4242").status_code == 404
    assert expert_client.get("/decisions/4242/history").status_code == 404
    assert moderator_client.post("/decisions/4242/status", data={"status": "agreed"}).status_code == 404


def test_markdown_in_a_decision_is_sanitised(expert_client, expert):
    decision = make_decision(expert, text="Fine <script>alert(1)</script> [x](javascript:alert(2))")
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "javascript:alert" not in page
