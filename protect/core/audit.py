"""The audit log: who did what to which object, and when.

``record()`` writes the event in the current transaction, so an event exists exactly when its change was
committed. It is a plain INSERT through the session (nothing reads the row back in that transaction, so the
ORM need not track an object for it). ``summary`` is the short sentence shown in activity lists, kept in
English with named placeholders (``N_("proposed the training “%(title)s”")``) and its ``params`` apart, so
that each reader sees it in their own language (``AuditEvent.text``); ``details`` (before/after values and
the like) are kept for the record and shown only to administrators. Never put a secret ballot's content here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, ForeignKey, Index, String, and_, bindparam, insert, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.extensions import db

AUDIENCES = ("all", "moderator", "admin")


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(16), default="all")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The values of the summary's placeholders; None for a summary without any (and for events before 0013).
    summary_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor = relationship("User", lazy="raise")

    @property
    def text(self) -> str:
        """The summary in the reader's language (the English one where the catalogue has no such message)."""
        try:
            return gettext(self.summary, **(self.summary_params or {}))
        except (KeyError, ValueError, TypeError):  # a summary from before its placeholders were named
            return self.summary

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"


# An event is always written with the change it records, which renews its feature's area: the log needs no
# area of its own (a token renewed by every audited write would be one row that every write queues on).
area(None, AuditEvent)


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    summary: str = "",
    params: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    url: str | None = None,
    audience: str = "all",
    when: datetime | None = None,
) -> None:
    """Write an audit event for ``actor`` doing ``action`` to ``obj`` in the current transaction (``when``:
    the time it happened, for imported history; now by default). ``summary`` is an English message marked
    with ``N_`` whose ``%(name)s`` placeholders ``params`` fill when it is shown."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    object_type = object_id = None
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.flush()
        object_type = obj.__tablename__
        object_id = obj.id
    actor_id = getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True) else None
    db.session.connection().execute(  # Core, in the session's transaction: no object to track
        _INSERT,
        {
            "created_at": when or utcnow(),
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "summary": summary[:300],
            "summary_params": params or None,
            "details": details,
            "url": url,
            "audience": audience,
        },
    )


_INSERT = insert(AuditEvent).inline()  # inline: no RETURNING of the new id, which nothing reads


def visible_audiences(user: Any) -> tuple[str, ...]:
    role = getattr(user, "role", "expert")
    if role == "admin":
        return AUDIENCES
    if role == "moderator":
        return ("all", "moderator")
    return ("all",)


# Events about a member's own sessions (signed in, signed out, signed out everywhere, a session ended, a failed
# sign-in): kept in the log, but they are not the group's work, and they crowded everything else out of the
# dashboard's activity list. Matched by prefix, so that new session events stay out too.
SESSION_EVENT_PREFIXES = ("user.sign", "user.session")


def _not_session_event() -> Any:
    return and_(*(AuditEvent.action.not_like(prefix + "%") for prefix in SESSION_EVENT_PREFIXES))


# Built once (it costs more to build than to run), for the audiences and the number of rows given.
_RECENT_ACTIVITY = (
    select(AuditEvent)
    .where(AuditEvent.audience.in_(bindparam("audiences", expanding=True)), _not_session_event())
    .options(joinedload(AuditEvent.actor))
    .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    .limit(bindparam("limit"))
)


def recent_activity(user: Any, limit: int = 15) -> list[AuditEvent]:
    """The latest events ``user`` may see, with their actors, in one query; sign-ins, sign-outs and the
    like left out (``SESSION_EVENT_PREFIXES``).

    It walks the ``created_at`` index backwards and stops after ``limit`` rows; an index on ``audience`` made
    SQLite sort the whole table instead (42 ms at 40,000 events).
    """
    parameters = {"audiences": list(visible_audiences(user)), "limit": limit}
    return list(db.session.execute(_RECENT_ACTIVITY, parameters).scalars())


def history_of(obj: Any, limit: int = 200) -> list[AuditEvent]:
    """Every event about ``obj``, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == obj.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())
