"""Edits of one location at the same moment (one wins, the others are told, nothing half-saved) and an STV
poll's ballots cast at once (none lost or doubled, and the count equals the reference count of the ballots)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from protect.auth.models import User
from protect.core.database import writing
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.polls import locations, services
from protect.polls.locations import Location, LocationData, LocationRevision
from tests.factories import make_user
from tests.polls.factories import make_poll, option_ids
from tests.polls.test_stv import reference_stv

CITIES = ("Riga", "Tallinn", "Vilnius", "Helsinki", "Stockholm", "Oslo", "Copenhagen", "Gdańsk")


def _at_once(app, jobs, work) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        with app.app_context():
            try:
                db.session.close()
                barrier.wait(60)
                with writing():
                    work(*job)
            except BaseException as error:  # noqa: BLE001 - counted by the tests
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_ten_edits_from_the_same_version_save_one(app):
    editors = [make_user() for _ in range(10)]
    location = locations.create_location(editors[0], LocationData(city="Riga", country="LV"))
    location_id = location.id

    def work(user_id, n):
        actor = db.session.get(User, user_id)
        locations.update_location(actor, location_id, LocationData(city="Riga", country="LV", partner=f"P{n}"), 1)

    errors = _at_once(app, [(u.id, n) for n, u in enumerate(editors)], work)
    assert len(errors) == 9 and all(isinstance(e, RuleViolation) and e.status == 409 for e in errors)
    db.session.rollback()
    saved = db.session.get(Location, location_id)
    assert saved.version == 2 and saved.partner.startswith("P")
    revisions = db.session.execute(
        select(func.count()).select_from(LocationRevision).where(LocationRevision.location_id == location_id)
    ).scalar_one()
    assert revisions == 2


def test_thirty_stv_ballots_at_once_are_each_counted_once(app, moderator):
    poll = make_poll(moderator, method="stv", cities=CITIES, secret=False)
    poll.seats = 3
    db.session.commit()
    ids = option_ids(poll, *CITIES)
    voters = [make_user() for _ in range(30)]
    jobs = [(v.id, tuple(ids[(i + k) % 8] for k in range(1 + i % 4))) for i, v in enumerate(voters)]
    poll_id = poll.id

    def work(voter_id, ranking):
        services.cast_ballot(poll_id, db.session.get(User, voter_id), list(ranking))

    assert _at_once(app, jobs, work) == []
    db.session.rollback()
    full = services.get_poll(poll_id)
    ballots = services.poll_ballots(full)
    assert len(ballots) == 30 and sorted(b.voter_id for b in ballots) == sorted(v.id for v in voters)
    assert sorted(b.choice() for b in ballots) == sorted(r for _v, r in jobs)
    result = services.tally_poll(full)
    elected, _actions = reference_stv(ids, [r for _v, r in jobs], 3, full.tie_break_seed)
    assert result.winners == elected and result.ballots == 30
