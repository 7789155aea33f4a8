"""How requests take SQLite's write lock (core.database): an unsafe request's first transaction begins
immediately, its later ones deferred, and a write in a deferred transaction is caught in the tests."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, update

from protect.auth.models import User
from protect.core.database import is_sqlite, writing
from protect.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.skipif("not is_sqlite_backend()")


def is_sqlite_backend() -> bool:
    import os

    return os.environ.get("PROTECT_TEST_BACKEND", "sqlite") == "sqlite"


def begun(app: Flask, method: str, steps) -> list[bool]:
    """Run ``steps(record)`` in a request of ``method``; ``record()`` notes whether the current transaction
    began deferred."""
    seen: list[bool] = []
    with app.test_request_context("/", method=method):
        app.preprocess_request()

        def record() -> None:
            seen.append(db.session.connection().info["protect_deferred"])

        try:
            steps(record)
        finally:
            db.session.rollback()
            db.session.remove()
    return seen


def test_a_post_writes_first_then_reads_without_the_write_lock(app: Flask):
    user_id = make_user(role="expert").id
    db.session.commit()  # and no transaction left open: the request's session starts its own
    assert is_sqlite()

    def steps(record) -> None:
        db.session.execute(select(User.id)).all()
        record()  # the first transaction: immediate
        db.session.execute(update(User).where(User.id == user_id).values(organisation="NGO"))
        db.session.commit()
        db.session.execute(select(User.id)).all()
        record()  # after the commit: deferred (the page is read without holding the lock)
        db.session.rollback()
        with writing():
            db.session.execute(update(User).where(User.id == user_id).values(organisation="Police"))
            record()  # inside writing(): immediate again
            db.session.commit()

    assert begun(app, "POST", steps) == [False, True, False]
    assert begun(app, "GET", lambda record: (db.session.execute(select(User.id)).all(), record())) == [True]


def test_a_write_in_a_deferred_transaction_of_a_request_fails_the_tests(app: Flask):
    user_id = make_user(role="expert").id
    db.session.commit()  # and no transaction left open: the request's session starts its own

    def steps(record) -> None:
        db.session.execute(update(User).where(User.id == user_id).values(organisation="NGO"))
        db.session.commit()
        db.session.execute(select(User.id)).all()  # a read transaction, begun deferred ...
        with pytest.raises(AssertionError, match="deferred SQLite transaction during POST"):
            db.session.execute(update(User).where(User.id == user_id).values(organisation="Police"))

    begun(app, "POST", steps)
    assert db.session.get(User, user_id).organisation == "NGO"
