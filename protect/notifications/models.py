"""What the workspace tells each member, and the mail it sends them.

A ``Notification`` is written in the same transaction as the change that causes it (``services.notify``): it
exists exactly when the change does. Its ``mail`` says how it reaches the member by e-mail ("now", "daily",
"weekly", or None: in the app only); ``outbox_id`` is set once a mail carries it. ``OutboxMail`` is the durable
outbox: a finished message that the sender (``mailer.deliver``) claims, sends and marks, so that a mail is never
sent twice and survives a sender that dies mid-send.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.extensions import db

DELIVERIES = ("now", "daily", "weekly", "app")
SUBJECT_MAX = 200
TITLE_MAX = 200


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at", "id"),
        Index("ix_notification_unmailed", "mail", "outbox_id"),  # the sender's question: what waits for a mail
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # What the notice is about, as "<type>:<id>" ("revision:12", "agenda:3"): notices are grouped, muted and
    # mailed per thread; ``thread_title`` is its name when the notice was written (the group's heading).
    thread: Mapped[str] = mapped_column(String(64))
    thread_title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    # An English message marked with N_ and its placeholders' values: shown in the reader's language.
    summary: Mapped[str] = mapped_column(String(300))
    summary_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail: Mapped[str | None] = mapped_column(String(8))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))

    actor = relationship("User", foreign_keys=[actor_id], lazy="raise")

    @property
    def text(self) -> str:
        """The summary in the reader's language."""
        try:
            return gettext(self.summary, **(self.summary_params or {}))
        except (KeyError, ValueError, TypeError):
            return self.summary


class NotificationSetting(db.Model):
    """How a member wants one kind of notice; a kind without a row has its default (``kinds.KINDS``)."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(8))


class Subscription(db.Model):
    """A member's own choice for one thread: "follow" (an agenda they did not edit) or "mute" (nothing more
    about it, whatever their settings)."""

    __tablename__ = "notification_subscription"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))  # "follow" or "mute"
    thread_title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    url: Mapped[str] = mapped_column(String(500), default="")


class NoticeOnce(db.Model):
    """Time-based notices already given ("poll-closing:12"): the key is inserted in the same transaction as the
    notices, so that two senders, or the same one run again, never give them twice."""

    __tablename__ = "notice_once"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestRun(db.Model):
    """A member's digest of one period, made (or found empty) on their local date: at most one a day/week."""

    __tablename__ = "digest_run"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # "daily" or "weekly"
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))


class OutboxMail(db.Model):
    """A finished message waiting to be sent, being sent, sent, or given up on (``status``)."""

    __tablename__ = "outbox_mail"
    __table_args__ = (
        Index("ix_outbox_mail_due", "status", "next_attempt_at"),
        Index("ix_outbox_mail_thread", "user_id", "thread", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)  # Message-ID, References, List-Unsubscribe, ...
    kind: Mapped[str] = mapped_column(String(32))  # a notice kind, "daily" or "weekly"
    thread: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    # It tells something only its recipient may know (whether they voted yet): the outbox page shows neither
    # its recipient nor its content.
    private: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued, sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]  # a sender's lease while "sending"; after it, another may retry
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user = relationship("User", lazy="raise")


# No page is cached on a member's notices, their settings or the outbox (the notifications pages and the header's
# count read them afresh, and nothing else shows them): writing them renews no change token. A notice is written
# with most changes, and a token renewed with each would be one more row every write queues on.
area(None, Notification, NotificationSetting, NoticeOnce, DigestRun, OutboxMail)
# Who follows or muted what: pages that show the choice (an agenda's) are cached on it, so it is an area of its own.
area("subscriptions", Subscription, apart=True)
