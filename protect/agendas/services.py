"""Training events and their agendas: the rules, without HTTP.

Every change to an agenda runs in one transaction that
1. locks the event row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions hold the write lock
   from their first statement already), so concurrent moves, adds and deletes of one agenda queue up and each
   sees the others' result, and locks are always taken in the same order (event, then items);
2. re-reads the rows it decides on (never trusting what the page showed);
3. saves an edit only if the item is still at the version the editor began from (compare-and-set);
4. records the change (who, when, which fields, before and after) and raises the event's ``agenda_version``,
   which open agenda pages poll.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, NamedTuple

from flask import url_for
from flask_babel import format_number, gettext, lazy_gettext, ngettext
from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from protect.agendas import search_entries, timeplan
from protect.agendas.models import (
    AUDIENCES,
    DAYS_MAX,
    EVENT_STATUSES,
    ITEM_KINDS,
    ITEMS_PER_DAY_MAX,
    NOTES_MAX,
    PRESENCE_TTL,
    SPEAKERS_MAX,
    TITLE_MAX,
    AgendaChange,
    AgendaItem,
    AgendaPresence,
    TrainingEvent,
)
from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import can, has_role, rule
from protect.core.regions import COUNTRIES, TIME_ZONES, country_time_zone
from protect.extensions import db
from protect.notifications import mentions
from protect.notifications.models import Subscription
from protect.notifications.services import notify

ITEM_FIELDS = ("day", "start", "end", "title", "kind", "speakers", "responsible_id", "notes")
EVENT_FIELDS = (
    "title", "city", "country", "time_zone", "venue", "first_day", "days", "day_start", "day_end",
    "audiences", "language", "capacity", "description", "status",
)  # fmt: skip
# Shown beside changes (history, conflicts): lazy, in the reader's language; str() them to compare or store.
FIELD_LABELS = {
    "day": lazy_gettext("Day"),
    "start": lazy_gettext("Start"),
    "end": lazy_gettext("End"),
    "title": lazy_gettext("Title"),
    "kind": lazy_gettext("Kind"),
    "speakers": lazy_gettext("Speakers or facilitators"),
    "responsible_id": lazy_gettext("Responsible expert"),
    "notes": lazy_gettext("Notes"),
    "city": lazy_gettext("City"),
    "country": lazy_gettext("Country"),
    "time_zone": lazy_gettext("Time zone"),
    "venue": lazy_gettext("Venue"),
    "first_day": lazy_gettext("First day"),
    "days": lazy_gettext("Number of days"),
    "day_start": lazy_gettext("Day starts"),
    "day_end": lazy_gettext("Day ends"),
    "audiences": lazy_gettext("Target audiences"),
    "language": lazy_gettext("Working language"),
    "capacity": lazy_gettext("Capacity"),
    "description": lazy_gettext("Description"),
    "status": lazy_gettext("Status"),
}
OPEN_STATUSES = ("proposed", "confirmed")

# Cities whose zone is not their country's capital's.
CITY_ZONES = {"kaliningrad": "Europe/Kaliningrad"}


# Permissions --------------------------------------------------------------------------------------------------


@rule("agendas.propose_event")
def _may_propose(user: Any, _obj: Any) -> bool:
    return has_role(user, "expert")


@rule("agendas.edit_event")
def _may_edit_event(user: Any, event: TrainingEvent) -> bool:
    """Moderators and admins edit every event; the expert who proposed one edits it while it is proposed."""
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and event.proposed_by_id == user.id and event.status == "proposed"


@rule("agendas.set_status")
def _may_set_status(user: Any, _event: Any) -> bool:
    return has_role(user, "moderator")


@rule("agendas.edit_agenda")
def _may_edit_agenda(user: Any, event: TrainingEvent) -> bool:
    """Every expert co-drafts the agendas of proposed and confirmed events; once an event is completed or
    cancelled its agenda is a record that only moderators correct."""
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and event.status in OPEN_STATUSES


# Snapshots ----------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def item_snapshot(item: AgendaItem) -> dict[str, Any]:
    """An item's state as JSON: what history stores and restores."""
    state = {name: _plain(getattr(item, name)) for name in ITEM_FIELDS}
    state["version"] = item.version
    state["deleted"] = item.deleted_at is not None
    return state


def event_snapshot(event: TrainingEvent) -> dict[str, Any]:
    state = {name: _plain(getattr(event, name)) for name in EVENT_FIELDS}
    state["version"] = event.version
    return state


def values_from_snapshot(state: dict[str, Any]) -> dict[str, Any]:
    """The item fields of a stored snapshot, as model values."""
    values = {name: state.get(name) for name in ITEM_FIELDS}
    for name in ("start", "end"):
        values[name] = time.fromisoformat(values[name])
    values["speakers"] = values["speakers"] or ""
    values["notes"] = values["notes"] or ""
    return values


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None, names=ITEM_FIELDS) -> list[str]:
    before, after = before or {}, after or {}
    fields = [name for name in names if before.get(name) != after.get(name)]
    if before.get("deleted") != after.get("deleted") and (before or after):
        fields.append("deleted")
    return fields


# Events -------------------------------------------------------------------------------------------------------


def event_time_zone(city: str, country: str) -> str:
    """The zone an event's times are in: from its city where that differs from the country's, else the
    country's (St Petersburg: Europe/Moscow, Riga: Europe/Riga, ...)."""
    key = _fold(city)
    return CITY_ZONES.get(key) or country_time_zone(country)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def slugify(text: str) -> str:
    return _fold(text).replace(" ", "-")[:100].strip("-") or "training"


def unique_slug(base: str) -> str:
    slug = slugify(base)
    taken = set(db.session.execute(select(TrainingEvent.slug).where(TrainingEvent.slug.like(f"{slug}%"))).scalars())
    if slug not in taken:
        return slug
    number = 2
    while f"{slug}-{number}" in taken:
        number += 1
    return f"{slug}-{number}"


def event_problems(values: dict[str, Any]) -> dict[str, str]:
    """Rules on an event's fields beyond what the form checks field by field."""
    problems: dict[str, str] = {}
    if not (values.get("title") or "").strip():
        problems["title"] = gettext("Enter a title.")
    if not (values.get("city") or "").strip():
        problems["city"] = gettext("Enter the city.")
    if values.get("country") not in COUNTRIES:
        problems["country"] = gettext("Choose a country.")
    if values.get("time_zone") not in TIME_ZONES:
        problems["time_zone"] = gettext("Choose a time zone.")
    days = values.get("days")
    if not isinstance(days, int) or not 1 <= days <= DAYS_MAX:
        problems["days"] = gettext("An event has 1 to %(max)d days.", max=DAYS_MAX)
    start, end = values.get("day_start"), values.get("day_end")
    if start and end and timeplan.minutes(end) <= timeplan.minutes(start):
        problems["day_end"] = gettext("The day must end after it starts.")
    if any(audience not in AUDIENCES for audience in values.get("audiences") or []):
        problems["audiences"] = gettext("Choose target audiences from the list.")
    if values.get("status") not in EVENT_STATUSES:
        problems["status"] = gettext("Choose a status from the list.")
    return problems


