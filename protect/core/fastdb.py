"""Single-statement reads for the hot path of every request, outside the ORM session.

Loading the signed-in member and reading a page's change tokens are one small query each, but through the ORM
session each also costs a connection checkout, a transaction begun and rolled back, and the result machinery:
about 0.2 ms, as much as Flask itself spends on a request. Here each thread keeps one connection of its own
in autocommit mode (so every statement sees what is committed at that moment, and holds no lock or snapshot
between statements) and runs the statement as the database driver's own SQL, compiled once per dialect.

Errors are raised as SQLAlchemy's (``sqlalchemy.exc.DBAPIError`` and its kinds); a dropped connection is
replaced and the statement tried once more.

Only for reads whose result the caller treats as "as of now": a request's later ORM queries run in their own
transaction. Values come back as SQLAlchemy would give them (dates as dates on SQLite too), except booleans,
which SQLite gives as 0 and 1.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import UpdateBase

# The driver's SQL, the order of its parameters (positional drivers), the values of the parameters the
# statement holds itself (literals), each parameter's and each column's type conversion.
_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any], dict[str, Any], tuple[Any, ...] | None]
# Keyed by dialect and id(); each entry keeps its statement alive (so the id stays its own) to check against.
_compiled: dict[tuple[str, int], tuple[ClauseElement, _Compiled]] = {}
_compiled_lock = threading.Lock()


class _Held:
    """A thread's own connection to one engine's database; closed when the thread or the engine goes."""

    def __init__(self, engine: Engine) -> None:
        fairy = engine.raw_connection()  # through the pool: its connect events (SQLite's pragmas) have run
        fairy.detach()  # ours from now on: the pool neither counts nor recycles it
        self.connection = fairy.dbapi_connection
        if engine.dialect.name == "postgresql":
            self.connection.autocommit = True  # type: ignore[union-attr]
        # SQLite: the connect event set isolation_level None, so no statement opens a transaction.

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection is being thrown away anyway
                connection.close()

    def __del__(self) -> None:
        self.close()


class _Local(threading.local):
    def __init__(self) -> None:
        self.held: weakref.WeakKeyDictionary[Engine, _Held] = weakref.WeakKeyDictionary()


_local = _Local()
# Every held connection, per engine, so that disposing of the engine closes them all (tests make many).
_all: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[_Held]] = weakref.WeakKeyDictionary()
_all_lock = threading.Lock()


def _holder(engine: Engine) -> _Held:
    held = _local.held.get(engine)
    if held is None or held.connection is None:
        held = _local.held[engine] = _Held(engine)
        with _all_lock:
            if engine not in _all:
                _all[engine] = weakref.WeakSet()
                event.listen(engine, "engine_disposed", close_all)
            _all[engine].add(held)
    return held


def close_all(engine: Engine) -> None:
    """Close every thread's connection to ``engine`` (on ``engine.dispose()``, and after a restore)."""
    with _all_lock:
        holders = list(_all.get(engine, ()))
    for held in holders:
        held.close()


def _sql(dialect: Dialect, statement: ClauseElement) -> _Compiled:
    key = (dialect.name, id(statement))
    entry = _compiled.get(key)
    if entry is not None and entry[0] is statement:
        return entry[1]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    order = tuple(compiled.positiontup or ()) if dialect.positional else None
    # The type conversions SQLAlchemy would apply to each column (SQLite's dates are text, for example).
    columns = getattr(statement, "selected_columns", ())
    processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    # And to each parameter given (a datetime becomes SQLite's text form, for example).
    binders = _binders(dialect, compiled)
    defaults = compiled.construct_params(_check=False)
    for name, binder in binders.items():
        if defaults.get(name) is not None:
            defaults[name] = binder(defaults[name])
    found = (
        str(compiled),
        order,
        defaults,
        binders,
        processors if any(processors) else None,
    )
    with _compiled_lock:
        _compiled[key] = (statement, found)
    return found


def _binders(dialect: Dialect, compiled: Any) -> dict[str, Callable[[Any], Any]]:
    """The type conversion SQLAlchemy applies to each parameter of ``compiled``, by the parameter's name."""
    binders = {}
    for name, bind in compiled.binds.items():
        binder = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if binder is not None:
            binders[compiled.bind_names.get(bind, name)] = binder
    return binders


# Callables told the SQL of every statement run here (and of the change tokens' stamp, see core.changes):
# the benchmark and the query-budget test count these with the ORM's.
observers: list[Callable[[str], None]] = []


