"""The migrations build exactly the schema the models describe, on this run's database backend."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from protect import create_app
from protect.extensions import db
from protect.search.models import include_object
from tests.conftest import TEST_CONFIG


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"protect_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models(empty_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        with db.engine.connect() as conn:
            options = {"compare_type": True, "render_as_batch": True, "include_object": include_object}
            context = MigrationContext.configure(conn, opts=options)
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations differ; write a migration: {differences}"


def test_there_is_one_chain_of_migrations(app):
    script = ScriptDirectory.from_config(
        app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    )
    assert script.get_bases() == ["0001_foundation"]
    # One head: a new migration always knows what it follows, and `flask db migrate` works without flags.
    assert script.get_heads() == ["0020_locations"]
