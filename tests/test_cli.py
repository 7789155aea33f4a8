"""The command-line tools: init-db, seed-demo, create-user, backup — each with --help."""

from __future__ import annotations

import contextvars
import os
import sqlite3
import stat

import pytest
from sqlalchemy import func, inspect, select

from protect import create_app
from protect.auth.models import User
from protect.config import normalise_database_url
from protect.core import changes
from protect.extensions import db
from tests.conftest import TEST_CONFIG


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    """An app on a new, empty SQLite database with its own instance folder."""
    monkeypatch.setenv("PROTECT_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"}
    config.pop("SECRET_KEY")
    app = create_app(config)
    yield app
    with app.app_context():
        db.engine.dispose()


def invoke(app, *args: str, input: str | None = None):
    """Run a command as the shell would: in a context of its own (the test's app context would be reused)."""
    runner = app.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=list(args), input=input)


def users_in(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(User)).scalar_one()


@pytest.mark.parametrize("command", ["init-db", "seed-demo", "create-user", "backup", "restore"])
def test_every_command_explains_itself(fresh_app, command):
    result = invoke(fresh_app, command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_init_db_then_seed_demo_keeps_data_on_a_second_run(fresh_app):
    result = invoke(fresh_app, "init-db")
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"users", "audit_event", "alembic_version", "training_event"} <= tables

    assert invoke(fresh_app, "seed-demo", "--if-empty").exit_code == 0
    seeded = users_in(fresh_app)
    assert seeded >= 10
    with fresh_app.app_context():
        before = changes.current()
    again = invoke(fresh_app, "init-db")
    assert again.exit_code == 0
    with fresh_app.app_context():
        after = changes.current()
    # Every area gets a new change token: nothing cached before a migration outlives it.
    assert set(before) <= set(after) and all(after[scope] != token for scope, token in before.items())
    second = invoke(fresh_app, "seed-demo", "--if-empty")
    assert "not loaded" in second.output
    assert users_in(fresh_app) == seeded
    # seed-demo without --if-empty is idempotent: nothing is doubled
    assert invoke(fresh_app, "seed-demo").exit_code == 0
    assert users_in(fresh_app) == seeded


def test_create_user_asks_for_a_strong_password(fresh_app):
    invoke(fresh_app, "init-db")
    weak = invoke(
        fresh_app,
        "create-user",
        "first@example.org",
        "--role",
        "admin",
        "--name",
        "First Admin",
        input="short\nshort\n",
    )
    assert weak.exit_code != 0
    assert "at least 10 characters" in weak.output
    ok = invoke(
        fresh_app,
        "create-user",
        "first@example.org",
        "--role",
        "admin",
        "--name",
        "First Admin",
        input="a strong first password\na strong first password\n",
    )
    assert ok.exit_code == 0, ok.output
    with fresh_app.app_context():
        user = db.session.execute(select(User).where(User.email == "first@example.org")).scalar_one()
        assert user.role == "admin" and user.check_password("a strong first password")
    twice = invoke(
        fresh_app,
        "create-user",
        "first@example.org",
        "--name",
        "Again",
        input="a strong first password\na strong first password\n",
    )
    assert twice.exit_code != 0 and "exists already" in twice.output


def test_backup_makes_a_consistent_copy(fresh_app, tmp_path):
    invoke(fresh_app, "init-db")
    invoke(fresh_app, "seed-demo")
    target = tmp_path / "backup.sqlite"
    result = invoke(fresh_app, "backup", str(target))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == users_in(fresh_app)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    refused = invoke(fresh_app, "backup", str(target))
    assert refused.exit_code != 0 and "exists already" in refused.output


def test_secret_key_is_generated_once_into_the_instance_folder(fresh_app, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert fresh_app.secret_key == key_file.read_text().strip()
    assert len(fresh_app.secret_key) == 64
    again = create_app(
        {
            **{k: v for k, v in TEST_CONFIG.items() if k != "SECRET_KEY"},
            "SQLALCHEMY_DATABASE_URI": fresh_app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    assert again.secret_key == fresh_app.secret_key
    with again.app_context():
        db.engine.dispose()


def test_environment_variables_override_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTECT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PROTECT_HTTPS", "1")
    monkeypatch.setenv("PROTECT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app({"TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    with app.app_context():
        db.engine.dispose()


def test_postgres_urls_use_psycopg_3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