def observed(sql: str) -> None:
    for observer in observers:
        observer(sql)


def rows(engine: Engine, statement: ClauseElement, params: dict[str, Any] | None = None) -> list[tuple]:
    """The rows of ``statement`` (a module-level constant: it is compiled once) with ``params``, as of now.

    Give each ``bindparam`` a default value (``bindparam("slug", "")``): the statement is compiled with its
    literal values rendered in, which needs a value for every parameter."""
    sql, arguments, processors = _prepared(engine.dialect, statement, params)
    dbapi = engine.dialect.loaded_dbapi
    for attempt in (1, 2):
        held = _holder(engine)
        try:
            cursor = held.connection.cursor()  # type: ignore[union-attr]
            try:
                if observers:
                    observed(sql)
                cursor.execute(sql, arguments)
                found = cursor.fetchall()
            finally:
                cursor.close()
            return _converted(processors, found)
        except dbapi.Error as error:
            lost = isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError)) or engine.dialect.is_disconnect(
                error, held.connection, None
            )
            if lost:  # a connection the server dropped (a restart): thrown away, and the statement tried once more
                held.close()
            if not lost or attempt == 2:  # else the statement or its values: the connection is fine (autocommit)
                raise exc.DBAPIError.instance(sql, arguments, error, dbapi.Error, dialect=engine.dialect) from error
    raise AssertionError("unreachable")


def rows_in(connection: Connection, statement: ClauseElement, params: dict[str, Any] | None = None) -> list[tuple]:
    """The rows of ``statement`` run on ``connection`` (the session's: in its transaction, so a locking read's
    locks are the transaction's), as the driver's own SQL: no ORM statement building and loading. Errors are
    raised as SQLAlchemy's; the transaction is then the caller's to roll back, as with any failed statement."""
    sql, arguments, processors = _prepared(connection.dialect, statement, params)
    cursor = _execute_in(connection, sql, arguments)
    try:
        found = cursor.fetchall()
    finally:
        cursor.close()
    return _converted(processors, found)


def _execute_in(connection: Connection, sql: str, arguments: Any) -> Any:
    """A cursor of ``connection``'s driver connection that has run ``sql``. A driver error is raised as
    SQLAlchemy's, and a connection the server lost is invalidated (the pool will not hand it out again)."""
    dialect = connection.dialect
    dbapi = dialect.loaded_dbapi
    raw = connection.connection.dbapi_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    if observers:
        observed(sql)
    try:
        cursor.execute(sql, arguments)
    except dbapi.Error as error:
        cursor.close()
        lost = dialect.is_disconnect(error, raw, None)
        if lost:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql, arguments, error, dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from error
    return cursor


# Told of every write run by ``write_in`` as (connection, table), as SQLAlchemy's cursor events are of the writes
# it runs: core.changes notes the table's area for the change tokens, core.database checks SQLite's write
# transactions.
write_hooks: list[Callable[[Connection, Any], None]] = []
# The driver's SQL of a write, its parameters' order (positional drivers), their conversions, the values the
# statement holds itself, and its table.
_Write = tuple[str, tuple[str, ...] | None, dict[str, Any], dict[str, Any], Any]
_writes: dict[tuple[str, int, frozenset[str]], tuple[ClauseElement, _Write]] = {}


