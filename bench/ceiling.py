"""The ceiling: a bare Flask app that renders a static template as large as the agenda page.

Served by the same gunicorn settings as the real app, it shows what the server, Flask and Jinja alone cost;
each page's requests per second are reported as a ratio to it.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template


def create_app() -> Flask:
    folder = Path(os.environ["PROTECT_BENCH_CEILING_DIR"])
    app = Flask(__name__, template_folder=str(folder))

    @app.get("/ceiling")
    def ceiling():
        return render_template("ceiling.html")

    return app


app = create_app() if "PROTECT_BENCH_CEILING_DIR" in os.environ else None
