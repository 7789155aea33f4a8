"""Published trainings as iCalendar: one file per training (the training and its sessions) and a feed of all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from icalendar import Calendar, Event

from protect.core.i18n import WORKING_LANGUAGE, current_language
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


def _text(entry: Event, name: str, value: str, *languages: str) -> None:
    """A text property with the language it is written in (RFC 5545 LANGUAGE): ``languages`` are those of its
    parts (the members' content, the interface's words); text that mixes two languages says none rather than a
    wrong one (a city in the working language with its country's name in the reader's, in a German calendar)."""
    if len(set(languages)) == 1:
        entry.add(name, value, parameters={"LANGUAGE": languages[0]})
    else:
        entry.add(name, value)


def _training_event(snapshot: ProgrammeSnapshot, training: Training, url: str) -> Event:
    language, interface = training.content_language, current_language()
    entry = Event()
    entry.add("uid", f"programme-{snapshot.page_id}@protect-workspace")
    entry.add("dtstamp", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("last-modified", snapshot.published_at.replace(tzinfo=UTC))
    entry.add("sequence", snapshot.version)
    _text(entry, "summary", training.title, language)
    # All-day dates: DTEND is the day after the last day.
    entry.add("dtstart", training.first_day)
    entry.add("dtend", training.last_day + timedelta(days=1))
    # The venue and city as the members wrote them (the working language), the country in the reader's.
    _text(entry, "location", training.location, WORKING_LANGUAGE, interface)
    _text(entry, "description", f"{training.summary}\n\n{url}".strip(), language)
    entry.add("url", url)
    entry.add("categories", [gettext("Training")], parameters={"LANGUAGE": interface})
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
    its language: the training's texts are in the version's, the places and sessions in the working language,
    the words around them in the interface's; a text mixing two says none."""
    training = Training(content or snapshot.content, snapshot.version)
    calendar = _calendar(training.title)
    calendar.add("x-wr-timezone", training.time_zone)
    calendar.add_component(_training_event(snapshot, training, url))
    zone = _zone(training.time_zone)
    interface = current_language()
    for day in training.days:
        for number, session in enumerate(day.sessions, 1):
            entry = Event()
            entry.add("uid", f"programme-{snapshot.page_id}-day{day.number}-{number}@protect-workspace")
            entry.add("dtstamp", snapshot.published_at.replace(tzinfo=UTC))
            entry.add("sequence", snapshot.version)
            # The session's title is in the working language (the agenda's), its kind in the interface's.
            _text(
                entry,
                "summary",
                gettext("%(title)s (%(kind)s)", title=session.title, kind=session.kind_label),
                WORKING_LANGUAGE,
                interface,
            )
            entry.add("dtstart", datetime.combine(day.date, time.fromisoformat(session.start), tzinfo=zone))
            entry.add("dtend", datetime.combine(day.date, time.fromisoformat(session.end), tzinfo=zone))
            _text(entry, "location", training.location, WORKING_LANGUAGE, interface)
            # The training's title in its version's language, the words around it in the interface's, the
            # speakers as the agenda has them (the working language).
            lines = [gettext("%(title)s, day %(number)s", title=training.title, number=day.number)]
            languages = [training.content_language, interface]
            if session.speakers:
                lines.append(gettext("Speakers: %(speakers)s", speakers=session.speakers))
                languages.append(WORKING_LANGUAGE)
            lines.append(url)
            _text(entry, "description", "\n".join(lines), *languages)
            calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_calendar(snapshots: Iterable[tuple[ProgrammeSnapshot, str]]) -> bytes:
    """Every published training as one all-day event: a calendar people can subscribe to."""
    calendar = _calendar(gettext("PROTECT Children on the Move: trainings"))
    for snapshot, url in snapshots:
        calendar.add_component(_training_event(snapshot, Training(snapshot.content, snapshot.version), url))
    return calendar.to_ical()
