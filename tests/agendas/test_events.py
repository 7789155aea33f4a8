"""Training events: experts propose them, moderators and admins edit every one, lists filter them."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from protect.agendas.models import AgendaChange, TrainingEvent
from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.agendas.factories import make_event, make_item
from tests.factories import make_user

NEW_EVENT = {
    "title": "Protecting children on the move: training in St Petersburg",
    "city": "St Petersburg",
    "country": "RU",
    "time_zone": "",
    "venue": "Social services training centre",
    "first_day": "2027-03-16",
    "days": "2",
    "day_start": "09:00",
    "day_end": "17:00",
    "audiences": ["law_enforcement", "ngo"],
    "language": "English and Russian",
    "capacity": "40",
    "description": "For professionals of **North-West Russia**.",
    "status": "confirmed",
}


def test_an_expert_proposes_a_training_whose_zone_follows_the_city(expert_client, expert):
    response = expert_client.post("/events/new", data=NEW_EVENT)
    assert response.status_code == 303
    event = db.session.execute(select(TrainingEvent)).scalar_one()
    assert response.headers["Location"] == f"/events/{event.id}"
    assert event.time_zone == "Europe/Moscow"
    assert event.status == "proposed"  # an expert cannot confirm their own proposal
    assert event.audiences == ["law_enforcement", "ngo"]
    assert event.slug == "st-petersburg-2027-training"
    assert event.proposed_by_id == expert.id
    assert db.session.execute(select(AgendaChange.action)).scalars().all() == ["event.created"]
    assert db.session.execute(select(AuditEvent.action)).scalars().all() == ["agendas.event_proposed"]
    page = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<strong>North-West Russia</strong>" in page
    assert "Europe/Moscow" in page and "16\u2009–\u200917 Mar 2027" in page


def test_a_moderator_may_set_the_status_when_proposing(moderator_client):
    assert moderator_client.post("/events/new", data=NEW_EVENT).status_code == 303
    assert db.session.execute(select(TrainingEvent.status)).scalar_one() == "confirmed"


def test_a_second_event_in_the_same_city_and_year_gets_its_own_slug(expert_client):
    expert_client.post("/events/new", data=NEW_EVENT)
    expert_client.post("/events/new", data=NEW_EVENT)
    slugs = db.session.execute(select(TrainingEvent.slug).order_by(TrainingEvent.id)).scalars().all()
    assert slugs == ["st-petersburg-2027-training", "st-petersburg-2027-training-2"]


def test_a_repeated_audience_is_kept_once(expert_client, moderator_client):
    repeated = ["ngo", "law_enforcement"] * 5_000
    assert expert_client.post("/events/new", data={**NEW_EVENT, "audiences": repeated}).status_code == 303
    event = db.session.execute(select(TrainingEvent)).scalar_one()
    assert event.audiences == ["law_enforcement", "ngo"]
    form = {**NEW_EVENT, "audiences": ["child_rights"] * 5_000, "version": str(event.version)}
    assert moderator_client.post(f"/events/{event.id}/edit", data=form).status_code == 303
    db.session.expire_all()
    assert db.session.get(TrainingEvent, event.id).audiences == ["child_rights"]
    after = db.session.execute(select(AgendaChange.after).order_by(AgendaChange.id.desc())).scalars().first()
    assert after["audiences"] == ["child_rights"]


def test_bad_event_input_is_refused_beside_the_field_and_kept(expert_client):
    bad = {**NEW_EVENT, "title": "", "days": "6", "day_end": "08:00", "first_day": "not a date"}
    response = expert_client.post("/events/new", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a title." in page
    assert "An event has 1 to 5 days." in page
    assert "The day must end after it starts." in page
    assert 'value="Social services training centre"' in page  # the input is kept
    assert db.session.execute(select(TrainingEvent)).first() is None


def test_the_list_filters_by_country_and_status(expert_client, expert, moderator):
    make_event(expert, title="Riga training", city="Riga", country="LV")
    make_event(moderator, title="Tallinn training", city="Tallinn", country="EE", status="confirmed")
    page = expert_client.get("/events/").get_data(as_text=True)
    assert "Riga training" in page and "Tallinn training" in page
    page = expert_client.get("/events/?country=EE").get_data(as_text=True)
    assert "Tallinn training" in page and "Riga training" not in page
    page = expert_client.get("/events/?status=proposed").get_data(as_text=True)
    assert "Riga training" in page and "Tallinn training" not in page
    page = expert_client.get("/events/?country=XX&status=cancelled").get_data(as_text=True)
    assert "No events match this filter" in page
    # nonsense in the query string is ignored, not an error
    assert expert_client.get("/events/?country=%3Cscript%3E&status=1").status_code == 200


def test_the_proposer_edits_their_proposal_and_the_change_is_recorded(client_for, expert):
    event = make_event(expert, title="Draft title")
    client = client_for(expert)
    form = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert f'name="version" value="{event.version}"' in form
    data = {**NEW_EVENT, "title": "Better title", "city": "Riga", "country": "LV", "version": str(event.version)}
    response = client.post(f"/events/{event.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    event = db.session.get(TrainingEvent, event.id)
    assert event.title == "Better title" and event.version == 2 and event.time_zone == "Europe/Riga"
    assert event.status == "proposed"  # the status field is not the proposer's to set
    change = db.session.execute(select(AgendaChange).where(AgendaChange.action == "event.updated")).scalar_one()
    assert "title" in change.fields and change.before["title"] == "Draft title"
    assert change.after["title"] == "Better title"


def test_other_experts_may_not_edit_an_event_but_moderators_may(client_for, expert, moderator):
    event = make_event(expert)
    other = client_for(make_user("expert"))
    data = {**NEW_EVENT, "version": str(event.version)}
    assert other.get(f"/events/{event.id}/edit").status_code == 403
    assert other.post(f"/events/{event.id}/edit", data=data).status_code == 403
    assert db.session.get(TrainingEvent, event.id).city == "Riga"
    response = client_for(moderator).post(f"/events/{event.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TrainingEvent, event.id).status == "confirmed"
    # confirmed now: the proposer no longer edits it
    assert client_for(expert).get(f"/events/{event.id}/edit").status_code == 403


def test_two_editors_of_one_event_never_lose_an_edit(client_for, moderator, admin):
    event = make_event(moderator, title="Original")
    first, second = client_for(moderator), client_for(admin)
    version = str(event.version)
    first.post(f"/events/{event.id}/edit", data={**NEW_EVENT, "title": "First editor's title", "version": version})
    response = second.post(f"/events/{event.id}/edit", data={**NEW_EVENT, "title": "Second title", "version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this event" in page
    assert 'value="Second title"' in page  # my text stays in the form
    assert "First" in page and "<del>" in page and "<ins>" in page  # theirs beside it, differences marked
    db.session.expire_all()
    assert db.session.get(TrainingEvent, event.id).title == "First editor's title"
    # saving again from the conflict form keeps mine
    response = second.post(f"/events/{event.id}/edit", data={**NEW_EVENT, "title": "Second title", "version": "2"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TrainingEvent, event.id).title == "Second title"


def test_a_forged_event_version_is_refused(client_for, moderator):
    event = make_event(moderator)
    client = client_for(moderator)
    assert client.post(f"/events/{event.id}/edit", data={**NEW_EVENT, "version": "abc"}).status_code == 422
    assert client.post(f"/events/{event.id}/edit", data={**NEW_EVENT, "version": "77"}).status_code == 409
    assert db.session.get(TrainingEvent, event.id).version == 1


def test_days_with_items_cannot_be_cut_off(client_for, moderator):
    event = make_event(moderator, days=3)
    make_item(event, moderator, day=3, title="On the third day")
    data = {**NEW_EVENT, "days": "2", "version": str(event.version)}
    response = client_for(moderator).post(f"/events/{event.id}/edit", data=data)
    assert response.status_code == 409
    assert "1 agenda item is on a day after day 2" in response.get_data(as_text=True)
    assert db.session.get(TrainingEvent, event.id).days == 3


def test_unknown_events_are_404(expert_client):
    for url in (
        "/events/999",
        "/events/999/edit",
        "/events/999/history",
        "/events/999/print",
        "/events/999/agenda.ics",
    ):
        assert expert_client.get(url).status_code == 404, url
    assert expert_client.get("/events/999/agenda/changes?since=1").status_code == 404


def test_visitors_are_sent_to_sign_in(client, expert):
    event = make_event(expert)
    for url in ("/events/", f"/events/{event.id}", "/events/new", f"/events/{event.id}/agenda.ics"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    response = client.post("/events/new", data=NEW_EVENT)
    assert response.status_code == 302
    assert db.session.execute(select(TrainingEvent)).scalars().all() == [event]


def test_an_inactive_member_is_signed_out(client_for, expert):
    event = make_event(expert)
    ghost = make_user("moderator", active=False)
    assert client_for(ghost).get(f"/events/{event.id}").status_code == 302


def test_event_rules_hold_in_the_service_too(expert):
    from protect.agendas import services
    from protect.core.errors import RuleViolation

    values = {
        "title": "x",
        "city": "Riga",
        "country": "ZZ",
        "first_day": date(2027, 1, 1),
        "days": 2,
        "day_start": time(9),
        "day_end": time(17),
    }
    try:
        services.create_event(expert, values)
    except RuleViolation as error:
        assert error.field == "country" and error.status == 422
    else:
        raise AssertionError("an unknown country was accepted")
