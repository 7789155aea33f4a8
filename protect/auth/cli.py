from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import force_locale

from protect.auth import services
from protect.core.errors import RuleViolation
from protect.core.permissions import ROLES
from protect.core.regions import COUNTRIES, SECTORS, country_time_zone
from protect.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="expert", show_default=True, help="The user's role.")
    @click.option("--name", "display_name", help="Display name (asked for when left out).")
    @click.option("--country", type=click.Choice(sorted(COUNTRIES)), default="XX", show_default=True)
    @click.option("--sector", type=click.Choice(sorted(SECTORS)), default="other", show_default=True)
    @click.password_option(help="The password (asked for, twice, when left out).")
    def create_user(email: str, role: str, display_name: str | None, country: str, sector: str, password: str) -> None:
        """Create an account for EMAIL directly (the first administrator, say). Asks for the password."""
        if not display_name:
            display_name = click.prompt("Display name")
        with force_locale("en"):  # no request to choose a language from: the administrator's CLI is English
            problems = services.password_problems(password, email)
            if problems:
                raise click.ClickException(" ".join(problems))
            try:
                user = services.create_user(
                    email,
                    display_name,
                    password,
                    role=role,
                    country=country,
                    sector=sector,
                    time_zone=country_time_zone(country) if country != "XX" else "Europe/Copenhagen",
                )
            except RuleViolation as error:
                raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Created {user.role} {user.email}.")

    @app.cli.command("purge-sessions")
    @click.option(
        "--days",
        type=click.IntRange(min=0),
        default=30,
        show_default=True,
        help="Keep the rows of ended or timed-out sessions this many days.",
    )
    @click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
    def purge_sessions(days: int, dry_run: bool) -> None:
        """Delete the records of sessions that ended (signed out, ended, password changed, deactivated) or
        timed out (SESSION_IDLE_DAYS, SESSION_MAX_DAYS) more than DAYS ago. Such sessions open nothing
        already; this only keeps the table small. Run it daily, for example from cron:

        \b
        23 3 * * *  cd /srv/protect && .venv/bin/flask --app protect purge-sessions
        """
        count = services.purge_sessions(keep_days=days, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        message = f"{count} session record{'s' if count != 1 else ''} {verb} (ended more than {days} days ago)."
        current_app.logger.info("purge-sessions: %s", message)
        click.echo(message)
