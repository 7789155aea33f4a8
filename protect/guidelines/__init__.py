"""The guidelines feature: documents, sections, proposed revisions, word diffs, comments and moderation."""

from __future__ import annotations

from flask import Flask

from protect.core.i18n import N_
from protect.core.registry import NavItem, Panel, Seeder, add_nav, add_panel, add_seeder


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing any module of the feature (its models, say) runs this file
    # first, and the views import much of the app. Every feature's init_app does the same.
    from protect.guidelines import services, views
    from protect.guidelines.demo import seed_guidelines

    app.register_blueprint(views.bp)
    add_nav(
        app,
        NavItem(N_("Guidelines"), "guidelines.list_guidelines", role="expert", order=20, active_prefix="/guidelines"),
    )
    add_panel(app, Panel("guidelines", "guidelines/_dashboard_panel.html", build=services.dashboard_panel, order=20))
    add_seeder(app, Seeder("guidelines", seed_guidelines, order=20))
