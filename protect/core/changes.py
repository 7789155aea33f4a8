"""Change tokens: one random token per area of the data, replaced in the same transaction as every change to it.

Every INSERT, UPDATE and DELETE that SQLAlchemy runs (ORM flushes and Core statements alike) is noted on its
connection by table; when that transaction commits, the tokens of the areas it touched are replaced by a new
random value in the same transaction, just before the commit itself. So whoever reads a token and then the data
can never see a token newer than the data: a cache keyed on the tokens it depends on (``core.pagecache``) never
serves a page for data that has moved on, in any process or on any machine. Tokens are random, not counters, so
no two states of the data share one; ``flask init-db`` renews them all (migrations and restores change data
without passing here), and the README's restore steps restart the app.

Areas are the features' groups of tables, declared by each feature next to its models (``area()``, kept in
SQLAlchemy's ``Table.info``); a table declared in none is an area of its own, so a new table is never missed (and
``tests/test_change_stamps.py`` fails until it is declared). Presence heartbeats, section visits and sessions are
areas *apart*: they change often and only a few pages show them, so "every area" (the dashboard) leaves them
out. A column whose changes no cached page shows carries ``info={"quiet_change": True}``: an UPDATE of only such
columns changes no token (a sign-in would otherwise make every member's pages be made again).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import g, has_app_context
from sqlalchemy import String, Table, bindparam, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from protect.extensions import db

AREA = "change_area"  # the key in ``Table.info``: the name of the table's area, or None (see ``area``)
_APART = "change_area_apart"
_NOTED = "protect_changed_scopes"
# A connection's execution option: it only reads, so on SQLite its transactions begin deferred (core.database).
READ_ONLY = {"protect_read_only": True}
_paused: ContextVar[bool] = ContextVar("protect_changes_paused", default=False)
_generations: dict[str, int] = {}
_generations_lock = threading.Lock()
_pending: ContextVar[frozenset[str]] = ContextVar("protect_changes_pending", default=frozenset())


class ChangeStamp(db.Model):
    __tablename__ = "change_stamp"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_ALL_STAMPS = select(ChangeStamp.scope, ChangeStamp.token)
# Every token in one value ("scope=token,..."), for a statement that reads something else too: the signed-in
# member is loaded with it (auth.views.load_user), so a cached page costs a single query.
ALL_STAMPS_TEXT = (
    select(func.aggregate_strings(ChangeStamp.scope + "=" + ChangeStamp.token, ","))
    .select_from(ChangeStamp)
    .scalar_subquery()
)


def area(name: str | None, *models: Any, apart: bool = False) -> None:
    """Declare that the tables of ``models`` belong to the area ``name``. None: a write to them renews no token,
    because it is always made with a change to an area that does (the audit log) or it is the tokens' own
    table. ``apart``: left out of "every area" (see the module's text)."""
    for model in models:
        model.__table__.info[AREA] = name
        model.__table__.info[_APART] = apart


area(None, ChangeStamp)


def area_of(table: Table) -> str | None:
    return table.info.get(AREA, table.name)


def everyday_areas() -> list[str]:
    """Every declared area but those apart: what "every area" means to a page cached under ``"*"``."""
    tables = db.metadata.tables.values()
    return sorted({table.info[AREA] for table in tables if table.info.get(AREA) and not table.info.get(_APART)})


def remember(text: str | None) -> None:
    """Keep the tokens read with something else at the start of this request (see ``ALL_STAMPS_TEXT``)."""
    g.protect_change_stamps = dict(pair.split("=", 1) for pair in text.split(",")) if text else {}


def current() -> dict[str, str]:
    """Every area's token: as read at the start of this request with the signed-in member, or now (one
    statement outside the request's transaction). Read before the data they stand for, never after."""
    if has_app_context():
        stamps = g.get("protect_change_stamps")
        if stamps is not None:
            return stamps
    # As of now: on a connection of its own, whose read transaction (never SQLite's write lock) ends at once.
    with db.engine.connect().execution_options(**READ_ONLY) as conn:
        return {scope: token for scope, token in conn.execute(_ALL_STAMPS)}


def _note(conn, _cursor, _statement, _parameters, context, _executemany) -> None:
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return
    compiled = context.compiled
    table = getattr(getattr(compiled, "statement", None), "table", None)
    if not isinstance(table, Table):
        return
    name = area_of(table)
    if name is None or (context.isupdate and _only_quiet(table, context.compiled_parameters)):
        return
    conn.info.setdefault(_NOTED, set()).add(name)


def _only_quiet(table: Table, parameters: list[dict[str, Any]]) -> bool:
    """Whether an UPDATE sets nothing but columns no cached page shows (``quiet_change``). A parameter named like
    any column counts as set (a WHERE value so named makes the change count: never the other way round)."""
    columns = table.c
    changed = {key for row in parameters for key in row if key in columns}
    return bool(changed) and all(columns[key].info.get("quiet_change") for key in changed)


@contextmanager
def paused() -> Iterator[None]:
    """No stamping inside (database migrations: the table may not exist yet)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def renew_all() -> None:
    """A new token for every area, in a transaction of its own: after a migration or a restore, when data may
    have changed without a commit through this code (``flask init-db`` does it)."""
    declared = {area_of(table) for table in db.metadata.tables.values()} - {None}
    scopes = sorted({*declared, *current()})
    with db.engine.begin() as conn:
        _write_tokens(conn, scopes)


def generation(scope: str) -> int:
    """How many commits through this process have changed ``scope`` (for caches that recheck the database only
    every so often: a change made here shows at once)."""
    return _generations.get(scope, 0)


def _stamp(conn) -> None:
    """Before the commit: new tokens for the areas this transaction changed, in the same transaction."""
    scopes = conn.info.pop(_NOTED, None)
    if not scopes:
        return
    _advance(scopes)
    _pending.set(_pending.get() | scopes)  # and again once committed (see _after_commit)
    if _paused.get():
        return
    _write_tokens(conn, sorted(scopes))


def _advance(scopes: set[str] | frozenset[str]) -> None:
    with _generations_lock:
        for scope in scopes:
            _generations[scope] = _generations.get(scope, 0) + 1


def _after_commit(_session) -> None:
    """After an ORM commit: what this process read between the stamp and the commit itself may be older than
    the commit, so the generations move on once more."""
    scopes = _pending.get()
    if scopes:
        _pending.set(frozenset())
        _advance(scopes)


_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_upserts: dict[tuple[str, int], Any] = {}  # (dialect, number of areas) -> statement: built once each


def _upsert(dialect: str, count: int) -> Any:
    statement = _upserts.get((dialect, count))
    if statement is None:
        rows = [{"scope": bindparam(f"scope_{n}"), "token": bindparam("token")} for n in range(count)]
        insert = _UPSERTS[dialect](ChangeStamp).values(rows)
        statement = insert.on_conflict_do_update(index_elements=["scope"], set_={"token": insert.excluded.token})
        _upserts[(dialect, count)] = statement
    return statement


def _write_tokens(conn, ordered: list[str]) -> None:
    """One new token for the areas ``ordered``: one INSERT ... ON CONFLICT DO UPDATE (both databases have it)
    on ``conn``, in its transaction. ``ordered``: the same order in every transaction, so concurrent commits
    never deadlock."""
    params = {f"scope_{n}": scope for n, scope in enumerate(ordered)}
    conn.execute(_upsert(conn.dialect.name, len(ordered)), {**params, "token": secrets.token_hex(8)})


def _forget(conn) -> None:
    if conn.invalidated:  # the server ended the connection: its info went with it (and reading it would raise)
        return
    conn.info.pop(_NOTED, None)


def watch(engine: Engine) -> None:
    """Note every change made through ``engine`` and stamp it at commit."""
    if event.contains(engine, "after_cursor_execute", _note):
        return
    event.listen(engine, "after_cursor_execute", _note)
    event.listen(engine, "commit", _stamp)
    event.listen(engine, "rollback", _forget)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
