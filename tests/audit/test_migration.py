"""Migration 0017_trust chains the events recorded before it, in the order of their ids, and the chain then
goes on from them. Runs on this run's backend (SQLite or PostgreSQL)."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import insert, select

from protect import create_app
from protect.audit import chain
from protect.core.audit import AuditEvent, record
from protect.core.database import utcnow
from protect.extensions import db
from tests.conftest import TEST_CONFIG
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture


def test_the_events_before_the_migration_are_chained(empty_database_url):  # noqa: F811 - the fixture
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        try:
            upgrade(directory=directory, revision="0018_accounts")  # the one before 0017_trust
            old = AuditEvent.__table__
            columns = [c for c in old.c if c.name not in ("seq", "prev_hash", "hash")]
            now = utcnow()
            rows = [
                {
                    "created_at": now,
                    "actor_id": None,
                    "action": "old.one",
                    "summary": "one",
                    "url": None,
                    "audience": "all",
                    "details": {"b": 1, "a": [1, 2]},
                    "summary_params": None,
                    "object_type": None,
                    "object_id": None,
                },
                {
                    "created_at": now,
                    "actor_id": None,
                    "action": "old.two",
                    "summary": "two",
                    "url": "/x",
                    "audience": "moderator",
                    "details": None,
                    "summary_params": {"title": "é"},
                    "object_type": "poll",
                    "object_id": 3,
                },
            ]
            with db.engine.begin() as conn:
                conn.execute(
                    insert(old).values([{c.name: row[c.name] for c in columns if c.name != "id"} for row in rows])
                )
            upgrade(directory=directory, revision="heads")
            db.session.remove()
            chained = db.session.execute(select(AuditEvent.action, AuditEvent.seq).order_by(AuditEvent.id)).all()
            assert [tuple(row) for row in chained] == [("old.one", 1), ("old.two", 2)]
            assert chain.verify().ok
            record(None, "new.three", summary="three")
            db.session.commit()
            result = chain.verify()
            assert result.ok and result.length == 3
        finally:
            db.session.remove()
            db.engine.dispose()
