"""Translations of programme pages: the page's own workflow and snapshots, in another language.

A translation (``ProgrammeTranslation``) holds the translatable texts of a page in one language, keyed by their
place in the page's content, and the published version of the page they were translated from. It goes through
the page's workflow — draft -> in review -> approved -> published (or withdrawn), the same states, the same
transitions table, the same permissions (experts draft and submit, moderators approve, send back, publish and
withdraw) — and is published as a ``ProgrammeSnapshot`` in its language, immutable like the page's own.

What the public sees in a language is the page's live content with the translation's live texts laid over it
(``translated_content``): dates, places and the agenda always come from the page as published now. A
translation is out of date when the page has been published again since the version it was translated from;
that is computed from the two version numbers whenever it is read (``is_out_of_date``), so it is right at the
very next request after the page is republished. ``source_changes`` is the word diff of the page's texts
between those two versions: what the translator has to bring over.

Translating more of the content later (agenda items, guideline sections) is the same mechanism: more keys in
``fields`` ("agenda.<item id>.title") laid over the content by ``translated_content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from flask import url_for
from flask_babel import get_locale, gettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import LANGUAGES, N_, babel_locale, language_code
from protect.core.permissions import can
from protect.extensions import db
from protect.programme.content import Training, audiences_key, digest, fold
from protect.programme.diff import Diff, diff_content
from protect.programme.models import (
    DESCRIPTION_MAX,
    EDITABLE_STATES,
    SOURCE,
    SUMMARY_MAX,
    TAKE_PART_MAX,
    TITLE_MAX,
    ProgrammePage,
    ProgrammeSnapshot,
    ProgrammeTransition,
    ProgrammeTranslation,
)
from protect.programme.services import load_page, page_url, snapshot, tell_moderators, tell_submitter
from protect.search import services as search

SCHEMA = 1
# The texts of a page that are translated, in the order the form shows them; the agenda stays in the working
# language for now (its items would be "agenda.<id>.title" and "agenda.<id>.notes").
TRANSLATABLE = ("title", "summary", "description", "how_to_take_part")
LIMITS = {"title": TITLE_MAX, "summary": SUMMARY_MAX, "description": DESCRIPTION_MAX, "how_to_take_part": TAKE_PART_MAX}
FIELD_LABELS = {
    "title": N_("Public title"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "how_to_take_part": N_("How to take part"),
}


def target_languages() -> list[str]:
    """The languages a page can be translated into: the interface's, but the page's own."""
    return [code for code in LANGUAGES if code != SOURCE]


def language_name(code: str) -> str:
    """The language's name in the reader's language ("latviešu" in a Latvian interface, "Latvian" in English)."""
    try:
        return babel_locale(code).get_display_name(get_locale() or "en_GB") or LANGUAGES.get(code, code)
    except (ValueError, TypeError):
        return LANGUAGES.get(code, code)


def is_out_of_date(translated_from: int | None, page_live_version: int | None) -> bool:
    """A translation made from an older published version of the page than the one live now."""
    return translated_from is not None and page_live_version is not None and translated_from < page_live_version


def translated_content(source: dict[str, Any], translation: dict[str, Any]) -> dict[str, Any]:
    """The page's published ``source`` content with a translation snapshot's texts laid over it (a text left
    empty in the translation keeps the source's), marked with the translation's language."""
    content = dict(source)
    for key, value in (translation.get("fields") or {}).items():
        if key in TRANSLATABLE and value:
            content[key] = value
    content["content_language"] = translation["language"]
    content["source_version"] = translation.get("source_version")
    return content


def source_changes(page_id: int, translated_from: int, live_version: int | None) -> Diff:
    """What changed in the page's translatable texts between the version translated and the live one, word by
    word (empty when nothing did)."""
    before = snapshot(page_id, translated_from)
    after = snapshot(page_id, live_version)
    if before is None or after is None or before.version == after.version:
        return Diff([], [])
    changed = diff_content(before.content, after.content)
    return Diff([change for change in changed.fields if change.name in TRANSLATABLE], [])


# Loading ------------------------------------------------------------------------------------------------------


def load(page_id: int, language: str, *, lock: bool = False) -> ProgrammeTranslation:
    query = select(ProgrammeTranslation).where(
        ProgrammeTranslation.page_id == page_id, ProgrammeTranslation.language == language
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    translation = db.session.execute(query).scalar_one_or_none()
    if translation is None:
        raise LookupError((page_id, language))
    return translation


def translations_of(page_id: int) -> list[ProgrammeTranslation]:
    return list(
        db.session.execute(
            select(ProgrammeTranslation)
            .where(ProgrammeTranslation.page_id == page_id)
            .order_by(ProgrammeTranslation.language)
        ).scalars()
    )


def transitions_of(page_id: int, language: str, limit: int = 50) -> list[ProgrammeTransition]:
    return list(
        db.session.execute(
            select(ProgrammeTransition)
            .options(joinedload(ProgrammeTransition.actor))
            .where(ProgrammeTransition.page_id == page_id, ProgrammeTransition.language == language)
            .order_by(ProgrammeTransition.created_at.desc(), ProgrammeTransition.id.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass(frozen=True)
class TranslationRow:
    """A translation as the page's overview lists it: its working copy, and whether it and what the public sees
    of it are out of date."""

    translation: ProgrammeTranslation
    public_from: int | None  # the page's version the live translation translates (None: nothing public)
    page_live_version: int | None

    @property
    def out_of_date(self) -> bool:
        return is_out_of_date(self.translation.source_version, self.page_live_version)

    @property
    def public_out_of_date(self) -> bool:
        return is_out_of_date(self.public_from, self.page_live_version)

    @property
    def name(self) -> str:
        return language_name(self.translation.language)


def overview_rows(page: ProgrammePage) -> list[TranslationRow]:
    """The page's translations with what their live versions translate. One query."""
    rows = db.session.execute(
        select(ProgrammeTranslation, ProgrammeSnapshot.source_version)
        .outerjoin(
            ProgrammeSnapshot,
            (ProgrammeSnapshot.page_id == ProgrammeTranslation.page_id)
            & (ProgrammeSnapshot.language == ProgrammeTranslation.language)
            & (ProgrammeSnapshot.version == ProgrammeTranslation.live_version),
        )
        .where(ProgrammeTranslation.page_id == page.id)
        .order_by(ProgrammeTranslation.language)
    ).all()
    return [TranslationRow(translation, public_from, page.live_version) for translation, public_from in rows]


# The workflow -------------------------------------------------------------------------------------------------


def _require_edit(actor: Any) -> None:
    if not can(actor, "programme.edit"):
        raise RuleViolation(gettext("Only members of the expert group translate programme pages."), status=403)


def _require_moderate(actor: Any, message: str) -> None:
    if not can(actor, "programme.moderate"):
        raise RuleViolation(gettext(message), status=403)


SUMMARIES = {
    "created": N_("started the %(language)s translation of the programme page “%(title)s”"),
    "new_version": N_("started a new version of the %(language)s translation of “%(title)s”"),
    "edited": N_("edited the %(language)s translation of the programme page “%(title)s”"),
    "submitted": N_("submitted the %(language)s translation of “%(title)s” for review"),
    "sent_back": N_("sent the %(language)s translation of “%(title)s” back with comments"),
    "approved": N_("approved the %(language)s translation of “%(title)s”"),
    "published": N_("published version %(version)s of the %(language)s translation of “%(title)s”"),
    "withdrawn": N_("withdrew the %(language)s translation of “%(title)s” from the public site"),
}


def _record(
    actor: User,
    page: ProgrammePage,
    translation: ProgrammeTranslation,
    action: str,
    from_state: str | None,
    to_state: str,
    *,
    comment: str = "",
    snapshot_version: int | None = None,
    when=None,
) -> None:
    """The step in the page's transitions (with its language) and in the audit log, as the page's own steps."""
    if action != "edited":
        db.session.add(
            ProgrammeTransition(
                page_id=page.id,
                language=translation.language,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor_id=actor.id,
                created_at=when or utcnow(),
                comment=comment,
                snapshot_version=snapshot_version,
            )
        )
    search.update("translation", translation.id)
    audit.record(
        actor,
        f"programme.translation_{action}",
        page,
        summary=SUMMARIES[action],
        # The language by its own name: the summary's reader may read any language.
        params={"language": _language_name(translation.language), "title": page.title}
        | ({"version": snapshot_version} if snapshot_version is not None else {}),
        url=page_url(page.id),
        details={"language": translation.language, "from": from_state, "to": to_state, "version": snapshot_version},
        when=when,
    )


def _language_name(code: str) -> str:
    """A language by its own name (the summaries that name it are read in any language)."""
    return LANGUAGES.get(code, code)


def translation_url(page_id: int, language: str, anchor: str | None = None) -> str:
    """The translation's page (a path), in a request or not."""
    try:
        return url_for("programme.translation", page_id=page_id, language=language, _anchor=anchor)
    except RuntimeError:  # outside a request (seeding, command line)
        return f"/publishing/{page_id}/translations/{language}" + (f"#{anchor}" if anchor else "")


def _move(translation: ProgrammeTranslation, to_state: str, actor: User, **values: Any) -> None:
    written = {
        "state": to_state,
        "version": translation.version + 1,
        "updated_at": utcnow(),
        "updated_by_id": actor.id,
        **values,
    }
    result = db.session.execute(
        update(ProgrammeTranslation)
        .where(ProgrammeTranslation.id == translation.id, ProgrammeTranslation.version == translation.version)
        .values(**written)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # pragma: no cover - the row is locked by load(lock=True)
        raise RuleViolation(gettext("The translation changed at the same moment. Reload and try again."), status=409)
    for key, value in written.items():
        set_committed_value(translation, key, value)


class TranslationConflict(RuleViolation):
    """The translation changed (or left the editable states) since the member opened it: the texts they sent
    are not saved, and the form shows them again beside the saved ones."""


def _check_version(translation: ProgrammeTranslation, version: int | None) -> None:
    if version is None or translation.version != version:
        raise TranslationConflict(
            gettext(
                "The translation changed since you opened it (it is now “%(state)s”). Reload the page, check it "
                "again, then try once more.",
                state=translation.state_label,
            ),
            status=409,
        )


def create(actor: User, page_id: int, language: str | None, *, when=None) -> ProgrammeTranslation:
    """Start the translation of a published page into ``language`` (one per language), from its live version."""
    _require_edit(actor)
    code = language_code(language)
    if code is None or code == SOURCE or code != (language or "").strip().lower():
        raise RuleViolation(gettext("Choose a language from the list."), field="language", status=422)
    page = load_page(page_id, lock=True)
    if page.live_version is None:
        raise RuleViolation(
            gettext("“%(title)s” is not published: a translation is made from a published version.", title=page.title),
            status=409,
        )
    exists = db.session.execute(
        select(ProgrammeTranslation.id).where(
            ProgrammeTranslation.page_id == page.id, ProgrammeTranslation.language == code
        )
    ).scalar()
    if exists is not None:
        raise RuleViolation(
            gettext(
                "“%(title)s” has a %(language)s translation already.", title=page.title, language=language_name(code)
            ),
            field="language",
            status=409,
        )
    now = when or utcnow()
    translation = ProgrammeTranslation(
        page_id=page.id,
        language=code,
        fields={},
        source_version=page.live_version,
        state="draft",
        version=1,
        created_at=now,
        created_by_id=actor.id,
        updated_at=now,
        updated_by_id=actor.id,
    )
    db.session.add(translation)
    db.session.flush()
    _record(actor, page, translation, "created", None, "draft", when=when)
    return translation


def clean_fields(values: dict[str, Any]) -> dict[str, str]:
    def text(name: str) -> str:
        return (values.get(name) or "").replace("\r\n", "\n").strip()

    fields = {name: text(name) for name in TRANSLATABLE}
    fields["title"] = " ".join(fields["title"].split())
    fields["summary"] = " ".join(fields["summary"].split())
    return fields


def save(
    actor: User,
    page_id: int,
    language: str,
    version: int | None,
    values: dict[str, Any],
    source_version: int | None = None,
    *,
    when=None,
) -> ProgrammeTranslation:
    """Save the translation's texts if it is still at ``version`` and editable; ``source_version`` is the
    version of the page the translator was shown (the live one when left out)."""
    _require_edit(actor)
    fields = clean_fields(values)
    for name, limit in LIMITS.items():
        if len(fields[name]) > limit:
            raise RuleViolation(gettext("At most %(num)s characters.", num=limit), field=name, status=422)
    if not fields["title"]:
        raise RuleViolation(gettext("Enter the translated title."), field="title", status=422)
    page = load_page(page_id)
    translation = load(page_id, language, lock=True)
    if translation.state not in EDITABLE_STATES:
        raise TranslationConflict(
            gettext(
                "The translation is “%(state)s”, so it cannot be changed now. A moderator approves it or sends it "
                "back; after that it can be edited again.",
                state=translation.state_label,
            ),
            status=409,
        )
    _check_version(translation, version)
    live = page.live_version or translation.source_version
    seen = source_version if source_version is not None and 1 <= source_version <= live else live
    from_state = translation.state
    _move(translation, "draft", actor, fields=fields, source_version=seen)
    if from_state != "draft":
        _record(actor, page, translation, "new_version", from_state, "draft", when=when)
    _record(actor, page, translation, "edited", from_state, "draft", when=when)
    return translation


def readiness_problems(translation: ProgrammeTranslation, source: dict[str, Any] | None) -> dict[str, str]:
    """The texts the page has that its translation lacks."""
    problems = {}
    for name in TRANSLATABLE:
        if (source is None or source.get(name)) and not (translation.fields or {}).get(name):
            problems[name] = gettext(FIELD_LABELS[name])
    return problems


def submit(actor: User, page_id: int, language: str, version: int | None, note: str = "", *, when=None):
    _require_edit(actor)
    page = load_page(page_id)
    translation = load(page_id, language, lock=True)
    if translation.state not in ("draft", "withdrawn"):
        raise RuleViolation(
            gettext(
                "Only a draft can be submitted for review; the translation is “%(state)s”.",
                state=translation.state_label,
            ),
            status=409,
        )
    _check_version(translation, version)
    source = snapshot(page.id, translation.source_version)
    missing = readiness_problems(translation, source.content if source else None)
    if missing:
        raise RuleViolation(
            gettext(
                "Before it can be reviewed, the translation needs: %(missing)s.",
                missing=format_list(list(missing.values()), locale=get_locale() or "en_GB"),
            ),
            status=422,
        )
    from_state = translation.state
    _move(translation, "in_review", actor)
    _record(actor, page, translation, "submitted", from_state, "in_review", comment=(note or "").strip(), when=when)
    tell_moderators(
        actor,
        page,
        N_("%(name)s submitted the %(language)s translation of “%(title)s” for approval"),
        translation_url(page.id, translation.language, "translation-state"),
        language=_language_name(translation.language),
    )
    return translation


def send_back(actor: User, page_id: int, language: str, version: int | None, comment: str | None, *, when=None):
    _require_moderate(actor, N_("Only moderators and administrators may send a translation back."))
    page = load_page(page_id)
    translation = load(page_id, language, lock=True)
    if translation.state not in ("in_review", "approved"):
        raise RuleViolation(
            gettext(
                "Only a translation in review or approved can be sent back; it is “%(state)s”.",
                state=translation.state_label,
            ),
            status=409,
        )
    _check_version(translation, version)
    comment = (comment or "").replace("\r\n", "\n").strip()
    if not comment:
        raise RuleViolation(
            gettext("Say what needs to change: the translator sees this comment."), field="comment", status=422
        )
    from_state = translation.state
    _move(translation, "draft", actor, approved_fields=None, approved_source_version=None, approved_at=None)
    _record(actor, page, translation, "sent_back", from_state, "draft", comment=comment, when=when)
    tell_submitter(
        actor,
        page,
        N_("%(name)s sent the %(language)s translation of “%(title)s” back to you with comments"),
        translation_url(page.id, translation.language, "translation-history-title"),
        translation=translation.language,
        language=_language_name(translation.language),
    )
    return translation


def approve(actor: User, page_id: int, language: str, version: int | None, comment: str = "", *, when=None):
    """Freeze the texts in review (and the version of the page they translate) for publishing."""
    _require_moderate(actor, N_("Only moderators and administrators may approve translations."))
    page = load_page(page_id)
    translation = load(page_id, language, lock=True)
    if translation.state != "in_review":
        raise RuleViolation(
            gettext("Only a translation in review can be approved; it is “%(state)s”.", state=translation.state_label),
            status=409,
        )
    _check_version(translation, version)
    now = when or utcnow()
    _move(
        translation,
        "approved",
        actor,
        approved_fields=dict(translation.fields),
        approved_source_version=translation.source_version,
        approved_at=now,
        approved_by_id=actor.id,
    )
    _record(actor, page, translation, "approved", "in_review", "approved", comment=(comment or "").strip(), when=when)
    return translation


def publish(actor: User, page_id: int, language: str, version: int | None, *, when=None) -> ProgrammeSnapshot:
    """Publish the approved texts as the translation's next immutable snapshot, beside the page's live one."""
    _require_moderate(actor, N_("Only moderators and administrators may publish translations."))
    page = load_page(page_id, lock=True)
    translation = load(page_id, language, lock=True)
    if translation.state != "approved" or translation.approved_fields is None:
        raise RuleViolation(
            gettext(
                "The translation cannot be published: it has not been approved (it is “%(state)s”).",
                state=translation.state_label,
            ),
            status=409,
        )
    _check_version(translation, version)
    live = snapshot(page.id, page.live_version)
    if live is None:
        raise RuleViolation(
            gettext("“%(title)s” is not public: publish the page before its translations.", title=page.title),
            status=409,
        )
    latest = db.session.execute(
        select(func.max(ProgrammeSnapshot.version)).where(
            ProgrammeSnapshot.page_id == page.id, ProgrammeSnapshot.language == translation.language
        )
    ).scalar()
    number = (latest or 0) + 1
    now = when or utcnow()
    content = {
        "schema": SCHEMA,
        "language": translation.language,
        "source_version": translation.approved_source_version,
        "fields": dict(translation.approved_fields),
    }
    shown = Training(translated_content(live.content, content))
    published = ProgrammeSnapshot(
        page_id=page.id,
        version=number,
        language=translation.language,
        source_version=translation.approved_source_version,
        content=content,
        digest=digest({**content, "version": number}),
        title=shown.title,
        country=live.country,
        first_day=live.first_day,
        last_day=live.last_day,
        audiences_key=audiences_key(live.content),
        search_text=" ".join(fold(" ".join(v for v in content["fields"].values() if v)).split()),
        approved_at=translation.approved_at,
        approved_by_id=translation.approved_by_id,
        published_at=now,
        published_by_id=actor.id,
    )
    db.session.add(published)
    db.session.flush()
    _move(translation, "published", actor, live_version=number, approved_fields=None, withdrawn_at=None)
    # What the public sees of the page changed (its alternates, and in this language its text).
    _public_change(page, now)
    _record(actor, page, translation, "published", "approved", "published", snapshot_version=number, when=when)
    return published


def withdraw(actor: User, page_id: int, language: str, reason: str | None, *, when=None) -> ProgrammeTranslation:
    """Take the translation off the public site: visitors in its language get the page's own version again."""
    _require_moderate(actor, N_("Only moderators and administrators may withdraw translations."))
    page = load_page(page_id, lock=True)
    translation = load(page_id, language, lock=True)
    if translation.live_version is None:
        raise RuleViolation(
            gettext("Nothing of this translation is public, so there is nothing to withdraw."), status=409
        )
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise RuleViolation(gettext("Give a reason for withdrawing the translation."), field="reason", status=422)
    now = when or utcnow()
    withdrawn_version = translation.live_version
    from_state = translation.state
    to_state = "withdrawn" if from_state == "published" else from_state
    _move(translation, to_state, actor, live_version=None, withdrawn_at=now)
    _public_change(page, now)
    _record(
        actor,
        page,
        translation,
        "withdrawn",
        from_state,
        to_state,
        comment=reason,
        snapshot_version=withdrawn_version,
        when=when,
    )
    return translation


def _public_change(page: ProgrammePage, now) -> None:
    """When the public side of the page last changed (Last-Modified), without touching the page's version: a
    translation's step must not make the page's editors reload."""
    db.session.execute(
        update(ProgrammePage)
        .where(
            ProgrammePage.id == page.id,
            # Never back in time (a step recorded with an earlier ``when``, as the demo's are).
            or_(ProgrammePage.public_changed_at.is_(None), ProgrammePage.public_changed_at < now),
        )
        .values(public_changed_at=now)
        .execution_options(synchronize_session=False)
    )
