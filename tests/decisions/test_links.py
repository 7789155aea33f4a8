"""Links from decisions to what they are about: training events, Guidelines revisions and polls (a closed poll's
result recorded as a decision by a moderator); and the demo data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.decisions.demo import seed_decisions
from protect.decisions.models import ActionItem, Decision, Meeting
from protect.extensions import db
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision
from protect.polls import services as poll_services
from protect.polls.models import Poll
from tests.agendas.factories import make_event
from tests.decisions.factories import decision_form, make_decision


def make_poll(creator, *, closed: bool) -> Poll:
    now = utcnow()
    opens = now - timedelta(days=10)
    data = poll_services.PollData(
        question="Where is the first training?",
        method="single",
        opens_at=opens,
        closes_at=now - timedelta(days=1) if closed else now + timedelta(days=5),
        time_zone="Europe/Riga",
        options=[poll_services.OptionData("Riga", "LV"), poll_services.OptionData("Tallinn", "EE")],
        secret=True,
    )
    return poll_services.create_poll(creator, data, now=opens - timedelta(minutes=1))


def make_revision(author) -> SectionRevision:
    guideline = Guideline(title="PROTECT Guidelines", slug="protect-guidelines")
    db.session.add(guideline)
    db.session.flush()
    section = GuidelineSection(guideline_id=guideline.id, position=3, heading="Interagency cooperation")
    db.session.add(section)
    db.session.flush()
    revision = SectionRevision(section_id=section.id, number=2, body="Agencies cooperate.", author_id=author.id)
    db.session.add(revision)
    db.session.commit()
    return revision


def test_a_decision_about_a_training_event_links_to_it(expert_client, expert):
    event = make_event(expert, title="Training in Riga")
    form = expert_client.get(f"/decisions/new?event_id={event.id}").get_data(as_text=True)
    assert f'<option selected value="{event.id}">Training in Riga</option>' in form
    response = expert_client.post("/decisions/new", data=decision_form(event_id=event.id))
    assert response.status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    assert decision.event_id == event.id
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f'href="/events/{event.id}">Training in Riga</a>' in page
    bad = expert_client.post("/decisions/new", data=decision_form(event_id="98765"))
    assert bad.status_code == 422 and "There is no such training event." in bad.get_data(as_text=True)


def test_a_decision_about_a_guidelines_revision_links_to_it(expert_client, expert):
    revision = make_revision(expert)
    form = expert_client.get(f"/decisions/new?revision_id={revision.id}").get_data(as_text=True)
    assert f'name="revision_id" value="{revision.id}" checked' in form
    assert "Section 3 “Interagency cooperation”, revision 2" in form
    data = decision_form(title="Adopt the revised section 3", revision_id=revision.id)
    assert expert_client.post("/decisions/new", data=data).status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    assert decision.revision_id == revision.id
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "Section 3 “Interagency cooperation”, revision 2" in page
    assert expert_client.get("/decisions/new?revision_id=4242").status_code == 404
    missing = expert_client.post("/decisions/new", data=decision_form(revision_id="4242"))
    assert missing.status_code == 422


def test_unticking_a_link_removes_it(client_for, expert):
    revision = make_revision(expert)
    decision = make_decision(expert, revision_id=revision.id)
    client = client_for(expert)
    form = client.get(f"/decisions/{decision.id}/edit").get_data(as_text=True)
    assert f'name="revision_id" value="{revision.id}" checked' in form
    assert client.post(f"/decisions/{decision.id}/edit", data=decision_form(decision)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).revision_id is None


def test_experts_may_not_record_a_poll_result(expert_client, expert, moderator):
    poll = make_poll(moderator, closed=True)
    assert expert_client.get(f"/decisions/new?poll_id={poll.id}").status_code == 403
    response = expert_client.post("/decisions/new", data=decision_form(poll_id=poll.id))
    assert response.status_code == 403
    assert "Only moderators and administrators record a poll" in response.get_data(as_text=True)
    assert db.session.execute(select(Decision)).first() is None


def test_an_open_poll_cannot_be_recorded_yet(moderator_client, moderator):
    poll = make_poll(moderator, closed=False)
    response = moderator_client.get(f"/decisions/new?poll_id={poll.id}")
    assert response.status_code == 409
    assert "The poll is still open" in response.get_data(as_text=True)
    response = moderator_client.post("/decisions/new", data=decision_form(poll_id=poll.id))
    assert response.status_code == 409
    assert db.session.execute(select(Decision)).first() is None
    assert moderator_client.get("/decisions/new?poll_id=4242").status_code == 404
    assert moderator_client.get("/decisions/new?poll_id=abc").status_code == 404


def test_a_moderator_records_a_closed_polls_result(moderator_client, moderator, client_for, expert):
    poll = make_poll(moderator, closed=True)
    response = moderator_client.get(f"/decisions/new?poll_id={poll.id}")
    assert response.status_code == 200
    form = response.get_data(as_text=True)
    assert "Where is the first training?" in form
    assert "Turnout:" in form  # the polls feature's own summary fills in the text
    assert f'name="poll_id" value="{poll.id}" checked' in form
    assert "The result of the poll is filled in below." in form
    data = decision_form(title="First training: Riga", text="Riga hosts.", poll_id=poll.id, tags="location vote")
    assert moderator_client.post(f"/decisions/new?poll_id={poll.id}", data=data).status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    assert decision.poll_id == poll.id
    page = moderator_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f'href="/polls/{poll.id}">Where is the first training?</a>' in page
    # the author (an expert) may still edit the text of a decision that carries a poll link
    decision.author_id = expert.id
    db.session.commit()
    edit = client_for(expert).post(
        f"/decisions/{decision.id}/edit",
        data={**decision_form(decision, text="Riga hosts in March."), "poll_id": str(poll.id)},
    )
    assert edit.status_code == 303
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).poll_id == poll.id


def test_the_demo_tells_the_story_of_the_launch_meeting_and_is_idempotent(app):
    from protect.core.registry import registry

    for seeder in registry(app).seeders:  # people, agendas, guidelines, polls, then the decision log
        if seeder.order <= 40:
            seeder.run()
    counts = (
        db.session.scalar(select(func.count(Meeting.id))),
        db.session.scalar(select(func.count(Decision.id))),
        db.session.scalar(select(func.count(ActionItem.id))),
    )
    seed_decisions()
    assert counts == (
        db.session.scalar(select(func.count(Meeting.id))),
        db.session.scalar(select(func.count(Decision.id))),
        db.session.scalar(select(func.count(ActionItem.id))),
    )
    launch = db.session.execute(select(Meeting).where(Meeting.title.like("Launch meeting%"))).scalar_one()
    assert launch.starts_at == datetime(2015, 9, 22, 7, 30) and "Copenhagen" in launch.place
    assert "two days" in launch.minutes
    statuses = dict(db.session.execute(select(Decision.title, Decision.status)).all())
    assert statuses["Each training lasts two days"] == "implemented"
    assert statuses["Hold the first training in St Petersburg in January 2016"] == "superseded"
    assert statuses["Write a separate handbook for trainers"] == "withdrawn"
    riga = db.session.execute(
        select(Decision).where(Decision.title == "Hold the first training in Riga in March 2016")
    ).scalar_one()
    assert riga.event_id is not None  # linked to the Riga training of the agendas' demo
    assert riga.poll_id is not None  # and to the closed location vote of the polls' demo
    guidelines = db.session.execute(
        select(Decision).where(Decision.title == "Base every training on the PROTECT Guidelines")
    ).scalar_one()
    assert guidelines.revision_id is not None
    done = db.session.scalar(select(func.count(ActionItem.id)).where(ActionItem.done_at.is_not(None)))
    open_ = db.session.scalar(select(func.count(ActionItem.id)).where(ActionItem.done_at.is_(None)))
    assert done >= 3 and open_ >= 2  # some done, some overdue (their due dates are in 2015–2016)
    latest = db.session.scalar(select(func.max(AuditEvent.created_at)).where(AuditEvent.action.like("decisions.%")))
    assert latest < datetime(2017, 1, 1)  # the activity list tells the story in its own time
