"""The features lead to each other: an event to its programme page and to recording a decision; a guideline
revision to recording a decision (a closed poll's link is tested with the polls)."""

from __future__ import annotations

from protect.extensions import db
from protect.programme.models import ProgrammePage
from tests.agendas.factories import make_event
from tests.guidelines.factories import current, first_section, make_guideline


def test_an_event_leads_to_its_programme_page_and_to_recording_a_decision(expert_client, expert):
    event = make_event(expert)
    page = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/publishing/for-event/{event.id}"' in page
    assert f'href="/decisions/new?event_id={event.id}"' in page

    # Without a programme page: to the list, where one is started.
    response = expert_client.get(f"/publishing/for-event/{event.id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/publishing/?start={event.id}#start")

    assert expert_client.post("/publishing/new", data={"event_id": event.id}).status_code == 303
    programme_page = db.session.execute(db.select(ProgrammePage).where(ProgrammePage.event_id == event.id)).scalar_one()
    response = expert_client.get(f"/publishing/for-event/{event.id}")
    assert response.headers["Location"].endswith(f"/publishing/{programme_page.id}")

    form = expert_client.get(f"/decisions/new?event_id={event.id}").get_data(as_text=True)
    assert event.title in form


def test_a_revision_leads_to_recording_a_decision(expert_client, moderator):
    revision = current(first_section(make_guideline(moderator)))
    page = expert_client.get(f"/guidelines/revisions/{revision.id}").get_data(as_text=True)
    assert f'href="/decisions/new?revision_id={revision.id}"' in page
    form = expert_client.get(f"/decisions/new?revision_id={revision.id}")
    assert form.status_code == 200
    assert f'value="{revision.id}"' in form.get_data(as_text=True)
