"""Engine set-up that makes SQLite and PostgreSQL behave alike for the application.

SQLite: foreign keys on, WAL journal, a busy timeout, and write transactions that take the write lock when
they begin (``BEGIN IMMEDIATE``). A deferred SQLite transaction that reads and then writes fails at once with
"database is locked" when another connection wrote in between; taking the lock up front makes concurrent
writers queue instead, so no request fails and no write is lost. Requests with an unsafe method (POST, ...)
and code inside ``writing()`` begin immediately; reads begin deferred and never wait for writers.

PostgreSQL: a pooled connection is checked before it is handed out, without a round trip: an idle connection
the server has ended (restart, ``pg_terminate_backend``, an idle timeout) has something to read on its socket
(the server's last message, or the end of the stream). Only then, or when it sat in the pool for more than
``PING_AFTER_IDLE`` seconds, is it pinged, and replaced if that fails. TCP keepalives make a peer that vanished
without a word (a failed host, a firewall that forgot the connection) show on the socket too. SQLAlchemy's
``pool_pre_ping`` sent a statement with every checkout: a round trip on every request.
"""

from __future__ import annotations

import logging
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from protect.core import changes
from protect.extensions import db

_begin_immediate: ContextVar[bool] = ContextVar("protect_begin_immediate", default=False)
# An unsafe request's first transaction begins immediately; once it has committed, the request's further
# transactions (reading what to show) begin deferred, unless inside ``writing()``.
_request_writes: ContextVar[bool] = ContextVar("protect_request_writes", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 30000
PING_AFTER_IDLE = 30.0
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def utcnow() -> datetime:
    """Now, as a naive UTC datetime: the one form every timestamp is stored in, on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside this block take SQLite's write lock at once (no effect on PostgreSQL)."""
    token = _begin_immediate.set(True)
    try:
        yield
    finally:
        _begin_immediate.reset(token)


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or db.engine).dialect.name == "sqlite"


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own transaction handling is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA mmap_size = 268435456")
    cursor.execute("PRAGMA cache_size = -16000")
    cursor.close()


def _sqlite_committed(_conn) -> None:
    _request_writes.set(False)


def _sqlite_write_in_deferred(conn, _cursor, _statement, _parameters, context, _executemany) -> None:
    """A request that writes in a transaction begun deferred can fail with "database is locked" when another
    process wrote since its first read: every write in a request must be its first transaction or inside
    ``writing()``. The tests fail on any that is not; in production it is logged."""
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return
    if not conn.info.get("protect_deferred") or not has_request_context():
        return
    message = f"a write in a deferred SQLite transaction during {request.method} {request.path}"
    if current_app.config.get("TESTING"):
        raise AssertionError(message + ": wrap it in database.writing()")
    logging.getLogger(__name__).warning(message)


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # asked for no transaction (VACUUM, for one): each statement commits by itself
    reading = conn.get_execution_options().get("protect_read_only", False)  # changes.READ_ONLY
    conn.info["protect_deferred"] = deferred = reading or not (_begin_immediate.get() or _request_writes.get())
    if deferred:
        conn.exec_driver_sql("BEGIN")
        return
    # Waiting for the write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries,
    # so a waiting writer sleeps on long after the lock is free while another process takes it again (saves
    # at 16 clients had a p99 of half a second). Here a waiter tries again within 2 ms, for as long as the
    # busy timeout allows.
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        delay, deadline = 0.0002, time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 1.5, 0.002)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _check_pooled_connections(engine: Engine) -> None:
    """PostgreSQL's pool hands out only live connections (see the module's note): raising DisconnectionError at
    checkout makes the pool throw the connection away and check out another."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def checkin(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["protect_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_connection, record, _proxy) -> None:
        try:
            poller = select.poll()
            poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
            quiet = not poller.poll(0)
        except Exception as error:  # closed: it has no socket any more
            raise exc.DisconnectionError() from error
        idle_since = record.info.get("protect_idle_since")
        if quiet and (idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError() from error


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})
        options["connect_args"].setdefault("timeout", 30)
        options["connect_args"].setdefault("check_same_thread", False)
    elif uri.startswith("postgresql"):
        options["connect_args"] = {**KEEPALIVES, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            event.listen(engine, "commit", _sqlite_committed)
            event.listen(engine, "before_cursor_execute", _sqlite_write_in_deferred)
        elif engine.dialect.name == "postgresql":
            _check_pooled_connections(engine)
        changes.watch(engine)

    @app.before_request
    def _writes_begin_immediately() -> None:
        # Set on every request: a worker thread serves many requests in one context.
        _request_writes.set(request.method not in SAFE_METHODS)