def _check_event(values: dict[str, Any]) -> None:
    problems = event_problems(values)
    if problems:
        name, message = next(iter(problems.items()))
        raise RuleViolation(message, field=name, status=422)


def _each_audience_once(values: dict[str, Any]) -> None:
    """The audiences chosen, each once, in the list's order: a form may repeat one (a 2 MB form could send it
    100,000 times, all stored in the event, its snapshots and its history)."""
    if "audiences" in values:
        chosen = set(values["audiences"] or [])
        values["audiences"] = [key for key in AUDIENCES if key in chosen]


def event_url(event_id: int, anchor: str | None = None) -> str:
    try:
        return url_for("agendas.show_event", event_id=event_id, _anchor=anchor)
    except RuntimeError:  # outside a request (seeding, command line)
        return f"/events/{event_id}" + (f"#{anchor}" if anchor else "")


def history_url(event_id: int, item_id: int | None = None) -> str:
    try:
        return url_for("agendas.history", event_id=event_id, item=item_id)
    except RuntimeError:  # outside a request (seeding, command line)
        return f"/events/{event_id}/history" + (f"?item={item_id}" if item_id else "")


# Notices ------------------------------------------------------------------------------------------------------
# Everything said about one training's agenda is one thread, "agenda:<event id>", named by the training's title.
# Its followers: the members who edited the agenda or the training (they have changes recorded) or are
# responsible for one of its items, and whoever chose to follow it; a member who muted it is never told. One
# notice per change (the mailer folds a thread's notices into one mail per 10 minutes, and the default is the
# daily digest); it costs the change two statements, a SELECT of the recipients and an INSERT.

AGENDA_SUMMARIES = {
    "item.created": N_("%(name)s added “%(item)s” to the agenda of “%(title)s”"),
    "item.updated": N_("%(name)s edited “%(item)s” on the agenda of “%(title)s”"),
    "item.recreated": N_("%(name)s re-created “%(item)s” on the agenda of “%(title)s”"),
    "item.moved": N_("%(name)s moved “%(item)s” on the agenda of “%(title)s”"),
    "item.deleted": N_("%(name)s deleted “%(item)s” from the agenda of “%(title)s”"),
    "item.restored": N_("%(name)s restored “%(item)s” on the agenda of “%(title)s”"),
    "item.restored_version": N_("%(name)s restored an earlier version of “%(item)s” on the agenda of “%(title)s”"),
    "event.updated": N_("%(name)s changed the details of the training “%(title)s”"),
}
MENTION_SUMMARY = N_("%(name)s mentioned you in the notes of “%(item)s” on the agenda of “%(title)s”")


def agenda_thread(event_id: int) -> str:
    return f"agenda:{event_id}"


def agenda_followers(event_id: int) -> Select:
    """The members who follow the training's agenda by taking part in it: they changed it (or the training), or
    they are responsible for one of its items."""
    edited = select(AgendaChange.user_id).where(AgendaChange.event_id == event_id)
    responsible = select(AgendaItem.responsible_id).where(
        AgendaItem.event_id == event_id, AgendaItem.deleted_at.is_(None)
    )
    return select(User.id).where(or_(User.id.in_(edited), User.id.in_(responsible)))


def follows(user_id: int, event_id: int) -> tuple[str | None, bool]:
    """The member's own choice for the agenda ("follow", "mute" or None), and whether they follow it by taking
    part in it; one query."""
    state, taking_part = db.session.execute(
        select(
            select(Subscription.state)
            .where(Subscription.user_id == user_id, Subscription.thread == agenda_thread(event_id))
            .scalar_subquery(),
            select(AgendaChange.id).where(AgendaChange.event_id == event_id, AgendaChange.user_id == user_id).exists()
            | select(AgendaItem.id)
            .where(
                AgendaItem.event_id == event_id,
                AgendaItem.responsible_id == user_id,
                AgendaItem.deleted_at.is_(None),
            )
            .exists(),
        )
    ).one()
    return state, bool(taking_part)


def _tell_followers(
    actor: User | None,
    event: TrainingEvent,
    action: str,
    item: AgendaItem | None = None,
    *,
    notes_before: str | None = None,
    url: str | None = None,
) -> None:
    """Tell the agenda's followers of ``actor``'s change (``action``, one of AGENDA_SUMMARIES), and the members
    the item's notes newly mention (``notes_before``: the notes before the change; None: the notes did not
    change) that they are mentioned, instead."""
    if actor is None:
        return
    thread = agenda_thread(event.id)
    url = url or event_url(event.id, f"item-{item.id}" if item is not None else None)
    params = {"name": actor.display_name, "title": event.title}
    if item is not None:
        params["item"] = item.title
    recipients = agenda_followers(event.id)
    mentioned = mentions.added(notes_before, item.notes) if item is not None and notes_before is not None else set()
    if mentioned:
        notify(
            "mention",
            mentioned,
            thread=thread,
            title=event.title,
            summary=MENTION_SUMMARY,
            params=params,
            url=url,
            actor=actor,
        )
        recipients = recipients.where(User.id.not_in(mentioned))
    notify(
        "agenda",
        recipients,
        thread=thread,
        title=event.title,
        summary=AGENDA_SUMMARIES[action],
        params=params,
        url=url,
        actor=actor,
        followers=True,
    )


def create_event(actor: User, values: dict[str, Any], slug: str | None = None) -> TrainingEvent:
    values = dict(values)
    values.setdefault("status", "proposed")
    if not values.get("time_zone"):
        values["time_zone"] = event_time_zone(values.get("city", ""), values.get("country", ""))
    if not has_role(actor, "moderator"):
        values["status"] = "proposed"
    _check_event(values)
    _each_audience_once(values)
    year = values["first_day"].year if values.get("first_day") else ""
    event = TrainingEvent(
        slug=slug or unique_slug(f"{values['city']} {year} training"),
        proposed_by_id=actor.id,
        **{name: values[name] for name in EVENT_FIELDS if name in values},
    )
    db.session.add(event)
    db.session.flush()
    db.session.add(
        AgendaChange(
            event_id=event.id,
            user_id=actor.id,
            action="event.created",
            fields=[],
            before=None,
            after=event_snapshot(event),
        )
    )
    audit.record(
        actor,
        "agendas.event_proposed",
        event,
        summary=N_("proposed the training “%(title)s”"),
        params={"title": event.title},
        url=event_url(event.id),
    )
    db.session.commit()
    return event


