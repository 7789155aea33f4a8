"""``flask reindex``: rebuild the search index from the data (after a restore, or an import done without the app)."""

from __future__ import annotations

import click
from flask import Flask

from protect.core.database import writing
from protect.extensions import db
from protect.search import services


def init_app(app: Flask) -> None:
    @app.cli.command("reindex")
    def reindex() -> None:
        """Rebuild the search index from the data, in one transaction (searches see the old index until it ends)."""
        with writing():
            written = services.reindex()
            db.session.commit()
        total = sum(written.values())
        click.echo(f"Search index rebuilt: {total:,} entries ({', '.join(f'{k} {n:,}' for k, n in written.items())}).")
