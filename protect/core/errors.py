"""Error pages that fit the layout; an htmx request gets only the message, swapped into the alert area."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from protect.core.htmx import is_htmx
from protect.core.i18n import N_
from protect.extensions import db

# The English messages (N_): error_response translates them into the reader's language.
TITLES = {
    400: N_("Bad request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed here"),
    409: N_("Conflict"),
    410: N_("No longer available"),
    413: N_("Too large"),
    422: N_("Please check your input"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}
MESSAGES = {
    400: N_("The request could not be understood."),
    403: N_("Your role does not allow this. If you think it should, ask a moderator or an administrator."),
    404: N_("There is nothing at this address. It may have been moved or deleted, or the link is mistyped."),
    405: N_("This address does not accept that kind of request."),
    409: N_("Someone else changed this in the meantime. Reload to see the current state."),
    410: N_("This is no longer available."),
    413: N_("What you sent is larger than the workspace accepts."),
    422: N_("Some of what you entered could not be accepted."),
    429: N_("Too many requests in a short time. Wait a minute and try again."),
    500: N_(
        "An unexpected error happened on our side. Nothing you entered was saved by this request; "
        "please try again. The error has been logged."
    ),
    503: N_("The service is temporarily unavailable. Please try again in a moment."),
}
# While the database restarts (a minute at most, usually seconds), browsers and clients are asked to wait this long.
DATABASE_RETRY_AFTER = 5
DATABASE_UNAVAILABLE = N_(
    "The workspace is briefly unavailable while its database restarts. Nothing was saved by this request; "
    "what you typed is still on the page. Please try again in a few seconds."
)


class RuleViolation(Exception):
    """A business rule refused an action. Views may catch it to show the message beside the form;
    uncaught, it becomes an error page (or alert fragment) with ``status`` and the message."""

    status = 409

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


def error_response(status: int, message: str | None = None, title: str | None = None) -> Response:
    """The error page (or alert fragment) for ``status``: ``message`` and ``title`` come translated already;
    without them, the status's own, in the reader's language."""
    default_message = MESSAGES.get(status)
    context = {
        "status": status,
        "title": title or (gettext(TITLES[status]) if status in TITLES else gettext("Error")),
        "message": message or (gettext(default_message) if default_message else ""),
    }
    if is_htmx():
        body = render_block("errors/error.html", "alert", **context)
        response = Response(body, status, mimetype="text/html")
        # Shown in the page's alert area, never swapped into the middle of a form or list.
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = Response(render_template("errors/error.html", **context), status, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    # A description given to abort(code, "...") is ours and meant for the user; werkzeug's defaults are not.
    default = type(error).description
    message = error.description if error.description and error.description != default else None
    response = error_response(status, message)
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


# Flask-WTF refuses a missing, expired or forged token, or one from another session. For a member it almost always
# means a page left open longer than WTF_CSRF_TIME_LIMIT (or from before a sign-out): say what to do about it.
CSRF_TITLE = N_("Security check failed")
CSRF_EXPIRED_HTMX = N_(
    "This page has expired: reload it to send this again (nothing was saved). What you typed is still in the form "
    "until you reload: copy anything long first."
)
CSRF_EXPIRED_PAGE = N_(
    "This page has expired and nothing was saved. What you typed is kept: go back with your browser's back "
    "button, copy it, reload the page, paste it in and send it again."
)


def _csrf_error(error: CSRFError) -> Response:
    # An htmx request gets the alert in #alerts (error_response retargets it there), so the form stays as typed.
    return error_response(400, gettext(CSRF_EXPIRED_HTMX if is_htmx() else CSRF_EXPIRED_PAGE), gettext(CSRF_TITLE))


def _rate_limited(error: RateLimitExceeded) -> Response:
    if error.response is not None:  # a view's own answer (the sign-in form keeps what was typed)
        return error.response
    response = error_response(
        429, gettext("Too many requests (%(limit)s). Wait a minute and try again.", limit=error.description)
    )
    retry = getattr(error, "retry_after", None)
    if retry:
        response.headers["Retry-After"] = str(int(retry))
    return response


def _server_error(error: Exception) -> Response:
    # Flask has logged the exception already. Undo the failed request's half-done writes.
    try:
        db.session.rollback()
    except Exception:  # the error page must render even when the database is gone
        current_app.logger.warning("Rollback after a server error failed too", exc_info=True)
    return error_response(500)


_PLAIN_UNAVAILABLE = Markup(
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Briefly unavailable</title>'
    "<h1>Briefly unavailable</h1><p>{}</p></html>"
)


def _database_unavailable(error: Exception) -> Response:
    """The database could not be reached or the connection was lost (a restart, a failover, a network cut):
    503 with Retry-After, never a 500. The pool replaces the lost connections by itself (core.database), so a
    later request succeeds once the database is back."""
    current_app.logger.error("Database unavailable: %s", error, exc_info=error)
    g.protect_database_unavailable = True  # auth.views.load_user: no member is loaded for the error page
    try:
        response = error_response(503, gettext(DATABASE_UNAVAILABLE), gettext("Briefly unavailable"))
    except Exception:  # the page itself needed the database (an expired member, say): a plain page in English then
        current_app.logger.warning("The error page could not be rendered", exc_info=True)
        response = Response(_PLAIN_UNAVAILABLE.format(DATABASE_UNAVAILABLE), 503, mimetype="text/html")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rule_violation(error: RuleViolation) -> Response:
    db.session.rollback()
    return error_response(error.status, error.message)


def init_app(app: Flask) -> None:
    app.register_error_handler(RuleViolation, _rule_violation)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DisconnectionError, _database_unavailable)
    app.register_error_handler(500, _server_error)
