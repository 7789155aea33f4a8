"""Builders of training events, agendas and programme pages in every workflow state. Each commits."""

from __future__ import annotations

import itertools
from datetime import date, time

from protect.agendas.models import AgendaItem, TrainingEvent
from protect.auth.models import User
from protect.core.database import utcnow
from protect.extensions import db
from protect.programme import services
from protect.programme.models import ProgrammePage

_numbers = itertools.count(1)
# A Tuesday-ish date that stays ahead whenever the tests run: trainings built here are upcoming.
NEXT_MARCH_16 = date(utcnow().year + 2, 3, 16)

COMPLETE = {
    "summary": "Two days on protecting children on the move from exploitation and trafficking.",
    "description": "Based on the **PROTECT Guidelines**: identification, hearing the child, cross-border work.",
    "how_to_take_part": "Register your interest below. The host sends invitations six weeks before.",
    "audiences": ["law_enforcement", "child_welfare"],
    "language": "English",
    "venue": "City hall",
}


def make_event(**fields) -> TrainingEvent:
    """A training event written straight into the agendas' table (this feature only reads it)."""
    n = next(_numbers)
    values = {
        "title": f"Training {n}",
        "slug": f"riga-2027-training-{n}",
        "city": "Riga",
        "country": "LV",
        "time_zone": "Europe/Riga",
        "venue": "",
        "first_day": NEXT_MARCH_16,
        "days": 2,
        "day_start": time(9, 0),
        "day_end": time(17, 0),
        "audiences": ["law_enforcement", "child_welfare"],
        "language": "English",
        "capacity": 30,
        "description": "",
        "status": "confirmed",
    }
    values.update(fields)
    event = TrainingEvent(**values)
    db.session.add(event)
    db.session.commit()
    return event


def add_item(event: TrainingEvent, day: int = 1, start: str = "09:00", end: str = "10:00", **fields) -> AgendaItem:
    values = {
        "title": f"Session {next(_numbers)}",
        "kind": "plenary",
        "speakers": "",
        "notes": "",
        "position": next(_numbers),
    }
    values.update(fields)
    item = AgendaItem(
        event_id=event.id, day=day, start=time.fromisoformat(start), end=time.fromisoformat(end), **values
    )
    db.session.add(item)
    db.session.commit()
    return item


def make_page(author: User, event: TrainingEvent | None = None, **values) -> ProgrammePage:
    """A complete draft (ready to submit) for ``event`` (a new one when left out)."""
    event = event or make_event()
    page = services.create_page(author, event.id)
    fields = {name: getattr(page, name) for name in services.PAGE_FIELDS}
    fields.update(COMPLETE)
    fields.update(values)
    page = services.save_page(author, page.id, page.version, fields)
    db.session.commit()
    return page


def edit(page: ProgrammePage, author: User, **changes) -> ProgrammePage:
    fields = {name: getattr(page, name) for name in services.PAGE_FIELDS}
    fields.update(changes)
    page = services.save_page(author, page.id, page.version, fields)
    db.session.commit()
    return page


def submit(page: ProgrammePage, author: User) -> ProgrammePage:
    page = services.submit(author, page.id, page.version)
    db.session.commit()
    return page


def approve(page: ProgrammePage, moderator: User) -> ProgrammePage:
    page = services.approve(moderator, page.id, page.version)
    db.session.commit()
    return page


def publish(page: ProgrammePage, moderator: User) -> ProgrammePage:
    services.publish(moderator, page.id, page.version)
    db.session.commit()
    return db.session.get(ProgrammePage, page.id)


def published_page(author: User, moderator: User, event: TrainingEvent | None = None, **values) -> ProgrammePage:
    page = make_page(author, event, **values)
    return publish(approve(submit(page, author), moderator), moderator)


def page_in_state(state: str, author: User, moderator: User, event: TrainingEvent | None = None, **values):
    """A page whose working copy is in ``state``; "withdrawn" was published first, then withdrawn."""
    page = make_page(author, event, **values)
    if state == "draft":
        return page
    page = submit(page, author)
    if state == "in_review":
        return page
    page = approve(page, moderator)
    if state == "approved":
        return page
    page = publish(page, moderator)
    if state == "published":
        return page
    if state == "withdrawn":
        page = services.withdraw(moderator, page.id, "The host had to cancel the training.")
        db.session.commit()
        return page
    raise ValueError(state)


def registration_form(**changes) -> dict:
    data = {
        "name": "Ieva Kalniņa",
        "email": "ieva@example.lv",
        "organisation": "Orphan's and Custody Court",
        "country": "LV",
        "sector": "child_welfare",
        "message": "I would like to join with a colleague from the police.",
        "consent": "y",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def today():
    return utcnow().date()
