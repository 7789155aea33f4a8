"""The launch group's decision log: meetings, decisions with their status timeline, and actions."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from protect.core.registry import (
    NavItem,
    PagePanel,
    Panel,
    Reminder,
    Seeder,
    add_nav,
    add_page_panel,
    add_panel,
    add_reminder,
    add_seeder,
)


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing any module of the feature (its models, say) runs this file
    # first, and the views import much of the app. Every feature's init_app does the same.
    from protect.decisions import log, notices, services, views
    from protect.decisions.demo import seed_decisions

    app.register_blueprint(views.bp)
    app.register_blueprint(views.actions_bp)
    add_nav(
        app,
        NavItem(
            lazy_gettext("Decisions"), "decisions.list_decisions", role="expert", order=40, active_prefix="/decisions"
        ),
    )
    add_nav(
        app, NavItem(lazy_gettext("Actions"), "actions.my_actions", role="expert", order=41, active_prefix="/actions")
    )
    add_panel(app, Panel("decisions", "decisions/_dashboard_panel.html", build=log.dashboard_panel, order=40))
    add_seeder(app, Seeder("decisions", seed_decisions, order=40))
    # On a closed poll's page and its results: the decisions recording its result, "Record as a decision".
    for page in ("polls.poll", "polls.results"):
        add_page_panel(app, PagePanel(page, "decisions", "decisions/_poll_panel.html", build=services.poll_panel))
    # Told at a time, not by a request (flask send-mail runs it every minute): actions due in 2 days, or overdue.
    add_reminder(app, Reminder("decisions.actions_due", notices.actions_due))
