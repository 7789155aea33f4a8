"""Helpers of the mail tests: notices as a feature gives them, and reading the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from protect.core.database import writing
from protect.core.i18n import N_
from protect.extensions import db
from protect.notifications import services
from protect.notifications.models import Notification, OutboxMail

TITLE = "§4 Identification of children at risk"
URL = "/guidelines/revisions/12#comment-40"
SUMMARY = N_("%(name)s mentioned you in “%(title)s”")


def tell(
    kind: str,
    *members,
    thread: str = "revision:12",
    title: str = TITLE,
    summary: str = SUMMARY,
    params: dict | None = None,
    url: str = URL,
    actor=None,
) -> int:
    """``notify()`` as a feature calls it: in a write transaction (begun with SQLite's write lock, as a request
    that writes begins, while a sender may be writing), committed."""
    db.session.commit()  # what the test made so far; the write below begins a transaction of its own
    with writing():
        written = services.notify(
            kind,
            [member.id for member in members],
            thread=thread,
            title=title,
            summary=summary,
            params={"name": "Jonas Petrauskas", "title": title} if params is None else params,
            url=url,
            actor=actor,
        )
        db.session.commit()
    return written


def backdate(at: datetime) -> None:
    """Every notice written so far, as if written at ``at`` (the digests take what was written before them)."""
    db.session.execute(update(Notification).where(Notification.outbox_id.is_(None)).values(created_at=at))
    db.session.commit()


def outbox() -> list[OutboxMail]:
    db.session.rollback()  # read what the senders (other sessions, other processes) committed
    return list(db.session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())


def notices_of(member) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.execute(
            select(Notification).where(Notification.user_id == member.id).order_by(Notification.id)
        ).scalars()
    )
