"""Sign-in, invitations, password resets, profiles and user administration."""

from flask import Flask

from protect.core.registry import NavItem, Seeder, add_nav, add_seeder


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing any module of the feature (its models, say) runs this file
    # first, and the views import much of the app. Every feature's init_app does the same.
    from protect.auth import cli, security_views, views  # noqa: F401 - security_views adds its routes to views.bp
    from protect.auth.demo import seed_people

    app.register_blueprint(views.bp)
    cli.init_app(app)
    add_nav(app, NavItem("People", "auth.users", role="admin", order=90, active_prefix="/admin/"))
    add_seeder(app, Seeder("people", seed_people, order=0))
