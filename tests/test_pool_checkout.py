"""PostgreSQL: a pooled connection is checked without a round trip when it is handed out, and one the server
has ended is replaced before any statement runs on it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from protect.core import database
from protect.extensions import db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to end a connection, and its connections are not checked")
    db.session.remove()
    db.engine.pool.dispose()  # an empty pool: which connection each checkout gets is then known


@pytest.fixture
def pings(monkeypatch) -> list[int]:
    """Every ping the pool's check sends, by the backend it went to."""
    dialect = db.engine.dialect
    sent: list[int] = []
    real = dialect.do_ping

    def do_ping(dbapi_connection):
        sent.append(dbapi_connection.info.backend_pid)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", do_ping)
    return sent


def backend_pid() -> int:
    pid = db.session.execute(select(func.pg_backend_pid())).scalar_one()
    db.session.commit()  # the connection goes back to the pool
    return pid


def test_a_live_connection_is_handed_out_without_a_ping(pings):
    first = backend_pid()
    again = [backend_pid() for _ in range(5)]
    assert again == [first] * 5  # the same pooled connection each time
    assert pings == []


def test_a_connection_the_server_ended_is_replaced_before_a_statement_runs_on_it(pings):
    ended = db.session.execute(select(func.pg_backend_pid())).scalar_one()
    with db.engine.connect() as other:  # a second connection (the session still holds the first)
        helper = other.execute(select(func.pg_backend_pid())).scalar_one()
        db.session.commit()  # the first goes back to the pool
        # With a timeout, PostgreSQL (14+) answers once the backend has gone.
        assert other.execute(select(func.pg_terminate_backend(ended, 10_000))).scalar_one() is True
        other.commit()
    pids = [backend_pid() for _ in range(4)]  # nothing fails
    assert ended not in pids
    # The ended connection was seen at its checkout (the server's goodbye was waiting on its socket): pinged,
    # found dead, replaced. The helper connection, alive, was never pinged.
    assert pings == [ended]
    assert helper in pids


def test_a_connection_idle_for_long_is_pinged_before_it_is_handed_out(pings, monkeypatch):
    first = backend_pid()
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)  # every connection has now been idle "for long"
    assert backend_pid() == first
    assert pings == [first]


def test_connections_ask_for_tcp_keepalives():
    parameters = db.session.connection().connection.dbapi_connection.info.get_parameters()
    db.session.rollback()
    assert parameters.get("keepalives") == "1"
    assert parameters.get("keepalives_idle") == "30"
