"""The audit log: who did what to which object, and when.

``record()`` writes the event in the current transaction, so an event exists exactly when its change was
committed. It is a plain INSERT through the session (nothing reads the row back in that transaction, so the
ORM need not track an object for it). ``summary`` is the short sentence shown in activity lists, kept in
English with named placeholders (``N_("proposed the training “%(title)s”")``) and its ``params`` apart, so
that each reader sees it in their own language (``AuditEvent.text``); ``details`` (before/after values and
the like) are kept for the record and shown only to administrators. Never put a secret ballot's content here.

The log is a hash chain (tamper-evident): each event carries its place (``seq``), the hash of the event before
it (``prev_hash``) and its own ``hash``, SHA-256 over the previous hash and a canonical encoding of its fields
(``canonical()``). ``record()`` keeps the event on the transaction's connection; just before the transaction
commits (the engine's "commit" event, after the change tokens) its events are written in one go:
one statement moves the chain's head (``AuditChain``, one row: an INSERT ... ON CONFLICT DO UPDATE that adds
their number to its length and returns the new length and the hash of the event at the old end), their places
and hashes are computed, and one INSERT writes them. The head's row stays locked until the commit (PostgreSQL:
the update's row lock; SQLite: the write lock, held already), so one writer extends the chain at a time, with
no fork and no gap; and it is the last lock a transaction takes (no deadlock with the rows it locked before).
An audited write costs one statement more than before the chain. ``protect.audit.chain.verify()`` walks the
chain (``flask verify-audit``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import gettext
from sqlalchemy import JSON, ForeignKey, Index, String, and_, bindparam, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
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
    # The chain (see the module's note): set when the transaction that wrote the event commits.
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

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


GENESIS = "0" * 64  # the "previous hash" of the first event
CHAIN_HEAD_ID = 1


class AuditChain(db.Model):
    """The chain's head: one row (id 1), its length moved on (and the row locked) by each transaction that
    extends the chain, and the result of the last verification (``verified_problem``: None when it found
    nothing, else a ``protect.audit.chain.PROBLEMS`` key)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(default=0)  # the head is the event at this place
    verified_at: Mapped[datetime | None]
    verified_length: Mapped[int | None]
    verified_problem: Mapped[str | None] = mapped_column(String(20))
    verified_seq: Mapped[int | None]
    verified_event_id: Mapped[int | None]


class AuditCheckpoint(db.Model):
    """The chain's head and length as they were on a day: mailed to the moderators, so that copies of it are
    kept outside the server, and checked by every verification."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    length: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# An event is always written with the change it records, which renews its feature's area: the log needs no
# area of its own (a token renewed by every audited write would be one row that every write queues on).
area(None, AuditEvent, AuditChain, AuditCheckpoint)

# The fields an event's hash covers, in this order (not the id: the place in the chain is the event's identity;
# the id is given by the database as the event is written) (a new column is added at the end, and old events hash as
# before only if it is None for them: see canonical()).
HASHED = (
    "seq",
    "created_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "summary_params",
    "details",
    "url",
    "audience",
)


def canonical(row: Any, seq: int | None = None) -> str:
    """The event's fields as one JSON text that is the same on every database: fixed order, sorted keys, times
    in ISO form to the microsecond. ``seq``: the place it takes (default: the row's own)."""
    values = []
    for name in HASHED:
        value = seq if name == "seq" and seq is not None else _field(row, name)
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None).isoformat(timespec="microseconds")
        elif name in _JSON_FIELDS and value is not None:
            value = json.loads(json.dumps(value, default=str))  # as the database gives it back: str keys, lists
        values.append(value)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_JSON_FIELDS = frozenset({"summary_params", "details"})


