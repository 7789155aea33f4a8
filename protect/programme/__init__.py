"""Programme pages: moderated publishing of the trainings to the public site, and "register your interest"."""

from __future__ import annotations

from typing import Any

from flask import Flask

from protect.core.i18n import N_
from protect.core.permissions import has_role
from protect.core.registry import NavItem, Panel, Seeder, add_nav, add_panel, add_seeder
from protect.programme.services import waiting_for
from protect.programme.translations import language_name


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """Moderators: pages and translations waiting for review or for publishing. Experts: drafts not submitted yet.
    One query."""
    if not has_role(user, "expert"):
        return None
    waiting = waiting_for(user)
    if not waiting:
        return None
    return {
        "pages": [one for one in waiting if one.language is None],
        "translations": [(one, language_name(one.language)) for one in waiting if one.language is not None],
        "moderator": has_role(user, "moderator"),
    }


def init_app(app: Flask) -> None:
    from protect.programme import cli, models, moderation, services, translating, views  # noqa: F401 - routes register
    from protect.programme.demo import seed_programme

    app.register_blueprint(views.bp)
    cli.init_app(app)
    add_nav(app, NavItem(N_("Programme"), "programme.index", role=None, order=50, active_prefix="/programme"))
    add_nav(app, NavItem(N_("Publishing"), "programme.manage", role="expert", order=55, active_prefix="/publishing"))
    add_panel(app, Panel("programme", "programme/_dashboard_panel.html", build=dashboard_panel, order=50))
    add_seeder(app, Seeder("programme", seed_programme, order=50))
