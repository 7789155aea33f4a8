"""The members' side of the programme: drafting pages, the review workflow, previews and registrations.

Each workflow action is a plain form post (303 back to the page) and, with htmx, swaps the page's
``workspace`` block: the state, the actions, what differs from the published version and the history.
A comment that is required but missing comes back in that block with 422, beside the field.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from protect.agendas.models import AUDIENCES
from protect.core.database import utcnow
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, render_fragment, render_page_or_fragment
from protect.core.permissions import can, require, role_required
from protect.core.regions import country_name, sector_name
from protect.extensions import db
from protect.programme import services, translations
from protect.programme.content import Training, label_of
from protect.programme.diff import diff_content
from protect.programme.forms import CommentForm, PageForm, WithdrawForm
from protect.programme.models import STATES, ProgrammePage
from protect.programme.translating import languages_to_add
from protect.programme.views import bp

OVERVIEW = "programme/overview.html"


@bp.errorhandler(LookupError)
def _not_here(_error: LookupError) -> Response:
    db.session.rollback()
    return error_response(404, gettext("There is no such programme page or registration."))


def _may_moderate() -> bool:
    return can(current_user, "programme.moderate")


def _page_or_404(page_id: int) -> ProgrammePage:
    try:
        return services.load_page(page_id)
    except LookupError:
        abort(404, gettext("There is no such programme page."))


# The list -----------------------------------------------------------------------------------------------------


@bp.get("/publishing/")
@role_required("expert")
def manage():
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    listing = services.pages_for_members(state or None, request.args.get("page", 1, type=int) or 1)
    events, more_events = services.events_without_page(wanted=request.args.get("start", type=int))
    return render_template(
        "programme/manage.html",
        listing=listing,
        pages=listing.rows,
        state=state,
        events=events,
        more_events=more_events,
        counts=services.registration_counts() if _may_moderate() else {},
        STATES=STATES,
    )


@bp.post("/publishing/new")
@role_required("expert")
def create_page():
    event_id = request.form.get("event_id", type=int)
    if event_id is None:
        return error_response(422, gettext("Choose the training the page is for."))
    try:
        page = services.create_page(current_user, event_id)
    except LookupError:
        return error_response(404, gettext("There is no such training event."))
    db.session.commit()
    flash(
        gettext(
            "The programme page “%(title)s” is started as a draft. Complete it, then submit it for review.",
            title=page.title,
        ),
        "info",
    )
    return redirect(url_for("programme.edit_page", page_id=page.id), 303)


@bp.get("/publishing/for-event/<int:event_id>")
@role_required("expert")
def for_event(event_id: int):
    """From a training's agenda to its programme page, or to the list where one is started."""
    page_id = db.session.execute(select(ProgrammePage.id).where(ProgrammePage.event_id == event_id)).scalar()
    if page_id is None:
        flash(gettext("This training has no programme page yet. Start one below."), "info")
        return redirect(url_for("programme.manage", start=event_id, _anchor="start"), 303)
    return redirect(url_for("programme.overview", page_id=page_id), 303)


# One page -----------------------------------------------------------------------------------------------------


def _workspace_context(page: ProgrammePage, **extra: Any) -> dict[str, Any]:
    versions = services.versions_of(page.id)
    live = services.snapshot(page.id, page.live_version)
    transitions, older_transitions = services.transitions_of(page.id)
    working = services.working_content(page)
    translation_rows = translations.overview_rows(page)
    candidate = page.approved_content if page.state == "approved" and page.approved_content else working
    context = {
        "page": page,
        "live": live,
        "live_training": Training(live.content, live.version) if live else None,
        "diff": diff_content(live.content if live else None, candidate),
        "comparing": "approved" if candidate is page.approved_content else "working",
        # After approval the agenda may change again: those changes wait for the next version.
        "later_changes": diff_content(page.approved_content, working) if page.state == "approved" else None,
        "missing": services.readiness_problems(page),
        "transitions": transitions,
        "older_transitions": older_transitions,
        "versions": versions,
        "comment_form": extra.pop("comment_form", None) or CommentForm(formdata=None, version=page.version),
        "withdraw_form": extra.pop("withdraw_form", None) or WithdrawForm(formdata=None),
        "may_moderate": _may_moderate(),
        "STATES": STATES,
        "translations": translation_rows,
        "languages_to_add": languages_to_add(translation_rows) if page.live_version else [],
    }
    context.update(extra)
    return context


