"""The sender's commands: ``flask send-mail`` (every minute from cron), ``flask send-digests`` (every hour),
or ``flask mail-worker``, which does both for as long as it runs (see the README's "Notifications and mail")."""

from __future__ import annotations

import contextlib
import signal
import threading

import click
from flask import Flask, current_app

from protect.notifications import mailer


def init_app(app: Flask) -> None:
    @app.cli.command("send-mail")
    def send_mail() -> None:
        """Give the notices that are due, compose the immediate mails and send the outbox. For cron:

        \b
        * * * * *  cd /srv/protect && .venv/bin/flask --app protect send-mail
        """
        counts = mailer.tick()
        click.echo(
            "{reminders} reminders, {composed} mails composed, {sent} sent, {retry} to retry, {failed} failed.".format(
                **counts
            )
        )
        if not current_app.config.get("MAIL_SERVER"):
            click.echo("No mail server is set (PROTECT_MAIL_SERVER): the mail waits in the outbox.")

    @app.cli.command("send-digests")
    def send_digests() -> None:
        """Make the daily (and on Mondays the weekly) digests of the members whose local morning it is. For cron:

        \b
        5 * * * *  cd /srv/protect && .venv/bin/flask --app protect send-digests
        """
        made = mailer.send_digests()
        click.echo(f"{made} digests queued.")

    @app.cli.command("mail-worker")
    @click.option("--interval", default=30.0, show_default=True, help="Seconds between two rounds.")
    def mail_worker(interval: float) -> None:
        """Run send-mail every INTERVAL seconds and send-digests every hour, until stopped: SIGTERM (systemctl stop,
        kill) lets the round in progress finish; Ctrl+C stops at once (a mail being sent then waits for its claim
        to run out, PROTECT_MAIL_CLAIM_SECONDS, and is sent by the next round)."""
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signal, _frame: stop.set())
        click.echo(f"mail-worker: a round every {interval:g} s; stop it with Ctrl+C or SIGTERM.")
        with contextlib.suppress(KeyboardInterrupt):
            mailer.worker(interval, stop)
        click.echo("mail-worker stopped.")
