"""Alembic environment for Flask-Migrate. Runs the same migrations on SQLite and PostgreSQL."""

import logging

from alembic import context
from flask import current_app

from protect.core import changes

logger = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db


def get_metadata():
    return target_db.metadata


def run_migrations_offline() -> None:
    context.configure(url=str(target_db.engine.url), target_metadata=get_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds tables (copy, drop, rename). With foreign keys on, dropping a table that
            # others point at would cascade into them, so they are off while migrating and checked after.
            # The pragma only works outside a transaction, hence on the driver connection directly.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        # A migration's own data changes are not stamped (the stamps' table may not exist yet); the app is
        # restarted after an upgrade, with empty caches.
        with changes.paused(), context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = connection.connection.driver_connection
            problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys = ON")
            if problems:
                raise RuntimeError(f"Foreign key check failed after migrating: {problems[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
