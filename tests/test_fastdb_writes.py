"""core.fastdb.write_in: an INSERT, UPDATE or DELETE run as the driver's SQL on the session's connection. It
writes what SQLAlchemy would, stamps the change tokens, keeps SQLite's write-transaction check, and refuses what
it cannot do as SQLAlchemy would (a column SQLAlchemy would fill in)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from protect.auth.models import User
from protect.core import changes, fastdb
from protect.core.audit import AuditEvent
from protect.core.database import pipelined, rowcount, utcnow
from protect.extensions import db
from tests.factories import make_user
from tests.test_sqlite_transactions import begun

INSERT_EVENT = insert(AuditEvent).inline()
INSERT_EVENT_WITHOUT_TIME = insert(AuditEvent).inline()
RENAME = update(User).where(User.id == bindparam("user_id")).values(display_name=bindparam("name"))
SIGNED_IN = update(User).where(User.id == bindparam("user_id")).values(last_login_at=bindparam("last_login_at"))
FORGET = delete(User).where(User.id == bindparam("user_id"))


def _event(details, when: datetime) -> dict:
    return {
        "created_at": when,
        "actor_id": None,
        "action": "test.written",
        "object_type": None,
        "object_id": None,
        "summary": "",
        "details": details,
        "url": None,
        "audience": "all",
    }


@pytest.mark.parametrize("details", [None, {"fields": ["title"], "n": 2}])
def test_it_writes_the_row_sqlalchemy_writes(details):
    when = datetime(2026, 11, 29, 12, 30, 15)
    db.session.connection().execute(INSERT_EVENT, {**_event(details, when), "action": "by.sqlalchemy"})
    fastdb.write_in(db.session.connection(), INSERT_EVENT, {**_event(details, when), "action": "by.write_in"})
    db.session.commit()
    rows = {
        action: (created_at, value, is_null)
        for action, created_at, value, is_null in db.session.execute(
            select(AuditEvent.action, AuditEvent.created_at, AuditEvent.details, AuditEvent.details.is_(None))
        )
    }
    assert rows["by.write_in"] == rows["by.sqlalchemy"]  # JSON's None too: both JSON null, or both NULL
    assert rows["by.write_in"][:2] == (when, details)


def test_updates_and_deletes_give_their_row_counts_and_stamp_their_area():
    user = make_user(display_name="Before")
    db.session.commit()
    before = changes.current()
    renamed = fastdb.write_in(db.session.connection(), RENAME, {"user_id": user.id, "name": "After"})
    missed = fastdb.write_in(db.session.connection(), RENAME, {"user_id": -1, "name": "Nobody"})
    assert (rowcount(renamed), rowcount(missed)) == (1, 0)
    db.session.commit()
    assert db.session.execute(select(User.display_name).where(User.id == user.id)).scalar_one() == "After"
    assert changes.current()["auth"] != before["auth"]
    stamped = changes.current()
    assert rowcount(fastdb.write_in(db.session.connection(), FORGET, {"user_id": user.id})) == 1
    db.session.commit()
    assert changes.current()["auth"] != stamped["auth"]


def test_every_write_stamps_its_area_quiet_columns_too():
    """SQLAlchemy's own writes that set only ``users.last_login_at`` stamp nothing (a sign-in). ``write_in`` sees
    only the names it is given, not what the statement's ``.values()`` set: it stamps every write (the safe way)."""
    user = make_user()
    db.session.commit()
    before = changes.current()
    fastdb.write_in(db.session.connection(), SIGNED_IN, {"user_id": user.id, "last_login_at": utcnow()})
    db.session.commit()
    assert changes.current()["auth"] != before["auth"]


def test_in_a_pipeline_the_count_is_known_after_the_block():
    user_id = make_user().id  # read before: nothing may be loaded inside the block
    db.session.commit()
    with pipelined():
        renamed = fastdb.write_in(db.session.connection(), RENAME, {"user_id": user_id, "name": "Piped"})
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(RuntimeError, match="only after the block"):
                rowcount(renamed)
    assert rowcount(renamed) == 1
    db.session.commit()


def test_a_column_sqlalchemy_would_fill_in_must_be_given():
    values = _event(None, utcnow())
    del values["created_at"]  # it has a Python-side default (utcnow)
    with pytest.raises(ValueError, match="created_at"):
        fastdb.write_in(db.session.connection(), INSERT_EVENT_WITHOUT_TIME, values)


def test_an_error_is_sqlalchemys_and_nothing_of_the_transaction_lands():
    taken, other = make_user(email="taken@example.org"), make_user(email="other@example.org")
    db.session.commit()
    taken_email, other_id = taken.email, other.id
    take = update(User).where(User.id == bindparam("user_id")).values(email=bindparam("email"))
    fastdb.write_in(db.session.connection(), RENAME, {"user_id": other_id, "name": "Renamed"})
    with pytest.raises(IntegrityError):
        fastdb.write_in(db.session.connection(), take, {"user_id": other_id, "email": taken_email})
    db.session.rollback()
    assert db.session.execute(select(User.display_name).where(User.id == other_id)).scalar_one() != "Renamed"


def test_a_write_in_a_deferred_sqlite_transaction_of_a_request_fails_the_tests(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite's transactions begin deferred")
    user_id = make_user().id
    db.session.commit()

    def steps(_record) -> None:
        db.session.execute(select(User.id)).all()  # a read transaction of a GET, begun deferred
        with pytest.raises(AssertionError, match="deferred SQLite transaction"):
            fastdb.write_in(db.session.connection(), RENAME, {"user_id": user_id, "name": "Sneaky"})

    begun(app, "GET", steps)
