"""Migration 0010_secret_ballots over rows written at revision 0008 (the old one-row-per-voter ballots): closed
secret polls come out sealed, open secret polls keep each voter's ballot through tags made with the app's
SECRET_KEY, open (non-secret) polls keep their voters. Runs on this run's backend (SQLite or PostgreSQL)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, text

from protect import create_app
from protect.auth.models import User
from protect.core.database import utcnow
from protect.extensions import db
from protect.polls import secrecy, services
from protect.polls.models import Ballot, BallotMark, Poll, PollParticipation
from tests.conftest import TEST_CONFIG
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0010_secret_ballots.py"


def _insert_old_rows(now) -> dict[str, int]:
    """Three voters, and three polls at revision 0008: a closed secret one, an open secret one, an open ballot."""
    sql = db.session.execute
    for uid in (1, 2, 3, 4):
        sql(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, country, sector, organisation, "
                "time_zone, active, session_token, created_at) VALUES (:id, :email, :name, 'x', :role, 'LV', "
                "'other', '', 'Europe/Riga', :true, :token, :now)"
            ),
            {
                "id": uid,
                "email": f"v{uid}@example.org",
                "name": f"Voter {uid}",
                "role": "moderator" if uid == 4 else "expert",
                "true": True,
                "token": f"token-{uid}",
                "now": now,
            },
        )
    polls = {"closed_secret": (1, True, now - timedelta(days=1)), "open_secret": (2, True, now + timedelta(days=5))}
    polls["open_ballot"] = (3, False, now + timedelta(days=5))
    for pid, secret, closes in polls.values():
        sql(
            text(
                "INSERT INTO poll (id, question, description, method, opens_at, closes_at, time_zone, secret, "
                "live_results, tie_break_seed, created_by_id, created_at, updated_at, version, ballot_version) "
                "VALUES (:id, :q, '', 'irv', :opens, :closes, 'Europe/Riga', :secret, :false, 'abcd', 4, :opens, "
                ":opens, 1, 3)"
            ),
            {
                "id": pid,
                "q": f"Poll {pid}",
                "opens": now - timedelta(days=10),
                "closes": closes,
                "secret": secret,
                "false": False,
            },
        )
        for position, city in enumerate(("Riga", "Tallinn", "Vilnius"), start=1):
            sql(
                text(
                    "INSERT INTO poll_option (id, poll_id, position, city, country, venue_notes) "
                    "VALUES (:id, :pid, :pos, :city, 'XX', '')"
                ),
                {"id": pid * 10 + position, "pid": pid, "pos": position, "city": city},
            )
    ballot_id = mark_id = 0
    for pid, _secret, _closes in polls.values():
        for voter, ranking in ((1, (1, 2)), (2, (3,)), (3, (2, 3, 1))):
            ballot_id += 1
            sql(
                text(
                    "INSERT INTO ballot (id, poll_id, voter_id, cast_at, changed_at, revision) "
                    "VALUES (:id, :pid, :voter, :cast, :changed, :revision)"
                ),
                {
                    "id": ballot_id,
                    "pid": pid,
                    "voter": voter,
                    "cast": now - timedelta(hours=10 - voter),
                    "changed": now - timedelta(hours=5 - voter),
                    "revision": voter,
                },
            )
            for rank, position in enumerate(ranking, start=1):
                mark_id += 1
                sql(
                    text("INSERT INTO ballot_mark (id, ballot_id, option_id, rank) VALUES (:id, :b, :o, :r)"),
                    {"id": mark_id, "b": ballot_id, "o": pid * 10 + position, "r": rank},
                )
    db.session.commit()
    return {name: pid for name, (pid, _s, _c) in polls.items()}


def _ranking(poll_id: int, *positions: int) -> tuple[int, ...]:
    return tuple(poll_id * 10 + p for p in positions)


def test_the_migration_converts_old_ballots(empty_database_url):  # noqa: F811 - the fixture
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        try:
            upgrade(directory=directory, revision="0008_change_stamps")
            now = utcnow().replace(microsecond=0)
            ids = _insert_old_rows(now)
            upgrade(directory=directory, revision="heads")
            db.session.remove()

            # who voted, with their times and revisions, for every poll
            rows = db.session.execute(select(PollParticipation)).scalars().all()
            assert len(rows) == 9
            assert {(p.poll_id, p.voter_id, p.revision) for p in rows} == {
                (pid, voter, voter) for pid in ids.values() for voter in (1, 2, 3)
            }
            assert all(p.cast_at == now - timedelta(hours=10 - p.voter_id) for p in rows)
            assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 9
            assert db.session.execute(select(func.count()).select_from(BallotMark)).scalar_one() == 18
            assert all(b.id > 9 for b in db.session.execute(select(Ballot)).scalars())  # new random ids

            voters = {uid: db.session.get(User, uid) for uid in (1, 2, 3)}
            wanted = {1: (1, 2), 2: (3,), 3: (2, 3, 1)}

            # a closed secret poll: sealed at once, nothing links a voter to a ballot, the count is unchanged
            closed = services.get_poll(ids["closed_secret"])
            assert closed.ballot_salt is None and closed.sealed_at is not None
            ballots = services.poll_ballots(closed)
            assert all(b.voter_id is None and b.voter_tag is None for b in ballots)
            assert sorted(b.choice() for b in ballots) == sorted(_ranking(closed.id, *r) for r in wanted.values())
            for uid, voter in voters.items():
                mine = services.own_ballot(closed, voter)
                assert mine is not None and not mine.linked and mine.revision == uid  # voted; which ballot: unknown

            # an open secret poll: each voter still finds (and can change) their own ballot through the tags made
            # with this app's SECRET_KEY, and gets a receipt code that finds it
            open_secret = services.get_poll(ids["open_secret"])
            assert open_secret.ballot_salt and open_secret.sealed_at is None
            assert all(b.voter_id is None and b.voter_tag for b in services.poll_ballots(open_secret))
            for uid, voter in voters.items():
                mine = services.own_ballot(open_secret, voter)
                assert mine.choice() == _ranking(open_secret.id, *wanted[uid])
                assert services.check_receipt(open_secret, mine.receipt) == mine.choice()

            # an open ballot keeps its voters
            open_ballot = services.get_poll(ids["open_ballot"])
            assert open_ballot.ballot_salt is None
            lines = services.ballot_set(open_ballot)
            assert {line.voter.id: line.choice() for line in lines} == {
                uid: _ranking(open_ballot.id, *r) for uid, r in wanted.items()
            }
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_migrations_frozen_formulas_agree_with_the_app(app):
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    salt = secrecy.new_salt()
    secret = app.config["SECRET_KEY"].encode()
    key = secrecy.poll_key(salt)
    assert migration._poll_key(secret, salt) == key
    assert migration._voter_tag(key, 42) == secrecy.voter_tag(key, 42)
    assert migration._receipt_hash(key, 7) == secrecy.receipt_hash(secrecy.receipt_code(key, 7))
    assert Poll.__table__.c.ballot_salt.type.length == 64
