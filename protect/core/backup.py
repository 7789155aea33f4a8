"""Backups that restore (``flask backup PATH`` / ``flask restore PATH``), on both databases.

SQLite: ``VACUUM INTO`` on the app's own engine (a statement through SQLAlchemy like every other): a consistent,
compacted copy of the whole database as it was at one moment, while the app keeps reading and writing (WAL:
writers are not stopped); a restore is the same statement the other way, into a file that then takes the
database file's place (the app stopped, as the README's restore steps say).
PostgreSQL: ``pg_dump --format=custom`` (one snapshot of the database, taken while the app runs) and
``pg_restore``; both come with Debian's ``postgresql-client`` package and must be at least the server's version.

A backup is written to a temporary name beside PATH and renamed when complete, so PATH is never a half-written
file. A restore goes into an empty database (a new one: the restore drill) unless ``replace`` is asked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CLIENT_MISSING = (
    "{program} is not installed on this machine: install Debian's postgresql-client (apt-get install "
    "postgresql-client), of the PostgreSQL server's major version or newer, and run this again."
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def describe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def backup(engine: Engine, target: Path) -> str:
    """Write a consistent backup of the database to ``target`` (which must not exist); says what it did."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial)
        elif engine.dialect.name == "postgresql":
            _run(["pg_dump", "--format=custom", f"--file={partial}", f"--dbname={_libpq(engine.url)}"], engine.url)
        else:  # pragma: no cover - only the two supported databases
            raise BackupError(f"Backups of {engine.dialect.name} are not supported.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return f"Backed up {describe(engine.url)} to {target} ({target.stat().st_size:,} bytes)."


def restore(engine: Engine, source: Path, *, replace: bool = False) -> str:
    """Bring the backup ``source`` back into the app's database (empty, unless ``replace``)."""
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    with source.open("rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    kind = "sqlite" if magic.startswith(SQLITE_MAGIC) else "postgresql" if magic.startswith(PG_DUMP_MAGIC) else None
    if kind is None:
        raise BackupError(f"{source} is not a backup made by `flask backup` (neither SQLite nor pg_dump's format).")
    if kind != engine.dialect.name:
        raise BackupError(
            f"{source} is a {kind} backup and this database is {engine.dialect.name}: restore it into a {kind} "
            "database (PROTECT_DATABASE_URL)."
        )
    tables = inspect(engine).get_table_names()
    engine.dispose()
    if tables and not replace:
        raise BackupError(
            f"The database {describe(engine.url)} has tables already ({len(tables)}). Restore into a new, empty "
            "database, or pass --replace to overwrite this one."
        )
    if kind == "sqlite":
        _sqlite_restore(engine, source)
    else:
        clean = ["--clean", "--if-exists"] if replace else []
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *clean,
                f"--dbname={_libpq(engine.url)}",
                str(source),
            ],
            engine.url,
        )
    engine.dispose()  # no pooled connection keeps the old database's state
    return f"Restored {source} into {describe(engine.url)}."


def _vacuum_into(engine: Engine, target: Path) -> None:
    """A consistent copy of ``engine``'s database in the new file ``target`` (VACUUM runs outside a transaction)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM INTO :target"), {"target": str(target)})


def _sqlite_backup(engine: Engine, target: Path) -> None:
    _vacuum_into(engine, target)


def _sqlite_restore(engine: Engine, source: Path) -> None:
    database = Path(engine.url.database or "")
    partial = database.with_name(f".{database.name}.restoring")
    partial.unlink(missing_ok=True)
    reader = create_engine(URL.create("sqlite", database=str(source)))
    try:
        _vacuum_into(reader, partial)
    finally:
        reader.dispose()
    try:
        for suffix in ("-wal", "-shm"):  # the old database's log would be laid over the restored file
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    finally:
        partial.unlink(missing_ok=True)


def _libpq(url: URL) -> str:
    """The database as a libpq URI for pg_dump and pg_restore, without the password (passed in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url: URL) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(CLIENT_MISSING.format(program=command[0]))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run([program, *command[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
