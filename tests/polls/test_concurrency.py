"""Fifty casts and changes at the same moment: no ballot lost, none doubled, the tally equals the ballots.

Runs on SQLite (write lock taken at BEGIN IMMEDIATE) and on PostgreSQL (SELECT ... FOR UPDATE on the poll,
INSERT ... ON CONFLICT on the (poll, voter) key of the participation row) alike, for secret polls (the ballot
found again by its voter tag) and open ones (by its voter).
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from protect.auth.models import User
from protect.core.database import writing
from protect.extensions import db
from protect.polls import services
from protect.polls.models import Ballot, BallotMark, Poll, PollParticipation
from tests.conftest import sign_in
from tests.factories import make_user
from tests.polls.factories import make_poll, option_ids

THREADS = 50
DOUBLE_VOTERS = 20  # each casts from two threads at once: a first cast racing a change
SINGLE_VOTERS = THREADS - 2 * DOUBLE_VOTERS


def _jobs(ids: list[int], voters: list[User], seed: int) -> list[tuple[int, tuple[int, ...]]]:
    rng = random.Random(seed)
    jobs = []
    for index, voter in enumerate(voters):
        for _ in range(2 if index < DOUBLE_VOTERS else 1):
            jobs.append((voter.id, tuple(rng.sample(ids, rng.randint(1, len(ids))))))
    rng.shuffle(jobs)
    assert len(jobs) == THREADS
    return jobs


def _run_at_once(work, jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            work(barrier, *job)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a cast hung"
    return errors


def _check_exact(poll_id: int, jobs, voters: list[User]) -> None:
    db.session.rollback()
    db.session.expire_all()
    poll = services.get_poll(poll_id)
    ballots = services.poll_ballots(poll)
    submitted: dict[int, set[tuple[int, ...]]] = defaultdict(set)
    attempts: Counter[int] = Counter()
    for voter_id, ranking in jobs:
        submitted[voter_id].add(ranking)
        attempts[voter_id] += 1

    # one participation and one ballot per voter: none lost, none doubled
    voted = db.session.execute(select(PollParticipation).where(PollParticipation.poll_id == poll.id)).scalars().all()
    assert sorted(p.voter_id for p in voted) == sorted(v.id for v in voters)
    assert len(ballots) == len(voters)
    if poll.secret:
        assert all(b.voter_id is None for b in ballots)
        assert len({b.voter_tag for b in ballots}) == len(voters) and None not in {b.voter_tag for b in ballots}
    else:
        assert sorted(b.voter_id for b in ballots) == sorted(v.id for v in voters)
    for voter in voters:
        # each voter's ballot (found by voter, or by tag while the poll is open) is exactly one of what they
        # sent, never a mix of two
        mine = services.own_ballot(poll, voter)
        assert mine is not None and mine.linked
        assert mine.choice() in submitted[voter.id]
        # every cast was applied once: a voter who sent two has a ballot changed once
        assert mine.revision == attempts[voter.id]
    assert sorted(b.choice() for b in ballots) == sorted(services.own_ballot(poll, v).choice() for v in voters)
    assert poll.ballot_version == THREADS

    marks = db.session.execute(
        select(func.count()).select_from(BallotMark).join(Ballot).where(Ballot.poll_id == poll.id)
    ).scalar_one()
    assert marks == sum(len(b.choice()) for b in ballots)

    # the tally equals the ballots, counted independently in SQL
    result = services.tally_poll(poll, ballots)
    first = dict(
        db.session.execute(
            select(BallotMark.option_id, func.count())
            .join(Ballot)
            .where(Ballot.poll_id == poll.id, BallotMark.rank == 1)
            .group_by(BallotMark.option_id)
        ).all()
    )
    assert {row.option_id: row.count for row in result.rows} == {o.id: first.get(o.id, 0) for o in poll.options}
    assert sum(row.count for row in result.rows) == len(voters) == result.ballots
    assert services.turnout(poll).ballots == len(voters)


@pytest.mark.parametrize("secret", [True, False], ids=["secret", "open"])
def test_fifty_threads_cast_and_change_through_the_service(app, moderator, secret):
    poll = make_poll(moderator, cities=("Riga", "Tallinn", "Vilnius", "St Petersburg"), secret=secret)
    ids = option_ids(poll, "Riga", "Tallinn", "Vilnius", "St Petersburg")
    voters = [make_user("expert") for _ in range(DOUBLE_VOTERS + SINGLE_VOTERS)]
    jobs = _jobs(ids, voters, seed=2015)
    poll_id = poll.id

    def work(barrier, voter_id, ranking):
        with app.app_context():
            try:
                voter = db.session.get(User, voter_id)
                db.session.expunge(voter)
                db.session.close()  # hold no connection while waiting for the others
                barrier.wait(60)
                with writing():
                    services.cast_ballot(poll_id, voter, list(ranking))
            finally:
                db.session.remove()

    errors = _run_at_once(work, jobs)
    assert errors == []
    _check_exact(poll_id, jobs, voters)


def test_fifty_threads_cast_and_change_through_http(app, moderator):
    poll = make_poll(moderator, method="schulze", cities=("Stockholm", "Helsinki", "Gdańsk", "Oslo"))
    ids = option_ids(poll, "Stockholm", "Helsinki", "Gdańsk", "Oslo")
    voters = [make_user("expert") for _ in range(DOUBLE_VOTERS + SINGLE_VOTERS)]
    jobs = _jobs(ids, voters, seed=2016)
    # one browser session per thread (a voter casting from two devices at once has two)
    clients = []
    users = {voter.id: voter for voter in voters}
    for voter_id, _ranking in jobs:
        client = sign_in(app.test_client(), users[voter_id])
        clients.append((client, client.csrf_token()))
    db.session.commit()
    url = f"/polls/{poll.id}/ballot"
    statuses: list[int] = []
    lock = threading.Lock()

    def work(barrier, index):
        client, token = clients[index]
        ranking = jobs[index][1]
        barrier.wait(60)
        response = client.post(url, data={"ranking": [str(oid) for oid in ranking]}, headers={"X-CSRFToken": token})
        with lock:
            statuses.append(response.status_code)

    errors = _run_at_once(work, [(index,) for index in range(len(jobs))])
    assert errors == []
    assert statuses == [303] * THREADS
    _check_exact(poll.id, jobs, voters)
    assert db.session.get(Poll, poll.id).ballot_version == THREADS