@bp.get("/publishing/<int:page_id>")
@role_required("expert")
def overview(page_id: int):
    page = _page_or_404(page_id)
    return render_page_or_fragment(OVERVIEW, "workspace", **_workspace_context(page))


def _after_action(page_id: int, message: str) -> Response:
    db.session.commit()
    if is_htmx():
        page = services.load_page(page_id)
        return render_fragment(OVERVIEW, "workspace", **_workspace_context(page, notice=message))
    flash(message, "success")
    return redirect(url_for("programme.overview", page_id=page_id), 303)


def _refused(page_id: int, error: RuleViolation, name: str, form: Any) -> Response:
    """A comment or reason was missing: show the page again with the message beside the field (422)."""
    db.session.rollback()
    if not (error.field and hasattr(form, error.field)):
        raise error
    field = getattr(form, error.field)
    field.errors = [*field.errors, error.message]
    page = _page_or_404(page_id)
    context = _workspace_context(page, **{name: form})
    return render_page_or_fragment(OVERVIEW, "workspace", status=error.status, **context)


def _version() -> int | None:
    return request.form.get("version", type=int)


@bp.post("/publishing/<int:page_id>/submit")
@role_required("expert")
def submit(page_id: int):
    form = CommentForm()
    page = services.submit(current_user, page_id, _version(), form.comment.data or "")
    return _after_action(page_id, gettext("“%(title)s” is submitted. A moderator reviews it next.", title=page.title))


@bp.post("/publishing/<int:page_id>/send-back")
@role_required("moderator")
def send_back(page_id: int):
    form = CommentForm()
    try:
        page = services.send_back(current_user, page_id, _version(), form.comment.data)
    except RuleViolation as error:
        return _refused(page_id, error, "comment_form", form)
    return _after_action(
        page_id, gettext("“%(title)s” is sent back to its authors with your comment.", title=page.title)
    )


@bp.post("/publishing/<int:page_id>/approve")
@role_required("moderator")
def approve(page_id: int):
    form = CommentForm()
    page = services.approve(current_user, page_id, _version(), form.comment.data or "")
    return _after_action(
        page_id, gettext("“%(title)s” is approved. Publish it to put it on the public site.", title=page.title)
    )


@bp.post("/publishing/<int:page_id>/publish")
@role_required("moderator")
def publish(page_id: int):
    published = services.publish(current_user, page_id, _version())
    return _after_action(
        page_id,
        gettext(
            "Version %(version)s of “%(title)s” is published: the public sees it now.",
            version=published.version,
            title=published.title,
        ),
    )


@bp.post("/publishing/<int:page_id>/withdraw")
@role_required("moderator")
def withdraw(page_id: int):
    form = WithdrawForm()
    try:
        page = services.withdraw(current_user, page_id, form.reason.data, keep_releases=bool(form.keep_releases.data))
    except RuleViolation as error:
        return _refused(page_id, error, "withdraw_form", form)
    return _after_action(
        page_id, gettext("“%(title)s” is withdrawn: visitors of its address see your reason.", title=page.title)
    )


# Editing ------------------------------------------------------------------------------------------------------


def _conflict_rows(form: PageForm, current: ProgrammePage) -> list[dict[str, str]]:
    mine = services.clean_values(form.values())
    rows = []
    for name in services.PAGE_FIELDS:
        theirs, yours = getattr(current, name), mine[name]
        if theirs != yours:
            if name == "audiences":
                theirs = ", ".join(label_of(AUDIENCES, key) for key in theirs)
                yours = ", ".join(label_of(AUDIENCES, key) for key in yours)
            rows.append({"label": gettext(services.FIELD_LABELS[name]), "theirs": theirs, "yours": yours})
    return rows


