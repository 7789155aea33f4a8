"""Programme pages: the rules of the moderated workflow and of the public site, without HTTP.

Workflow (each step is a compare-and-set on the page's state and version, recorded as a transition and in
the audit log, in one transaction):

    draft --submit--> in_review --approve--> approved --publish--> published
      ^                  |                      |                     |
      +----send back-----+----------------------+      withdraw: the public version goes, 410 for visitors

Editing a published or withdrawn page starts a new draft; the public keeps seeing the published snapshot
until a moderator approves and publishes the new version. Approval freezes the content (agenda included) so
that what is published is exactly what was approved, whatever is edited afterwards.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from babel.lists import format_list
from flask import url_for
from flask_babel import format_number, get_locale, gettext
from sqlalchemy import Select, String, Text, bindparam, cast, delete, func, literal_column, select, union_all, update
from sqlalchemy.orm import aliased, defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from protect.agendas.models import AUDIENCES, TrainingEvent, current_items
from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import ROLES, can, has_role, rule
from protect.core.regions import COUNTRIES, SECTORS
from protect.core.text import plain_excerpt
from protect.extensions import db
from protect.notifications.services import notify
from protect.programme import search_entries
from protect.programme.content import Training, audiences_key, build_content, digest, fold, search_text
from protect.programme.models import (
    DESCRIPTION_MAX,
    EDITABLE_STATES,
    LANGUAGE_MAX,
    SOURCE,
    STATES,
    SUMMARY_MAX,
    TAKE_PART_MAX,
    TITLE_MAX,
    VENUE_MAX,
    InterestRegistration,
    ProgrammePage,
    ProgrammeSnapshot,
    ProgrammeTransition,
    ProgrammeTranslation,
)

PAGE_FIELDS = ("title", "summary", "description", "how_to_take_part", "audiences", "language", "venue")
# English, marked with N_: translated where they are shown (gettext).
FIELD_LABELS = {
    "title": N_("Public title"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "how_to_take_part": N_("How to take part"),
    "audiences": N_("Target audiences"),
    "language": N_("Working language"),
    "venue": N_("Venue"),
}
# What a visitor agrees to: shown in their language, stored in English (the record of the consent given).
CONSENT_TEXT = N_(
    "I agree that the PROTECT Children on the Move project stores the details in this form to contact me "
    "about this training, and deletes them %(days)s days after the training at the latest."
)
LIMITS = {
    "title": TITLE_MAX,
    "summary": SUMMARY_MAX,
    "description": DESCRIPTION_MAX,
    "how_to_take_part": TAKE_PART_MAX,
    "language": LANGUAGE_MAX,
    "venue": VENUE_MAX,
}
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to read out on the phone
# Registrations of interest for one training: far more than any training takes, few enough that the CSV and a
# moderator's paging stay small (a flood from many addresses stops here; PROGRAMME_REGISTRATIONS_PER_TRAINING).
REGISTRATIONS_PER_TRAINING = 1000
REGISTRATIONS_PAGE_SIZE = 50


# Permissions --------------------------------------------------------------------------------------------------


@rule("programme.edit")
def _may_edit(user: Any, _page: Any) -> bool:
    """Every expert drafts programme pages and submits them for review."""
    return has_role(user, "expert")


@rule("programme.moderate")
def _may_moderate(user: Any, _page: Any) -> bool:
    """Only moderators and administrators approve, send back, publish, withdraw and see registrations."""
    return has_role(user, "moderator")


def _require(actor: Any, action: str, message: str) -> None:
    """Refuse (403) with ``message`` (English, marked with N_; translated here) unless ``actor`` may."""
    if not can(actor, action):
        raise RuleViolation(gettext(message), status=403)


# Loading ------------------------------------------------------------------------------------------------------


def load_page(page_id: int, *, lock: bool = False) -> ProgrammePage:
    """The page with its event; LookupError when there is none. ``lock`` holds the row until commit."""
    query = select(ProgrammePage).options(joinedload(ProgrammePage.event)).where(ProgrammePage.id == page_id)
    if lock:
        # The row as it is now that we hold it, not as the session may remember it.
        query = query.with_for_update(of=ProgrammePage).execution_options(populate_existing=True)
    page = db.session.execute(query).unique().scalar_one_or_none()
    if page is None:
        raise LookupError(page_id)
    return page


def _written(page: ProgrammePage, values: dict[str, Any]) -> None:
    """Tell the session what an UPDATE statement wrote to the locked row (no query to read it back)."""
    for key, value in values.items():
        set_committed_value(page, key, value)


def working_content(page: ProgrammePage) -> dict[str, Any]:
    """The working copy with the event's facts and its agenda as they are now."""
    return build_content(page, page.event, current_items(page.event_id))


def snapshot(page_id: int, version: int | None, language: str = SOURCE) -> ProgrammeSnapshot | None:
    """A published version of the page (or, with ``language``, of its translation into that language)."""
    if version is None:
        return None
    return db.session.execute(
        select(ProgrammeSnapshot).where(
            ProgrammeSnapshot.page_id == page_id,
            ProgrammeSnapshot.version == version,
            ProgrammeSnapshot.language == language,
        )
    ).scalar_one_or_none()


# A page's history grows with every publication and every round of review; its overview lists the latest
# ones only, so that its size (and the memory to build it: each version holds the whole content) stays bounded.
VERSIONS_LISTED = 20
TRANSITIONS_LISTED = 50


def versions_of(page_id: int, limit: int = VERSIONS_LISTED) -> list[ProgrammeSnapshot]:
    """The latest ``limit`` published versions, newest first, without their content (``snapshot()`` has it)."""
    return list(
        db.session.execute(
            select(ProgrammeSnapshot)
            .options(joinedload(ProgrammeSnapshot.published_by), defer(ProgrammeSnapshot.content, raiseload=True))
            .where(ProgrammeSnapshot.page_id == page_id, ProgrammeSnapshot.language == SOURCE)
            .order_by(ProgrammeSnapshot.version.desc())
            .limit(limit)
        ).scalars()
    )


