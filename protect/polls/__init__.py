"""The polls feature: location votes. Its blueprint, navigation, dashboard panel and demo data are registered here."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from protect.core.registry import NavItem, Panel, Reminder, Seeder, add_nav, add_panel, add_reminder, add_seeder


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing any module of the feature (its models, say) runs this file
    # first, and the views import much of the app. Every feature's init_app does the same.
    from protect.polls import cli, location_views, notices, quorum, services, views
    from protect.polls.demo import seed_polls
    from protect.polls.location_demo import seed_locations

    app.register_blueprint(views.bp)
    app.register_blueprint(location_views.bp)  # candidate locations, /locations
    cli.init_app(app)
    add_nav(app, NavItem(lazy_gettext("Votes"), "polls.list_polls", role="expert", order=30, active_prefix="/polls"))
    add_panel(app, Panel("polls", "polls/_dashboard_panel.html", build=services.dashboard_panel, order=30))
    add_seeder(app, Seeder("polls", seed_polls, order=30))
    add_seeder(app, Seeder("locations", seed_locations, order=31))  # candidate locations, the 2016 STV vote
    # Notices due at a time (flask send-mail runs them every minute): a poll opened, closing within a day for
    # those who have not voted, its result published.
    add_reminder(app, Reminder("polls.opened", notices.opened))
    add_reminder(app, Reminder("polls.closing", notices.closing))
    add_reminder(app, Reminder("polls.result", notices.result))
    add_reminder(app, Reminder("polls.closing_soon", quorum.closing_soon))  # 48 hours, countries unheard first
