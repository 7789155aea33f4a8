"""Sending mail when an SMTP server is configured; without one, callers show the message on screen.

``queue_mail()`` puts a finished mail in the app's durable outbox, in the caller's transaction: the outbox is the
notifications feature's (it registers its queue here in its ``init_app``), so that a feature it knows (``auth``,
whose members it mails) can use it without the two importing each other."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


OUTBOX = "protect.outbox"


def queue_mail(**mail: Any) -> int:
    """The outbox's queue (``notifications.mailer.queue_account_mail``): to_address, user_id, language, kind,
    subject, text, html. Returns the mail's id."""
    return current_app.extensions[OUTBOX](**mail)


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text message. Returns False (and logs why) when it could not be sent."""
    config = current_app.config
    if not mail_configured():
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("Could not send mail to %s: %s", to, error)
        return False
    return True
