"""Notifications: what the workspace tells each member, in the app and by e-mail (immediately or in digests)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from protect.notifications import cli, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
