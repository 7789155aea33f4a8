from __future__ import annotations

import click
from flask import Flask

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
