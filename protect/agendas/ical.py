"""The agenda as an iCalendar file: one event per slot, in the training's own time zone; its own words (the kinds,
the speakers' and the responsible expert's headings) in the requester's language, the agenda's text as written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext
from icalendar import Calendar, Event

from protect.agendas.models import ITEM_KINDS, AgendaItem, TrainingEvent, label
from protect.core.regions import country_name
from protect.core.text import plain_excerpt


def agenda_calendar(event: TrainingEvent, items: Iterable[AgendaItem], url: str) -> bytes:
    zone = ZoneInfo(event.time_zone)
    calendar = Calendar()
    calendar.add("prodid", "-//PROTECT Workspace//Training agendas//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", event.title)
    calendar.add("x-wr-timezone", event.time_zone)
    stamp = datetime.now(UTC)
    location = ", ".join(part for part in (event.venue, event.city, country_name(event.country)) if part)
    for item in items:
        if item.deleted_at is not None:
            continue
        day = event.first_day + timedelta(days=item.day - 1)
        entry = Event()
        entry.add("uid", f"agenda-item-{item.id}@protect-workspace")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", datetime.combine(day, item.start, tzinfo=zone))
        entry.add("dtend", datetime.combine(day, item.end, tzinfo=zone))
        entry.add("summary", item.title)
        entry.add("sequence", item.version)
        entry.add("categories", [label(ITEM_KINDS, item.kind)])
        if location:
            entry.add("location", location)
        lines = []
        if item.speakers:
            lines.append(gettext("Speakers or facilitators: %(speakers)s", speakers=item.speakers))
        if item.responsible is not None:
            lines.append(gettext("Responsible expert: %(name)s", name=item.responsible.display_name))
        if item.notes:
            lines.append(plain_excerpt(item.notes, 2000))
        lines.append(url)
        entry.add("description", "\n\n".join(lines))
        entry.add("url", url)
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