def transitions_of(page_id: int, limit: int = TRANSITIONS_LISTED) -> tuple[list[ProgrammeTransition], bool]:
    """The latest ``limit`` steps of the workflow, newest first, and whether there are older ones."""
    steps = list(
        db.session.execute(
            select(ProgrammeTransition)
            .options(joinedload(ProgrammeTransition.actor))
            # The page's own steps (its translations' are listed with each translation).
            .where(ProgrammeTransition.page_id == page_id, ProgrammeTransition.language.is_(None))
            .order_by(ProgrammeTransition.created_at.desc(), ProgrammeTransition.id.desc())
            .limit(limit + 1)
        ).scalars()
    )
    return steps[:limit], len(steps) > limit


def page_url(page_id: int, endpoint: str = "overview") -> str:
    try:
        return url_for(f"programme.{endpoint}", page_id=page_id)
    except RuntimeError:  # outside a request (seeding, command line)
        return f"/publishing/{page_id}" + ("" if endpoint == "overview" else f"/{endpoint}")


# Notices ------------------------------------------------------------------------------------------------------
# Everything said about one page and its translations is one thread, "programme:<page id>", named by the page's
# title: a page (or translation) waiting for approval tells the moderators, one sent back tells whoever submitted
# it.


def _moderators() -> Select:
    """The active members who approve pages: moderators and administrators."""
    return select(User.id).where(User.role.in_(ROLES[ROLES.index("moderator") :]), User.active.is_(True))


def submitter(page_id: int, language: str | None = None) -> int | None:
    """Who submitted the page (or its translation into ``language``) for review the last time."""
    language_is = (
        ProgrammeTransition.language.is_(None) if language is None else ProgrammeTransition.language == language
    )
    return db.session.execute(
        select(ProgrammeTransition.actor_id)
        .where(ProgrammeTransition.page_id == page_id, ProgrammeTransition.action == "submitted", language_is)
        .order_by(ProgrammeTransition.created_at.desc(), ProgrammeTransition.id.desc())
        .limit(1)
    ).scalar()


def tell(recipients: Any, actor: User, page: ProgrammePage, summary: str, url: str, **params: Any) -> int:
    """A "programme" notice about ``page``, by ``actor``: ``summary`` names them (``%(name)s``) and the page
    (``%(title)s``)."""
    return notify(
        "programme",
        recipients,
        thread=f"programme:{page.id}",
        title=page.title,
        summary=summary,
        params={"name": actor.display_name, "title": page.title, **params},
        url=url,
        actor=actor,
    )


def tell_moderators(actor: User, page: ProgrammePage, summary: str, url: str, **params: Any) -> int:
    return tell(_moderators(), actor, page, summary, url, **params)


def tell_submitter(
    actor: User, page: ProgrammePage, summary: str, url: str, translation: str | None = None, **params: Any
) -> int:
    """Tell whoever submitted the page (or its translation into the language ``translation``) last."""
    author = submitter(page.id, translation)
    return tell([author] if author is not None else [], actor, page, summary, url, **params)


# Creating and editing -----------------------------------------------------------------------------------------


class EditConflict(Exception):
    """Someone saved the page since the editor opened it; ``current`` is the page as it is now."""

    def __init__(self, current: ProgrammePage) -> None:
        super().__init__("edit conflict")
        self.current = current


def _record(
    actor: User | None,
    page: ProgrammePage,
    action: str,
    from_state: str | None,
    to_state: str,
    summary: str,
    *,
    params: dict[str, Any] | None = None,
    comment: str = "",
    snapshot_version: int | None = None,
    when=None,
) -> ProgrammeTransition:
    transition = ProgrammeTransition(
        page_id=page.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor is not None else None,
        created_at=when or utcnow(),
        comment=comment,
        snapshot_version=snapshot_version,
    )
    db.session.add(transition)
    search_entries.update_page(page.id)
    audit.record(
        actor,
        f"programme.{action}",
        page,
        summary=summary,
        params=params if params is not None else {"title": page.title},
        url=page_url(page.id),
        details={"from": from_state, "to": to_state, "comment": comment, "version": snapshot_version},
        when=when,
    )
    return transition


def create_page(actor: User, event_id: int, *, when=None) -> ProgrammePage:
    if not can(actor, "programme.edit"):
        raise RuleViolation(gettext("Only members of the expert group draft programme pages."), status=403)
    event = db.session.get(TrainingEvent, event_id)
    if event is None:
        raise LookupError(event_id)
    existing = db.session.execute(select(ProgrammePage.id).where(ProgrammePage.event_id == event_id)).scalar()
    if existing is not None:
        raise RuleViolation(gettext("“%(title)s” has a programme page already.", title=event.title), status=409)
    if event.status == "cancelled":
        raise RuleViolation(
            gettext("“%(title)s” is cancelled: it gets no programme page.", title=event.title), status=409
        )
    slug = event.slug
    taken = db.session.execute(select(ProgrammePage.id).where(ProgrammePage.slug == slug)).scalar()
    if taken is not None:
        slug = f"{event.slug}-{event.id}"
    now = when or utcnow()
    page = ProgrammePage(
        event_id=event.id,
        slug=slug,
        title=event.title,
        summary=plain_excerpt(event.description, 300),
        description=event.description,
        how_to_take_part="",
        audiences=[key for key in AUDIENCES if key in (event.audiences or [])],
        language=event.language,
        venue=event.venue,
        state="draft",
        created_at=now,
        created_by_id=actor.id,
        updated_at=now,
        updated_by_id=actor.id,
    )
    db.session.add(page)
    db.session.flush()
    _record(actor, page, "created", None, "draft", N_("started the programme page “%(title)s”"), when=when)
    db.session.flush()
    return page