class EventConflict(RuleViolation):
    """Someone saved the event after this form was opened: nothing was saved; both versions are shown."""

    def __init__(self, current: TrainingEvent) -> None:
        super().__init__(
            gettext(
                "Someone else saved this event while you were editing it. Nothing was saved yet: compare your "
                "version with the saved one below, then save again to keep yours."
            ),
            status=409,
        )
        self.current = current


def update_event(actor: User, event_id: int, version: int, values: dict[str, Any]) -> TrainingEvent:
    event = lock_event(event_id)
    values = {name: value for name, value in values.items() if name in EVENT_FIELDS}
    if not has_role(actor, "moderator"):
        values.pop("status", None)
    if not values.get("time_zone"):
        values["time_zone"] = event_time_zone(values.get("city", event.city), values.get("country", event.country))
    merged = {**{name: getattr(event, name) for name in EVENT_FIELDS}, **values}
    _check_event(merged)
    _each_audience_once(values)
    if event.version != version:
        raise EventConflict(event)
    days = merged["days"]
    if days < event.days:
        beyond = db.session.execute(
            select(func.count())
            .select_from(AgendaItem)
            .where(AgendaItem.event_id == event.id, AgendaItem.day > days, AgendaItem.deleted_at.is_(None))
        ).scalar_one()
        if beyond:
            raise RuleViolation(
                ngettext(
                    "%(num)d agenda item is on a day after day %(day)d. Move or delete it first.",
                    "%(num)d agenda items are on days after day %(day)d. Move or delete them first.",
                    beyond,
                    day=days,
                ),
                field="days",
                status=409,
            )
    before = event_snapshot(event)
    changes = {name: value for name, value in values.items() if getattr(event, name) != value}
    if not changes:
        db.session.commit()
        return event
    result = db.session.execute(
        update(TrainingEvent)
        .where(TrainingEvent.id == event.id, TrainingEvent.version == version)
        .values(
            **changes,
            version=TrainingEvent.version + 1,
            agenda_version=TrainingEvent.agenda_version + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # cannot happen under the lock; kept as the compare-and-set it is
        db.session.rollback()
        raise EventConflict(db.session.get(TrainingEvent, event_id, populate_existing=True))
    db.session.expire(event)
    after = event_snapshot(event)
    fields = changed_fields(before, after, EVENT_FIELDS)
    db.session.add(
        AgendaChange(
            event_id=event.id, user_id=actor.id, action="event.updated", fields=fields, before=before, after=after
        )
    )
    summary = STATUS_SUMMARIES.get(event.status, UPDATED_SUMMARY) if "status" in fields else UPDATED_SUMMARY
    search_entries.update_event(event.id)
    audit.record(
        actor,
        "agendas.event_updated",
        event,
        summary=summary,
        params={"title": event.title},
        url=event_url(event.id),
        details={name: [before.get(name), after.get(name)] for name in fields if name != "description"},
    )
    _tell_followers(actor, event, "event.updated")
    db.session.commit()
    return event


# The audit log's sentences for an event's update: one whole message each (word order differs by language).
UPDATED_SUMMARY = N_("updated the training “%(title)s”")
STATUS_SUMMARIES = {
    "proposed": N_("marked the training “%(title)s” proposed"),
    "confirmed": N_("marked the training “%(title)s” confirmed"),
    "completed": N_("marked the training “%(title)s” completed"),
    "cancelled": N_("marked the training “%(title)s” cancelled"),
}


def lock_event(event_id: int) -> TrainingEvent:
    """The event, freshly read and locked until the transaction ends. Every agenda change begins here, so
    changes to one agenda are serialised and always lock in the same order (event, then items)."""
    event = db.session.execute(
        select(TrainingEvent)
        .where(TrainingEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if event is None:
        raise LookupError(f"no event {event_id}")
    return event


def lock_event_with_item(event_id: int, item_id: int) -> tuple[TrainingEvent, AgendaItem | None]:
    """``lock_event``, and in the same statement the event's item ``item_id`` (None if the event has no such
    item): what a save needs first.

    Both rows are locked as an UPDATE locks them (``FOR NO KEY UPDATE``: a new row that refers to the item
    may still be added meanwhile), the event first: PostgreSQL takes the locks in the order ``OF`` names them,
    which is the order every agenda change takes them (tests/agendas/test_save_under_lock.py checks it). On
    PostgreSQL a statement that waited for a lock returns the newest version of each row it locks; a row it
    only joined would be read as it was when the statement began (a save that waited answered 200 with the
    old item instead of 409). SQLite's write transaction took the write lock when it began, so nothing read in
    it can be older than the lock. Rows the session holds already are refreshed (``populate_existing``)."""
    found = db.session.execute(_LOCK_ROWS, {"event_id": event_id, "item_id": item_id}).first()
    if found is None:  # no such event, or no such item in it (FOR UPDATE does not go with an outer join)
        return lock_event(event_id), None
    event, item = found
    return event, item


_LOCK_ROWS = (
    select(TrainingEvent, AgendaItem)
    .join(AgendaItem, (AgendaItem.event_id == TrainingEvent.id) & (AgendaItem.id == bindparam("item_id")))
    .where(TrainingEvent.id == bindparam("event_id"))
    .with_for_update(of=[TrainingEvent, AgendaItem], key_share=True)
    .execution_options(populate_existing=True)
)


def lock_agenda(actor: User, event_id: int, locked: TrainingEvent | None = None) -> TrainingEvent:
    """Lock the event for an agenda change by ``actor``, who must be allowed to make it (checked here too,
    under the lock, so a status changed meanwhile counts).

    ``locked``: the event as ``lock_event`` returned it earlier in this same transaction (the view locks it
    first, to check the form against it); it is not read again."""
    if locked is not None and locked.id == event_id:
        event = locked
    else:
        event = lock_event(event_id)
    if not can(actor, "agendas.edit_agenda", event):
        raise RuleViolation(
            gettext(
                "Your role does not allow changing this agenda (completed and cancelled agendas are edited by "
                "moderators)."
            ),
            status=403,
        )
    return event


def bump_agenda(event_id: int) -> int:
    """Raise the event's agenda version (open pages poll it); returns the new version."""
    return db.session.connection().execute(_BUMP_AGENDA, {"event_id": event_id}).scalar_one()


# Statements the agenda's changes run, built once (SQLAlchemy caches their compiled form). The writes run as
# Core statements on the session's connection (``db.session.connection().execute``): in its transaction, seen
# by every engine event, without the ORM's bulk-DML layer, which they do not need (nothing of theirs is
# tracked in the session) and which doubled their cost.
_BUMP_AGENDA = (
    update(TrainingEvent)
    .where(TrainingEvent.id == bindparam("event_id"))
    .values(agenda_version=TrainingEvent.agenda_version + 1)
    .returning(TrainingEvent.agenda_version)
)
_RECORD_CHANGE = insert(AgendaChange).inline()  # inline: no RETURNING of the new id, which nothing reads
_CLEAR_PRESENCE = delete(AgendaPresence).where(
    AgendaPresence.user_id == bindparam("user_id"), AgendaPresence.item_id == bindparam("item_id")
)
# The compare-and-set of an edit: every field from the form, only if the item is still at the version the editor
# began from.
_SAVE_ITEM = (
    update(AgendaItem)
    .where(AgendaItem.id == bindparam("item_id"), AgendaItem.version == bindparam("base_version"))
    .where(AgendaItem.deleted_at.is_(None))
    .values(
        **{name: bindparam(f"new_{name}") for name in ITEM_FIELDS},
        version=AgendaItem.version + 1,
        updated_at=bindparam("new_updated_at"),
        updated_by_id=bindparam("new_updated_by_id"),
    )
)


# Items --------------------------------------------------------------------------------------------------------


def item_problems(
    event: TrainingEvent, values: dict[str, Any], *, check_people: bool = True, current: AgendaItem | None = None
) -> dict[str, str]:
    """Everything wrong with an item's values, field by field (the form shows each beside its field).

    The responsible person is looked up only when it is set and differs from ``current``'s."""
    problems = timeplan.slot_problems(
        day=values.get("day"),
        days=event.days,
        start=values.get("start"),
        end=values.get("end"),
        day_start=event.day_start,
        day_end=event.day_end,
    )
    if values.get("start") is None:
        problems["start"] = gettext("Enter the start time (for example 09:30).")
    if values.get("end") is None:
        problems["end"] = gettext("Enter the end time (for example 10:15).")
    title = (values.get("title") or "").strip()
    if not title:
        problems["title"] = gettext("Enter a title.")
    elif len(title) > TITLE_MAX:
        problems["title"] = gettext(
            "The title is %(length)s characters long; at most %(max)s are allowed.",
            length=format_number(len(title)),
            max=format_number(TITLE_MAX),
        )
    if values.get("kind") not in ITEM_KINDS:
        problems["kind"] = gettext("Choose the kind of slot from the list.")
    if len(values.get("speakers") or "") > SPEAKERS_MAX:
        problems["speakers"] = gettext("At most %(max)s characters.", max=format_number(SPEAKERS_MAX))
    if len(values.get("notes") or "") > NOTES_MAX:
        problems["notes"] = gettext(
            "The notes are %(length)s characters long; at most %(max)s are allowed.",
            length=format_number(len(values["notes"])),
            max=format_number(NOTES_MAX),
        )
    responsible = values.get("responsible_id")
    unchanged = current is not None and current.responsible_id == responsible
    if (
        check_people
        and responsible is not None
        and not unchanged
        and not db.session.execute(select(User.id).where(User.id == responsible, User.active.is_(True))).first()
    ):
        problems["responsible_id"] = gettext("Choose a member of the group, or nobody.")
    return problems


class ItemProblems(RuleViolation):
    """An item's values break the agenda's rules (422): ``problems`` has every message by field; the first is
    the violation's own message and field."""

    def __init__(self, problems: dict[str, str]) -> None:
        name, message = next(iter(problems.items()))
        super().__init__(message, field=name, status=422)
        self.problems = problems


def _check_item(event: TrainingEvent, values: dict[str, Any], current: AgendaItem | None = None) -> None:
    problems = item_problems(event, values, current=current)
    if problems:
        raise ItemProblems(problems)


def check_room(event: TrainingEvent, day: int, *, field: str | None = "day") -> None:
    """Refuse (422) a change that would put more than ``ITEMS_PER_DAY_MAX`` items on ``day`` of the event.
    Called under the event's lock, so concurrent additions cannot pass it together."""
    count = db.session.execute(
        select(func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.event_id == event.id, AgendaItem.day == day, AgendaItem.deleted_at.is_(None))
    ).scalar_one()
    if count >= ITEMS_PER_DAY_MAX:
        raise RuleViolation(
            gettext(
                "Day %(day)d has %(count)d items already, the most one agenda day can hold (%(max)d). Delete or "
                "merge an item of that day, or choose another day.",
                day=day,
                count=count,
                max=ITEMS_PER_DAY_MAX,
            ),
            field=field,
            status=422,
        )


def clean_item_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: values.get(name) for name in ITEM_FIELDS}
    cleaned["title"] = (cleaned["title"] or "").strip()
    cleaned["speakers"] = (cleaned["speakers"] or "").strip()
    cleaned["notes"] = (cleaned["notes"] or "").replace("\r\n", "\n").strip()
    return cleaned


def _fresh_item(event_id: int, item_id: int) -> AgendaItem:
    item = db.session.execute(
        select(AgendaItem)
        .where(AgendaItem.id == item_id, AgendaItem.event_id == event_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if item is None:
        raise LookupError(f"no item {item_id} in event {event_id}")
    return item


def _day_items(event_id: int, day: int) -> list[AgendaItem]:
    return list(
        db.session.execute(
            select(AgendaItem)
            .where(AgendaItem.event_id == event_id, AgendaItem.day == day, AgendaItem.deleted_at.is_(None))
            .order_by(AgendaItem.start, AgendaItem.position, AgendaItem.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def _record(actor: User | None, item: AgendaItem, action: str, before: dict | None, after: dict | None) -> None:
    _record_all(actor, [(item, action, before, after)])


def _record_all(actor: User | None, changes: list[tuple[AgendaItem, str, dict | None, dict | None]]) -> None:
    """Record changes to items (item, action, before, after) in one INSERT (an executemany for several).
    A plain INSERT: nothing reads the new rows back in this transaction, so the ORM need not track them."""
    now = utcnow()
    db.session.connection().execute(
        _RECORD_CHANGE,
        [
            {
                "event_id": item.event_id,
                "item_id": item.id,
                "user_id": getattr(actor, "id", None),
                "created_at": now,
                "action": action,
                "fields": changed_fields(before, after),
                "before": before,
                "after": after,
            }
            for item, action, before, after in changes
        ],
    )
    items = {item.id: item for item, _action, _before, _after in changes}
    events = {item.event_id for item in items.values()}
    for event_id in events:  # (one: the changes of one request are on one agenda, locked and loaded)
        event = db.session.get(TrainingEvent, event_id)
        search_entries.put_items(event, (item for item in items.values() if item.event_id == event_id))


def _audit(actor: User | None, action: str, item: AgendaItem, event: TrainingEvent, summary: str) -> None:
    """``summary``: an English message (``N_``) whose placeholders are the item's ``title`` and the ``event``'s."""
    if actor is None:
        return
    audit.record(
        actor,
        action,
        item,
        summary=summary,
        params={"title": item.title, "event": event.title},
        url=event_url(event.id, f"item-{item.id}"),
    )


@dataclass
class Saved:
    """What an agenda change did: the item, the new agenda version, and whether the order may have changed."""

    item: AgendaItem
    agenda_version: int | None
    event: TrainingEvent | None = None
    reordered: bool = False
    message: str = ""
    moved: list[AgendaItem] = field(default_factory=list)


def create_item(actor: User, event_id: int, values: dict[str, Any]) -> Saved:
    event = lock_agenda(actor, event_id)
    values = clean_item_values(values)
    _check_item(event, values)
    check_room(event, values["day"])
    last = db.session.execute(
        select(func.max(AgendaItem.position)).where(AgendaItem.event_id == event.id, AgendaItem.day == values["day"])
    ).scalar_one()
    item = AgendaItem(event_id=event.id, position=(last or 0) + 1, updated_by_id=actor.id, **values)
    db.session.add(item)
    db.session.flush()
    _record(actor, item, "item.created", None, item_snapshot(item))
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_added", item, event, N_("added “%(title)s” to the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.created", item, notes_before="")
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=version,
        reordered=True,
        message=gettext("Added “%(title)s” to day %(day)d.", title=item.title, day=item.day),
    )


class EditConflict(RuleViolation):
    """The item changed (or was deleted) after the editor was opened. Nothing was saved; the view shows the
    user's text beside the saved one."""

    def __init__(self, current: AgendaItem, mine: dict[str, Any], base: dict[str, Any] | None = None) -> None:
        if current.deleted_at is not None:
            message = gettext(
                "This item was deleted while you were editing it. Your text is kept below: re-create the item "
                "with it, or discard it."
            )
        else:
            message = gettext(
                "Someone else saved this item while you were editing it. Nothing was saved yet: your text is "
                "kept below beside the saved text."
            )
        super().__init__(message, status=409)
        self.current = current
        self.mine = mine
        self.base = base

    @property
    def deleted(self) -> bool:
        return self.current.deleted_at is not None


def save_item(actor: User, event_id: int, item_id: int, version: int, values: dict[str, Any]) -> Saved:
    """Save an edit of the item begun from ``version``, in one transaction: lock the event and the item, check
    the values (ItemProblems, 422) and the version (EditConflict, 409, with both texts: nothing saved), write
    the item only if it is still at ``version`` (compare-and-set), record the change, clear the editor's
    presence, raise the agenda version, audit, commit. LookupError: no such event or item."""
    locked, found = lock_event_with_item(event_id, item_id)  # one statement: the event, then the item
    event = lock_agenda(actor, event_id, locked)
    item = found if found is not None else _fresh_item(event.id, item_id)  # none: LookupError, as a 404
    values = clean_item_values(values)
    _check_item(event, values, current=item)
    if item.deleted_at is not None or item.version != version:
        conflict = EditConflict(item, values, base_snapshot(item.id, version))
        db.session.rollback()
        raise conflict
    if values["day"] != item.day:
        check_room(event, values["day"])
    changes = {name: value for name, value in values.items() if getattr(item, name) != value}
    if not changes:
        clear_presence(actor.id, item.id)
        db.session.commit()
        return Saved(
            item, event=event, agenda_version=None, message=gettext("No changes to “%(title)s”.", title=item.title)
        )
    before = item_snapshot(item)
    now = utcnow()
    result = db.session.connection().execute(
        _SAVE_ITEM,
        {
            **{f"new_{name}": value for name, value in values.items()},
            "new_updated_at": now,
            "new_updated_by_id": actor.id,
            "item_id": item.id,
            "base_version": version,
        },
    )
    if result.rowcount != 1:  # cannot happen under the lock; kept as the compare-and-set it is
        db.session.rollback()
        raise EditConflict(_fresh_item(event_id, item_id), values, base_snapshot(item_id, version))
    # The row is what the UPDATE made it: say so to the loaded object instead of reading it back.
    for name, value in {**changes, "version": version + 1, "updated_at": now, "updated_by_id": actor.id}.items():
        set_committed_value(item, name, value)
    _record(actor, item, "item.updated", before, item_snapshot(item))
    clear_presence(actor.id, item.id)
    set_committed_value(event, "agenda_version", bump_agenda(event.id))
    _audit(actor, "agendas.item_edited", item, event, N_("edited “%(title)s” on the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.updated", item, notes_before=before["notes"])
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=event.agenda_version,
        reordered=any(name in changes for name in ("day", "start", "end")),
        message=gettext("Saved “%(title)s”.", title=item.title),
    )


def recreate_item(actor: User, event_id: int, item_id: int, values: dict[str, Any]) -> Saved:
    """Bring back an item someone deleted while this user was editing it, with this user's text."""
    event = lock_agenda(actor, event_id)
    values = clean_item_values(values)
    item = _fresh_item(event.id, item_id)
    _check_item(event, values, current=item)
    if item.deleted_at is None:  # someone restored it meanwhile: compare again rather than overwrite
        conflict = EditConflict(item, values, None)
        db.session.rollback()
        raise conflict
    check_room(event, values["day"])
    before = item_snapshot(item)
    for name, value in values.items():
        setattr(item, name, value)
    item.deleted_at = None
    item.version = before["version"] + 1
    item.updated_at = utcnow()
    item.updated_by_id = actor.id
    db.session.flush()
    _record(actor, item, "item.recreated", before, item_snapshot(item))
    clear_presence(actor.id, item.id)
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_recreated", item, event, N_("re-created “%(title)s” on the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.recreated", item, notes_before=before["notes"])
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=version,
        reordered=True,
        message=gettext("Re-created “%(title)s” with your text.", title=item.title),
    )


MOVES = ("earlier", "later", "day")


def move_item(actor: User, event_id: int, item_id: int, direction: str, to_day: int | None = None) -> Saved:
    """Move an item one place earlier or later in its day (it swaps slots with its neighbour, both keeping
    their lengths), or to another day (at the same time if that is free there, else after its last item).
    Works on the agenda as it is now, under the event's lock: two people moving at once never lose or
    duplicate an item."""
    locked, found = lock_event_with_item(event_id, item_id)  # one statement: the event, then the item
    event = lock_agenda(actor, event_id, locked)
    item = found if found is not None else _fresh_item(event.id, item_id)  # none: LookupError, as a 404
    if item.deleted_at is not None:
        raise RuleViolation(
            gettext("“%(title)s” was deleted in the meantime; it cannot be moved.", title=item.title), status=409
        )
    if direction == "day":
        if to_day is None or not 1 <= to_day <= event.days:
            raise RuleViolation(
                gettext("Choose a day of the event (1 to %(days)d).", days=event.days), field="day", status=422
            )
        if to_day == item.day:
            raise RuleViolation(
                gettext("“%(title)s” is on day %(day)d already.", title=item.title, day=to_day), status=409
            )
        check_room(event, to_day, field=None)
        before = item_snapshot(item)
        message = _place_on_day(event, item, to_day)
        moved = [(item, before)]
    elif direction in ("earlier", "later"):
        ordered = _day_items(event.id, item.day)
        previous, current, following = timeplan.neighbours(ordered, item.id)
        if direction == "earlier":
            if previous is None:
                raise RuleViolation(
                    gettext("“%(title)s” is the first item of day %(day)d already.", title=item.title, day=item.day),
                    status=409,
                )
            first, second = previous, current
        else:
            if following is None:
                raise RuleViolation(
                    gettext("“%(title)s” is the last item of day %(day)d already.", title=item.title, day=item.day),
                    status=409,
                )
            first, second = current, following
        try:
            new_second, new_first = timeplan.swap_with_previous(_span(first), _span(second))
        except ValueError:
            raise RuleViolation(gettext("That move would push a slot past midnight."), status=409) from None
        moved = [(first, item_snapshot(first)), (second, item_snapshot(second))]
        first.start, first.end = timeplan.clock(new_first.start), timeplan.clock(new_first.end)
        second.start, second.end = timeplan.clock(new_second.start), timeplan.clock(new_second.end)
        if direction == "earlier":
            message = gettext("Moved “%(title)s” earlier: now %(slot)s.", title=item.title, slot=_slot_text(item))
        else:
            message = gettext("Moved “%(title)s” later: now %(slot)s.", title=item.title, slot=_slot_text(item))
    else:
        raise RuleViolation(gettext("Choose earlier, later or another day."), status=422)
    now = utcnow()
    for moved_item, before in moved:
        moved_item.version = before["version"] + 1
        moved_item.updated_at = now
        moved_item.updated_by_id = actor.id
        # Written even when it was this member already: the swapped items then take the same columns, and the
        # flush writes them in one executemany UPDATE rather than one statement each.
        flag_modified(moved_item, "updated_by_id")
    db.session.flush()
    _record_all(actor, [(moved_item, "item.moved", before, item_snapshot(moved_item)) for moved_item, before in moved])
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_moved", item, event, N_("moved “%(title)s” on the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.moved", item)
    db.session.commit()
    return Saved(
        item, event=event, agenda_version=version, reordered=True, message=message, moved=[m for m, _ in moved]
    )


def _place_on_day(event: TrainingEvent, item: AgendaItem, to_day: int) -> str:
    """Put ``item`` on day ``to_day``: at the same time when that time is free there, else right after the
    day's last item (same length). Says what it did; refuses (409) when the item would run past midnight."""
    others = _day_items(event.id, to_day)
    span = _span(item)
    clash = next((other for other in others if _span(other).start < span.end and span.start < _span(other).end), None)
    item.position = max((other.position for other in others), default=0) + 1
    if clash is None:
        item.day = to_day
        return gettext(
            "Moved “%(title)s” to day %(day)d, at the same time (%(slot)s), which was free there.",
            title=item.title,
            day=to_day,
            slot=_slot_text(item),
        )
    start = max(timeplan.minutes(other.end) for other in others)
    end = start + span.length
    if end >= 24 * 60:
        raise RuleViolation(
            gettext(
                "“%(title)s” was not moved: on day %(day)d, %(slot)s is taken by “%(other)s”, and after the day's "
                "last item (which ends at %(end)s) it would run past midnight. Make room on that day first, or "
                "edit the item's times.",
                title=item.title,
                day=to_day,
                slot=_slot_text(item),
                other=clash.title,
                end=timeplan.format_clock(timeplan.clock(start)),
            ),
            status=409,
        )
    taken = _slot_text(item)
    item.day, item.start, item.end = to_day, timeplan.clock(start), timeplan.clock(end)
    message = gettext(
        "Moved “%(title)s” to day %(day)d. %(taken)s was taken there by “%(other)s”, so it now follows the day's "
        "last item: %(slot)s.",
        title=item.title,
        day=to_day,
        taken=taken,
        other=clash.title,
        slot=_slot_text(item),
    )
    if end > timeplan.minutes(event.day_end):  # a sentence of its own, after the first
        message += " " + gettext(
            "That is after the day's end (%(end)s): check the times.", end=timeplan.format_clock(event.day_end)
        )
    return message


def _slot_text(item: AgendaItem) -> str:
    return f"{timeplan.format_clock(item.start)}–{timeplan.format_clock(item.end)}"


def _span(item: AgendaItem) -> timeplan.Span:
    return timeplan.Span(timeplan.minutes(item.start), timeplan.minutes(item.end))


def delete_item(actor: User, event_id: int, item_id: int) -> Saved:
    """Mark the item deleted (undo and history bring it back whole). Deleting it twice is harmless."""
    locked, found = lock_event_with_item(event_id, item_id)  # one statement: the event, then the item
    event = lock_agenda(actor, event_id, locked)
    item = found if found is not None else _fresh_item(event.id, item_id)  # none: LookupError, as a 404
    if item.deleted_at is not None:
        db.session.commit()
        return Saved(
            item,
            event=event,
            agenda_version=None,
            message=gettext("“%(title)s” was deleted already.", title=item.title),
        )
    before = item_snapshot(item)
    item.deleted_at = utcnow()
    item.version = before["version"] + 1
    item.updated_by_id = actor.id
    db.session.flush()
    _record(actor, item, "item.deleted", before, item_snapshot(item))
    db.session.execute(delete(AgendaPresence).where(AgendaPresence.item_id == item.id))
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_deleted", item, event, N_("deleted “%(title)s” from the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.deleted", item, url=history_url(event.id, item.id))
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=version,
        reordered=True,
        message=gettext("Deleted “%(title)s”.", title=item.title),
    )


def undo_delete(actor: User, event_id: int, item_id: int) -> Saved:
    locked, found = lock_event_with_item(event_id, item_id)  # one statement: the event, then the item
    event = lock_agenda(actor, event_id, locked)
    item = found if found is not None else _fresh_item(event.id, item_id)  # none: LookupError, as a 404
    if item.deleted_at is None:
        db.session.commit()
        return Saved(
            item,
            event=event,
            agenda_version=None,
            message=gettext("“%(title)s” is on the agenda already.", title=item.title),
        )
    _check_day(event, item.day)
    check_room(event, item.day, field=None)
    before = item_snapshot(item)
    item.deleted_at = None
    item.version = before["version"] + 1
    item.updated_by_id = actor.id
    db.session.flush()
    _record(actor, item, "item.restored", before, item_snapshot(item))
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_restored", item, event, N_("restored “%(title)s” on the agenda of “%(event)s”"))
    _tell_followers(actor, event, "item.restored", item)
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=version,
        reordered=True,
        message=gettext("Restored “%(title)s”.", title=item.title),
    )


def _check_day(event: TrainingEvent, day: int) -> None:
    if not 1 <= day <= event.days:
        raise RuleViolation(
            ngettext(
                "This item is on day %(day)d, but the event has %(num)d day now. Add a day to the event first.",
                "This item is on day %(day)d, but the event has %(num)d days now. Add a day to the event first.",
                event.days,
                day=day,
            ),
            status=409,
        )


def restorable_state(change: AgendaChange) -> dict[str, Any] | None:
    """The item state a history entry offers to restore: the state the change produced, or for a deletion,
    the item as it was just before."""
    if change.item_id is None:
        return None
    if change.after and not change.after.get("deleted"):
        return change.after
    return change.before


def restore_version(actor: User, event_id: int, change_id: int) -> Saved:
    """Make an item (deleted or not) what it was at an entry of the history, in one step that is itself
    recorded."""
    event = lock_agenda(actor, event_id)
    change = db.session.execute(
        select(AgendaChange).where(AgendaChange.id == change_id, AgendaChange.event_id == event.id)
    ).scalar_one_or_none()
    state = restorable_state(change) if change is not None else None
    if change is None or state is None or change.item_id is None:
        raise LookupError(f"no restorable change {change_id} in event {event_id}")
    item = _fresh_item(event.id, change.item_id)
    values = values_from_snapshot(state)
    _check_day(event, values["day"])
    if item.deleted_at is not None or values["day"] != item.day:
        check_room(event, values["day"], field=None)
    before = item_snapshot(item)
    for name, value in values.items():
        setattr(item, name, value)
    item.deleted_at = None
    item.version = before["version"] + 1
    item.updated_at = utcnow()
    item.updated_by_id = actor.id
    db.session.flush()
    after = item_snapshot(item)
    after["restored_from"] = change.id
    _record(actor, item, "item.restored", before, after)
    version = bump_agenda(event.id)
    _audit(actor, "agendas.item_restored", item, event, N_("restored an earlier version of “%(title)s”"))
    _tell_followers(actor, event, "item.restored_version", item, notes_before=before["notes"])
    db.session.commit()
    return Saved(
        item,
        event=event,
        agenda_version=version,
        reordered=True,
        message=gettext("Restored “%(title)s” as it was.", title=item.title),
    )


# Conflicts ----------------------------------------------------------------------------------------------------


def base_snapshot(item_id: int, version: int) -> dict[str, Any] | None:
    """The item as it was at ``version`` (what an editor began from), from its history."""
    changes = db.session.execute(
        select(AgendaChange.after).where(AgendaChange.item_id == item_id).order_by(AgendaChange.id.desc()).limit(200)
    ).scalars()
    for after in changes:
        if after and after.get("version") == version:
            return after
    return None


def merge_values(
    base: dict[str, Any] | None, mine: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """A field-by-field three-way merge: a field only one side changed takes that side's value; a field both
    changed differently keeps mine and is listed as a clash. Without the base, every difference clashes."""
    merged, clashes = {}, []
    for name in ITEM_FIELDS:
        mine_value, their_value = mine.get(name), theirs.get(name)
        if mine_value == their_value:
            merged[name] = mine_value
            continue
        base_value = _plain(base.get(name)) if base else object()
        if base is not None and _plain(mine_value) == base_value:
            merged[name] = their_value
        elif base is not None and _plain(their_value) == base_value:
            merged[name] = mine_value
        else:
            merged[name] = mine_value
            clashes.append(name)
    return merged, clashes


# Presence -----------------------------------------------------------------------------------------------------


def touch_presence(user_id: int, event_id: int, item_id: int) -> None:
    """Note that ``user_id`` has the item open in an editor now (insert or refresh, one statement)."""
    now = utcnow()
    upsert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(AgendaPresence).values(event_id=event_id, item_id=item_id, user_id=user_id, seen_at=now)
    db.session.execute(statement.on_conflict_do_update(index_elements=["item_id", "user_id"], set_={"seen_at": now}))
    db.session.execute(
        delete(AgendaPresence).where(AgendaPresence.event_id == event_id, AgendaPresence.seen_at < now - PRESENCE_TTL)
    )


def clear_presence(user_id: int, item_id: int) -> None:
    db.session.connection().execute(_CLEAR_PRESENCE, {"user_id": user_id, "item_id": item_id})


@dataclass(frozen=True)
class Presence:
    item_id: int
    user_id: int
    name: str


_LIVE_PRESENCE = (
    select(AgendaPresence.item_id, AgendaPresence.user_id, User.display_name)
    .join(User, User.id == AgendaPresence.user_id)
    .where(
        AgendaPresence.event_id == bindparam("event_id"),
        AgendaPresence.seen_at >= bindparam("since"),
        AgendaPresence.user_id != bindparam("exclude"),
    )
    .order_by(AgendaPresence.item_id, User.display_name)
)


def live_presence(event_id: int, exclude_user_id: int | None) -> list[Presence]:
    """Who else has which item of the event open in an editor, active within the last two minutes."""
    params = {"event_id": event_id, "since": utcnow() - PRESENCE_TTL, "exclude": exclude_user_id or 0}
    return [Presence(*row) for row in db.session.execute(_LIVE_PRESENCE, params)]


def presence_token(presence: list[Presence]) -> str:
    """A short fingerprint of who is editing what: the poll answers 204 only while it is unchanged."""
    if not presence:
        return "0"
    text = ";".join(f"{p.item_id}:{p.user_id}" for p in presence)
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


# Reading ------------------------------------------------------------------------------------------------------


def agenda_items(event_id: int, also: set[int] | frozenset[int] = frozenset()) -> list[AgendaItem]:
    """The event's current items with their responsible people, plus the items with ids in ``also`` even
    if deleted (the editors someone has open), in one query."""
    condition = AgendaItem.deleted_at.is_(None)
    if also:
        condition = condition | AgendaItem.id.in_(also)
    return list(
        db.session.execute(
            select(AgendaItem)
            .options(joinedload(AgendaItem.responsible), joinedload(AgendaItem.updated_by))
            .where(AgendaItem.event_id == event_id, condition)
            .order_by(AgendaItem.day, AgendaItem.start, AgendaItem.position, AgendaItem.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def agenda_fingerprint(event_id: int) -> tuple[tuple[int, int, str | None], ...]:
    """What the agenda shows that its event's ``agenda_version`` does not cover, in one light query: each
    current item's id and version and its responsible person's name (a person may be renamed, or deleted,
    without any change to the agenda). With the event's versions it keys the rendered agenda's cache."""
    rows = db.session.execute(
        select(AgendaItem.id, AgendaItem.version, User.display_name)
        .outerjoin(User, User.id == AgendaItem.responsible_id)
        .where(AgendaItem.event_id == event_id, AgendaItem.deleted_at.is_(None))
        .order_by(AgendaItem.id)
    ).all()
    return tuple((item_id, version, name) for item_id, version, name in rows)


class SlotRow(NamedTuple):
    """An item as much as placing and flagging a slot needs."""

    id: int
    day: int
    start: Any
    end: Any
    title: str
    position: int


# The items of a day, and the responsible person of one of them (``item_id``), in one statement.
_DAY_SLOTS = (
    select(AgendaItem.id, AgendaItem.day, AgendaItem.start, AgendaItem.end, AgendaItem.title, AgendaItem.position, User)
    .outerjoin(User, (User.id == AgendaItem.responsible_id) & (AgendaItem.id == bindparam("item_id")))
    .where(
        AgendaItem.event_id == bindparam("event_id"),
        AgendaItem.day == bindparam("day"),
        AgendaItem.deleted_at.is_(None),
    )
)


def day_slots(event_id: int, item: AgendaItem) -> tuple[list[SlotRow], User | None]:
    """The other current items of ``item``'s day as light rows (enough to place and flag ``item``'s slot), and
    ``item``'s responsible person, as the database has them now: one statement."""
    rows = db.session.execute(_DAY_SLOTS, {"event_id": event_id, "day": item.day, "item_id": item.id}).all()
    responsible = next((row[6] for row in rows if row[0] == item.id), None)
    return [SlotRow(*row[:6]) for row in rows if row[0] != item.id], responsible


def upcoming_events(today: date, limit: int = 4) -> list[tuple[TrainingEvent, int]]:
    """Proposed and confirmed trainings from ``today`` on, with their item counts (one query). Only the
    events shown are counted: a correlated count per row, after the limit, over the event's own items."""
    count = (
        select(func.count(AgendaItem.id))
        .where(AgendaItem.event_id == TrainingEvent.id, AgendaItem.deleted_at.is_(None))
        .correlate(TrainingEvent)
        .scalar_subquery()
    )
    shown = (
        select(TrainingEvent.id)
        .where(TrainingEvent.first_day >= today, TrainingEvent.status.in_(OPEN_STATUSES))
        .order_by(TrainingEvent.first_day, TrainingEvent.id)
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(TrainingEvent, count)
        .join(shown, shown.c.id == TrainingEvent.id)
        .order_by(TrainingEvent.first_day, TrainingEvent.id)
    ).all()
    return [(event, count) for event, count in rows]


EVENTS_PAGE_SIZE = 50


@dataclass
class EventsPage:
    events: list[tuple[TrainingEvent, int]]
    total: int
    page: int
    pages: int


def list_events(
    country: str | None = None, status: str | None = None, page: int = 1, per_page: int = EVENTS_PAGE_SIZE
) -> EventsPage:
    """One page of the events (latest first) with their item counts; a page past the last shows the last."""
    conditions = []
    if country:
        conditions.append(TrainingEvent.country == country)
    if status:
        conditions.append(TrainingEvent.status == status)
    total = db.session.execute(select(func.count()).select_from(TrainingEvent).where(*conditions)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    count = (
        select(func.count(AgendaItem.id))
        .where(AgendaItem.event_id == TrainingEvent.id, AgendaItem.deleted_at.is_(None))
        .correlate(TrainingEvent)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(TrainingEvent, count)
        .where(*conditions)
        .order_by(TrainingEvent.first_day.desc(), TrainingEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return EventsPage([(event, count) for event, count in rows], total, page, pages)


HISTORY_PAGE_SIZE = 20
# The history's item filter lists at most this many items (every current one fits: 5 days x 40 items).
HISTORY_ITEM_CHOICES_MAX = 300


@dataclass
class HistoryPage:
    changes: list[AgendaChange]
    total: int
    page: int
    pages: int


def event_history(
    event_id: int, *, item_id: int | None = None, user_id: int | None = None, page: int = 1,
    per_page: int = HISTORY_PAGE_SIZE,
) -> HistoryPage:  # fmt: skip
    """One page of the event's recorded changes, newest first, of one item and/or by one person if asked.
    A page past the last shows the last."""
    condition = AgendaChange.event_id == event_id
    if item_id is not None:
        condition &= AgendaChange.item_id == item_id
    if user_id is not None:
        condition &= AgendaChange.user_id == user_id
    total = db.session.execute(select(func.count()).select_from(AgendaChange).where(condition)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    changes = db.session.execute(
        select(AgendaChange)
        .options(joinedload(AgendaChange.user))
        .where(condition)
        .order_by(AgendaChange.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return HistoryPage(list(changes), total, page, pages)


def history_item_choices(event_id: int) -> list[tuple[int, str, bool]]:
    """The items the history can be filtered by: (id, "Day 1, 09:00: title", deleted), current ones first."""
    rows = db.session.execute(
        select(AgendaItem.id, AgendaItem.day, AgendaItem.start, AgendaItem.title, AgendaItem.deleted_at)
        .where(AgendaItem.event_id == event_id)
        .order_by(AgendaItem.deleted_at.is_not(None), AgendaItem.day, AgendaItem.start, AgendaItem.id)
        .limit(HISTORY_ITEM_CHOICES_MAX)
    ).all()
    return [
        (
            item_id,
            gettext("Day %(day)d, %(time)s: %(title)s", day=day, time=timeplan.format_clock(start), title=title),
            deleted_at is not None,
        )
        for item_id, day, start, title, deleted_at in rows
    ]


def history_people(event_id: int) -> list[tuple[int, str]]:
    """Everyone who changed the event or its agenda: (id, name), by name."""
    rows = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(select(AgendaChange.user_id).where(AgendaChange.event_id == event_id)))
        .order_by(User.display_name, User.id)
    ).all()
    return [(user_id, name) for user_id, name in rows]


def items_by_id(event_id: int, ids: set[int]) -> dict[int, AgendaItem]:
    if not ids:
        return {}
    return {
        item.id: item
        for item in db.session.execute(
            select(AgendaItem).where(AgendaItem.event_id == event_id, AgendaItem.id.in_(ids))
        ).scalars()
    }


def people_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}
