"""The polls feature: location votes. Its blueprint, navigation, dashboard panel and demo data are registered here."""

from __future__ import annotations

from typing import Any

from flask import Flask

from protect.core.registry import NavItem, Panel, Seeder, add_nav, add_panel, add_seeder


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """The polls open now and whether ``user`` has voted in each (one query)."""
    from protect.polls.services import open_polls_for

    return {"polls": open_polls_for(user)}


def init_app(app: Flask) -> None:
    from protect.polls import cli, views
    from protect.polls.demo import seed_polls

    app.register_blueprint(views.bp)
    cli.init_app(app)
    add_nav(app, NavItem("Votes", "polls.list_polls", role="expert", order=30, active_prefix="/polls"))
    add_panel(app, Panel("polls", "polls/_dashboard_panel.html", build=dashboard_panel, order=30))
    add_seeder(app, Seeder("polls", seed_polls, order=30))
