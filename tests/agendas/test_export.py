"""The agenda leaves the workspace as an iCalendar file in the event's time zone and as an A4 print view."""

from __future__ import annotations

from icalendar import Calendar

from tests.agendas.factories import make_event, make_item
from tests.factories import make_user


def test_the_calendar_file_has_every_slot_in_the_events_time_zone(client_for, expert):
    event = make_event(expert, title="Training in St Petersburg", city="St Petersburg", country="RU", venue="Smolny")
    olga = make_user("expert", display_name="Olga Smirnova")
    make_item(
        event,
        expert,
        1,
        "09:30",
        "11:00",
        title="Cross-border case management",
        speakers="Olga",
        responsible_id=olga.id,
        notes="Bring **cases**.",
    )
    make_item(event, expert, 2, "14:00", "15:00", title="Evaluation")
    gone = make_item(event, expert, 2, "15:00", "15:30", title="Deleted slot")
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{gone.id}/delete")
    response = client.get(f"/events/{event.id}/agenda.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="{event.slug}.ics"' in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    entries = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in entries] == ["Cross-border case management", "Evaluation"]
    start = entries[0].decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Moscow" and start.isoformat() == "2027-03-16T09:30:00+03:00"
    assert entries[1].decoded("dtstart").isoformat() == "2027-03-17T14:00:00+03:00"
    assert b"DTSTART;TZID=Europe/Moscow:20270316T093000" in response.data
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Moscow"]
    description = str(entries[0]["description"])
    assert "Responsible expert: Olga Smirnova" in description and "Bring cases." in description
    assert "Smolny, St Petersburg" in str(entries[0]["location"])


def test_the_print_view_has_both_days_and_print_styles(client_for, expert):
    event = make_event(expert)
    make_item(event, expert, 1, "09:00", "10:00", title="The child's best interests", notes="*Article 3*")
    make_item(event, expert, 2, "09:00", "10:00", title="Interagency cooperation")
    response = client_for(expert).get(f"/events/{event.id}/print")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Day 1 · Tuesday, 16 March 2027" in page and "Day 2 · Wednesday, 17 March 2027" in page
    assert "<em>Article 3</em>" in page and "Interagency cooperation" in page
    assert 'href="/static/css/print.css?v=' in page and 'media="print"' in page and "data-print" in page
    assert "print-view" in page


def test_the_print_css_asks_for_a4(client):
    with client.get("/static/css/print.css") as response:
        assert "size: A4" in response.get_data(as_text=True)
    with client.get("/static/css/agendas.css") as response:
        assert "@media print" in response.get_data(as_text=True)
