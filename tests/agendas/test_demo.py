"""The demo data tells the project's story: the launch in Copenhagen, the 2016 trainings, two to come."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.agendas import dashboard_panel
from protect.agendas.demo import seed_agendas
from protect.agendas.models import AgendaChange, AgendaItem, TrainingEvent
from protect.auth.demo import demo_user, seed_people
from protect.extensions import db

SLUGS = {
    "copenhagen-2015-launch", "riga-2016-training", "tallinn-2016-training", "vilnius-2016-training",
    "st-petersburg-2027-training", "helsinki-2027-training",
}  # fmt: skip


def test_the_demo_events_exist_once_with_realistic_agendas(client_for):
    seed_people()
    seed_agendas()
    seed_agendas()  # idempotent
    events = {e.slug: e for e in db.session.execute(select(TrainingEvent)).scalars()}
    assert set(events) == SLUGS
    launch = events["copenhagen-2015-launch"]
    assert (launch.city, launch.first_day.isoformat(), launch.status) == ("Copenhagen", "2015-09-22", "completed")
    assert events["st-petersburg-2027-training"].time_zone == "Europe/Moscow"
    titles = " ".join(db.session.execute(select(AgendaItem.title)).scalars())
    for topic in (
        "best interests",
        "Cross-border case management",
        "Identification of victims",
        "Hearing the child",
        "Interagency cooperation",
    ):
        assert topic in titles
    per_event = dict(db.session.execute(select(AgendaItem.event_id, func.count()).group_by(AgendaItem.event_id)).all())
    assert all(per_event[events[slug].id] >= 8 for slug in SLUGS)
    assert (
        db.session.execute(select(func.count()).select_from(AgendaChange)).scalar_one() == sum(per_event.values()) + 6
    )
    responsible = set(
        db.session.execute(select(AgendaItem.responsible_id).where(AgendaItem.responsible_id.is_not(None))).scalars()
    )
    assert demo_user("gudrun@example.org").id in responsible and len(responsible) >= 8
    # the dashboard shows the upcoming ones
    panel = dashboard_panel(demo_user("expert@example.org"))
    assert [e.slug for e, _count in panel["events"]] == ["st-petersburg-2027-training", "helsinki-2027-training"]
    page = client_for(demo_user("expert@example.org")).get("/dashboard").get_data(as_text=True)
    assert "Upcoming trainings" in page and "training in St Petersburg" in page
    # the Helsinki draft shows its flagged overlap
    page = (
        client_for(demo_user("aino@example.org"))
        .get(f"/events/{events['helsinki-2027-training'].id}")
        .get_data(as_text=True)
    )
    assert "Overlaps “Lunch”" in page
