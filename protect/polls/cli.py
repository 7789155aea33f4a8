"""``flask --app protect seal-polls``: seal every secret poll whose close has passed (run it from cron)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import text

from protect.extensions import db
from protect.polls import services


def init_app(app: Flask) -> None:
    @app.cli.command("seal-polls")
    @click.option(
        "--vacuum",
        is_flag=True,
        help="Afterwards rewrite the ballot tables (PostgreSQL: VACUUM FULL, which locks them for a moment; "
        "SQLite: VACUUM), so that no freed space of the data files still holds an erased salt or tag.",
    )
    def seal_polls(vacuum: bool) -> None:
        """Seal the secret polls that have closed: erase their ballot key and voter tags and rewrite their
        ballots in random order, so that nothing links a voter to a ballot any more. The first page view after a
        close does the same; this does it even when nobody looks. Run it every few minutes, for example:

        \b
        */5 * * * *  cd /srv/protect && .venv/bin/flask --app protect seal-polls
        """
        sealed = services.seal_closed_polls()
        if vacuum:
            _vacuum()
        plural = "" if len(sealed) == 1 else "s"
        message = f"{len(sealed)} poll{plural} sealed" + (f": {', '.join(map(str, sealed))}" if sealed else "") + "."
        current_app.logger.info("seal-polls: %s", message)  # poll ids only: never a voter or a choice
        click.echo(message)


def _vacuum() -> None:
    db.session.close()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM FULL poll, poll_participation, ballot, ballot_mark"))
        return
    # VACUUM runs outside a transaction: an autocommit connection, as for PostgreSQL above.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in ("PRAGMA secure_delete = ON", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
            connection.execute(text(statement))
