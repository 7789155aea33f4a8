"""Two moderators at the same moment: A superseded by B, and B by A. One wins; the other is refused a cycle.
On PostgreSQL the status change locks both rows in the order of their ids; on SQLite the write lock is taken at
BEGIN IMMEDIATE. Through the HTTP layer, each request in its own thread and database session."""

from __future__ import annotations

import threading
from functools import partial

from sqlalchemy import select

from protect.decisions.models import Decision, DecisionStatusChange
from protect.extensions import db
from tests.decisions.factories import make_decision
from tests.factories import make_user

ROUNDS = 5


def _at_once(requests) -> list[int]:
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(send):
        try:
            barrier.wait(10)
            statuses.append(send())
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(send,)) for send in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return statuses


def test_crossed_supersedes_never_make_a_cycle(app, client_for, expert):
    first, second = make_user("moderator"), make_user("moderator")
    for _ in range(ROUNDS):
        a = make_decision(expert, status="agreed").id
        b = make_decision(expert, status="agreed").id
        one, two = client_for(first), client_for(second)
        one.csrf_token(), two.csrf_token()  # sessions prepared before the race
        db.session.commit()

        def send(client, decision_id, replacement_id):
            with app.app_context():
                response = client.post(
                    f"/decisions/{decision_id}/status",
                    data={"status": "superseded", "superseded_by_id": str(replacement_id)},
                )
                db.session.remove()
            return response.status_code

        statuses = _at_once([partial(send, one, a, b), partial(send, two, b, a)])
        assert sorted(statuses) == [303, 422]
        db.session.rollback()
        db.session.expire_all()
        rows = {d.id: d for d in db.session.execute(select(Decision).where(Decision.id.in_([a, b]))).scalars()}
        superseded = [d for d in rows.values() if d.status == "superseded"]
        assert len(superseded) == 1
        assert superseded[0].superseded_by_id in (a, b) and superseded[0].superseded_by_id != superseded[0].id
        standing = next(d for d in rows.values() if d.status != "superseded")
        assert standing.superseded_by_id is None and standing.status == "agreed"
        steps = db.session.execute(
            select(DecisionStatusChange).where(
                DecisionStatusChange.decision_id.in_([a, b]), DecisionStatusChange.to_status == "superseded"
            )
        ).all()
        assert len(steps) == 1
