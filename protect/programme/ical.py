"""Published trainings as iCalendar: one file per training (the training and its sessions) and a feed of all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from icalendar import Calendar, Event

from protect.programme.content import Training
from protect.programme.models import ProgrammeSnapshot

PRODID = "-//PROTECT Children on the Move//Training programme//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _training_event(snapshot: ProgrammeSnapshot, training: Training, url: str) -> Event:
    entry = Event()
    entry.add("uid", f"programme-{snapshot.page_id}@protect-workspace")
    entry.add("dtstamp", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("last-modified", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("sequence", snapshot.version)
    entry.add("summary", training.title)
    # All-day dates: DTEND is the day after the last day.
    entry.add("dtstart", training.first_day)
    entry.add("dtend", training.last_day + timedelta(days=1))
    entry.add("location", training.location)
    entry.add("description", f"{training.summary}\n\n{url}".strip())
    entry.add("url", url)
    entry.add("categories", [gettext("Training")])
    entry.add("transp", "TRANSPARENT")
    return entry


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def training_calendar(snapshot: ProgrammeSnapshot, url: str) -> bytes:
    """The training as a whole (all-day) and each of its sessions at its local time."""
    training = Training(snapshot.content, snapshot.version)
    calendar = _calendar(training.title)
    calendar.add("x-wr-timezone", training.time_zone)
    calendar.add_component(_training_event(snapshot, training, url))
    zone = _zone(training.time_zone)
    for day in training.days:
        for number, session in enumerate(day.sessions, 1):
            entry = Event()
            entry.add("uid", f"programme-{snapshot.page_id}-day{day.number}-{number}@protect-workspace")
            entry.add("dtstamp", snapshot.published_at.replace(tzinfo=UTC))
            entry.add("sequence", snapshot.version)
            entry.add("summary", gettext("%(title)s (%(kind)s)", title=session.title, kind=session.kind_label))
            entry.add("dtstart", datetime.combine(day.date, time.fromisoformat(session.start), tzinfo=zone))
            entry.add("dtend", datetime.combine(day.date, time.fromisoformat(session.end), tzinfo=zone))
            entry.add("location", training.location)
            lines = [gettext("%(title)s, day %(number)s", title=training.title, number=day.number)]
            if session.speakers:
                lines.append(gettext("Speakers: %(speakers)s", speakers=session.speakers))
            lines.append(url)
            entry.add("description", "\n".join(lines))
            calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_calendar(snapshots: Iterable[tuple[ProgrammeSnapshot, str]]) -> bytes:
    """Every published training as one all-day event: a calendar people can subscribe to."""
    calendar = _calendar(gettext("PROTECT Children on the Move: trainings"))
    for snapshot, url in snapshots:
        calendar.add_component(_training_event(snapshot, Training(snapshot.content, snapshot.version), url))
    return calendar.to_ical()
