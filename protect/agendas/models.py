"""Training events and their agendas: the slots, their versions, and every change to them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.i18n import N_
from protect.core.timefmt import date_range
from protect.extensions import db

# The labels are English, marked for the catalogue (N_): shown through gettext (``label()`` in the agenda's code,
# ``_()`` in templates), since other features compare and index them as they are.
AUDIENCES = {
    "law_enforcement": N_("Law enforcement"),
    "child_welfare": N_("Child welfare"),
    "ngo": N_("NGOs"),
    "child_rights": N_("Child rights advocates"),
}
EVENT_STATUSES = {
    "proposed": N_("Proposed"),
    "confirmed": N_("Confirmed"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
ITEM_KINDS = {
    "plenary": N_("Plenary"),
    "workshop": N_("Workshop"),
    "case_study": N_("Case study"),
    "panel": N_("Panel"),
    "break": N_("Break"),
    "meal": N_("Meal"),
    "travel": N_("Travel"),
}


def label(labels: dict[str, str], key: str | None) -> str:
    """The label of ``key`` in one of these tables, in the reader's language (the key itself if unknown)."""
    return gettext(labels[key]) if key in labels else (key or "")


# Kinds that count as break time, not programme time, in a day's totals.
BREAK_KINDS = frozenset({"break", "meal", "travel"})
TITLE_MAX = 200
NOTES_MAX = 20_000
SPEAKERS_MAX = 300
DAYS_MAX = 5
# Items (not deleted) one agenda day may hold: a full day in 15-minute slots is 32; an agenda page thus stays
# bounded (5 days x 40 items) however much members add.
ITEMS_PER_DAY_MAX = 40
# "Being edited by NAME" lapses after this long without activity in the editor.
PRESENCE_TTL = timedelta(minutes=2)


class TrainingEvent(db.Model):
    __tablename__ = "training_event"
    __table_args__ = (
        CheckConstraint("days BETWEEN 1 AND 5", name="days_range"),
        # The dashboard's upcoming trainings (open statuses from today on, by date).
        Index("ix_training_event_status_first_day", "status", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(300), default="")
    first_day: Mapped[date] = mapped_column(Date, index=True)
    days: Mapped[int] = mapped_column(default=2)
    day_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    day_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(60), default="English")
    capacity: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Compare-and-set version of the event's own fields (title, dates, ...).
    version: Mapped[int] = mapped_column(default=1)
    # Raised by every change to the event or its agenda: what the live agenda page polls.
    agenda_version: Mapped[int] = mapped_column(default=1)

    proposed_by = relationship("User", lazy="raise")
    items: Mapped[list[AgendaItem]] = relationship(back_populates="event", lazy="raise")

    def __repr__(self) -> str:
        return f"<TrainingEvent {self.slug}>"

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)

    @property
    def dates_label(self) -> str:
        return date_range(self.first_day, self.last_day)


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"
    __table_args__ = (
        Index("ix_agenda_item_event_day_start", "event_id", "day", "start"),
        CheckConstraint("day >= 1", name="day_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"))
    day: Mapped[int]
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    kind: Mapped[str] = mapped_column(String(16), default="plenary")
    speakers: Mapped[str] = mapped_column(String(300), default="")
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    # Tie-break among items that start at the same time.
    position: Mapped[int] = mapped_column(default=0)
    # Compare-and-set version: a save carries the version it began from (UPDATE ... WHERE version = :v).
    version: Mapped[int] = mapped_column(default=1)
    # Deleting only marks the item, so that undo and restore-from-history bring it back whole.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[TrainingEvent] = relationship(back_populates="items", lazy="raise")
    responsible = relationship("User", foreign_keys=[responsible_id], lazy="raise")
    updated_by = relationship("User", foreign_keys=[updated_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} day {self.day} {self.start}-{self.end} v{self.version}>"


class AgendaChange(db.Model):
    """One recorded change to an event or one of its items: who, when, which fields, before and after."""

    __tablename__ = "agenda_change"
    __table_args__ = (
        Index("ix_agenda_change_event_created", "event_id", "created_at"),
        # Who took part in a training's agenda (its followers, told of each change): read from the index alone.
        Index("ix_agenda_change_event_user", "event_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(24))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user = relationship("User", lazy="raise")
    item = relationship("AgendaItem", lazy="raise")


class AgendaPresence(db.Model):
    """Advisory "being edited by NAME": who has which item open in an editor, and when they last acted.

    It never blocks anyone; a row older than ``PRESENCE_TTL`` means nothing any more.
    """

    __tablename__ = "agenda_presence"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id", name="uq_agenda_presence_item_user"),
        Index("ix_agenda_presence_event_seen", "event_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="raise")


def current_items(event_id: int) -> list[AgendaItem]:
    """The event's items that are not deleted, by day and time: what the agenda shows.

    Each item's ``responsible`` person is loaded with it (same query)."""
    query = (
        select(AgendaItem)
        .options(joinedload(AgendaItem.responsible))
        .where(AgendaItem.event_id == event_id, AgendaItem.deleted_at.is_(None))
        .order_by(AgendaItem.day, AgendaItem.start, AgendaItem.position, AgendaItem.id)
    )
    return list(db.session.execute(query).scalars())


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
area("agendas", TrainingEvent, AgendaItem, AgendaChange)
area("presence", AgendaPresence, apart=True)
