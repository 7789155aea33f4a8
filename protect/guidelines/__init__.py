"""The guidelines feature: documents, sections, proposed revisions, word diffs, comments and moderation."""

from __future__ import annotations

from typing import Any

from flask import Flask

from protect.core.registry import NavItem, Panel, Seeder, add_nav, add_panel, add_seeder


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """Proposals waiting for review, proposals the user has not commented on, replies to the user (2 queries)."""
    from protect.core.permissions import has_role
    from protect.guidelines.services import dashboard_items

    if not has_role(user, "expert"):
        return None
    return dashboard_items(user)


def init_app(app: Flask) -> None:
    from protect.guidelines import models, services, views  # noqa: F401 - models and rules register themselves
    from protect.guidelines.demo import seed_guidelines

    app.register_blueprint(views.bp)
    add_nav(
        app, NavItem("Guidelines", "guidelines.list_guidelines", role="expert", order=20, active_prefix="/guidelines")
    )
    add_panel(app, Panel("guidelines", "guidelines/_dashboard_panel.html", build=dashboard_panel, order=20))
    add_seeder(app, Seeder("guidelines", seed_guidelines, order=20))
