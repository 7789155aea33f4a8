"""Notifications: what the workspace tells each member, in the app and by e-mail (immediately or in digests)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from protect.core.mail import OUTBOX
    from protect.notifications import cli, mailer, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
    app.extensions[OUTBOX] = mailer.queue_account_mail  # core.mail.queue_mail: the account mails of auth
