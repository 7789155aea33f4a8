"""Location votes: polls, their candidate locations, who voted, the ballots and the marks on them.

Who voted and what was voted are kept apart. ``PollParticipation`` says that a member voted (turnout, "you have
voted", one ballot each) and when; ``Ballot`` + ``BallotMark`` say what was voted. An open (non-secret) poll's
ballot names its voter. A secret poll's ballot does not: it has a random id, no time, no revision, and while
the poll is open a ``voter_tag`` (a keyed hash of the voter's id, see ``polls.secrecy``) whose key is derived
from the server's SECRET_KEY and the poll's ``ballot_salt``. At the close both the salt and every tag are
erased and the ballots are rewritten in random order ("sealed"): from then on nothing links a voter to a ballot.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.regions import country_name
from protect.core.timefmt import date_range, long_date
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


# Ballot ids are random 63-bit numbers, so that neither the ids nor (on SQLite, where an INTEGER PRIMARY KEY is
# the row's key in the table's B-tree) the order rows are stored in follow the order ballots were cast.
BallotId = BigInteger().with_variant(Integer(), "sqlite")


def new_ballot_id() -> int:
    return secrets.randbelow(2**63 - 1) + 1


class Poll(db.Model):
    __tablename__ = "poll"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("method IN ('single', 'approval', 'irv', 'schulze', 'stv')", name="known_method"),
        CheckConstraint("seats >= 1", name="seats_positive"),
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
    # A secret poll's random salt (hex) from its creation until it is sealed: with SECRET_KEY, the key of the
    # voter tags that let a voter find and replace their own ballot while voting is open. Erased at the close.
    ballot_salt: Mapped[str | None] = mapped_column(String(64))
    # When a secret poll's ballots were sealed (salt and tags erased, rows rewritten in random order).
    sealed_at: Mapped[datetime | None]
    # Single transferable vote: how many locations the poll chooses (1 for every other method).
    seats: Mapped[int] = mapped_column(default=1, server_default="1")
    # Quorum (polls.quorum): the share of eligible members (per cent) and the number of the group's countries
    # that must be represented among the voters; when the moderator recorded an unmet quorum's result as advisory.
    quorum_percent: Mapped[int | None]
    quorum_countries: Mapped[int | None]
    advisory_at: Mapped[datetime | None]

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
        return str(METHOD_LABELS[self.method])  # in the interface's language

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
    # The candidate location record this option was chosen from (polls.locations), if any: the results link to it.
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id", ondelete="SET NULL"), index=True)

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
        """ "15–16 March 2027", "15–16 марта 2027 г.": in the interface's language."""
        if self.proposed_from and self.proposed_to:
            return date_range(self.proposed_from, self.proposed_to)
        day = self.proposed_from or self.proposed_to
        return long_date(day) if day else ""


class PollParticipation(db.Model):
    """That ``voter`` voted in ``poll``, and when; never what they chose. One row per voter and poll: what
    turnout counts, what "you have voted" reads, and what keeps a member to one ballot."""

    __tablename__ = "poll_participation"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)  # 1 when cast, +1 for every change

    voter = relationship("User", lazy="raise")


class Ballot(db.Model):
    """What one voter chose. Changing a ballot replaces the row (a new random id) and its marks.

    An open poll's ballot names its voter (``voter_id``). A secret poll's names nobody: while the poll is open
    it carries ``voter_tag`` (HMAC of the voter's id under the poll's key, which is not in the database), and
    after the close not even that. ``receipt_hash`` (secret polls) is the SHA-256 of the receipt code shown to
    the voter: with the code, anyone can look the ballot's content up; without it, nobody can tell whose it is.
    No time, no revision and no sequential id: each would correlate with the participation rows."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_id"),
        UniqueConstraint("poll_id", "voter_tag"),
        UniqueConstraint("poll_id", "receipt_hash"),
    )

    id: Mapped[int] = mapped_column(BallotId, primary_key=True, autoincrement=False, default=new_ballot_id)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))  # indexed by the uniques
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    voter_tag: Mapped[str | None] = mapped_column(String(64))
    receipt_hash: Mapped[str | None] = mapped_column(String(64))
    # The receipt code (secret polls, from 0017_trust): a hash of the marks and the voter's ballot secret
    # (polls.secrecy), published with the marks after the close. Nothing links it to a voter after the seal.
    receipt_code: Mapped[str | None] = mapped_column(String(24))

    voter = relationship("User", lazy="raise")
    marks: Mapped[list[BallotMark]] = relationship(
        back_populates="ballot",
        lazy="raise",
        order_by="(BallotMark.rank.is_(None), BallotMark.rank, BallotMark.option_id)",
        cascade="all, delete-orphan",
    )

    def choice(self) -> tuple[int, ...]:
        """The option ids as the tally reads them: ranked ones in order of rank."""
        marks = sorted(self.marks, key=lambda m: (m.rank is None, m.rank or 0, m.option_id))
        return tuple(m.option_id for m in marks)


class BallotMark(db.Model):
    """A chosen, approved or ranked option on a ballot (``rank`` only on ranked ballots).

    No id of its own: the key is (ballot, option), and on SQLite the table is WITHOUT ROWID, so no hidden
    sequential row number records the order marks were written in."""

    __tablename__ = "ballot_mark"
    __table_args__ = (
        UniqueConstraint("ballot_id", "rank"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[int] = mapped_column(BallotId, ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(
        ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True, index=True
    )
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


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
area("polls", Poll, PollOption, PollParticipation, Ballot, BallotMark, PollScheduleChange)

# The candidate location records (their own module) are part of this feature's schema: PollOption refers to them.
from protect.polls import locations as _locations  # noqa: E402, F401
