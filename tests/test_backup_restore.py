"""The restore drill: `flask backup` while members write, `flask restore` into a new database, every committed row
there. On the database the suite runs on (SQLite, or PostgreSQL with pg_dump and pg_restore)."""

from __future__ import annotations

import contextvars
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from protect import create_app
from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.conftest import BACKEND, TEST_CONFIG

MARK = "backup-drill"


def invoke(app, *args: str):
    runner = app.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=list(args))


@pytest.fixture
def new_database(tmp_path) -> Iterator:
    """``new_database()``: the URL of a new, empty database on this run's backend (dropped afterwards)."""
    made: list[str] = []
    server = make_url(os.environ.get("PROTECT_TEST_DATABASE_URL", "postgresql://x@127.0.0.1/x")).set(
        drivername="postgresql+psycopg"
    )

    def make() -> str:
        name = f"protect_drill_{uuid.uuid4().hex[:10]}"
        if BACKEND == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.sqlite')}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        made.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, tmp_path: Path):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def every_row(app) -> dict[str, list[tuple]]:
    """Each table's rows in key order."""
    with app.app_context():
        found = {}
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                found[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
        return found


def test_a_backup_taken_while_members_write_restores_every_committed_row(tmp_path, new_database):
    source = app_on(new_database(), tmp_path)
    assert invoke(source, "init-db").exit_code == 0
    assert invoke(source, "seed-demo").exit_code == 0

    committed: list[int] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:  # a member writing, one commit at a time, for as long as the backup runs
        try:
            with source.app_context():
                engine = db.engine
                number = 0
                while not stop.is_set():
                    with engine.begin() as conn:
                        conn.execute(
                            insert(AuditEvent.__table__).values(action=MARK, summary=str(number), audience="all")
                        )
                    committed.append(number)  # acknowledged: the commit returned
                    number += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while len(committed) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = every_row(source)  # the writer adds to audit_event only
        acknowledged_before = len(committed)
        path = tmp_path / "protect.backup"
        result = invoke(source, "backup", str(path))
        acknowledged_after = len(committed)
        time.sleep(0.05)  # and writes go on after the backup
    finally:
        stop.set()
        writer.join(10)
    assert not failures, failures
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and path.stat().st_size > 0
    assert len(committed) > acknowledged_after >= acknowledged_before >= 20  # writes ran before, during, after

    target = app_on(new_database(), tmp_path)
    restored = invoke(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "restart" in restored.output
    after = every_row(target)

    for table, rows in before.items():
        if table in ("audit_event", "change_stamp"):  # the writer's table; the restore renews every token
            continue
        assert after[table] == rows, f"{table}: the restored rows differ"
    assert len(after["change_stamp"]) == len(before["change_stamp"])
    restored_audit = {row[0]: row for row in after["audit_event"]}
    assert all(restored_audit.get(row[0]) == row for row in before["audit_event"])  # each committed before it
    with target.app_context():
        marked = select(AuditEvent.summary).where(AuditEvent.action == MARK)
        drill = sorted(int(summary) for summary in db.session.execute(marked).scalars())
    # One moment of the database: the writer's rows without a gap, at least those acknowledged before the backup
    # began, at most those acknowledged by the time it ended.
    assert drill == list(range(len(drill)))
    assert acknowledged_before <= len(drill) <= acknowledged_after
    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    with source.app_context():
        db.engine.dispose()


def test_restore_goes_only_into_an_empty_database_unless_told_to_replace(tmp_path, new_database):
    source = app_on(new_database(), tmp_path)
    invoke(source, "init-db")
    invoke(source, "seed-demo")
    path = tmp_path / "first.backup"
    assert invoke(source, "backup", str(path)).exit_code == 0
    again = invoke(source, "backup", str(path))
    assert again.exit_code != 0 and "exists already" in again.output

    refused = invoke(source, "restore", str(path))
    assert refused.exit_code != 0 and "has tables already" in refused.output and "--replace" in refused.output
    replaced = invoke(source, "restore", "--replace", str(path))
    assert replaced.exit_code == 0, replaced.output
    with source.app_context():
        db.engine.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path, new_database):
    target = app_on(new_database(), tmp_path)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    result = invoke(target, "restore", str(junk))
    assert result.exit_code != 0 and "is not a backup" in result.output
    missing = invoke(target, "restore", str(tmp_path / "nowhere.backup"))
    assert missing.exit_code != 0 and "There is no backup file" in missing.output


def test_postgresql_backup_without_the_client_says_what_to_install(tmp_path, monkeypatch):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/protect"})
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    result = invoke(app, "backup", str(tmp_path / "x.backup"))
    assert result.exit_code != 0
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "x.backup").exists()
