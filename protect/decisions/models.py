"""The launch group's log: meetings, the decisions taken (with their status history and every edit of their
text) and the actions that carry them out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.agendas.models import TrainingEvent
from protect.core.changes import area
from protect.core.database import utcnow
from protect.decisions.rules import STATUSES
from protect.extensions import db
from protect.guidelines.models import SectionRevision
from protect.polls.models import Poll

TITLE_MAX = 200
TEXT_MAX = 20_000
MINUTES_MAX = 50_000
PLACE_MAX = 300
NOTE_MAX = 500
WHAT_MAX = 300
TAG_MAX = 40
TAGS_MAX = 12
GUEST_NAME_MAX = 120
GUEST_ORG_MAX = 200
GUESTS_MAX = 40
# Limits on what members can add to one meeting or decision, so that no page grows without bound.
ATTENDEES_MAX = 100  # members listed as present (guests: GUESTS_MAX more)
ACTIONS_MAX = 50  # actions under one decision, or under one meeting
REPLACES_MAX = 20  # decisions one decision supersedes (its "This decision replaces" links)
STATUS_CHANGES_MAX = 50  # steps on one decision's timeline


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    starts_at: Mapped[datetime] = mapped_column(index=True)  # naive UTC
    time_zone: Mapped[str] = mapped_column(String(64))  # the zone the time was entered in, shown with it
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    online: Mapped[bool] = mapped_column(default=False)
    minutes: Mapped[str] = mapped_column(Text, default="")  # Markdown
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Compare-and-set version: an edit carries the version it began from.
    version: Mapped[int] = mapped_column(default=1)

    created_by = relationship("User", lazy="raise")
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", lazy="raise", cascade="all, delete-orphan", order_by="MeetingAttendee.id"
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title!r}>"

    @property
    def where(self) -> str:
        if self.online and self.place:
            return gettext("Online (%(place)s)", place=self.place)
        if self.online:
            return gettext("Online")
        return self.place


class MeetingAttendee(db.Model):
    """A member who attended (``user_id``), or a guest known by name and organisation."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        CheckConstraint("user_id IS NOT NULL OR guest_name <> ''", name="member_or_guest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    guest_name: Mapped[str] = mapped_column(String(GUEST_NAME_MAX), default="")
    guest_organisation: Mapped[str] = mapped_column(String(GUEST_ORG_MAX), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="attendees", lazy="raise")
    user = relationship("User", lazy="raise")


class Decision(db.Model):
    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'agreed', 'implemented', 'superseded', 'withdrawn')", name="known_status"
        ),
        CheckConstraint("superseded_by_id IS NULL OR superseded_by_id <> id", name="not_superseded_by_itself"),
        Index("ix_decision_created_at_id", "created_at", "id"),
        # The log filtered by status, newest first: walked in order, it stops at the page's last row.
        Index("ix_decision_status_created_id", "status", "created_at", "id"),
        # The dashboard's open decisions due soon: one ordered range per open status. Partial, so that a count
        # of the log by status never takes it (its rows, in due-date order, are read all over the table).
        Index(
            "ix_decision_status_due_id",
            "status",
            "due_on",
            "id",
            sqlite_where=text("due_on IS NOT NULL"),
            postgresql_where=text("due_on IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str] = mapped_column(Text, default="")  # Markdown: what was decided
    rationale: Mapped[str] = mapped_column(Text, default="")  # Markdown: why
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What it is about: a training event, a revision of a Guidelines section, a poll (its result).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("training_event.id", ondelete="SET NULL"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("section_revision.id", ondelete="SET NULL"), index=True)
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Compare-and-set version of the text; raised by every edit (each kept as a DecisionVersion).
    version: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting | None] = relationship(lazy="raise")
    owner = relationship("User", foreign_keys=[owner_id], lazy="raise")
    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    superseded_by: Mapped[Decision | None] = relationship(remote_side=[id], lazy="raise")
    event: Mapped[TrainingEvent | None] = relationship(lazy="raise")
    revision: Mapped[SectionRevision | None] = relationship(lazy="raise")
    poll: Mapped[Poll | None] = relationship(lazy="raise")
    tags: Mapped[list[DecisionTag]] = relationship(
        back_populates="decision", lazy="raise", cascade="all, delete-orphan", order_by="DecisionTag.id"
    )

    def __repr__(self) -> str:
        return f"<Decision {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


class DecisionTag(db.Model):
    __tablename__ = "decision_tag"
    __table_args__ = (
        UniqueConstraint("decision_id", "key"),
        # The tag filter finds a key here; the list of tags in use takes each key's first name from it alone.
        Index("ix_decision_tag_key_name", "key", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX))  # as written
    key: Mapped[str] = mapped_column(String(TAG_MAX * 2))  # folded: what filters compare

    decision: Mapped[Decision] = relationship(back_populates="tags", lazy="raise")


class DecisionBasis(db.Model):
    """What a decision was based on, frozen when it was linked: a poll's tally, a Guidelines revision or a
    training's agenda, as a copy (``snapshot``) and the SHA-256 of its canonical JSON (``content_hash``), so
    that the decision keeps showing exactly what it was taken on, whatever happens to the source later.
    ``version``: the revision's number or the agenda's version then (to tell whether it has changed since)."""

    __tablename__ = "decision_basis"
    __table_args__ = (UniqueConstraint("decision_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "poll", "revision" or "agenda"
    ref_id: Mapped[int]  # the poll's, the revision's or the training event's id (kept if that goes)
    version: Mapped[int | None]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DecisionVersion(db.Model):
    """The text of a decision as it stood at one version: number 1 as proposed, then one per edit."""

    __tablename__ = "decision_version"
    __table_args__ = (UniqueConstraint("decision_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The decision's facts as they stood at this version (an edit of any of them makes a version). Versions
    # kept before these were recorded have ``facts_known`` false: their facts are unknown, not "none".
    facts_known: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("training_event.id", ondelete="SET NULL"))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    edited_by = relationship("User", foreign_keys=[edited_by_id], lazy="raise")


class DecisionStatusChange(db.Model):
    """One step of a decision's timeline: who moved it from which status to which, when, and why."""

    __tablename__ = "decision_status_change"
    __table_args__ = (Index("ix_decision_status_change_decision_created", "decision_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16))  # None: the decision was proposed
    to_status: Mapped[str] = mapped_column(String(16))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", lazy="raise")
    superseded_by = relationship("Decision", foreign_keys=[superseded_by_id], lazy="raise")


class ActionItem(db.Model):
    """Something to do, by someone, by a date: under a decision or a meeting."""

    __tablename__ = "action_item"
    __table_args__ = (
        CheckConstraint("decision_id IS NOT NULL OR meeting_id IS NOT NULL", name="has_parent"),
        Index("ix_action_item_owner_done", "owner_id", "done_at"),
        # The dashboard's "your open actions", soonest due first: only open actions, in the order shown.
        Index(
            "ix_action_item_open_owner_due",
            "owner_id",
            "due_on",
            "id",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(WHAT_MAX))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    decision: Mapped[Decision | None] = relationship(lazy="raise")
    meeting: Mapped[Meeting | None] = relationship(lazy="raise")
    owner = relationship("User", foreign_keys=[owner_id], lazy="raise")
    done_by = relationship("User", foreign_keys=[done_by_id], lazy="raise")

    @property
    def done(self) -> bool:
        return self.done_at is not None


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
area(
    "decisions",
    Meeting,
    MeetingAttendee,
    Decision,
    DecisionTag,
    DecisionVersion,
    DecisionBasis,
    DecisionStatusChange,
    ActionItem,
)
