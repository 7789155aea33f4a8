"""Many writers at once extend the chain one at a time: no two events take the same place (a fork would break
the unique ``seq``), none is skipped, and the chain verifies. On PostgreSQL the chain's head row is locked
(SELECT ... FOR UPDATE) by each commit; on SQLite the write lock is held from BEGIN IMMEDIATE."""

from __future__ import annotations

import threading

from sqlalchemy import select

from protect.audit import chain
from protect.core.audit import AuditEvent, record
from protect.core.database import writing
from protect.extensions import db

THREADS = 10
TRANSACTIONS = 8


def test_concurrent_appends_keep_one_unbroken_chain(app, expert):
    actor_id = expert.id
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with app.app_context():
                barrier.wait(10)
                for n in range(TRANSACTIONS):
                    with writing():
                        # one or two events per transaction: a transaction's events stay together, in order
                        for part in range(1 + (worker + n) % 2):
                            record(None, "test.concurrent", summary=f"{worker}:{n}:{part}", details={"by": actor_id})
                        db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads), "a writer hung"

    db.session.rollback()
    rows = db.session.execute(select(AuditEvent.seq, AuditEvent.summary).order_by(AuditEvent.seq)).all()
    expected = sum(1 + (worker + n) % 2 for worker in range(THREADS) for n in range(TRANSACTIONS))
    assert [row.seq for row in rows] == list(range(1, expected + 1))
    for index, row in enumerate(rows):  # the second event of a transaction right after its first
        if row.summary.endswith(":1"):
            assert rows[index - 1].summary == row.summary[:-1] + "0"
    result = chain.verify()
    assert result.ok, result.message
    assert result.length == expected
