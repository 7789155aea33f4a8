"""The audit page's reading: the filters (person, kind, object, dates) and one page of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from protect.auth.models import User
from protect.core.audit import AuditEvent, visible_audiences
from protect.core.i18n import N_
from protect.core.inputs import parse_int
from protect.core.timefmt import from_zone, viewer_zone
from protect.extensions import db

PAGE_SIZE = 100
MAX_PAGE = 10_000


@dataclass
class AuditFilter:
    person: int | None = None
    kind: str = ""
    object_type: str = ""
    object_id: int | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # what was typed, shown again when refused

    def params(self, **changes: Any) -> dict[str, Any]:
        values = {
            "person": self.person,
            "kind": self.kind or None,
            "object_type": self.object_type or None,
            "object_id": self.object_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value is not None}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filter(args: Any) -> AuditFilter:
    """The filters from the query string; anything not understood is named in ``errors`` beside its field."""
    raw = {
        name: (args.get(name) or "").strip()[:100]
        for name in ("person", "kind", "object_type", "object_id", "since", "until")
    }
    chosen = AuditFilter(raw=raw, kind=raw["kind"][:64], object_type=raw["object_type"][:40])
    chosen.page = min(parse_int(args.get("page") or "1", minimum=1) or 1, MAX_PAGE)
    if raw["person"]:
        chosen.person = parse_int(raw["person"], minimum=1)
        if chosen.person is None:
            chosen.errors["person"] = gettext("Choose a member from the list.")
    if raw["object_id"]:
        chosen.object_id = parse_int(raw["object_id"], minimum=1)
        if chosen.object_id is None:
            chosen.errors["object_id"] = gettext("Enter the object's number (a whole number), or leave it empty.")
    for name in ("since", "until"):
        if raw[name]:
            value = _date(raw[name])
            if value is None:
                chosen.errors[name] = gettext("Enter a date as YYYY-MM-DD, for example 2026-03-31.")
            setattr(chosen, name, value)
    if chosen.since and chosen.until and chosen.until < chosen.since:
        chosen.errors["until"] = gettext("The end date is before the start date.")
    return chosen


@dataclass
class AuditPage:
    events: list[AuditEvent]
    more: bool


def events_page(user: Any, chosen: AuditFilter) -> AuditPage:
    """One page of the events ``user`` may see (moderator-only events to moderators, as everywhere), newest
    first, as ``chosen`` filters them: one query."""
    query = select(AuditEvent).where(AuditEvent.audience.in_(visible_audiences(user)))
    if chosen.person:
        query = query.where(AuditEvent.actor_id == chosen.person)
    if chosen.kind:
        query = query.where(AuditEvent.action == chosen.kind)
    if chosen.object_type:
        query = query.where(AuditEvent.object_type == chosen.object_type)
    if chosen.object_id:
        query = query.where(AuditEvent.object_id == chosen.object_id)
    zone = viewer_zone()
    if chosen.since:
        query = query.where(AuditEvent.created_at >= from_zone(datetime.combine(chosen.since, time()), zone))
    if chosen.until:
        end = datetime.combine(chosen.until + timedelta(days=1), time())
        query = query.where(AuditEvent.created_at < from_zone(end, zone))
    rows = list(
        db.session.execute(
            query.options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .offset((chosen.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).scalars()
    )
    return AuditPage(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE)


# What the page calls the objects events are about (their tables' names, as the log keeps them); a table not
# named here is shown by its name.
OBJECT_LABELS = {
    "action_item": N_("Action"),
    "agenda_item": N_("Agenda item"),
    "ballot": N_("Ballot"),
    "decision": N_("Decision"),
    "guideline": N_("Guidelines"),
    "guideline_comment": N_("Comment"),
    "guideline_section": N_("Guideline section"),
    "guideline_version": N_("Published version"),
    "interest_registration": N_("Registration"),
    "invitation": N_("Invitation"),
    "meeting": N_("Meeting"),
    "poll": N_("Poll"),
    "programme_page": N_("Programme page"),
    "programme_translation": N_("Programme page (translation)"),
    "section_revision": N_("Revision"),
    "training_event": N_("Training"),
    "users": N_("Member"),
}


def object_label(name: str | None) -> str:
    return gettext(OBJECT_LABELS[name]) if name in OBJECT_LABELS else (name or "")


def filter_choices(user: Any) -> dict[str, list[tuple[str, str]]]:
    """The people, kinds and object types to choose from (those in the events ``user`` may see)."""
    audiences = visible_audiences(user)
    kinds = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.audience.in_(audiences)).distinct().order_by(AuditEvent.action)
    ).scalars()
    types = db.session.execute(
        select(AuditEvent.object_type)
        .where(AuditEvent.audience.in_(audiences), AuditEvent.object_type.is_not(None))
        .distinct()
        .order_by(AuditEvent.object_type)
    ).scalars()
    people = db.session.execute(select(User.id, User.display_name).order_by(func.lower(User.display_name))).all()
    return {
        "person": [(str(person.id), person.display_name) for person in people],
        "kind": [(kind, kind) for kind in kinds],
        "object_type": sorted(((name, object_label(name)) for name in types), key=lambda choice: choice[1].casefold()),
    }
