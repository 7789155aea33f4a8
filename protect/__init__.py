"""PROTECT Workspace: where the PROTECT Children on the Move expert group works together."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from protect import cli
from protect.auth.members import markdown, markdown_as_written
from protect.config import load_config
from protect.core import assets, errors, i18n, inputs, lru, security, timefmt
from protect.core import audit as audit_log  # not "audit": the feature package protect.audit takes that name
from protect.core.database import init_database
from protect.core.permissions import ROLE_LABELS, can, has_role
from protect.core.regions import country_name, sector_name
from protect.core.registry import nav_for
from protect.core.text import plain_excerpt
from protect.extensions import csrf, db, limiter, login_manager, migrate
from protect.notifications.mentions import mention
from protect.search.models import include_object

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each feature package has init_app(app): it registers its blueprint, navigation, panels and seeders.
FEATURES = (
    "protect.home",
    "protect.auth",
    "protect.agendas",
    "protect.guidelines",
    "protect.polls",
    "protect.decisions",
    "protect.programme",
    "protect.notifications",
    "protect.search",
    "protect.audit",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance = os.environ.get("PROTECT_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    load_config(app, config)
    _init_logging(app)
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    _init_extensions(app)
    _init_templates(app)

    cli.init_app(app)
    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    return app


def _init_logging(app: Flask) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in (app.logger.name, "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(app.config["LOG_LEVEL"])


def _init_extensions(app: Flask) -> None:
    lru.init_app(app)
    assets.init_app(app)
    inputs.init_app(app)
    init_database(app)
    audit_log.init_app(app)  # after the change tokens: the chain's head is the last lock a commit takes
    i18n.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,  # the search engines' own tables are not the models'
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.N_("Please sign in to continue.")
    login_manager.localize_callback = gettext  # flashed in the visitor's language
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    timefmt.init_app(app)


def _init_templates(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Members' Markdown (core.text.render_markdown), each @mention showing the member's current name; on pages
    # anyone can read, mentions show as written, without a link to a page only members open.
    app.jinja_env.filters["markdown"] = markdown
    app.jinja_env.filters["markdown_as_written"] = markdown_as_written
    app.jinja_env.filters["excerpt"] = plain_excerpt
    app.jinja_env.filters["country"] = country_name
    app.jinja_env.filters["sector"] = sector_name
    app.jinja_env.filters["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    app.jinja_env.globals.update(can=can, has_role=has_role, nav_for=nav_for, mention=mention)

    @app.context_processor
    def _macros() -> dict[str, Any]:
        # The shared macros as ``ui.field(...)``, ``ui.time(...)``: a context processor also feeds blocks
        # rendered alone for htmx, where a template's top-level ``{% from ... import %}`` never runs.
        return {"ui": app.jinja_env.get_template("_macros.html").module}
