"""``flask --app protect purge-registrations``: delete interest registrations whose retention has run out."""

from __future__ import annotations

import click
from flask import Flask, current_app

from protect.core.database import utcnow, writing
from protect.extensions import db
from protect.programme import services


def init_app(app: Flask) -> None:
    @app.cli.command("purge-registrations")
    @click.option(
        "--days",
        type=click.IntRange(min=0),
        default=None,
        help="Keep registrations this many days after the training's last day "
        "(default: REGISTRATION_RETENTION_DAYS, 180).",
    )
    @click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
    def purge_registrations(days: int | None, dry_run: bool) -> None:
        """Delete "register your interest" registrations kept longer than the retention period after their
        training. Run it daily, for example from cron:

        \b
        17 3 * * *  cd /srv/protect && .venv/bin/flask --app protect purge-registrations
        """
        retention = days if days is not None else int(current_app.config["REGISTRATION_RETENTION_DAYS"])
        today = utcnow().date()
        with writing():
            count = services.purge_registrations(today, retention, dry_run=dry_run)
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
        verb = "would be deleted" if dry_run else "deleted"
        plural = "s" if count != 1 else ""
        message = f"{count} registration{plural} {verb} (trainings that ended more than {retention} days ago)."
        current_app.logger.info("purge-registrations: %s", message)
        click.echo(message)
