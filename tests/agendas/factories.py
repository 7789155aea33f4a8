"""Builders of training events and agenda items for the agendas tests. Each commits."""

from __future__ import annotations

import itertools
from datetime import date, time

from protect.agendas import services
from protect.agendas.models import AgendaItem, TrainingEvent
from protect.auth.models import User
from protect.extensions import db

_numbers = itertools.count(1)


def make_event(proposer: User, **fields) -> TrainingEvent:
    n = next(_numbers)
    values = {
        "title": f"Training {n}",
        "city": "Riga",
        "country": "LV",
        "time_zone": "",
        "venue": "",
        "first_day": date(2027, 3, 16),
        "days": 2,
        "day_start": time(9, 0),
        "day_end": time(17, 0),
        "audiences": ["law_enforcement", "child_welfare"],
        "language": "English",
        "capacity": 30,
        "description": "",
        "status": "proposed",
    }
    values.update(fields)
    event = services.create_event(proposer, values)
    if fields.get("status") and event.status != fields["status"]:
        event.status = fields["status"]
        db.session.commit()
    return event


def make_item(event: TrainingEvent, author: User, day: int = 1, start: str = "09:00", end: str = "10:00", **fields):
    values = {
        "day": day,
        "start": time.fromisoformat(start),
        "end": time.fromisoformat(end),
        "title": fields.pop("title", f"Session {next(_numbers)}"),
        "kind": "plenary",
        "speakers": "",
        "responsible_id": None,
        "notes": "",
    }
    values.update(fields)
    saved = services.create_item(author, event.id, values)
    return db.session.get(AgendaItem, saved.item.id)


def make_day(event: TrainingEvent, author: User, day: int = 1, slots=None) -> list[AgendaItem]:
    """Back-to-back items: 09:00-10:00, 10:00-10:30, 10:30-12:00, ... as given."""
    slots = slots or [("09:00", "10:00"), ("10:00", "10:30"), ("10:30", "12:00"), ("12:00", "13:00")]
    return [
        make_item(event, author, day, start, end, title=f"Day {day} slot {i}")
        for i, (start, end) in enumerate(slots, 1)
    ]


def item_form(item: AgendaItem | None = None, **changes) -> dict:
    """What the item editor posts."""
    data = {
        "day": str(item.day) if item else "1",
        "start": item.start.strftime("%H:%M") if item else "09:00",
        "end": item.end.strftime("%H:%M") if item else "10:00",
        "title": item.title if item else "A session",
        "kind": item.kind if item else "plenary",
        "speakers": item.speakers if item else "",
        "responsible_id": str(item.responsible_id) if item and item.responsible_id else "None",
        "notes": item.notes if item else "",
    }
    if item is not None:
        data["version"] = str(item.version)
    data.update({key: str(value) for key, value in changes.items()})
    return data
