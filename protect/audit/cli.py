"""``flask verify-audit``: walk the audit chain; exit status 1 at the first problem, which it names."""

from __future__ import annotations

import click
from flask import Flask

from protect.audit import chain, notices
from protect.core.database import utcnow, writing
from protect.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("verify-audit")
    def verify_audit() -> None:
        """Check the audit log's hash chain: every event as recorded, none removed or inserted, the end where
        the chain's head says and every checkpoint matched. The result shows on the audit page. The first
        verification of a day that finds the chain unbroken records the day's checkpoint and tells the
        moderators its head hash (mailed, as each chose). For cron, daily:

        \b
        30 3 * * *  cd /srv/protect && .venv/bin/flask --app protect verify-audit
        """
        result = chain.verify_and_record()
        if result.ok:
            click.echo(f"Audit chain unbroken: {result.length} events, head {result.head_hash}.")
            with writing():
                told = notices.checkpoint(utcnow())
                db.session.commit()
            if told:
                click.echo(f"Today's checkpoint recorded; {told} moderators told.")
            return
        click.echo(f"Audit chain BROKEN: {result.message}", err=True)
        click.echo(f"The first {result.length} events are intact (up to hash {result.head_hash}).", err=True)
        raise SystemExit(1)
