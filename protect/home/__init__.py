"""The public landing page, the members' dashboard and the health check."""

from flask import Flask

from protect.core.registry import NavItem, add_nav


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing any module of the feature (its models, say) runs this file
    # first, and the views import much of the app. Every feature's init_app does the same.
    from protect.home import views

    app.register_blueprint(views.bp)
    add_nav(app, NavItem("Dashboard", "home.dashboard", role="expert", order=0, active_prefix="/dashboard"))
    add_nav(app, NavItem("About", "home.index", role=None, order=0, public_only=True))
