"""The audit page (moderators): the chain's state and checkpoints, and the events with filters; the
administrators' "verify now"."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from protect.audit import chain, services
from protect.core.htmx import redirect_or_hx
from protect.core.permissions import role_required
from protect.extensions import db, limiter

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("")
@role_required("moderator")
def index():
    chosen = services.parse_filter(request.args)
    listing = services.events_page(current_user, chosen) if not chosen.errors else services.AuditPage([], False)
    return render_template(
        "audit/index.html",
        chosen=chosen,
        listing=listing,
        choices=services.filter_choices(current_user),
        status=chain.status(),
        checkpoints=chain.checkpoints(),
        describe=chain.describe,
        object_label=services.object_label,
    ), (422 if chosen.errors else 200)


@bp.post("/verify")
@role_required("admin")
@limiter.limit("6 per minute")
def verify():
    db.session.commit()  # the request's own transaction (the sign-in check) ends before the walk
    result = chain.verify_and_record()
    if result.ok:
        flash(gettext("Verified: the audit chain is unbroken (%(num)d events).", num=result.length), "success")
    else:
        flash(gettext("The audit chain is broken: %(problem)s", problem=result.message), "error")
    return redirect_or_hx(url_for("audit.index"))
