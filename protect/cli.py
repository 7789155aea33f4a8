"""Application-wide commands: init-db, seed-demo, backup, restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from protect.auth.models import User
from protect.core import backup as backups
from protect.core import changes
from protect.core.database import writing
from protect.core.registry import registry
from protect.extensions import db
from protect.search import services as search


def init_app(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create the database or bring it to the newest schema (runs every migration not yet applied)."""
        upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
        with writing():
            changes.renew_all()  # what a migration changed was not stamped: no cached page may outlive it
            if search.index_is_empty():  # the migration that made the index, or a restore: fill it from the data
                search.reindex()
            db.session.commit()
        click.echo(f"Database ready: {_describe(db.engine.url)}")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (first run).")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo data. Safe to repeat: what exists already is left as it is."""

        if if_empty and db.session.execute(select(func.count()).select_from(User)).scalar_one():
            click.echo("Demo data not loaded: the database has users already (your data is kept).")
            return
        with writing():
            for seeder in registry().seeders:
                seeder.run()
                db.session.commit()
        click.echo("Demo data loaded.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup(path: Path) -> None:
        """Write a consistent backup of the database to PATH, safe while the app runs (SQLite: VACUUM INTO;
        PostgreSQL: pg_dump --format=custom, from Debian's postgresql-client)."""
        try:
            click.echo(backups.backup(db.engine, path))
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from error

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--replace", is_flag=True, help="Overwrite a database that has tables already.")
    def restore(path: Path, replace: bool) -> None:
        """Bring the backup PATH back into the database of PROTECT_DATABASE_URL (a new, empty one unless
        --replace), then bring it to this release's schema. Stop the app servers first, start them after."""
        try:
            click.echo(backups.restore(db.engine, path, replace=replace))
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from error
        db.session.remove()
        upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
        with writing():
            changes.renew_all()  # no cached page may outlive what the restore turned back
        click.echo("Schema up to date. Start (or restart) every app server now: their caches knew newer data.")


def _describe(url) -> str:
    return url.render_as_string(hide_password=True)
