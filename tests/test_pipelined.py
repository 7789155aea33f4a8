"""``database.pipelined()``: statements sent together on PostgreSQL (psycopg's pipeline mode), run one by one on
SQLite; either way each one's row count is known after the block, the change tokens can go with the writes,
and an error, of a statement or of the code in the block, leaves nothing of it to commit."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from protect.auth.models import User
from protect.core import changes, fastdb
from protect.core.database import pipelined, rowcount
from protect.extensions import db
from tests.factories import make_user


def _rename(user_id: int, name: str):
    return db.session.connection().execute(update(User).where(User.id == user_id).values(display_name=name))


def test_row_counts_are_known_after_the_block_and_the_tokens_go_with_the_writes():
    one, two = make_user(display_name="One"), make_user(display_name="Two")
    db.session.commit()
    ids = (one.id, two.id)
    before = changes.current()
    with pipelined():
        hit = _rename(ids[0], "One again")
        missed = _rename(-1, "Nobody")
        everyone = db.session.connection().execute(update(User).values(country="SE"))
        changes.write_tokens()
        written = changes.current()  # read on another connection: the transaction has not committed yet
    assert (rowcount(hit), rowcount(missed), rowcount(everyone)) == (1, 0, 2)
    assert written == before
    db.session.commit()
    assert db.session.execute(select(User.display_name).where(User.id == ids[0])).scalar_one() == "One again"
    # The token of what the block changed, written in the block, landed with the commit.
    assert changes.current()["auth"] != before.get("auth")


def test_an_exception_in_the_block_rolls_back_what_it_sent():
    user_id = make_user(display_name="Before").id
    with pytest.raises(ValueError, match="changed my mind"), pipelined():
        _rename(user_id, "During")
        raise ValueError("changed my mind")
    db.session.commit()  # nothing of the block is left to commit
    assert db.session.execute(select(User.display_name).where(User.id == user_id)).scalar_one() == "Before"


def test_an_error_in_the_block_aborts_the_transaction_and_nothing_of_it_lands():
    taken = make_user(email="taken@example.org")
    other = make_user(email="other@example.org", display_name="Other")
    db.session.commit()
    other_id, taken_email = other.id, taken.email  # read before: nothing may be loaded inside the block
    with pytest.raises(IntegrityError), pipelined():
        _rename(other_id, "Renamed")
        db.session.connection().execute(update(User).where(User.id == other_id).values(email=taken_email))
    db.session.rollback()
    assert db.session.execute(select(User.display_name).where(User.id == other_id)).scalar_one() == "Other"
    # The session goes on as usual.
    _rename(other_id, "Renamed after all")
    db.session.commit()
    assert db.session.execute(select(User.display_name).where(User.id == other_id)).scalar_one() == "Renamed after all"


def test_on_postgresql_the_statements_are_sent_without_waiting_for_each_answer():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs in process: there are no round trips to save")
    user_id = make_user().id
    raw = db.session.connection().connection.dbapi_connection
    with pipelined():
        assert raw.pgconn.pipeline_status  # in pipeline mode inside the block
        result = _rename(user_id, "Piped")
        assert result.rowcount == -1  # SQLAlchemy read the count before PostgreSQL answered ...
        with pytest.raises(RuntimeError, match="only after the block"):
            rowcount(result)  # ... and so has nobody yet
    assert rowcount(result) == 1  # ... the driver has it after the block
    assert not raw.pgconn.pipeline_status
    db.session.rollback()


_NAME = select(User.display_name).where(User.id == bindparam("user_id", 0))


def test_a_read_asked_in_the_block_goes_with_its_writes_on_postgresql(monkeypatch):
    """On PostgreSQL the question travels in the pipeline, in the transaction (it sees the block's writes before
    the commit) and is answered with them. On SQLite it is asked only when read, outside the transaction: after
    the commit, so the write lock is not held for it."""
    user_id = make_user(display_name="Before").id
    db.session.commit()
    with pipelined():
        _rename(user_id, "During")
        asked = fastdb.ask(db.session.connection(), _NAME, {"user_id": user_id})
    asked.collect()
    if db.engine.dialect.name == "postgresql":
        monkeypatch.setattr(fastdb, "rows", _no_statement_of_its_own)
        assert asked.rows() == [("During",)]  # not committed yet: only the transaction itself sees this
        db.session.commit()
        assert asked.rows() == [("During",)]  # kept: the connection went back to the pool without it
    else:
        db.session.commit()
        assert asked.rows() == [("During",)]


def test_a_read_asked_outside_a_pipeline_is_read_when_its_rows_are_asked_for():
    user_id = make_user(display_name="Before").id
    db.session.commit()
    asked = fastdb.ask(db.session.connection(), _NAME, {"user_id": user_id})
    _rename(user_id, "After")
    db.session.commit()
    assert asked.rows() == [("After",)]


def _no_statement_of_its_own(*_args, **_kwargs):
    raise AssertionError("the asked read ran a statement of its own instead of reading the pipeline's answer")
