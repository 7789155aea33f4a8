"""The audit log's hash chain: every committed event chained in order, and any single row changed, removed or
inserted directly in the database found and located by ``verify()`` / ``flask verify-audit``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from protect.audit import chain
from protect.core import audit
from protect.core.audit import GENESIS, AuditChain, AuditCheckpoint, AuditEvent, event_hash, record
from protect.core.database import utcnow
from protect.extensions import db


def _events(actor, count: int, per_transaction: int = 1) -> None:
    for n in range(count):
        record(actor, "test.thing", summary=f"did thing {n}", details={"n": n, "ü": "é"})
        if (n + 1) % per_transaction == 0:
            db.session.commit()
    db.session.commit()


def _rows() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def _row(seq: int) -> AuditEvent:
    return db.session.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()


def test_each_committed_event_follows_the_one_before(expert):
    _events(expert, 7, per_transaction=3)
    rows = _rows()
    assert [row.seq for row in rows] == list(range(1, 8))
    assert [row.summary for row in rows] == [f"did thing {n}" for n in range(7)]  # the order they were written
    prev = GENESIS
    for row in rows:
        assert row.prev_hash == prev
        assert row.hash == event_hash(row, prev)
        prev = row.hash
    assert db.session.get(AuditChain, audit.CHAIN_HEAD_ID).length == 7
    assert chain.head() == (7, prev)
    result = chain.verify()
    assert result.ok and result.length == 7 and result.head_hash == prev


def test_an_event_rolled_back_takes_no_place(expert):
    _events(expert, 2)
    record(expert, "test.undone", summary="never happened")
    db.session.rollback()
    record(expert, "test.done", summary="happened")
    db.session.commit()
    rows = _rows()
    assert [(row.seq, row.action) for row in rows] == [(1, "test.thing"), (2, "test.thing"), (3, "test.done")]
    assert chain.verify().ok


def test_an_event_undone_with_its_savepoint_takes_no_place(expert):
    record(expert, "test.kept")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        record(expert, "test.undone")
        raise RuntimeError
    record(expert, "test.kept_too")
    db.session.commit()
    assert [(row.seq, row.action) for row in _rows()] == [(1, "test.kept"), (2, "test.kept_too")]
    assert chain.verify().ok


def test_an_event_changed_in_the_database_is_found_and_located(expert):
    _events(expert, 6)
    target = _row(4)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values(summary="did something else"))
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id, result.length) == ("changed", 4, target.id, 3)
    assert f"Event 4 (id {target.id}) was changed" in result.message


@pytest.mark.parametrize("column", ["created_at", "actor_id", "details", "audience", "action"])
def test_every_field_is_covered_by_the_hash(expert, moderator, column):
    _events(expert, 3)
    target = _row(2)
    values = {
        "created_at": target.created_at - timedelta(seconds=1),
        "actor_id": moderator.id,
        "details": {"n": 99},
        "audience": "moderator",
        "action": "test.other",
    }
    db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values({column: values[column]}))
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq) == ("changed", 2)


def test_a_change_with_its_hash_recomputed_is_found_at_that_event(expert):
    _events(expert, 5)
    target = _row(3)
    target.summary = "rewritten"
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == target.id)
        .values(summary="rewritten", hash=event_hash(target, target.prev_hash))
    )
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id) == ("changed", 3, target.id)


def test_a_removed_event_is_found_and_located(expert):
    _events(expert, 6)
    after = _row(4)
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id) == ("removed", 3, after.id)
    assert "Event 3 was removed" in result.message


def test_a_removed_event_is_found_when_the_later_ones_were_renumbered(expert):
    _events(expert, 5)
    after = _row(4)
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    for seq in (4, 5):
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq - 1))
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id) == ("removed", 3, after.id)


def test_the_last_events_removed_are_found(expert):
    _events(expert, 4)
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == 4))
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq) == ("removed_end", 4)


def test_an_event_inserted_directly_is_found_and_located(expert):
    _events(expert, 3)
    db.session.execute(
        insert(AuditEvent).values(created_at=utcnow(), actor_id=expert.id, action="test.forged", summary="forged")
    )
    db.session.commit()
    forged = db.session.execute(select(AuditEvent.id).where(AuditEvent.action == "test.forged")).scalar_one()
    result = chain.verify()
    assert (result.problem, result.event_id) == ("outside", forged)
    # and the next commit does not take it into the chain
    record(expert, "test.after")
    db.session.commit()
    assert db.session.execute(select(AuditEvent.seq).where(AuditEvent.id == forged)).scalar_one() is None
    assert chain.verify().problem == "outside"


def test_an_event_inserted_into_the_middle_with_a_valid_hash_is_located(expert):
    """Someone who knows the hash: the forged event follows event 2 properly and the later ones move up one;
    event 3 (now 4) still names event 2 as its predecessor, which points at the forgery."""
    _events(expert, 4)
    for seq in (4, 3):
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq + 1))
    second = _row(2)
    db.session.execute(
        insert(AuditEvent).values(created_at=utcnow(), actor_id=expert.id, action="test.forged", summary="forged")
    )
    forged = db.session.execute(select(AuditEvent).where(AuditEvent.action == "test.forged")).scalar_one()
    forged.seq = 3
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == forged.id)
        .values(seq=3, prev_hash=second.hash, hash=event_hash(forged, second.hash, seq=3))
    )
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id) == ("inserted", 3, forged.id)


def test_an_event_appended_past_the_head_is_found(expert):
    _events(expert, 3)
    last = _row(3)
    db.session.execute(
        insert(AuditEvent).values(created_at=utcnow(), actor_id=expert.id, action="test.forged", summary="forged")
    )
    forged = db.session.execute(select(AuditEvent).where(AuditEvent.action == "test.forged")).scalar_one()
    forged.seq = 4
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == forged.id)
        .values(seq=4, prev_hash=last.hash, hash=event_hash(forged, last.hash, seq=4))
    )
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq, result.event_id) == ("appended", 4, forged.id)


def test_a_whole_rewrite_contradicts_the_checkpoint(expert):
    """Hashes and all recomputed after a change: only a checkpoint kept from before can tell."""
    _events(expert, 4)
    chain.take_checkpoint(utcnow())
    db.session.commit()
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(summary="rewritten"))
    prev = GENESIS
    for row in _rows():
        digest = event_hash(row, prev)
        db.session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    db.session.commit()
    result = chain.verify()
    assert (result.problem, result.seq) == ("checkpoint", 4)


def test_the_result_is_kept_for_the_audit_page(expert):
    _events(expert, 2)
    assert chain.verify_and_record().ok
    head = db.session.get(AuditChain, audit.CHAIN_HEAD_ID)
    assert head.verified_at is not None and head.verified_problem is None and head.verified_length == 2
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(summary="x"))
    db.session.commit()
    assert chain.verify_and_record().problem == "changed"
    db.session.expire_all()
    head = db.session.get(AuditChain, audit.CHAIN_HEAD_ID)
    assert (head.verified_problem, head.verified_seq) == ("changed", 1)


def test_flask_verify_audit_says_where_and_exits_non_zero(app, expert):
    _events(expert, 3)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["verify-audit"])
    assert good.exit_code == 0, good.output
    assert "unbroken: 3 events" in good.output
    target = _row(2)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == target.id))
    db.session.commit()
    bad = runner.invoke(args=["verify-audit"])
    assert bad.exit_code == 1
    assert "BROKEN: Event 2 was removed" in bad.output


def test_an_empty_log_verifies(app):
    result = chain.verify()
    assert result.ok and result.length == 0 and result.head_hash == GENESIS


def test_a_checkpoint_once_a_day(expert):
    _events(expert, 2)
    now = utcnow().replace(hour=12)  # the minutes later below stay on the same day
    first = chain.take_checkpoint(now)
    db.session.commit()
    assert first is not None and first.length == 2 and first.head_hash == _row(2).hash
    assert chain.take_checkpoint(now + timedelta(minutes=5)) is None
    assert chain.take_checkpoint(now + timedelta(days=1)) is not None
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one() == 2
