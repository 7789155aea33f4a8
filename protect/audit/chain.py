"""Verifying the audit chain (``flask verify-audit``, the administrators' button) and its daily checkpoints.

``verify()`` reads the chain's head and every event in one snapshot (REPEATABLE READ on PostgreSQL; a SQLite
read transaction is one already), walks the events in chain order and recomputes each hash. It stops at the
first problem and says where it is: an event changed (its fields no longer give its hash, or a later event
no longer follows it), removed (a place missing), inserted (an event outside the chain, or one that the next
event skips over), the end of the chain not where the head says, or a checkpoint contradicted (a rewrite of
the history from there on, hashes and all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select, update

from protect.core.audit import (
    CHAIN_HEAD_ID,
    GENESIS,
    HASHED,
    AuditChain,
    AuditCheckpoint,
    AuditEvent,
    event_hash,
)
from protect.core.database import utcnow, writing
from protect.core.i18n import N_
from protect.extensions import db
from protect.notifications.services import dialect_insert

# What verify() can find; the text says where (``seq``: the place in the chain, ``event``: the event's id).
PROBLEMS = {
    "changed": N_("Event %(seq)d (id %(event)d) was changed after it was recorded."),
    "removed": N_("Event %(seq)d was removed (the next event left is id %(event)d)."),
    "removed_end": N_("The last events from %(seq)d on were removed."),
    "inserted": N_("Event %(seq)d (id %(event)d) was inserted into the chain afterwards."),
    "outside": N_("Event id %(event)d is in the log but not in the chain: it was inserted directly."),
    "appended": N_("Event %(seq)d (id %(event)d) was added after the chain's recorded end."),
    "checkpoint": N_("The history up to event %(seq)d was rewritten: it no longer matches the checkpoint."),
}
BATCH = 2000


@dataclass(frozen=True)
class Verification:
    length: int  # events checked
    head_hash: str
    problem: str | None = None  # a PROBLEMS key
    seq: int | None = None
    event_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str:
        return describe(self.problem, self.seq, self.event_id)


def describe(problem: str | None, seq: int | None, event_id: int | None) -> str:
    if problem is None:
        return gettext("The chain is unbroken.")
    return gettext(PROBLEMS[problem], seq=seq or 0, event=event_id or 0)


def verify() -> Verification:
    """Walk the whole chain (see the module's note); reads only."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        return _walk()
    finally:
        db.session.rollback()


def _walk() -> Verification:
    head_length = db.session.execute(select(AuditChain.length).where(AuditChain.id == CHAIN_HEAD_ID)).scalar() or 0
    checkpoints = dict(db.session.execute(select(AuditCheckpoint.length, AuditCheckpoint.head_hash)).all())
    columns = [getattr(AuditEvent, name) for name in HASHED]
    rows = db.session.execute(
        select(AuditEvent.id, *columns, AuditEvent.prev_hash, AuditEvent.hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=BATCH)
    )
    expected, prev, before_prev, prev_id = 1, GENESIS, None, None
    for row in rows:
        if row.seq != expected:
            rows.close()
            return Verification(expected - 1, prev, "removed", expected, row.id)
        if row.hash != event_hash(row, prev) or row.prev_hash != prev:
            rows.close()
            return _located(row, expected, prev, before_prev, prev_id)
        if expected in checkpoints and checkpoints[expected] != row.hash:
            rows.close()
            return Verification(expected - 1, prev, "checkpoint", expected, row.id)
        before_prev, prev, prev_id = prev, row.hash, row.id
        expected += 1
    length = expected - 1
    if length < head_length:
        return Verification(length, prev, "removed_end", length + 1, None)
    if length > head_length:
        extra = db.session.execute(select(AuditEvent.id).where(AuditEvent.seq == head_length + 1)).scalar_one()
        return Verification(length, prev, "appended", head_length + 1, extra)
    if 0 in checkpoints and checkpoints[0] != GENESIS:
        return Verification(length, prev, "checkpoint", 0, None)
    outside = db.session.execute(select(func.min(AuditEvent.id)).where(AuditEvent.seq.is_(None))).scalar_one()
    if outside is not None:
        return Verification(length, prev, "outside", None, outside)
    return Verification(length, prev)


def _located(row: Any, seq: int, prev: str, before_prev: str | None, prev_id: int | None) -> Verification:
    """Where the chain breaks at ``row`` (place ``seq``), told by which place and predecessor ``row`` was
    recorded with."""

    def intact_at(place: int) -> bool:
        return row.prev_hash is not None and row.hash == event_hash(row, row.prev_hash, seq=place)

    checked = seq - 1
    if before_prev is not None and row.prev_hash == before_prev and (intact_at(seq) or intact_at(seq - 1)):
        return Verification(checked, prev, "inserted", seq - 1, prev_id)  # it skips over the event before
    if intact_at(seq + 1):
        return Verification(checked, prev, "removed", seq, row.id)  # the later events were renumbered
    if seq > 1 and intact_at(seq):
        return Verification(checked, prev, "changed", seq - 1, prev_id)  # its predecessor's hash was rewritten
    return Verification(checked, prev, "changed", seq, row.id)


def verify_and_record(now: datetime | None = None) -> Verification:
    """verify(), and its result kept on the chain's head for the audit page."""
    result = verify()
    with writing():
        db.session.execute(
            update(AuditChain)
            .where(AuditChain.id == CHAIN_HEAD_ID)
            .values(
                verified_at=now or utcnow(),
                verified_length=result.length,
                verified_problem=result.problem,
                verified_seq=result.seq,
                verified_event_id=result.event_id,
            )
        )
        db.session.commit()
    return result


@dataclass(frozen=True)
class Status:
    head: AuditChain  # its length and the last verification
    head_hash: str  # the hash of the last event


def head() -> tuple[int, str]:
    """The chain's length and the hash of its last event, as recorded now."""
    length = db.session.execute(select(AuditChain.length).where(AuditChain.id == CHAIN_HEAD_ID)).scalar() or 0
    if not length:
        return 0, GENESIS
    digest = db.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == length)).scalar()
    return length, digest or GENESIS


def status() -> Status | None:
    """The chain's head and its last verification; None before the first event."""
    row = db.session.get(AuditChain, CHAIN_HEAD_ID)
    return Status(row, head()[1]) if row is not None else None


def checkpoints(limit: int = 14) -> list[AuditCheckpoint]:
    return list(db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.day.desc()).limit(limit)).scalars())


def take_checkpoint(now: datetime) -> AuditCheckpoint | None:
    """Today's checkpoint (UTC date), in the current transaction: the chain's head as it is now; None when the
    day has one already, or the chain is empty."""
    length, head_hash = head()
    if not length:
        return None
    made = db.session.execute(
        dialect_insert(AuditCheckpoint)
        .values(day=now.date(), length=length, head_hash=head_hash, created_at=now)
        .on_conflict_do_nothing()
        .returning(AuditCheckpoint.id)
    ).first()
    return db.session.get(AuditCheckpoint, made.id) if made else None