class Written:
    """What ``write_in`` ran: ``rowcount`` once the database has answered (after a ``pipelined()`` block)."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount


def write_in(connection: Connection, statement: UpdateBase, params: dict[str, Any]) -> Written:
    """Run an INSERT, UPDATE or DELETE (a module-level constant: compiled once per set of parameter names) with
    ``params`` on ``connection`` (the session's: in its transaction, also inside ``pipelined()``), as the driver's
    own SQL. SQLAlchemy's execution of a statement cost about 70 µs on PostgreSQL, more than the database took.

    The same SQL as SQLAlchemy would send (compiled for the names in ``params``, as it does), and ``write_hooks``
    are told (the change tokens). What SQLAlchemy would add is not: an INSERT must name every column that has a
    Python-side default, an UPDATE every column with an ``onupdate`` (checked, ValueError). Errors are raised
    as SQLAlchemy's."""
    dialect = connection.dialect
    keys = frozenset(params)
    sql, order, binders, defaults, table = _write_sql(dialect, statement, keys)
    # Every value through its type's conversion, None too, as SQLAlchemy does (JSON's None is JSON null).
    values = defaults | {name: (binders[name](value) if name in binders else value) for name, value in params.items()}
    arguments: Any = tuple(values[name] for name in order) if order is not None else values
    for hook in write_hooks:
        hook(connection, table)
    return Written(_execute_in(connection, sql, arguments))


def _write_sql(dialect: Dialect, statement: UpdateBase, keys: frozenset[str]) -> _Write:
    key = (dialect.name, id(statement), keys)
    entry = _writes.get(key)
    if entry is not None and entry[0] is statement:
        return entry[1]
    table = statement.table  # type: ignore[attr-defined]
    needed = {
        column.key
        for column in table.columns
        if (statement.is_insert and column.default is not None) or (statement.is_update and column.onupdate is not None)
    }
    if needed - keys:
        raise ValueError(f"write_in: give {', '.join(sorted(needed - keys))} (SQLAlchemy would fill them in)")
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    # The parameters' names as given, and the bind names of the compiled SQL, are the same: a column's value is
    # bound by the column's name, a bindparam by its own.
    binders = _binders(dialect, compiled)
    # The values the statement holds itself (literals), converted once.
    defaults = {name: value for name, value in compiled.construct_params(_check=False).items() if name not in keys}
    for name, value in defaults.items():
        if name in binders:
            defaults[name] = binders[name](value)
    order = tuple(compiled.positiontup or ()) if dialect.positional else None
    found = (str(compiled), order, binders, defaults, table)
    with _compiled_lock:
        _writes[key] = (statement, found)
    return found


class Asked:
    """The rows of a statement asked with ``ask()``: ``collect()`` right after the pipeline (before the commit
    hands the connection back to the pool) takes a pipelined answer off the connection; ``rows()`` reads them."""

    def __init__(
        self, engine: Engine, statement: ClauseElement, params: dict[str, Any] | None, cursor: Any = None
    ) -> None:
        self._engine, self._statement, self._params, self._cursor = engine, statement, params, cursor
        self._rows: list[tuple] | None = None

    def collect(self) -> None:
        """The pipelined answer, now (no round trip: it came with the pipeline's). A read not pipelined (SQLite)
        is left for ``rows()``."""
        if self._cursor is None:
            return
        cursor, self._cursor = self._cursor, None
        try:
            found = cursor.fetchall()
        finally:
            cursor.close()
        self._rows = _converted(_sql(self._engine.dialect, self._statement)[4], found)

    def rows(self) -> list[tuple]:
        self.collect()
        if self._rows is not None:
            return self._rows
        return rows(self._engine, self._statement, self._params)


def ask(connection: Connection, statement: ClauseElement, params: dict[str, Any] | None = None) -> Asked:
    """``statement``'s rows, asked now and read later with ``Asked.rows()``, for a request that writes and then
    shows what it wrote.

    On PostgreSQL inside ``database.pipelined()``, the statement goes to the server on ``connection`` (the
    session's) with the block's writes and in their transaction, so it sees them, and its answer comes back with
    theirs: no round trip of its own. Anywhere else (SQLite, or outside a pipeline) nothing is sent now; ``rows()``
    runs it as ``rows()`` does, as of then and outside the transaction (on SQLite after the commit, so the write
    lock is not held for it). Errors of a statement in the pipeline are raised as the block ends. Call
    ``collect()`` after the block and before the commit."""
    engine = connection.engine
    raw = connection.connection.dbapi_connection
    if connection.dialect.name != "postgresql" or not raw.pgconn.pipeline_status:  # type: ignore[union-attr]
        return Asked(engine, statement, params)
    sql, arguments, _processors = _prepared(connection.dialect, statement, params)
    return Asked(engine, statement, params, _execute_in(connection, sql, arguments))


def _prepared(dialect: Dialect, statement: ClauseElement, params: dict[str, Any] | None) -> tuple[str, Any, Any]:
    """The driver's SQL, its arguments for ``params`` and the columns' conversions."""
    sql, order, defaults, binders, processors = _sql(dialect, statement)
    if params:
        params = {**defaults, **params}
        for name, binder in binders.items():
            if name in params and params[name] is not None:
                params[name] = binder(params[name])
    else:
        params = defaults
    arguments: Any = tuple(params[name] for name in order) if order is not None else params
    return sql, arguments, processors


def _converted(processors: tuple[Any, ...] | None, found: list[tuple]) -> list[tuple]:
    if processors is None:
        return found
    return [tuple(_convert(processors, row)) for row in found]


def _convert(processors: tuple[Any, ...], row: tuple) -> Iterator[Any]:
    for convert, value in zip(processors, row, strict=True):
        yield value if convert is None else convert(value)