@bp.route("/publishing/<int:page_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_page(page_id: int):
    page = _page_or_404(page_id)
    require("programme.edit", page)
    if request.method == "GET":
        form = PageForm(obj=page)
        form.version.data = page.version
        status = 200 if page.is_editable else 409
        return render_template("programme/edit.html", page=page, form=form, locked=not page.is_editable), status

    form = PageForm()
    if not form.validate_on_submit():
        return render_template("programme/edit.html", page=page, form=form, locked=False), 422
    if form.version.data is None:
        form.version.errors = [
            gettext("The form does not say which version it began from. Reload the page and edit again.")
        ]
        return render_template("programme/edit.html", page=page, form=form, locked=False), 422
    try:
        saved = services.save_page(current_user, page_id, form.version.data, form.values())
    except services.EditConflict:
        db.session.rollback()
        current = services.load_page(page_id)
        rows = _conflict_rows(form, current)
        form.version.data = current.version  # saving again keeps this version over theirs
        return render_template("programme/edit.html", page=current, form=form, conflict=rows, locked=False), 409
    except RuleViolation as error:
        db.session.rollback()
        current = services.load_page(page_id)
        if error.field and hasattr(form, error.field):
            field = getattr(form, error.field)
            field.errors = [*field.errors, error.message]
            return render_template("programme/edit.html", page=current, form=form, locked=False), error.status
        return render_template(
            "programme/edit.html", page=current, form=form, locked=not current.is_editable, error=error.message
        ), error.status
    db.session.commit()
    if saved.live_version:
        message = gettext(
            "The page is saved. It is a new draft: the public keeps seeing the published version until a moderator "
            "publishes again."
        )
    else:
        message = gettext("The page is saved.")
    flash(message, "success")
    return redirect(url_for("programme.overview", page_id=page_id), 303)


# Previews -----------------------------------------------------------------------------------------------------


def _preview(page: ProgrammePage, content: dict[str, Any], label: str, version: int | None = None) -> Response:
    training = Training(content, version)
    body = Markup(  # noqa: S704 - the output of our own autoescaping template
        render_template("programme/_training.html", training=training, variant="preview", is_open=False, slug=page.slug)
    )
    return make_response(
        render_template("programme/preview.html", page=page, training=training, body=body, label=label)
    )


@bp.get("/publishing/<int:page_id>/preview")
@role_required("expert")
def preview(page_id: int):
    page = _page_or_404(page_id)
    if request.args.get("which") == "approved":
        if page.approved_content is None:
            abort(404, gettext("This page has no approved version waiting to be published."))
        return _preview(page, page.approved_content, gettext("the approved version, not published yet"))
    return _preview(page, services.working_content(page), gettext("the working copy, with the agenda as it is now"))


@bp.get("/publishing/<int:page_id>/versions/<int:version>")
@role_required("expert")
def version(page_id: int, version: int):
    page = _page_or_404(page_id)
    published = services.snapshot(page.id, version)
    if published is None:
        abort(404, gettext("There is no such published version."))
    if page.live_version == version:
        label = gettext("published version %(version)s (what the public sees now)", version=version)
    else:
        label = gettext("published version %(version)s", version=version)
    return _preview(page, published.content, label, version)


# Registrations ------------------------------------------------------------------------------------------------


@bp.get("/publishing/<int:page_id>/registrations")
@role_required("moderator")
def registrations(page_id: int):
    page = _page_or_404(page_id)
    listing = services.registrations_page(page.id, request.args.get("page", 1, type=int) or 1)
    return render_template("programme/registrations.html", page=page, listing=listing, registrations=listing.rows)


def _cell(value: str) -> str:
    # A cell that starts like a formula is shown as text by spreadsheets, never run.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/publishing/<int:page_id>/registrations.csv")
@role_required("moderator")
def registrations_csv(page_id: int):
    page = _page_or_404(page_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            gettext("Reference"),
            gettext("Received (UTC)"),
            gettext("Name"),
            gettext("Email"),
            gettext("Organisation"),
            gettext("Country"),
            gettext("Sector"),
            gettext("Message"),
            gettext("Consent"),
        ]
    )
    for registration in services.registrations_for(page.id):
        writer.writerow(
            [
                registration.reference,
                registration.created_at.strftime("%Y-%m-%d %H:%M"),
                _cell(registration.name),
                _cell(registration.email),
                _cell(registration.organisation),
                country_name(registration.country),
                sector_name(registration.sector),
                _cell(registration.message),
                registration.consented_at.strftime("%Y-%m-%d %H:%M"),
            ]
        )
    response = make_response("\ufeff" + out.getvalue())  # the BOM lets spreadsheets read UTF-8
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="registrations-{page.slug}-{utcnow():%Y-%m-%d}.csv"'
    )
    return response


@bp.post("/publishing/<int:page_id>/registrations/<int:registration_id>/delete")
@role_required("moderator")
def delete_registration(page_id: int, registration_id: int):
    page = _page_or_404(page_id)
    registration = services.delete_registration(current_user, page, registration_id)
    db.session.commit()
    message = gettext("The registration %(reference)s is deleted.", reference=registration.reference)
    if is_htmx():
        return render_fragment(
            "programme/registrations.html",
            "deleted_row",
            registration=registration,
            message=message,
        )
    flash(message, "success")
    return redirect(url_for("programme.registrations", page_id=page_id), 303)
