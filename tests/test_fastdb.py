"""core.fastdb: one statement on a per-thread autocommit connection, outside the ORM session. Values come back
as SQLAlchemy gives them, every read sees what is committed at that moment, and a connection dropped underneath
is replaced on the next call."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import bindparam, column, create_engine, func, select, table, update
from sqlalchemy.exc import DBAPIError

from protect.auth.models import User
from protect.core import fastdb
from protect.decisions.models import Decision
from protect.extensions import db
from tests.decisions.factories import make_decision

# fastdb compiles each statement once and keeps it by identity: statements are module constants, and each of
# their parameters has a default (the statement is compiled with its values rendered in).
USER_BY_ID = select(User.display_name, User.created_at, User.active).where(User.id == bindparam("id", 0))
DECISION_DATES = select(Decision.created_at, Decision.due_on).where(Decision.id == bindparam("id", 0))
DECISION_AT = select(Decision.title).where(Decision.created_at == bindparam("at", datetime(2000, 1, 1)))
MISSING_TABLE = select(column("x")).select_from(table("no_such_table"))
BACKEND_PID = select(func.pg_backend_pid())
USER_BY_NAME = select(User.id).where(User.display_name == bindparam("name", ""))


def held_connection(engine=None):
    return fastdb._local.held[engine or db.engine].connection


def test_datetime_and_date_columns_come_back_as_datetimes_and_dates(expert):
    decision = make_decision(expert, due_on=date(2027, 3, 16))
    [(created_at, due_on)] = fastdb.rows(db.engine, DECISION_DATES, {"id": decision.id})
    assert isinstance(created_at, datetime)  # SQLite stores text; the type's result processor applies
    assert created_at == db.session.get(Decision, decision.id).created_at
    assert due_on == date(2027, 3, 16) and not isinstance(due_on, datetime)

    [(name, user_created, active)] = fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})
    assert name == "Eva Expert" and isinstance(user_created, datetime) and bool(active) is True


def test_no_row_is_an_empty_list(expert):
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id + 1000}) == []
    assert fastdb.rows(db.engine, USER_BY_ID) == []  # every parameter at its default


def test_a_datetime_parameter_matches_as_it_does_through_sqlalchemy(expert):
    """SQLite keeps a datetime as text in SQLAlchemy's own form: a parameter must be given in that form too
    (the driver's default form has no microseconds and would match nothing)."""
    at = datetime(2016, 3, 1, 12, 0)
    make_decision(expert, title="Made at noon", created_at=at)
    through_orm = db.session.execute(select(Decision.title).where(Decision.created_at == at)).scalars().all()
    assert through_orm == ["Made at noon"]
    assert fastdb.rows(db.engine, DECISION_AT, {"at": at}) == [("Made at noon",)]


def test_it_reads_what_is_committed_now_and_holds_no_transaction(expert):
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
    db.session.execute(update(User).where(User.id == expert.id).values(display_name="Eva Flushed"))
    db.session.flush()
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"  # not committed yet
    db.session.commit()
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Flushed"
    # Autocommit: nothing stays open between statements (no snapshot held, no lock, no "idle in transaction").
    connection = held_connection()
    if db.engine.dialect.name == "postgresql":
        assert connection.info.transaction_status == 0  # psycopg's TransactionStatus.IDLE
    else:
        assert not connection.in_transaction


def test_a_connection_closed_underneath_is_replaced_on_the_next_call(expert):
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
    dropped = held_connection()
    dropped.close()  # as a server restart or a network cut would leave it
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
    assert held_connection() is not dropped
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"


def test_a_connection_the_server_ended_is_replaced_on_the_next_call(expert):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL ends a backend from another connection; SQLite has no server")
    [(pid,)] = fastdb.rows(db.engine, BACKEND_PID)
    # With a timeout, PostgreSQL (14+) answers once the backend has gone.
    assert db.session.execute(select(func.pg_terminate_backend(pid, 10_000))).scalar_one() is True
    db.session.commit()
    assert fastdb.rows(db.engine, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
    [(new_pid,)] = fastdb.rows(db.engine, BACKEND_PID)
    assert new_pid != pid


def test_an_error_in_the_statement_is_raised_not_swallowed():
    with pytest.raises(DBAPIError):
        fastdb.rows(db.engine, MISSING_TABLE)


def test_each_thread_has_its_own_connection(expert):
    engine, expert_id = db.engine, expert.id
    mine = fastdb.rows(engine, USER_BY_ID, {"id": expert_id})
    found = {}

    def other_thread() -> None:  # no application context here: the engine is passed in
        found["rows"] = fastdb.rows(engine, USER_BY_ID, {"id": expert_id})
        found["connection"] = held_connection(engine)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert found["rows"] == mine
    assert found["connection"] is not held_connection()


def test_disposing_of_an_engine_closes_its_connections_and_the_next_call_opens_one(database_url, expert):
    other = create_engine(database_url)
    try:
        assert fastdb.rows(other, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
        held = fastdb._local.held[other]
        mine = held_connection()
        other.dispose()
        assert held.connection is None  # closed (close_all on the engine's "engine_disposed" event)
        assert held_connection() is mine  # another engine's connections are left alone
        assert fastdb.rows(other, USER_BY_ID, {"id": expert.id})[0][0] == "Eva Expert"
        assert fastdb._local.held[other].connection is not None
    finally:
        other.dispose()


def test_a_bad_value_is_an_error_of_its_own_and_keeps_the_connection(expert):
    held = fastdb._holder(db.engine).connection
    if db.engine.dialect.name == "postgresql":  # PostgreSQL refuses a NUL in text; SQLite stores it
        with pytest.raises(DBAPIError):
            fastdb.rows(db.engine, USER_BY_NAME, {"name": "a\x00b"})
        assert fastdb._holder(db.engine).connection is held  # not thrown away: a bad value is not a lost server
    assert fastdb.rows(db.engine, USER_BY_NAME, {"name": expert.display_name}) == [(expert.id,)]


def test_a_statement_built_later_under_a_reused_id_is_compiled_afresh(expert):
    first = select(User.display_name).where(User.id == bindparam("id", 0))
    assert fastdb.rows(db.engine, first, {"id": expert.id}) == [(expert.display_name,)]
    key = (db.engine.dialect.name, id(first))
    fastdb._compiled[key] = (object(), fastdb._compiled[key][1])  # as if `first` were gone and its id reused
    assert fastdb.rows(db.engine, first, {"id": expert.id}) == [(expert.display_name,)]
    assert fastdb._compiled[key][0] is first
