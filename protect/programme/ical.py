"""Published trainings as iCalendar: one file per training (the training and its sessions) and a feed of all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from icalendar import Calendar, Event

from protect.core.i18n import WORKING_LANGUAGE
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


def _text(entry: Event, name: str, value: str, language: str) -> None:
    """A text property with the language it is written in (RFC 5545 LANGUAGE)."""
    entry.add(name, value, parameters={"LANGUAGE": language})


def _training_event(snapshot: ProgrammeSnapshot, training: Training, url: str) -> Event:
    language = training.content_language
    entry = Event()
    entry.add("uid", f"programme-{snapshot.page_id}@protect-workspace")
    entry.add("dtstamp", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("last-modified", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("sequence", snapshot.version)
    _text(entry, "summary", training.title, language)
    # All-day dates: DTEND is the day after the last day.
    entry.add("dtstart", training.first_day)
    entry.add("dtend", training.last_day + timedelta(days=1))
    _text(entry, "location", training.location, language)
    _text(entry, "description", f"{training.summary}\n\n{url}".strip(), language)
    entry.add("url", url)
    entry.add("categories", [gettext("Training")])
    entry.add("transp", "TRANSPARENT")
    return entry


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def training_calendar(snapshot: ProgrammeSnapshot, url: str, content: dict | None = None) -> bytes:
    """The training as a whole (all-day) and each of its sessions at its local time; ``content``: the snapshot's
    content in the language served (a translation laid over it), the snapshot's own by default. Each text says
    its language: the training's texts are in the version's, the sessions' in the working language."""
    training = Training(content or snapshot.content, snapshot.version)
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
            # The session's title is in the working language, its kind in the interface's: the agenda's language.
            _text(
                entry,
                "summary",
                gettext("%(title)s (%(kind)s)", title=session.title, kind=session.kind_label),
                WORKING_LANGUAGE,
            )
            entry.add("dtstart", datetime.combine(day.date, time.fromisoformat(session.start), tzinfo=zone))
            entry.add("dtend", datetime.combine(day.date, time.fromisoformat(session.end), tzinfo=zone))
            _text(entry, "location", training.location, training.content_language)
            lines = [gettext("%(title)s, day %(number)s", title=training.title, number=day.number)]
            if session.speakers:
                lines.append(gettext("Speakers: %(speakers)s", speakers=session.speakers))
            lines.append(url)
            _text(entry, "description", "\n".join(lines), training.content_language)
            calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_calendar(snapshots: Iterable[tuple[ProgrammeSnapshot, str]]) -> bytes:
    """Every published training as one all-day event: a calendar people can subscribe to."""
    calendar = _calendar(gettext("PROTECT Children on the Move: trainings"))
    for snapshot, url in snapshots:
        calendar.add_component(_training_event(snapshot, Training(snapshot.content, snapshot.version), url))
    return calendar.to_ical()
