"""Application-wide commands: init-db, seed-demo, backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from protect.auth.models import User
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
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup(path: str) -> None:
        """Write a consistent copy of the SQLite database to PATH, safe while the app runs."""
        url = db.engine.url
        if url.get_backend_name() != "sqlite":
            raise click.ClickException(
                "This database is PostgreSQL: back it up with pg_dump, for example "
                f"`pg_dump --format=custom --file={path} '{_describe(url)}'`."
            )
        target = Path(path)
        if target.exists():
            raise click.ClickException(f"{path} exists already; choose a new file name.")
        source = sqlite3.connect(url.database)
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)  # SQLite's online backup: a consistent snapshot
            destination.close()
        finally:
            source.close()
        click.echo(f"Backed up {url.database} to {path} ({target.stat().st_size:,} bytes).")


def _describe(url) -> str:
    return url.render_as_string(hide_password=True)