def clean_values(values: dict[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str:
        return (values.get(name) or "").replace("\r\n", "\n").strip()

    return {
        "title": " ".join(text("title").split()),
        "summary": " ".join(text("summary").split()),
        "description": text("description"),
        "how_to_take_part": text("how_to_take_part"),
        "audiences": [key for key in AUDIENCES if key in (values.get("audiences") or [])],
        "language": " ".join(text("language").split()),
        "venue": " ".join(text("venue").split()),
    }


def value_problems(values: dict[str, Any]) -> dict[str, str]:
    """What a draft must have to be saved at all (lengths are the form's business)."""
    problems = {}
    if not values.get("title"):
        problems["title"] = gettext("Enter the title the public sees.")
    unknown = set(values.get("audiences") or []) - set(AUDIENCES)
    if unknown:
        problems["audiences"] = gettext("Choose audiences from the list.")
    for name, limit in LIMITS.items():
        if len(values.get(name) or "") > limit:
            problems[name] = gettext("At most %(num)s characters.", num=format_number(limit))
    return problems


def readiness_problems(page: ProgrammePage | dict[str, Any]) -> dict[str, str]:
    """What a page still needs before a moderator can review it."""

    def get(name: str) -> Any:
        return page.get(name) if isinstance(page, dict) else getattr(page, name)

    problems = {}
    if not get("title"):
        problems["title"] = gettext("a public title")
    if not get("summary"):
        problems["summary"] = gettext("a summary (one or two sentences for lists and shared links)")
    if not get("description"):
        problems["description"] = gettext("a description")
    if not get("how_to_take_part"):
        problems["how_to_take_part"] = gettext("how to take part")
    if not get("audiences"):
        problems["audiences"] = gettext("at least one target audience")
    return problems


def save_page(actor: User, page_id: int, version: int, values: dict[str, Any], *, when=None) -> ProgrammePage:
    """Save the working copy if it is still at ``version`` and editable (compare-and-set)."""
    if not can(actor, "programme.edit"):
        raise RuleViolation(gettext("Only members of the expert group edit programme pages."), status=403)
    values = clean_values(values)
    problems = value_problems(values)
    if problems:
        field, message = next(iter(problems.items()))
        raise RuleViolation(message, field=field, status=422)
    page = load_page(page_id, lock=True)
    if page.state not in EDITABLE_STATES:
        raise RuleViolation(_locked_message(page), status=409)
    if page.version != version:
        raise EditConflict(page)
    before = {name: getattr(page, name) for name in PAGE_FIELDS}
    from_state = page.state
    to_state = "draft"
    now = when or utcnow()
    written = {**values, "state": to_state, "version": version + 1, "updated_at": now, "updated_by_id": actor.id}
    result = db.session.execute(
        update(ProgrammePage)
        .where(
            ProgrammePage.id == page.id,
            ProgrammePage.version == version,
            ProgrammePage.state.in_(EDITABLE_STATES),
        )
        .values(**written)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # pragma: no cover - the row is locked above; kept as the last line of defence
        db.session.rollback()
        raise EditConflict(load_page(page_id))
    _written(page, written)
    changed = [name for name in PAGE_FIELDS if before[name] != values[name]]
    if from_state != "draft":
        _record(
            actor,
            page,
            "new_version",
            from_state,
            "draft",
            N_("started a new version of the programme page “%(title)s”"),
            when=when,
        )
    search_entries.update_page(page.id)
    audit.record(
        actor,
        "programme.edited",
        page,
        summary=N_("edited the programme page “%(title)s”"),
        params={"title": page.title},
        url=page_url(page.id),
        details={"fields": changed, "version": page.version},
        when=when,
    )
    return page


def _locked_message(page: ProgrammePage) -> str:
    if page.state == "in_review":
        return gettext(
            "“%(title)s” is in review, so it cannot be changed now. A moderator approves it or sends it "
            "back with comments; after that it can be edited again.",
            title=page.title,
        )
    return gettext(
        "“%(title)s” is approved and waits to be published, so it cannot be changed now. A moderator "
        "can send it back if it needs changes.",
        title=page.title,
    )


# The workflow -------------------------------------------------------------------------------------------------


def _check_version(page: ProgrammePage, version: int | None) -> None:
    if version is None or page.version != version:
        raise RuleViolation(
            gettext(
                "“%(title)s” changed since you opened it (it is now “%(state)s”). Reload the page, "
                "check it, then try again.",
                title=page.title,
                state=page.state_label,
            ),
            status=409,
        )


def _move(page: ProgrammePage, to_state: str, **values: Any) -> None:
    written = {"state": to_state, "version": page.version + 1, "updated_at": utcnow(), **values}
    result = db.session.execute(
        update(ProgrammePage)
        .where(ProgrammePage.id == page.id, ProgrammePage.version == page.version)
        .values(**written)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # pragma: no cover - the row is locked by load_page(lock=True)
        raise RuleViolation(gettext("The page changed at the same moment. Reload and try again."), status=409)
    _written(page, written)


def _required(text: str | None, field: str, message: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise RuleViolation(message, field=field, status=422)
    return text


def submit(actor: User, page_id: int, version: int | None, note: str = "", *, when=None) -> ProgrammePage:
    """An expert sends the draft to the moderators."""
    if not can(actor, "programme.edit"):
        raise RuleViolation(gettext("Only members of the expert group submit programme pages."), status=403)
    page = load_page(page_id, lock=True)
    if page.state not in ("draft", "withdrawn"):
        raise RuleViolation(
            gettext(
                "Only a draft can be submitted for review; “%(title)s” is “%(state)s”.",
                title=page.title,
                state=page.state_label,
            ),
            status=409,
        )
    _check_version(page, version)
    missing = readiness_problems(page)
    if missing:
        raise RuleViolation(
            gettext(
                "Before it can be reviewed, the page needs %(missing)s. Edit the page first.",
                missing=_and(list(missing.values())),
            ),
            status=422,
        )
    from_state = page.state
    _move(page, "in_review", updated_by_id=actor.id)
    _record(
        actor,
        page,
        "submitted",
        from_state,
        "in_review",
        N_("submitted the programme page “%(title)s” for review"),
        comment=(note or "").strip(),
        when=when,
    )
    tell_moderators(
        actor,
        page,
        N_("%(name)s submitted the programme page “%(title)s” for approval"),
        page_url(page.id) + "#workflow-title",
    )
    return page


def send_back(actor: User, page_id: int, version: int | None, comment: str | None, *, when=None) -> ProgrammePage:
    """A moderator returns the page to its authors with comments."""
    _require(actor, "programme.moderate", N_("Only moderators and administrators may send a page back."))
    page = load_page(page_id, lock=True)
    if page.state not in ("in_review", "approved"):
        raise RuleViolation(
            gettext(
                "Only a page in review or approved can be sent back; “%(title)s” is “%(state)s”.",
                title=page.title,
                state=page.state_label,
            ),
            status=409,
        )
    _check_version(page, version)
    comment = _required(comment, "comment", gettext("Say what needs to change: the authors see this comment."))
    from_state = page.state
    _move(page, "draft", approved_content=None, approved_at=None, approved_by_id=None, updated_by_id=actor.id)
    _record(
        actor,
        page,
        "sent_back",
        from_state,
        "draft",
        N_("sent the programme page “%(title)s” back with comments"),
        comment=comment,
        when=when,
    )
    tell_submitter(
        actor,
        page,
        N_("%(name)s sent the programme page “%(title)s” back to you with comments"),
        page_url(page.id) + "#history-title",
    )
    return page


def approve(actor: User, page_id: int, version: int | None, comment: str = "", *, when=None) -> ProgrammePage:
    """A moderator approves the page in review: its content and agenda as they are now are frozen."""
    _require(actor, "programme.moderate", N_("Only moderators and administrators may approve programme pages."))
    page = load_page(page_id, lock=True)
    if page.state != "in_review":
        if page.state in EDITABLE_STATES:
            message = gettext(
                "Only a page in review can be approved; “%(title)s” is “%(state)s”. An expert submits it for "
                "review first.",
                title=page.title,
                state=page.state_label,
            )
        else:
            message = gettext(
                "Only a page in review can be approved; “%(title)s” is “%(state)s”.",
                title=page.title,
                state=page.state_label,
            )
        raise RuleViolation(message, status=409)
    _check_version(page, version)
    content = working_content(page)
    missing = readiness_problems(content)
    if missing:
        raise RuleViolation(
            gettext("The page cannot be approved without %(missing)s.", missing=_and(list(missing.values()))),
            status=422,
        )
    now = when or utcnow()
    _move(page, "approved", approved_content=content, approved_at=now, approved_by_id=actor.id, updated_by_id=actor.id)
    _record(
        actor,
        page,
        "approved",
        "in_review",
        "approved",
        N_("approved the programme page “%(title)s”"),
        comment=(comment or "").strip(),
        when=when,
    )
    return page


NEVER_APPROVED = N_(
    "“%(title)s” cannot be published: it has not been approved (it is “%(state)s”). Only the version a moderator "
    "approved after review is published — an expert submits the page, a moderator approves it, then publishes it."
)


def publish(actor: User, page_id: int, version: int | None, *, when=None) -> ProgrammeSnapshot:
    """A moderator publishes the approved content as the next immutable snapshot, which the public then sees."""
    _require(actor, "programme.moderate", N_("Only moderators and administrators may publish programme pages."))
    page = load_page(page_id, lock=True)
    if page.state != "approved" or page.approved_content is None:
        if page.state == "published":
            raise RuleViolation(
                gettext(
                    "Version %(version)s of “%(title)s” is published already.",
                    version=page.live_version,
                    title=page.title,
                ),
                status=409,
            )
        raise RuleViolation(gettext(NEVER_APPROVED, title=page.title, state=page.state_label), status=409)
    _check_version(page, version)
    content = page.approved_content
    latest = db.session.execute(
        select(func.max(ProgrammeSnapshot.version)).where(
            ProgrammeSnapshot.page_id == page.id, ProgrammeSnapshot.language == SOURCE
        )
    ).scalar()
    number = (latest or 0) + 1
    now = when or utcnow()
    training = Training(content)
    published = ProgrammeSnapshot(
        page_id=page.id,
        version=number,
        content=content,
        digest=digest({**content, "version": number}),
        title=content["title"],
        country=content["country"],
        first_day=training.first_day,
        last_day=training.last_day,
        audiences_key=audiences_key(content),
        search_text=search_text(content),
        approved_at=page.approved_at,
        approved_by_id=page.approved_by_id,
        published_at=now,
        published_by_id=actor.id,
    )
    db.session.add(published)
    db.session.flush()
    _move(
        page,
        "published",
        live_version=number,
        public_changed_at=now,
        withdrawn_at=None,
        withdrawn_reason="",
        approved_content=None,
        updated_by_id=actor.id,
    )
    # The retention clock of the registrations follows the training's dates as now published.
    db.session.execute(
        update(InterestRegistration)
        .where(InterestRegistration.page_id == page.id)
        .values(training_ends_on=training.last_day)
        .execution_options(synchronize_session=False)
    )
    _record(
        actor,
        page,
        "published",
        "approved",
        "published",
        N_("published version %(version)s of the programme page “%(title)s”"),
        params={"version": number, "title": page.title},
        snapshot_version=number,
        when=when,
    )
    return published


def withdraw(actor: User, page_id: int, reason: str | None, *, when=None, keep_releases: bool = False) -> ProgrammePage:
    """A moderator takes the published version off the public site; visitors then get a short notice (410).
    ``keep_releases``: the page's releases stay readable at their permanent addresses (otherwise 410 too)."""
    _require(actor, "programme.moderate", N_("Only moderators and administrators may withdraw programme pages."))
    page = load_page(page_id, lock=True)
    if page.live_version is None:
        raise RuleViolation(
            gettext("Nothing of “%(title)s” is public, so there is nothing to withdraw.", title=page.title), status=409
        )
    reason = _required(reason, "reason", gettext("Give a reason: visitors of the page read it."))
    now = when or utcnow()
    withdrawn_version = page.live_version
    from_state = page.state
    to_state = "withdrawn" if from_state == "published" else from_state
    _move(
        page,
        to_state,
        live_version=None,
        public_changed_at=now,
        withdrawn_at=now,
        withdrawn_reason=reason,
        releases_public=keep_releases,
        updated_by_id=actor.id,
    )
    _record(
        actor,
        page,
        "withdrawn",
        from_state,
        to_state,
        N_("withdrew the programme page “%(title)s” from the public site"),
        comment=reason,
        snapshot_version=withdrawn_version,
        when=when,
    )
    return page


def _and(parts: list[str]) -> str:
    """``a, b and c`` in the reader's language (Babel's list patterns)."""
    return format_list(parts, locale=get_locale() or "en_GB")


# Lists for members --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One page of a list that grows with what members (or visitors) add."""

    rows: list[Any]
    total: int
    number: int
    pages: int
    size: int

    @classmethod
    def of(cls, query: Select, number: int, size: int) -> Listing:
        """Page ``number`` of ``query`` (ordered), a page past the end giving the last one: 2 queries."""
        total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        pages = max(1, -(-total // size))
        number = min(max(1, number), pages)
        rows = list(db.session.execute(query.offset((number - 1) * size).limit(size)).unique().scalars())
        return cls(rows, total, number, pages, size)

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)


PAGES_PAGE_SIZE = 50
EVENTS_WITHOUT_PAGE_LISTED = 20


def pages_for_members(state: str | None = None, number: int = 1, size: int | None = None) -> Listing:
    query = select(ProgrammePage).options(joinedload(ProgrammePage.event), joinedload(ProgrammePage.updated_by))
    if state in STATES:
        query = query.where(ProgrammePage.state == state)
    query = query.order_by(ProgrammePage.updated_at.desc(), ProgrammePage.id)
    return Listing.of(query, number, size or PAGES_PAGE_SIZE)


def events_without_page(limit: int | None = None, wanted: int | None = None) -> tuple[list[TrainingEvent], bool]:
    """The latest ``limit`` trainings that have no programme page yet (and the ``wanted`` one first, if it has
    none: the link from a training's own page), and whether there are more."""
    query = (
        select(TrainingEvent)
        .outerjoin(ProgrammePage, ProgrammePage.event_id == TrainingEvent.id)
        .where(ProgrammePage.id.is_(None), TrainingEvent.status != "cancelled")
    )
    newest_first = (TrainingEvent.first_day.desc(), TrainingEvent.id.desc())
    if wanted is not None:
        query = query.order_by((TrainingEvent.id == wanted).desc(), *newest_first)
    else:
        query = query.order_by(*newest_first)
    limit = limit or EVENTS_WITHOUT_PAGE_LISTED
    events = list(db.session.execute(query.limit(limit + 1)).scalars())
    return events[:limit], len(events) > limit


@dataclass(frozen=True)
class Waiting:
    """A page, or one of its translations (``language``), waiting for someone (the dashboard's panel)."""

    id: int  # the page's
    title: str  # the page's
    state: str
    language: str | None

    @property
    def state_label(self) -> str:
        return gettext(STATES.get(self.state, self.state))


def waiting_for(user: Any, limit: int = 6) -> list[Waiting]:
    """Pages and translations that need this user: for moderators those in review or approved, for experts
    drafts sent back or not submitted yet; the longest waiting first. One query."""
    states = ("in_review", "approved") if has_role(user, "moderator") else ("draft",)
    pages = select(
        ProgrammePage.id,
        ProgrammePage.title,
        ProgrammePage.state,
        literal_column("NULL").label("language"),
        ProgrammePage.updated_at,
    ).where(ProgrammePage.state.in_(states))
    translated = (
        select(
            ProgrammePage.id,
            ProgrammePage.title,
            ProgrammeTranslation.state,
            ProgrammeTranslation.language,
            ProgrammeTranslation.updated_at,
        )
        .join(ProgrammePage, ProgrammePage.id == ProgrammeTranslation.page_id)
        .where(ProgrammeTranslation.state.in_(states))
    )
    both = union_all(pages, translated).subquery()
    rows = db.session.execute(select(both).order_by(both.c.updated_at.asc(), both.c.id).limit(limit))
    return [Waiting(row.id, row.title, row.state, row.language) for row in rows]


# The public site ----------------------------------------------------------------------------------------------


def _live(*columns: Any) -> Select:
    """Published snapshots that are live now (or the given columns of them): the only rows the public site reads."""
    return (
        select(*(columns or (ProgrammeSnapshot,)))
        .select_from(ProgrammeSnapshot)
        .join(
            ProgrammePage,
            (ProgrammePage.id == ProgrammeSnapshot.page_id)
            & (ProgrammePage.live_version == ProgrammeSnapshot.version)
            & (ProgrammeSnapshot.language == SOURCE),
        )
    )


@dataclass(frozen=True)
class PublicState:
    """What the feed and the sitemap show, in brief: which versions are live, with which content."""

    live: str  # a digest of every live page's id, version and content digest ("" when nothing is live)
    changed: Any  # when anything public last changed: a publication, or a withdrawal (which `live` shows too)
    translations: str = ""  # the live translations of live pages: "<page id>:<language>,..." (the sitemap)


def public_state() -> PublicState:
    """The live set in one row: two lists that name the same live versions with the same content get the same
    value, any publication or withdrawal (in any process) another. One query, read from indexes on SQLite."""
    entries, changed, translations = db.session.execute(_PUBLIC_STATE).one()
    if not entries:
        return PublicState("", changed)
    # The database joins them in no promised order: sorted, the same set always gives the same value.
    ordered = ",".join(sorted(entries.split(",")))
    return PublicState(
        hashlib.sha256(ordered.encode()).hexdigest(), changed, ",".join(sorted((translations or "").split(",")))
    )


# Built once: the public pages run these on every request.
_TRANSLATED_PAGE = aliased(ProgrammePage)
_LIVE_TRANSLATION_LANGUAGES = (
    select(
        func.aggregate_strings(cast(ProgrammeTranslation.page_id, String) + ":" + ProgrammeTranslation.language, ",")
    )
    .join(_TRANSLATED_PAGE, _TRANSLATED_PAGE.id == ProgrammeTranslation.page_id)
    .where(ProgrammeTranslation.live_version.is_not(None), _TRANSLATED_PAGE.live_version.is_not(None))
    .correlate(None)
    .scalar_subquery()
)
_PUBLIC_STATE = (
    select(
        func.aggregate_strings(
            cast(ProgrammePage.id, String)
            + ":"
            + cast(ProgrammePage.live_version, String)
            + ":"
            + ProgrammeSnapshot.digest,
            ",",
        ),
        func.max(ProgrammePage.public_changed_at),
        _LIVE_TRANSLATION_LANGUAGES,
    )
    .select_from(ProgrammePage)
    .outerjoin(
        ProgrammeSnapshot,
        # "version + 0": SQLite would otherwise pick the unique (page_id, version) index and read each digest
        # from the table row, behind the content; this way it reads it from ix_..._page_version_digest alone.
        # The language is compared the same way (``|| ''``), so that only the page's id is looked up in an index
        # and the one that has the digest (ix_..._page_version_language_digest) is the one read.
        (ProgrammeSnapshot.page_id == ProgrammePage.id)
        & (ProgrammeSnapshot.version + literal_column("0") == ProgrammePage.live_version)
        & (ProgrammeSnapshot.language.concat(literal_column("''")) == SOURCE),
    )
    .where(ProgrammePage.public_changed_at.is_not(None))
)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(
    statement: Select, country: str | None, audience: str | None, query: str | None, searched: Any = None
) -> Select:
    """By first day, filtered. Search looks only at published text, never at a draft: ``searched``, the live
    snapshot's search text by default (the list in another language: with its live translation's)."""
    if country in COUNTRIES:
        statement = statement.where(ProgrammeSnapshot.country == country)
    if audience in AUDIENCES:
        statement = statement.where(ProgrammeSnapshot.audiences_key.like(f"%,{audience},%"))
    searched = ProgrammeSnapshot.search_text if searched is None else searched
    for word in fold(query or "").split()[:8]:
        statement = statement.where(searched.like(_like(word), escape="\\"))
    return statement.order_by(ProgrammeSnapshot.first_day, ProgrammeSnapshot.title)


def published_trainings(
    country: str | None = None, audience: str | None = None, query: str | None = None
) -> list[ProgrammeSnapshot]:
    """Live snapshots, by first day, filtered (the feed and the sitemap)."""
    # The search text is only searched, never shown: it stays in the database.
    statement = _filtered(_live().options(defer(ProgrammeSnapshot.search_text)), country, audience, query)
    return list(db.session.execute(statement).scalars())


@dataclass
class PublicListing:
    """The public list's rows, and when anything public last changed (as ``PublicState.changed``)."""

    snapshots: list[PublicSnapshot]
    changed: Any


def public_listing(
    country: str | None = None, audience: str | None = None, query: str | None = None, language: str = SOURCE
) -> PublicListing:
    """The public list: as ``published_trainings``, the columns only. Each card is rendered once per snapshot
    (``views._cards``), which reads the contents it still lacks with ``public_contents``: reading every content at
    every visit was most of the list's time (150 trainings: 1.5 MB of JSON). One query; two when nothing matches
    (the time of the last change then comes from ``public_state``)."""
    if language == SOURCE:
        rows = db.session.execute(_filtered(_LISTING, country, audience, query)).all()
    else:  # with each page's live translation into ``language``, if any (in the same query)
        rows = db.session.execute(
            _filtered(_LISTING_TRANSLATED, country, audience, query, _TRANSLATED_SEARCHED), {"language": language}
        ).all()
    if not rows:
        return PublicListing([], public_state().changed)
    snapshots = []
    for row in rows:
        snapshot = PublicSnapshot(*row[: len(_PUBLIC_COLUMNS)])
        if language != SOURCE and row[-2]:
            snapshot.translation = _translations(f"{language}:{row[-2]}")[language]
        snapshots.append(snapshot)
    return PublicListing(snapshots, rows[0][-1])


def public_contents(ids: list[int]) -> dict[int, str]:
    """The contents (as JSON text) of the snapshots ``ids``, by id. One query."""
    rows = db.session.execute(select(ProgrammeSnapshot.id, _CONTENT_TEXT).where(ProgrammeSnapshot.id.in_(ids)))
    return {snapshot_id: text for snapshot_id, text in rows}


@dataclass
class PublicSnapshot:
    """The live snapshot as the public pages read it: its columns, and its content parsed only when asked for
    (a page served from the render cache never parses it). Read-only, like the row it comes from."""

    id: int
    page_id: int
    version: int
    digest: str
    published_at: Any
    first_day: date
    last_day: date
    text: str | None = None  # the content as JSON text, when it was read with the columns
    translation: PublicTranslation | None = None  # the list's: the live translation into the visitor's language

    @cached_property
    def content(self) -> dict[str, Any]:
        # As text, parsed here (the same on SQLite and PostgreSQL, whose driver would parse JSON itself); read
        # only when asked for: not for a 304, nor for a list card already rendered.
        text = self.text
        if text is None:
            text = db.session.execute(_SNAPSHOT_CONTENT, {"id": self.id}).scalar_one()
        return json.loads(text)


_PUBLIC_COLUMNS = (
    ProgrammeSnapshot.id,
    ProgrammeSnapshot.page_id,
    ProgrammeSnapshot.version,
    ProgrammeSnapshot.digest,
    ProgrammeSnapshot.published_at,
    ProgrammeSnapshot.first_day,
    ProgrammeSnapshot.last_day,
)
_CONTENT_TEXT = cast(ProgrammeSnapshot.content, Text)
_SNAPSHOT_CONTENT = select(_CONTENT_TEXT).where(ProgrammeSnapshot.id == bindparam("id", 0))
# The live snapshots' columns, and on each row when anything public last changed: a publication or a withdrawal,
# of any page (not only the listed ones: a withdrawal takes a row away). Not correlated with the outer query.
_LAST_PUBLIC_CHANGE = select(func.max(ProgrammePage.public_changed_at)).scalar_subquery().correlate(None)
_LISTING = _live(*_PUBLIC_COLUMNS, _LAST_PUBLIC_CHANGE)


def _of_live_translation(pick: Callable[[Any], Any]) -> Any:
    """``pick(snapshot)`` of the listed page's live translation into the visitor's language (":language"), as a
    correlated subquery: None where the page has none."""
    snapshot = aliased(ProgrammeSnapshot)
    return (
        select(pick(snapshot))
        .select_from(ProgrammeTranslation)
        .join(
            snapshot,
            (snapshot.page_id == ProgrammeTranslation.page_id)
            & (snapshot.language == ProgrammeTranslation.language)
            & (snapshot.version == ProgrammeTranslation.live_version),
        )
        .where(
            ProgrammeTranslation.page_id == ProgrammeSnapshot.page_id,
            ProgrammeTranslation.language == bindparam("language", SOURCE),
        )
        .correlate(ProgrammeSnapshot)
        .scalar_subquery()
    )


# The card of the live translation: "<id>:<version>:<digest>:<source version>".
_TRANSLATED_CARD = _of_live_translation(
    lambda t: cast(t.id, String) + ":" + cast(t.version, String) + ":" + t.digest + ":" + cast(t.source_version, String)
)
_LISTING_TRANSLATED = _live(*_PUBLIC_COLUMNS, _TRANSLATED_CARD, _LAST_PUBLIC_CHANGE)
# What a search in the visitor's language looks at: the page's own published text and its live translation's
# (a word is found in either; a space between them, so that no word spans the two).
_TRANSLATED_SEARCHED = (
    ProgrammeSnapshot.search_text + " " + func.coalesce(_of_live_translation(lambda t: t.search_text), "")
)


def live_translation_languages(entries: str | None) -> dict[int, list[str]]:
    """The languages of the live translations of live pages, by page id, from ``PublicState.translations``."""
    found: dict[int, list[str]] = {}
    for entry in sorted((entries or "").split(",")):
        if entry:
            page_id, language = entry.split(":")
            found.setdefault(int(page_id), []).append(language)
    return found


@dataclass
class PublicTranslation:
    """A live translation of a live page, as the public pages read it (its content parsed only when asked for)."""

    language: str
    id: int
    version: int
    digest: str
    source_version: int
    text: str | None = None  # the content as JSON text, when it was read already

    @cached_property
    def content(self) -> dict[str, Any]:
        text = self.text
        if text is None:
            text = db.session.execute(_SNAPSHOT_CONTENT, {"id": self.id}).scalar_one()
        return json.loads(text)


def _translations(entries: str | None) -> dict[str, PublicTranslation]:
    """The live translations from their aggregated entries ("lv:12:3:<digest>:2,..."), by language."""
    found = {}
    for entry in sorted((entries or "").split(",")):
        if entry:
            language, snapshot_id, version, digest_, source_version = entry.split(":")
            found[language] = PublicTranslation(language, int(snapshot_id), int(version), digest_, int(source_version))
    return found


@dataclass
class PublicLookup:
    snapshot: PublicSnapshot | None
    withdrawn_at: Any = None
    withdrawn_reason: str = ""
    # The page's live translations, by language (translations.py), and when its public side last changed.
    translations: dict[str, PublicTranslation] = field(default_factory=dict)
    changed: Any = None

    @property
    def withdrawn(self) -> bool:
        return self.snapshot is None


_TRANSLATION = aliased(ProgrammeSnapshot)
# The live translations of a page in one column of the lookup's row (the public page stays one query).
LIVE_TRANSLATIONS = (
    select(
        func.aggregate_strings(
            ProgrammeTranslation.language
            + ":"
            + cast(_TRANSLATION.id, String)
            + ":"
            + cast(_TRANSLATION.version, String)
            + ":"
            + _TRANSLATION.digest
            + ":"
            + cast(_TRANSLATION.source_version, String),
            ",",
        )
    )
    .select_from(ProgrammeTranslation)
    .join(
        _TRANSLATION,
        (_TRANSLATION.page_id == ProgrammeTranslation.page_id)
        & (_TRANSLATION.language == ProgrammeTranslation.language)
        & (_TRANSLATION.version == ProgrammeTranslation.live_version),
    )
)
_PUBLIC_LOOKUP = (
    select(
        ProgrammePage.id,
        ProgrammePage.withdrawn_at,
        ProgrammePage.withdrawn_reason,
        ProgrammePage.public_changed_at,
        LIVE_TRANSLATIONS.where(ProgrammeTranslation.page_id == ProgrammePage.id).scalar_subquery(),
        ProgrammeSnapshot.id,
        ProgrammeSnapshot.version,
        ProgrammeSnapshot.digest,
        ProgrammeSnapshot.published_at,
        ProgrammeSnapshot.first_day,
        ProgrammeSnapshot.last_day,
    )
    .outerjoin(
        ProgrammeSnapshot,
        (ProgrammeSnapshot.page_id == ProgrammePage.id)
        & (ProgrammeSnapshot.version == ProgrammePage.live_version)
        & (ProgrammeSnapshot.language == SOURCE),
    )
    .where(ProgrammePage.slug == bindparam("slug", ""))
)


def public_lookup(slug: str) -> PublicLookup | None:
    """What the public may see at /programme/<slug>: a live snapshot, a withdrawal notice, or nothing (None).

    A page that was never published answers exactly like a slug that does not exist. The withdrawal notice
    shows the date and the moderator's reason for visitors, never the page's title or text: a page may be
    withdrawn precisely because of what it said. One query."""
    found = db.session.execute(_PUBLIC_LOOKUP, {"slug": slug}).first()
    if found is None:
        return None
    (
        page_id,
        withdrawn_at,
        reason,
        changed,
        entries,
        snapshot_id,
        version,
        digest_,
        published_at,
        first_day,
        last_day,
    ) = found
    if snapshot_id is not None:
        live = PublicSnapshot(snapshot_id, page_id, version, digest_, published_at, first_day, last_day)
        return PublicLookup(live, translations=_translations(entries), changed=changed)
    if withdrawn_at is None:
        return None
    return PublicLookup(None, withdrawn_at, reason)


# Register your interest ---------------------------------------------------------------------------------------


def consent_text(retention_days: int, *, translated: bool = True) -> str:
    """The consent a visitor gives: in their language on the form, in English where it is stored."""
    if translated:
        return gettext(CONSENT_TEXT, days=retention_days)
    return CONSENT_TEXT % {"days": retention_days}


def new_reference() -> str:
    for _attempt in range(20):
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"PR-{code[:4]}-{code[4:]}"
        taken = db.session.execute(
            select(InterestRegistration.id).where(InterestRegistration.reference == reference)
        ).scalar()
        if taken is None:
            return reference
    raise RuntimeError("no free reference")  # pragma: no cover - 32**8 references


def register_interest(
    live: ProgrammeSnapshot,
    values: dict[str, Any],
    *,
    retention_days: int,
    today: date,
    when=None,
    limit: int = REGISTRATIONS_PER_TRAINING,
) -> InterestRegistration:
    """Store a visitor's registration for a live training that has not ended and has fewer than ``limit``."""
    training = Training(live.content)
    if training.is_over(today):
        raise RuleViolation(
            gettext(
                "“%(title)s” took place on %(dates)s; registrations are closed.",
                title=training.title,
                dates=training.dates_label,
            ),
            status=409,
        )
    # Anyone may register, so the number per training is bounded (the moderators' list and the CSV with it).
    # The page's row is locked first (PostgreSQL), so that two registrations at once cannot both be the last.
    db.session.execute(select(ProgrammePage.id).where(ProgrammePage.id == live.page_id).with_for_update())
    taken = db.session.execute(
        select(func.count()).select_from(InterestRegistration).where(InterestRegistration.page_id == live.page_id)
    ).scalar_one()
    if taken >= limit:
        raise RuleViolation(
            gettext(
                "“%(title)s” has received as many registrations of interest as we can take (%(limit)s). "
                "Please write to the contact given under “How to take part” instead.",
                title=training.title,
                limit=format_number(limit),
            ),
            status=422,
        )
    if not values.get("consent"):
        raise RuleViolation(
            gettext("Tick the box to agree that we store your details for this purpose."), field="consent", status=422
        )
    if values.get("country") not in COUNTRIES:
        raise RuleViolation(gettext("Choose a country from the list."), field="country", status=422)
    if values.get("sector") not in SECTORS:
        raise RuleViolation(gettext("Choose a sector from the list."), field="sector", status=422)
    now = when or utcnow()
    registration = InterestRegistration(
        page_id=live.page_id,
        reference=new_reference(),
        name=" ".join((values.get("name") or "").split()),
        email=(values.get("email") or "").strip(),
        organisation=" ".join((values.get("organisation") or "").split()),
        country=values["country"],
        sector=values["sector"],
        message=(values.get("message") or "").replace("\r\n", "\n").strip(),
        consent_text=consent_text(retention_days, translated=False),
        consented_at=now,
        created_at=now,
        snapshot_version=live.version,
        training_ends_on=training.last_day,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def registrations_page(page_id: int, number: int = 1, size: int = REGISTRATIONS_PAGE_SIZE) -> Listing:
    """One page of a training's registrations, latest first (a page past the end shows the last): 2 queries."""
    query = (
        select(InterestRegistration)
        .where(InterestRegistration.page_id == page_id)
        .order_by(InterestRegistration.created_at.desc(), InterestRegistration.id.desc())
    )
    return Listing.of(query, number, size)


def registrations_for(page_id: int) -> list[InterestRegistration]:
    return list(
        db.session.execute(
            select(InterestRegistration)
            .where(InterestRegistration.page_id == page_id)
            .order_by(InterestRegistration.created_at.desc(), InterestRegistration.id.desc())
        ).scalars()
    )


def registration_counts() -> dict[int, int]:
    rows = db.session.execute(select(InterestRegistration.page_id, func.count()).group_by(InterestRegistration.page_id))
    return {page_id: count for page_id, count in rows}


def delete_registration(actor: User, page: ProgrammePage, registration_id: int) -> InterestRegistration:
    _require(actor, "programme.moderate", N_("Only moderators and administrators may delete registrations."))
    registration = db.session.execute(
        select(InterestRegistration).where(
            InterestRegistration.id == registration_id, InterestRegistration.page_id == page.id
        )
    ).scalar_one_or_none()
    if registration is None:
        raise LookupError(registration_id)
    db.session.delete(registration)
    # No personal data in the audit log: the reference says which registration it was.
    audit.record(
        actor,
        "programme.registration_deleted",
        page,
        summary=N_("deleted the interest registration %(reference)s for “%(title)s”"),
        params={"reference": registration.reference, "title": page.title},
        url=page_url(page.id, "registrations"),
        audience="moderator",
        details={"reference": registration.reference},
    )
    return registration


def purge_registrations(today: date, retention_days: int, *, dry_run: bool = False) -> int:
    """Delete the registrations of trainings that ended more than ``retention_days`` before ``today``."""
    cutoff = today - timedelta(days=retention_days)
    expired = InterestRegistration.training_ends_on < cutoff
    if dry_run:
        return db.session.execute(select(func.count()).select_from(InterestRegistration).where(expired)).scalar_one()
    statement = delete(InterestRegistration).where(expired).execution_options(synchronize_session=False)
    result = db.session.execute(statement)
    return result.rowcount or 0
