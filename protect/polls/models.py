"""Location votes: polls, their candidate locations, ballots and the marks on them."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.core.database import utcnow
from protect.core.regions import country_name
from protect.extensions import db
from protect.polls.tally import METHOD_LABELS, RANKED_METHODS

QUESTION_MAX = 300
DESCRIPTION_MAX = 10_000
CITY_MAX = 120
NOTES_MAX = 1_000
REASON_MAX = 500
OPTIONS_MIN = 2
OPTIONS_MAX = 12


def new_seed() -> str:
    return secrets.token_hex(8)


class Poll(db.Model):
    __tablename__ = "poll"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("method IN ('single', 'approval', 'irv', 'schulze')", name="known_method"),
        Index("ix_poll_closes_at_opens_at", "closes_at", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    method: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime]  # naive UTC
    closes_at: Mapped[datetime]  # naive UTC; closing early moves it to the moment of closing
    time_zone: Mapped[str] = mapped_column(String(64))  # the zone the moderator entered the times in
    secret: Mapped[bool] = mapped_column(default=True)
    live_results: Mapped[bool] = mapped_column(default=False)  # running results visible before the close
    # Fixed when the poll is created, before any ballot: the lot order of the runoff's last tie-break.
    tie_break_seed: Mapped[str] = mapped_column(String(32), default=new_seed)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Compare-and-set version of the poll's own fields and options.
    version: Mapped[int] = mapped_column(default=1)
    # Raised by every ballot cast or changed: what the live parts of the poll page poll for.
    ballot_version: Mapped[int] = mapped_column(default=0)

    created_by = relationship("User", lazy="raise")
    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", lazy="raise", order_by="PollOption.position", cascade="all, delete-orphan"
    )
    schedule_changes: Mapped[list[PollScheduleChange]] = relationship(
        back_populates="poll", lazy="raise", order_by="PollScheduleChange.created_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.method}>"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    @property
    def ranked(self) -> bool:
        return self.method in RANKED_METHODS

    def status(self, now: datetime | None = None) -> str:
        """ "scheduled" before the opening, "open" from the opening until the close, then "closed"."""
        now = now or utcnow()
        if now < self.opens_at:
            return "scheduled"
        if now < self.closes_at:
            return "open"
        return "closed"

    def is_open(self, now: datetime | None = None) -> bool:
        return self.status(now) == "open"

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.status(now) == "closed"

    def results_visible(self, now: datetime | None = None) -> bool:
        status = self.status(now)
        # A secret ballot never shows running results, even if a row says live_results (the forms refuse it).
        return status == "closed" or (status == "open" and self.live_results and not self.secret)


class PollOption(db.Model):
    """A candidate location."""

    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))  # indexed by the unique
    position: Mapped[int]
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    country: Mapped[str] = mapped_column(String(2))
    venue_notes: Mapped[str] = mapped_column(String(NOTES_MAX), default="")
    proposed_from: Mapped[date | None] = mapped_column(Date)
    proposed_to: Mapped[date | None] = mapped_column(Date)

    poll: Mapped[Poll] = relationship(back_populates="options", lazy="raise")

    def __repr__(self) -> str:
        return f"<PollOption {self.label}>"

    @property
    def label(self) -> str:
        if self.country == "XX":
            return self.city
        return f"{self.city}, {country_name(self.country).split(' (')[0]}"  # "Russia", not "Russia (North-West)"

    @property
    def dates_label(self) -> str:
        if self.proposed_from and self.proposed_to and self.proposed_to != self.proposed_from:
            return f"{self.proposed_from:%-d %b %Y} – {self.proposed_to:%-d %b %Y}"
        day = self.proposed_from or self.proposed_to
        return f"{day:%-d %b %Y}" if day else ""


class Ballot(db.Model):
    """One voter's ballot in one poll. Changing it replaces its marks; the row (and the constraint) stay."""

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("poll_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))  # indexed by the unique
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)  # 1 when cast, +1 for every change

    voter = relationship("User", lazy="raise")
    marks: Mapped[list[BallotMark]] = relationship(
        back_populates="ballot", lazy="raise", order_by="BallotMark.id", cascade="all, delete-orphan"
    )

    def choice(self) -> tuple[int, ...]:
        """The option ids as the tally reads them: ranked ones in order of rank."""
        marks = sorted(self.marks, key=lambda m: (m.rank is None, m.rank or 0, m.id))
        return tuple(m.option_id for m in marks)


class BallotMark(db.Model):
    """A chosen, approved or ranked option on a ballot (``rank`` only on ranked ballots)."""

    __tablename__ = "ballot_mark"
    __table_args__ = (
        UniqueConstraint("ballot_id", "option_id"),
        UniqueConstraint("ballot_id", "rank"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"))  # indexed by the unique
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None]

    ballot: Mapped[Ballot] = relationship(back_populates="marks", lazy="raise")


class PollScheduleChange(db.Model):
    """A poll extended or closed early, with the reason given: shown on the poll page."""

    __tablename__ = "poll_schedule_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "extended" | "closed_early"
    closes_before: Mapped[datetime]
    closes_after: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    poll: Mapped[Poll] = relationship(back_populates="schedule_changes", lazy="raise")
    actor = relationship("User", lazy="raise")
