"""Many people moving items of one agenda at the same moment: no item lost, duplicated or overlapped.

Each thread has its own application context and database session, as each request of the server has. On
SQLite the writes queue on the write lock; on PostgreSQL on the event row's lock (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import random
import threading

from sqlalchemy import func, select

from protect.agendas import services, timeplan
from protect.agendas.models import AgendaChange, AgendaItem, TrainingEvent
from protect.auth.models import User
from protect.core.database import writing
from protect.core.errors import RuleViolation
from protect.extensions import db
from tests.agendas.factories import make_day, make_event
from tests.factories import make_user

SLOTS = [("09:00", "09:45"), ("09:45", "10:30"), ("10:30", "10:45"), ("10:45", "12:15"), ("12:15", "13:15"),
         ("13:15", "14:00"), ("14:00", "15:30"), ("15:30", "16:00")]  # fmt: skip


def run_in_threads(app, jobs) -> list[str]:
    """Run each ``job()`` in its own thread and application context, all starting together."""
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(job) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.extend(job())
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def mover(user_id: int, event_id: int, item_ids: list[int], seed: int, moves: int = 6):
    def job() -> list[str]:
        rng = random.Random(seed)
        done = []
        for _ in range(moves):
            with writing():
                user = db.session.get(User, user_id)
                try:
                    services.move_item(user, event_id, rng.choice(item_ids), rng.choice(["earlier", "later"]))
                    done.append("moved")
                except RuleViolation:
                    db.session.rollback()
                    done.append("refused")  # first/last already: nothing changed
        return done

    return job


def test_concurrent_moves_never_lose_duplicate_or_overlap_items(app, expert):
    event = make_event(expert)
    items = make_day(event, expert, slots=SLOTS)
    ids = [item.id for item in items]
    lengths = {item.id: timeplan.minutes(item.end) - timeplan.minutes(item.start) for item in items}
    version_before = event.agenda_version
    people = [make_user("expert") for _ in range(6)]

    results = run_in_threads(app, [mover(p.id, event.id, ids, seed) for seed, p in enumerate(people)])

    moved = results.count("moved")
    assert moved + results.count("refused") == 6 * 6 and moved > 0
    db.session.rollback()
    after = services.agenda_items(event.id)
    assert sorted(item.id for item in after) == sorted(ids)  # none lost, none duplicated
    assert all(item.day == 1 and item.deleted_at is None for item in after)
    # each kept its length, and together they still tile 09:00-16:00 without a gap or an overlap
    assert {item.id: timeplan.minutes(item.end) - timeplan.minutes(item.start) for item in after} == lengths
    ordered = sorted(after, key=lambda item: item.start)
    assert ordered[0].start.isoformat() == "09:00:00" and ordered[-1].end.isoformat() == "16:00:00"
    for previous, current in zip(ordered, ordered[1:], strict=False):
        assert previous.end == current.start, f"{previous} then {current}"
    # every successful move is one agenda version and two recorded changes
    version = db.session.execute(select(TrainingEvent.agenda_version).where(TrainingEvent.id == event.id)).scalar_one()
    assert version == version_before + moved
    recorded = db.session.execute(
        select(func.count()).select_from(AgendaChange).where(AgendaChange.action == "item.moved")
    ).scalar_one()
    assert recorded == 2 * moved


def test_concurrent_moves_between_days_keep_every_item_once(app, expert):
    event = make_event(expert)
    items = make_day(event, expert, slots=SLOTS[:6])
    people = [make_user("expert") for _ in range(6)]

    def shuttle(user_id: int, item_id: int):
        def job() -> list[str]:
            done = []
            for to_day in (2, 1, 2):
                with writing():
                    services.move_item(db.session.get(User, user_id), event.id, item_id, "day", to_day)
                done.append("moved")
            return done

        return job

    results = run_in_threads(app, [shuttle(p.id, item.id) for p, item in zip(people, items, strict=True)])
    assert results == ["moved"] * 18
    db.session.rollback()
    after = db.session.execute(select(AgendaItem).where(AgendaItem.event_id == event.id)).scalars().all()
    assert sorted(item.id for item in after) == sorted(item.id for item in items)
    assert {item.day for item in after} == {2} and all(item.version == 4 for item in after)


def test_concurrent_adds_and_deletes_keep_count(app, expert):
    event = make_event(expert)
    items = make_day(event, expert, slots=SLOTS[:4])
    people = [make_user("expert") for _ in range(4)]

    def add(user_id: int, n: int):
        def job() -> list[str]:
            from datetime import time

            with writing():
                services.create_item(
                    db.session.get(User, user_id),
                    event.id,
                    {"day": 2, "start": time(9 + n), "end": time(10 + n), "title": f"Added {n}", "kind": "panel"},
                )
            return ["added"]

        return job

    def remove(user_id: int, item_id: int):
        def job() -> list[str]:
            with writing():
                services.delete_item(db.session.get(User, user_id), event.id, item_id)
            return ["deleted"]

        return job

    jobs = [
        add(people[0].id, 0),
        add(people[1].id, 1),
        remove(people[2].id, items[0].id),
        remove(people[3].id, items[0].id),
    ]
    assert sorted(run_in_threads(app, jobs)) == ["added", "added", "deleted", "deleted"]
    db.session.rollback()
    current = services.agenda_items(event.id)
    assert len(current) == 4 - 1 + 2
    positions = [item.position for item in current if item.day == 2]
    assert len(set(positions)) == 2  # the two adds did not take the same place
    deletions = db.session.execute(
        select(func.count()).select_from(AgendaChange).where(AgendaChange.action == "item.deleted")
    ).scalar_one()
    assert deletions == 1  # deleting twice at once is recorded once
