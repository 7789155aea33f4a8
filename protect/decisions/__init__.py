"""The launch group's decision log: meetings, decisions with their status timeline, and actions."""

from __future__ import annotations

from typing import Any

from flask import Flask

from protect.core.registry import NavItem, PagePanel, Panel, Seeder, add_nav, add_page_panel, add_panel, add_seeder


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """The user's open actions and the decisions due soon (two queries)."""
    from protect.core.permissions import has_role
    from protect.decisions import services

    if not has_role(user, "expert"):
        return None
    today = services.today_for(user)
    return {
        "actions": services.my_open_actions(user),
        "decisions": services.decisions_due_soon(today),
        "today": today,
    }


def init_app(app: Flask) -> None:
    from protect.decisions import models, services, views  # noqa: F401 - models and rules register themselves
    from protect.decisions.demo import seed_decisions

    app.register_blueprint(views.bp)
    app.register_blueprint(views.actions_bp)
    add_nav(app, NavItem("Decisions", "decisions.list_decisions", role="expert", order=40, active_prefix="/decisions"))
    add_nav(app, NavItem("Actions", "actions.my_actions", role="expert", order=41, active_prefix="/actions"))
    add_panel(app, Panel("decisions", "decisions/_dashboard_panel.html", build=dashboard_panel, order=40))
    add_seeder(app, Seeder("decisions", seed_decisions, order=40))
    # On a closed poll's page and its results: the decisions recording its result, "Record as a decision".
    for page in ("polls.poll", "polls.results"):
        add_page_panel(app, PagePanel(page, "decisions", "decisions/_poll_panel.html", build=services.poll_panel))
