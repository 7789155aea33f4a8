from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from protect.core import i18n
from protect.core.audit import recent_activity
from protect.core.pagecache import cached_page
from protect.core.permissions import public
from protect.core.registry import dashboard_panels
from protect.core.security import safe_next
from protect.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return render_template("home/about.html")


@bp.get("/dashboard")
@cached_page("*")
def dashboard():
    return render_template(
        "home/dashboard.html", panels=dashboard_panels(current_user), activity=recent_activity(current_user)
    )


@bp.get("/language/<code>")
@public
def language(code: str):
    """The language switch: keeps the visitor's choice in a cookie and goes back to the page they were on."""
    chosen = i18n.language_code(code)
    if chosen is None:
        abort(404)
    target = safe_next(request.args.get("next")) or url_for("home.index")
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    response = redirect(urlunsplit(("", "", parts.path, query, parts.fragment)), 303)
    response.set_cookie(i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")
