"""Search: one box that finds anything a member may see, on the databases' own full-text engines."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from protect.core.registry import Seeder, add_seeder
    from protect.search import cli, services, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
    # Last of the demo data: whatever the seeders wrote without a service is indexed too.
    add_seeder(app, Seeder("search", services.reindex, order=999))
