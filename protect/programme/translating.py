"""The members' side of translations: a page's translation into one language, edited beside the page's text and
moved through the page's own workflow (plain form posts, 303 back to the translation's page).

Experts add, edit and submit translations; moderators send them back, approve, publish and withdraw them: the
routes require those roles and the services check them again (``translations.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from protect.core.errors import RuleViolation
from protect.core.i18n import LANGUAGES
from protect.core.permissions import can, role_required
from protect.extensions import db
from protect.programme import services, translations
from protect.programme.content import Training
from protect.programme.models import SOURCE, STATES, ProgrammePage, ProgrammeTranslation
from protect.programme.views import bp

TEMPLATE = "programme/translation.html"


def _page(page_id: int) -> ProgrammePage:
    try:
        return services.load_page(page_id)
    except LookupError:
        abort(404, gettext("There is no such programme page."))


def _translation(page_id: int, language: str) -> ProgrammeTranslation:
    try:
        return translations.load(page_id, language)
    except LookupError:
        abort(404, gettext("This page has no translation into that language."))


def _context(page: ProgrammePage, translation: ProgrammeTranslation, **extra: Any) -> dict[str, Any]:
    live_source = services.snapshot(page.id, page.live_version)
    public = services.snapshot(page.id, translation.live_version, translation.language)
    source = live_source.content if live_source else services.working_content(page)
    context = {
        "page": page,
        "translation": translation,
        "language_name": translations.language_name(translation.language),
        "source": source,
        "source_language": SOURCE,
        "fields": translations.TRANSLATABLE,
        "labels": {name: gettext(label) for name, label in translations.FIELD_LABELS.items()},
        "values": extra.pop("values", None) or translation.fields,
        "errors": extra.pop("errors", {}),
        "conflict": extra.pop("conflict", None),  # rows of the saved texts beside the refused member's
        "conflict_message": extra.pop("conflict_message", None),
        "out_of_date": translations.is_out_of_date(translation.source_version, page.live_version),
        "public": public,
        "public_out_of_date": public is not None
        and translations.is_out_of_date(public.source_version, page.live_version),
        "changes": translations.source_changes(page.id, translation.source_version, page.live_version),
        "missing": translations.readiness_problems(translation, source),
        "transitions": translations.transitions_of(page.id, translation.language),
        "may_moderate": can(current_user, "programme.moderate"),
        "STATES": STATES,
    }
    context.update(extra)
    return context


def _show(page_id: int, language: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    page = _page(page_id)
    return render_template(TEMPLATE, **_context(page, _translation(page_id, language), **extra)), status


def _done(page_id: int, language: str, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("programme.translation", page_id=page_id, language=language), 303)


def _refused(page_id: int, language: str, error: RuleViolation, **extra: Any):
    """A rule refused the step: beside its field when it names one, else as the error page."""
    db.session.rollback()
    if not error.field:
        raise error
    return _show(page_id, language, error.status, errors={error.field: error.message}, **extra)


def _version() -> int | None:
    return request.form.get("version", type=int)


@bp.post("/publishing/<int:page_id>/translations")
@role_required("expert")
def add_translation(page_id: int):
    _page(page_id)
    language = request.form.get("language", "")
    try:
        translation = translations.create(current_user, page_id, language)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("programme.overview", page_id=page_id, _anchor="translations"), 303)
    return _done(
        page_id,
        translation.language,
        gettext(
            "The %(language)s translation is started. Translate the texts, then submit it for review.",
            language=translations.language_name(translation.language),
        ),
    )


@bp.get("/publishing/<int:page_id>/translations/<language>")
@role_required("expert")
def translation(page_id: int, language: str):
    return _show(page_id, language)


@bp.post("/publishing/<int:page_id>/translations/<language>/edit")
@role_required("expert")
def edit_translation(page_id: int, language: str):
    values = {name: request.form.get(name, "") for name in translations.TRANSLATABLE}
    try:
        translations.save(
            current_user,
            page_id,
            language,
            _version(),
            values,
            request.form.get("source_version", type=int),
        )
    except translations.TranslationConflict as error:
        return _conflict(page_id, language, error, values)
    except RuleViolation as error:
        return _refused(page_id, language, error, values=values)
    return _done(page_id, language, gettext("The translation is saved."))


def _conflict(page_id: int, language: str, error: RuleViolation, values: dict[str, str]) -> tuple[str, int]:
    """Someone changed the translation while this member typed (saved it, or moved it on in review): nothing
    is saved, and the form comes back with their texts in it, the saved ones beside them and the version now
    in the form, so that saving again keeps theirs knowingly (as the page's own edit does)."""
    db.session.rollback()
    current = _translation(page_id, language)
    yours = translations.clean_fields(values)
    rows = [
        {"label": gettext(translations.FIELD_LABELS[name]), "theirs": saved, "yours": yours[name]}
        for name in translations.TRANSLATABLE
        if (saved := (current.fields or {}).get(name, "")) != yours[name]
    ]
    # Still editable: a version conflict, saving again is the choice. Not editable (in review, approved): the
    # refusal says why, and the texts stay on the page to be copied.
    message = None if current.is_editable else error.message
    return _show(page_id, language, 409, values=values, conflict=rows, conflict_message=message)


@bp.post("/publishing/<int:page_id>/translations/<language>/submit")
@role_required("expert")
def submit_translation(page_id: int, language: str):
    try:
        translations.submit(current_user, page_id, language, _version(), request.form.get("comment", ""))
    except RuleViolation as error:
        return _refused(page_id, language, error)
    return _done(page_id, language, gettext("The translation is submitted. A moderator reviews it next."))


@bp.post("/publishing/<int:page_id>/translations/<language>/send-back")
@role_required("moderator")
def send_back_translation(page_id: int, language: str):
    try:
        translations.send_back(current_user, page_id, language, _version(), request.form.get("comment"))
    except RuleViolation as error:
        return _refused(page_id, language, error)
    return _done(page_id, language, gettext("The translation is sent back to its translators with your comment."))


@bp.post("/publishing/<int:page_id>/translations/<language>/approve")
@role_required("moderator")
def approve_translation(page_id: int, language: str):
    try:
        translations.approve(current_user, page_id, language, _version(), request.form.get("comment", ""))
    except RuleViolation as error:
        return _refused(page_id, language, error)
    return _done(page_id, language, gettext("The translation is approved. Publish it to put it on the public site."))


@bp.post("/publishing/<int:page_id>/translations/<language>/publish")
@role_required("moderator")
def publish_translation(page_id: int, language: str):
    try:
        published = translations.publish(current_user, page_id, language, _version())
    except RuleViolation as error:
        return _refused(page_id, language, error)
    return _done(
        page_id,
        language,
        gettext(
            "Version %(version)s of the translation is published: visitors in its language see it now.",
            version=published.version,
        ),
    )


@bp.post("/publishing/<int:page_id>/translations/<language>/withdraw")
@role_required("moderator")
def withdraw_translation(page_id: int, language: str):
    try:
        translations.withdraw(current_user, page_id, language, request.form.get("reason"))
    except RuleViolation as error:
        return _refused(page_id, language, error)
    return _done(
        page_id,
        language,
        gettext("The translation is withdrawn: visitors in its language see the page in its own language again."),
    )


@bp.get("/publishing/<int:page_id>/translations/<language>/preview")
@role_required("expert")
def preview_translation(page_id: int, language: str):
    """The working copy of the translation laid over the page's live content, as the public would see it."""
    page = _page(page_id)
    translation = _translation(page_id, language)
    live = services.snapshot(page.id, page.live_version)
    source = live.content if live else services.working_content(page)
    content = translations.translated_content(
        source, {"language": translation.language, "fields": translation.fields, "source_version": None}
    )
    training = Training(content, None)
    body = Markup(  # noqa: S704 - the output of our own autoescaping template
        render_template("programme/_training.html", training=training, variant="preview", is_open=False, slug=page.slug)
    )
    label = gettext(
        "the working copy of the %(language)s translation", language=translations.language_name(translation.language)
    )
    return render_template("programme/preview.html", page=page, training=training, body=body, label=label)


def languages_to_add(rows: list[translations.TranslationRow]) -> list[tuple[str, str]]:
    """The languages the page has no translation into yet, as (code, name in the reader's language)."""
    taken = {row.translation.language for row in rows}
    return [
        (code, f"{translations.language_name(code)} ({LANGUAGES[code]})")
        for code in translations.target_languages()
        if code not in taken
    ]