def _field(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def event_hash(row: Any, prev_hash: str, seq: int | None = None) -> str:
    """SHA-256 (hex) over the previous event's hash and this event's canonical encoding."""
    return hashlib.sha256((prev_hash + "\n" + canonical(row, seq)).encode("utf-8")).hexdigest()


_recorded_at: ContextVar[datetime | None] = ContextVar("protect_audit_recorded_at", default=None)


@contextmanager
def recorded_at(when: datetime) -> Iterator[None]:
    """The events recorded inside the block carry the time ``when`` (the demo's story dates): an event's time is
    part of its hash, so it is given when the event is written, never changed afterwards."""
    token = _recorded_at.set(when)
    try:
        yield
    finally:
        _recorded_at.reset(token)


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
    conn = db.session.connection()  # the transaction's: its events are written when it commits (_write)
    conn.info.setdefault(_PENDING, []).append(
        {
            "created_at": when or _recorded_at.get() or utcnow(),
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "summary": summary[:300],
            "summary_params": params or None,
            "details": details,
            "url": url,
            "audience": audience,
        }
    )


_PENDING = "protect_audit_pending"
_SAVEPOINTS = "protect_audit_savepoints"
_EVENTS = AuditEvent.__table__
_CHAIN = AuditChain.__table__
_INSERT = insert(_EVENTS)


def _move_head(dialect: str) -> Any:
    """INSERT the head or add ``n`` to its length; RETURNING the new length, and the place and hash of the last
    event (in the statement's snapshot: on PostgreSQL, events committed while this statement waited for the
    head's row lock are not in it, and the hash at the old end is read again)."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(_CHAIN).values(id=CHAIN_HEAD_ID, length=bindparam("n"))
    last_seq = select(func.max(_EVENTS.c.seq)).scalar_subquery()
    last_hash = select(_EVENTS.c.hash).where(_EVENTS.c.seq == select(func.max(_EVENTS.c.seq)).scalar_subquery())
    return statement.on_conflict_do_update(
        index_elements=[_CHAIN.c.id], set_={"length": _CHAIN.c.length + statement.excluded.length}
    ).returning(_CHAIN.c.length, last_seq, last_hash.scalar_subquery())


_MOVE_HEAD = {name: _move_head(name) for name in ("postgresql", "sqlite")}
_HASH_AT = select(_EVENTS.c.hash).where(_EVENTS.c.seq == bindparam("seq"))
_SET_LENGTH = update(_CHAIN).where(_CHAIN.c.id == CHAIN_HEAD_ID).values(length=bindparam("new_length"))


def write_chained(conn: Connection, events: list[dict[str, Any]]) -> int:
    """Write ``events`` (in this order) at the end of the chain, in ``conn``'s transaction; the head's row stays
    locked until it ends. Returns the chain's new length."""
    length, last_seq, last_hash = conn.execute(_MOVE_HEAD[conn.dialect.name], {"n": len(events)}).one()
    start = length - len(events)
    if last_seq is not None and last_seq > start:
        # The head is behind the events (its row was removed or changed): go on after the last event, so that
        # the log keeps working; verify() says what is wrong with the chain.
        start, prev = last_seq, last_hash
        length = start + len(events)
        conn.execute(_SET_LENGTH, {"new_length": length})
    elif start == 0:
        prev = GENESIS
    elif last_seq == start:
        prev = last_hash
    else:  # committed while this statement waited for the lock (or removed: verify() says so)
        prev = conn.execute(_HASH_AT, {"seq": start}).scalar_one_or_none() or GENESIS
    rows = []
    for offset, values in enumerate(events, start=1):
        digest = event_hash(values, prev, seq=start + offset)
        rows.append({**values, "seq": start + offset, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(_INSERT, rows)
    return length


def _write(conn: Connection) -> None:
    """Just before a commit: the events this transaction recorded, chained."""
    events = conn.info.pop(_PENDING, None)
    conn.info.pop(_SAVEPOINTS, None)
    if events:
        write_chained(conn, events)


def _forget(conn: Connection) -> None:
    if not conn.invalidated:
        conn.info.pop(_PENDING, None)
        conn.info.pop(_SAVEPOINTS, None)


def _savepoint(conn: Connection, _name: str | None) -> None:
    # a stack: savepoints end in the reverse order (the event is not always given the savepoint's name)
    conn.info.setdefault(_SAVEPOINTS, []).append(len(conn.info.get(_PENDING, ())))


def _release_savepoint(conn: Connection, _name: str | None, _context: Any) -> None:
    if conn.info.get(_SAVEPOINTS):
        conn.info[_SAVEPOINTS].pop()


def _rollback_savepoint(conn: Connection, _name: str | None, _context: Any) -> None:
    """The events recorded since the savepoint are undone with it."""
    if conn.info.get(_SAVEPOINTS):
        kept = conn.info[_SAVEPOINTS].pop()
        del conn.info.get(_PENDING, [])[kept:]


def init_app(app: Flask) -> None:
    with app.app_context():
        watch(db.engine)


def watch(engine: Engine) -> None:
    """Write each transaction's audit events, chained, as it commits (after the change tokens)."""
    if event.contains(engine, "commit", _write):
        return
    event.listen(engine, "commit", _write)
    event.listen(engine, "rollback", _forget)
    event.listen(engine, "savepoint", _savepoint)
    event.listen(engine, "release_savepoint", _release_savepoint)
    event.listen(engine, "rollback_savepoint", _rollback_savepoint)


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
