"""Training events and their 2-day agendas, drafted together."""

from __future__ import annotations

from typing import Any

from flask import Flask

from protect.agendas.services import upcoming_events
from protect.core.database import utcnow
from protect.core.i18n import N_
from protect.core.permissions import has_role
from protect.core.registry import NavItem, Panel, Seeder, add_nav, add_panel, add_seeder


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """Upcoming trainings with their item counts (one query)."""
    if not has_role(user, "expert"):
        return None
    return {"events": upcoming_events(utcnow().date())}


def init_app(app: Flask) -> None:
    from protect.agendas import models, services, views  # noqa: F401 - models and rules register themselves
    from protect.agendas.demo import seed_agendas

    app.register_blueprint(views.bp)
    add_nav(app, NavItem(N_("Trainings"), "agendas.list_events", role="expert", order=10, active_prefix="/events"))
    add_panel(app, Panel("agendas", "agendas/_dashboard_panel.html", build=dashboard_panel, order=10))
    add_seeder(app, Seeder("agendas", seed_agendas, order=10))
