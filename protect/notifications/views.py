"""The member's notifications page, the header's count, their settings, unsubscribing, and the outbox."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from protect.core.database import writing
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, render_fragment, render_page_or_fragment, trigger
from protect.core.permissions import public, role_required
from protect.core.security import safe_next
from protect.extensions import csrf, db
from protect.notifications import mailer, services
from protect.notifications.kinds import DELIVERY_LABELS, KINDS
from protect.notifications.models import DELIVERIES

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
def index():
    unread, read = services.groups(current_user.id)
    return render_page_or_fragment("notifications/index.html", "notices", unread=unread, read=read)


@bp.get("/badge")
def badge():
    """The header's count, polled: 204 while it is the count the page shows (``shown``)."""
    count = services.unread_count(current_user.id)
    if request.args.get("shown", type=int) == count:
        return Response(status=204)
    return render_fragment("notifications/_badge.html", "badge", count=count)


@bp.get("/<int:notice_id>")
def open_notice(notice_id: int):
    """Follow a notice to its place, marking it read on the way."""
    db.session.commit()  # end the read transaction the sign-in check began: the write takes one of its own
    with writing():
        try:
            url = services.open_notice(current_user.id, notice_id)
        except LookupError:
            abort(404)
    return redirect(safe_next(url) or url_for("notifications.index"), 303)


@bp.post("/read")
def mark_read():
    thread = request.form.get("thread") or None
    count = services.mark_read(current_user.id, thread)
    if is_htmx():
        unread, read = services.groups(current_user.id)
        response = render_fragment("notifications/index.html", "notices", unread=unread, read=read)
        return trigger(response, "notifications:changed")
    if count:
        flash(gettext("Marked as read."), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    kinds = services.kinds_for(current_user)
    current = services.settings_of(current_user.id)
    status = 200
    if request.method == "POST":
        chosen = {kind: request.form.get(kind, "") for kind in kinds}
        try:
            services.save_settings(current_user, chosen)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
            current, status = chosen, 422
        else:
            flash(gettext("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"), 303)
    return (
        render_template(
            "notifications/settings.html",
            kinds=[(kind, KINDS[kind]) for kind in kinds],
            current=current,
            deliveries=[(value, DELIVERY_LABELS[value]) for value in DELIVERIES],
            allowed={kind: services.deliveries_for(kind) for kind in kinds},
            subscriptions=services.subscriptions(current_user.id),
        ),
        status,
    )


@bp.post("/subscription")
def subscription():
    """Follow or mute a thread, or leave it to the workspace again (``state`` empty)."""
    thread = request.form.get("thread", "")
    state = request.form.get("state") or None
    back = safe_next(request.form.get("next")) or url_for("notifications.index")
    if not thread or len(thread) > 64 or ":" not in thread or len(request.form.get("url", "")) > 500:
        return error_response(422, gettext("There is nothing to follow or mute here."))
    try:
        services.set_subscription(
            current_user.id,
            thread,
            state,
            title=request.form.get("title", ""),
            url=safe_next(request.form.get("url")) or "",
        )
    except RuleViolation as violation:
        db.session.rollback()
        return error_response(violation.status, violation.message)
    messages = {
        "follow": gettext("You follow this now."),
        "mute": gettext("Muted: you get no more notices about this."),
        None: gettext("You get notices about this as your settings say."),
    }
    if is_htmx():
        response = render_fragment(
            "notifications/_subscription.html",
            "subscription",
            thread=thread,
            state=state,
            title=request.form.get("title", ""),
            url=request.form.get("url", ""),
            next=back,
            message=messages[state],
        )
        return trigger(response, "notifications:changed")
    flash(messages[state], "success")
    return redirect(back, 303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058: a mail client's one-click POST carries no form token; the signed link is the proof
def unsubscribe(token: str):
    try:
        user_id, kind = mailer.read_unsubscribe_token(token)
    except LookupError:
        return error_response(404, gettext("This unsubscribe link is not valid."))
    label = gettext(KINDS[kind].label) if kind in KINDS else None
    if request.method == "POST":
        try:
            services.stop_mail(user_id, kind)
        except LookupError:
            return error_response(404, gettext("This unsubscribe link is not valid."))
        return render_template("notifications/unsubscribe.html", done=True, kind=kind, label=label, token=token)
    return render_template("notifications/unsubscribe.html", done=False, kind=kind, label=label, token=token)


@bp.get("/outbox")
@role_required("moderator")
def outbox():
    state = request.args.get("status")
    state = state if state in services.OUTBOX_STATES else None
    return render_template(
        "notifications/outbox.html", mails=services.outbox(state), state=state, states=services.OUTBOX_STATES
    )


@bp.get("/outbox/<int:mail_id>")
@role_required("moderator")
def outbox_mail(mail_id: int):
    try:
        mail = services.outbox_mail(mail_id)
    except LookupError:
        abort(404)
    return render_template("notifications/outbox_mail.html", mail=mail, hidden_headers=services.OUTBOX_HIDDEN_HEADERS)
