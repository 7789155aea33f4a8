"""Engine set-up that makes SQLite and PostgreSQL behave alike for the application.

SQLite: foreign keys on, WAL journal, a busy timeout, and write transactions that take the write lock when
they begin (``BEGIN IMMEDIATE``). A deferred SQLite transaction that reads and then writes fails at once with
"database is locked" when another connection wrote in between; taking the lock up front makes concurrent
writers queue instead, so no request fails and no write is lost. Requests with an unsafe method (POST, ...)
and code inside ``writing()`` begin immediately; reads begin deferred and never wait for writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from protect.extensions import db

_begin_immediate: ContextVar[bool] = ContextVar("protect_begin_immediate", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})
        options["connect_args"].setdefault("timeout", 30)
        options["connect_args"].setdefault("check_same_thread", False)
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        from protect.core import changes

        changes.watch(engine)

    @app.before_request
    def _writes_begin_immediately() -> None:
        # Set on every request: a worker thread serves many requests in one context.
        _begin_immediate.set(request.method not in SAFE_METHODS)
