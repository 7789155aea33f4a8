from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from protect.core.audit import recent_activity
from protect.core.pagecache import cached_page
from protect.core.permissions import public
from protect.core.registry import dashboard_panels
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


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")
