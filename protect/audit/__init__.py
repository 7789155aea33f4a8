"""The audit log's own page (moderators), the verification of its hash chain and its daily checkpoints.

The log and its chain are ``core.audit`` (every feature writes it); this package reads, verifies and shows it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from protect.audit import cli, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
