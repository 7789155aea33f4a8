"""The rules of the Guidelines: who may propose, decide, rebase and comment, and what each change does.

Every change to a section (a proposal, a decision, a rename, a move) begins by locking the section's row
(``lock_section``), so changes to one section are serialised on PostgreSQL as they are on SQLite (where a
writing request holds the database's write lock from its first statement).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_number, gettext, ngettext
from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, load_only

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import ROLES, has_role, rule
from protect.core.urls import path_for
from protect.extensions import db
from protect.guidelines import diff, search_entries
from protect.guidelines.models import (
    BODY_MAX,
    COMMENT_MAX,
    COMMENTS_PER_REVISION,
    HEADING_MAX,
    OPEN_PROPOSALS_PER_MEMBER,
    REASON_MAX,
    REPLIES_PER_THREAD,
    SECTIONS_PER_GUIDELINE,
    SUMMARY_MAX,
    TITLE_MAX,
    Comment,
    Guideline,
    GuidelineSection,
    SectionRevision,
)
from protect.notifications import mentions
from protect.notifications.services import notify
from protect.search import services as search

# Paths under /guidelines/ that a document's slug must not take.
RESERVED_SLUGS = frozenset({"new", "sections", "revisions", "comments"})


# Who may do what ----------------------------------------------------------------------------------------------


@rule("guidelines.propose")
def _may_propose(user: Any, _obj: Any) -> bool:
    return has_role(user, "expert")


@rule("guidelines.moderate")
def _may_moderate(user: Any, _obj: Any) -> bool:
    return has_role(user, "moderator")


@rule("guidelines.withdraw")
def _may_withdraw(user: Any, revision: SectionRevision) -> bool:
    return revision.author_id == user.id and revision.status in ("proposed", "outdated")


@rule("guidelines.rebase")
def _may_rebase(user: Any, revision: SectionRevision) -> bool:
    return revision.author_id == user.id and revision.status == "outdated"


@rule("guidelines.edit_comment")
def _may_edit_comment(user: Any, comment: Comment) -> bool:
    return comment.author_id == user.id and not comment.hidden


@rule("guidelines.resolve")
def _may_resolve(user: Any, thread: Comment) -> bool:
    """The thread's author, the author of the revision it is about, and moderators resolve and reopen."""
    if thread.parent_id is not None:
        return False
    return thread.author_id == user.id or has_role(user, "moderator") or _revision_author(thread) == user.id


def _revision_author(comment: Comment) -> int | None:
    revision = comment.__dict__.get("revision")  # loaded with the comment where it matters; never lazily
    if revision is not None:
        return revision.author_id
    return db.session.execute(
        select(SectionRevision.author_id).where(SectionRevision.id == comment.revision_id)
    ).scalar_one_or_none()


@rule("guidelines.hide_comment")
def _may_hide(user: Any, comment: Comment) -> bool:
    return has_role(user, "moderator") and not comment.hidden


# Loading ------------------------------------------------------------------------------------------------------


def lock_section(section_id: int) -> GuidelineSection:
    """The section, freshly read and locked until the transaction ends."""
    section = db.session.execute(
        select(GuidelineSection)
        .where(GuidelineSection.id == section_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if section is None:
        raise LookupError(f"no section {section_id}")
    return section


def _revision(revision_id: int) -> SectionRevision:
    revision = db.session.execute(
        select(SectionRevision)
        .options(joinedload(SectionRevision.section).joinedload(GuidelineSection.guideline))
        .where(SectionRevision.id == revision_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if revision is None:
        raise LookupError(f"no revision {revision_id}")
    return revision


def _comment(comment_id: int) -> Comment:
    comment = db.session.execute(
        select(Comment)
        .options(joinedload(Comment.revision).joinedload(SectionRevision.section))
        .where(Comment.id == comment_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if comment is None:
        raise LookupError(f"no comment {comment_id}")
    return comment


def _require(allowed: bool, message: str = N_("Your role does not allow this.")) -> None:
    """``message``: an English message marked with ``N_``, translated when it is raised."""
    if not allowed:
        raise RuleViolation(gettext(message), status=403)


def revision_url(revision: SectionRevision | int, anchor: str | None = None) -> str:
    revision_id = revision if isinstance(revision, int) else revision.id
    return path_for("guidelines.show_revision", revision_id=revision_id, _anchor=anchor)


def section_params(section: GuidelineSection) -> dict[str, Any]:
    """The placeholders ``%(position)s`` and ``%(heading)s`` of the messages about a section."""
    return {"position": section.position, "heading": section.heading}


def revision_params(revision: SectionRevision) -> dict[str, Any]:
    """The placeholders ``%(number)s``, ``%(position)s`` and ``%(heading)s`` of the messages about a revision."""
    return {"number": revision.number, **section_params(revision.section)}


# Notices ------------------------------------------------------------------------------------------------------
# Everything said about one revision (its comments, its review, its decision) is one thread, "revision:<id>",
# named by its section ("§4 Identification of children at risk"); each summary says which revision.


def revision_thread(revision: SectionRevision | int) -> str:
    return f"revision:{revision if isinstance(revision, int) else revision.id}"


def section_title(section: GuidelineSection) -> str:
    """The section as notices name it: plain text, the same in every language."""
    return f"§{section.position} {section.heading}"


def _moderators() -> Any:
    """The active members who review proposals: moderators and administrators."""
    return select(User.id).where(User.role.in_(ROLES[ROLES.index("moderator") :]), User.active.is_(True))


def _tell(
    kind: str,
    recipients: Any,
    actor: User,
    revision: SectionRevision,
    section: GuidelineSection,
    summary: str,
    url: str,
    **params: Any,
) -> int:
    """One notice about ``revision`` (of ``section``), by ``actor``: ``summary`` names them (``%(name)s``), the
    revision and its section."""
    return notify(
        kind,
        recipients,
        thread=revision_thread(revision),
        title=section_title(section),
        summary=summary,
        params={"name": actor.display_name, "number": revision.number, **section_params(section), **params},
        url=url,
        actor=actor,
    )


def _tell_about_comment(
    author: User, revision: SectionRevision, comment: Comment, replied_to: set[int], before: str | None = None
) -> None:
    """Who a comment concerns: the members it newly mentions (at once, by default), the authors of the comment
    it replies to and of its thread, and the author of the revision; each told once, the most direct way."""
    section = revision.section  # loaded with the revision (``_revision``, ``_comment``)
    url = revision_url(revision, f"comment-{comment.id}")
    mentioned = mentions.added(before, comment.body)
    if mentioned:
        _tell(
            "mention",
            mentioned,
            author,
            revision,
            section,
            N_("%(name)s mentioned you in a comment on revision %(number)s of §%(position)s “%(heading)s”"),
            url,
        )
    if before is not None:  # an edit tells only whom it newly mentions
        return
    replied_to = replied_to - mentioned
    if replied_to:
        _tell(
            "reply",
            replied_to,
            author,
            revision,
            section,
            N_("%(name)s replied to your comment on revision %(number)s of §%(position)s “%(heading)s”"),
            url,
        )
    owner = revision.author_id
    if owner is not None and owner not in replied_to and owner not in mentioned:
        _tell(
            "reply",
            [owner],
            author,
            revision,
            section,
            N_("%(name)s commented on your revision %(number)s of §%(position)s “%(heading)s”"),
            url,
        )


def _tell_reviewers(
    author: User, revision: SectionRevision, section: GuidelineSection, summary: str, **params: Any
) -> None:
    url = revision_url(revision, "decide-title")
    _tell("review", _moderators(), author, revision, section, summary, url, **params)


def _tell_outdated(
    moderator: User, revision: SectionRevision, section: GuidelineSection, accepted: SectionRevision | None
) -> None:
    """The author of a proposal that another accepted revision (or an earlier one, ``None``) made outdated:
    the link is the rebase page, where they carry it over to the current text."""
    if revision.author_id is None:
        return
    if accepted is not None:
        summary = N_(
            "%(name)s accepted revision %(accepted)s of §%(position)s “%(heading)s”: your revision %(number)s is "
            "outdated; carry it over to the new text"
        )
        params = {"accepted": accepted.number}
    else:
        summary = N_(
            "%(name)s could not accept your revision %(number)s of §%(position)s “%(heading)s”: it was written "
            "against older text and is outdated; carry it over to the current text"
        )
        params = {}
    _tell(
        "revision",
        [revision.author_id],
        moderator,
        revision,
        section,
        summary,
        path_for("guidelines.rebase", revision_id=revision.id),
        **params,
    )


# Checks on text -----------------------------------------------------------------------------------------------


def _clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def check_body(body: str, field: str = "body") -> str:
    body = _clean_text(body)
    if not body:
        raise RuleViolation(
            gettext("Write the text of the section: an empty text cannot be proposed."), field=field, status=422
        )
    if len(body) > BODY_MAX:
        raise RuleViolation(
            gettext(
                "A section's text can be at most %(limit)s characters; this one has %(count)s.",
                limit=format_number(BODY_MAX),
                count=format_number(len(body)),
            ),
            field=field,
            status=422,
        )
    return body


def _check_summary(summary: str | None) -> str:
    summary = " ".join((summary or "").split())
    if not summary:
        raise RuleViolation(gettext("Say in a sentence why you propose this change."), field="summary", status=422)
    if len(summary) > SUMMARY_MAX:
        raise RuleViolation(_at_most(SUMMARY_MAX), field="summary", status=422)
    return summary


def _check_reason(reason: str | None, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise RuleViolation(
            gettext("Give a reason: the author and the group will read it."), field="reason", status=422
        )
    if len(reason) > REASON_MAX:
        raise RuleViolation(_at_most(REASON_MAX), field="reason", status=422)
    return reason


def _check_heading(heading: str | None) -> str:
    heading = " ".join((heading or "").split())
    if not heading:
        raise RuleViolation(gettext("Enter a heading."), field="heading", status=422)
    if len(heading) > HEADING_MAX:
        raise RuleViolation(_at_most(HEADING_MAX), field="heading", status=422)
    return heading


def _at_most(limit: int) -> str:
    return gettext("At most %(limit)s characters.", limit=format_number(limit))


def same_text(a: str, b: str) -> bool:
    return diff.normalise(a) == diff.normalise(b)


# Documents and sections ---------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    slug = "-".join(re.sub(r"[^a-z0-9]+", " ", folded).split())[:100].strip("-") or "guidelines"
    return f"{slug}-document" if slug in RESERVED_SLUGS else slug


def unique_slug(title: str) -> str:
    slug = slugify(title)
    taken = set(db.session.execute(select(Guideline.slug).where(Guideline.slug.like(f"{slug}%"))).scalars())
    number = 2
    candidate = slug
    while candidate in taken:
        candidate = f"{slug}-{number}"
        number += 1
    return candidate


def create_guideline(actor: User, title: str, summary: str = "", slug: str | None = None) -> Guideline:
    _require(has_role(actor, "moderator"), N_("Only moderators start a new guideline document."))
    title = " ".join((title or "").split())
    if not title:
        raise RuleViolation(gettext("Enter a title."), field="title", status=422)
    if len(title) > TITLE_MAX:
        raise RuleViolation(_at_most(TITLE_MAX), field="title", status=422)
    guideline = Guideline(
        title=title, slug=slug or unique_slug(title), summary=(summary or "").strip(), created_by_id=actor.id
    )
    db.session.add(guideline)
    db.session.flush()
    audit.record(
        actor,
        "guidelines.document_created",
        guideline,
        summary=N_("started the guideline document “%(title)s”"),
        params={"title": title},
        url=path_for("guidelines.show_guideline", slug=guideline.slug),
    )
    db.session.commit()
    return guideline


def add_section(actor: User, guideline_id: int, heading: str, body: str, summary: str = "") -> GuidelineSection:
    """A new section at the end of the document; its first text is accepted at once (revision 1)."""
    _require(has_role(actor, "moderator"), N_("Only moderators add sections."))
    heading = _check_heading(heading)
    body = check_body(body)
    guideline = db.session.execute(
        select(Guideline).where(Guideline.id == guideline_id).with_for_update()
    ).scalar_one_or_none()
    if guideline is None:
        raise LookupError(f"no guideline {guideline_id}")
    count, last = db.session.execute(
        select(func.count(), func.max(GuidelineSection.position)).where(GuidelineSection.guideline_id == guideline_id)
    ).one()
    if count >= SECTIONS_PER_GUIDELINE:  # counted under the document's lock: two at once cannot both pass
        raise RuleViolation(
            gettext(
                "“%(title)s” has %(count)s sections, the most one document can hold. Add this text to a section "
                "(propose a change to it), or start another document; your text is kept here.",
                title=guideline.title,
                count=format_number(count),
            ),
            field="body",
            status=422,
        )
    now = utcnow()
    section = GuidelineSection(
        guideline_id=guideline_id, position=(last or 0) + 1, heading=heading, changed_at=now, created_at=now
    )
    db.session.add(section)
    db.session.flush()
    first = SectionRevision(
        section_id=section.id,
        number=1,
        body=body,
        summary=" ".join((summary or "First text of the section.").split())[:SUMMARY_MAX],
        author_id=actor.id,
        status="accepted",
        created_at=now,
        decided_by_id=actor.id,
        decided_at=now,
        decision_reason="The section's first text.",
    )
    db.session.add(first)
    db.session.flush()
    section.current_revision_id = first.id
    guideline.changed_at = now
    search.update("section", section.id)
    search.update("revision", first.id)
    audit.record(
        actor,
        "guidelines.section_added",
        section,
        summary=N_("added the section §%(position)s “%(heading)s” to “%(title)s”"),
        params={**section_params(section), "title": guideline.title},
        url=path_for("guidelines.show_section", section_id=section.id),
    )
    db.session.commit()
    return section


def rename_section(actor: User, section_id: int, heading: str, version: int) -> GuidelineSection:
    _require(has_role(actor, "moderator"), N_("Only moderators change section headings."))
    heading = _check_heading(heading)
    section = lock_section(section_id)
    before = section.heading
    if section.version != version:
        raise RuleViolation(
            gettext(
                "Someone changed this heading in the meantime; it is now “%(current)s”. Your heading “%(heading)s” "
                "was not saved: check the current one and change it again if needed.",
                current=before,
                heading=heading,
            ),
            field="heading",
            status=409,
        )
    if heading == before:
        raise RuleViolation(gettext("The heading is unchanged."), field="heading", status=422)
    now = utcnow()
    db.session.execute(
        update(GuidelineSection)
        .where(GuidelineSection.id == section_id, GuidelineSection.version == version)
        .values(heading=heading, version=GuidelineSection.version + 1, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(update(Guideline).where(Guideline.id == section.guideline_id).values(changed_at=now))
    search_entries.update_sections(section.id)
    audit.record(
        actor,
        "guidelines.section_renamed",
        section,
        summary=N_("renamed §%(position)s “%(before)s” to “%(after)s”"),
        params={"position": section.position, "before": before, "after": heading},
        details={"before": before, "after": heading},
        url=path_for("guidelines.show_section", section_id=section.id),
    )
    db.session.commit()
    return db.session.get(GuidelineSection, section_id, populate_existing=True)


def move_section(actor: User, section_id: int, direction: str) -> GuidelineSection:
    """Swap the section with its neighbour above (``up``) or below (``down``)."""
    _require(has_role(actor, "moderator"), N_("Only moderators change the order of sections."))
    if direction not in ("up", "down"):
        raise RuleViolation(gettext("Move a section up or down."), status=422)
    section = lock_section(section_id)
    siblings = list(
        db.session.execute(
            select(GuidelineSection)
            .where(GuidelineSection.guideline_id == section.guideline_id)
            .order_by(GuidelineSection.position)
            .with_for_update()
        ).scalars()
    )
    index = next(i for i, s in enumerate(siblings) if s.id == section.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(siblings):
        if direction == "up":
            message = gettext("§%(position)s “%(heading)s” is the first section already.", **section_params(section))
        else:
            message = gettext("§%(position)s “%(heading)s” is the last section already.", **section_params(section))
        raise RuleViolation(message, status=409)
    other = siblings[other_index]
    now = utcnow()
    before = section.position
    section.position, other.position = other.position, section.position
    section.changed_at = other.changed_at = now
    db.session.execute(update(Guideline).where(Guideline.id == section.guideline_id).values(changed_at=now))
    search_entries.update_sections(section.id, other.id)
    audit.record(
        actor,
        "guidelines.section_moved",
        section,
        summary=N_("moved “%(heading)s” from §%(before)s to §%(after)s"),
        params={"heading": section.heading, "before": before, "after": section.position},
        details={"from": before, "to": section.position, "swapped_with": other.id},
        url=path_for("guidelines.show_section", section_id=section.id),
    )
    db.session.commit()
    return section


# Revisions ----------------------------------------------------------------------------------------------------


def _next_number(section_id: int) -> int:
    last = db.session.execute(
        select(func.max(SectionRevision.number)).where(SectionRevision.section_id == section_id)
    ).scalar()
    return (last or 0) + 1


def propose_revision(
    author: User, section_id: int, base_revision_id: int | None, body: str, summary: str
) -> SectionRevision:
    """A new proposal for the section's text, written against ``base_revision_id``.

    Normally the base is the section's current text. When another proposal was accepted while the author
    was writing, the proposal is saved all the same (nothing typed is lost) and marked outdated at once, so
    that its author can rebase it onto the new text."""
    _require(has_role(author, "expert"))
    body = check_body(body)
    summary = _check_summary(summary)
    section = lock_section(section_id)
    _check_open_proposals(author, section)
    base = db.session.get(SectionRevision, base_revision_id) if base_revision_id else None
    if base is None or base.section_id != section.id or base.status != "accepted":
        raise RuleViolation(
            gettext(
                "The proposal must be based on an accepted text of this section. Reload the page and start again "
                "from the current text."
            ),
            field="body",
            status=422,
        )
    if same_text(body, base.body):
        raise RuleViolation(
            gettext(
                "Your text is the same as the text it is based on: change something, or leave the section as it is."
            ),
            field="body",
            status=422,
        )
    now = utcnow()
    outdated = base.id != section.current_revision_id
    revision = SectionRevision(
        section_id=section.id,
        number=_next_number(section.id),
        body=body,
        summary=summary,
        base_revision_id=base.id,
        author_id=author.id,
        status="outdated" if outdated else "proposed",
        created_at=now,
    )
    db.session.add(revision)
    section.changed_at = now
    db.session.flush()
    search.update("revision", revision.id)
    audit.record(
        author,
        "guidelines.revision_proposed",
        revision,
        summary=N_("proposed a revision of §%(position)s “%(heading)s”"),
        params=section_params(section),
        details={"base": base.id, "outdated_at_once": outdated},
        url=revision_url(revision),
    )
    if not outdated:  # an outdated one waits for its author to rebase it, not for a review
        _tell_reviewers(
            author,
            revision,
            section,
            N_("%(name)s proposed revision %(number)s of §%(position)s “%(heading)s” for review"),
        )
    db.session.commit()
    return revision


def _check_open_proposals(author: User, section: GuidelineSection) -> None:
    """One member has at most OPEN_PROPOSALS_PER_MEMBER proposals of one section waiting at once (counted
    under the section's lock, so two at once cannot both pass)."""
    waiting = db.session.execute(
        select(func.count())
        .select_from(SectionRevision)
        .where(
            SectionRevision.section_id == section.id,
            SectionRevision.author_id == author.id,
            SectionRevision.status == "proposed",
        )
    ).scalar_one()
    if waiting >= OPEN_PROPOSALS_PER_MEMBER:
        raise RuleViolation(
            ngettext(
                "You have %(num)d proposal for §%(position)s “%(heading)s” waiting for review, the most one member "
                "can have open at once. Withdraw it, or wait until the moderators decide on it; your text is kept "
                "here.",
                "You have %(num)d proposals for §%(position)s “%(heading)s” waiting for review, the most one member "
                "can have open at once. Withdraw one, or wait until the moderators decide on them; your text is kept "
                "here.",
                waiting,
                **section_params(section),
            ),
            field="body",
            status=422,
        )


def rebase_revision(author: User, revision_id: int, body: str, summary: str) -> SectionRevision:
    """The author carries an outdated proposal over to the current text: a new proposal based on the current
    revision. The outdated one stays as it was, so nothing is lost."""
    old = _revision(revision_id)
    if old.author_id != author.id:
        raise RuleViolation(gettext("Only the author of a proposal can rebase it."), status=403)
    if old.status != "outdated":
        raise RuleViolation(
            gettext(
                "Revision %(number)s is %(status)s, not outdated: only outdated proposals are rebased.",
                number=old.number,
                status=old.status_word,
            ),
            status=409,
        )
    successor = db.session.execute(
        select(SectionRevision.number).where(
            SectionRevision.rebased_from_id == old.id, SectionRevision.status.in_(("proposed", "accepted"))
        )
    ).scalar()
    if successor is not None:
        raise RuleViolation(
            gettext("You rebased this proposal already: revision %(number)s.", number=successor), status=409
        )
    body = check_body(body)
    summary = _check_summary(summary)
    section = lock_section(old.section_id)
    _check_open_proposals(author, section)
    current = db.session.get(SectionRevision, section.current_revision_id)
    if current is None:  # pragma: no cover - every section has a current text
        raise RuleViolation(gettext("The section has no current text to rebase onto."), status=409)
    if same_text(body, current.body):
        raise RuleViolation(
            gettext("Your text is the same as the current text: there is nothing left to propose."),
            field="body",
            status=422,
        )
    now = utcnow()
    revision = SectionRevision(
        section_id=section.id,
        number=_next_number(section.id),
        body=body,
        summary=summary,
        base_revision_id=current.id,
        rebased_from_id=old.id,
        author_id=author.id,
        status="proposed",
        created_at=now,
    )
    db.session.add(revision)
    section.changed_at = now
    db.session.flush()
    search.update("revision", revision.id)
    audit.record(
        author,
        "guidelines.revision_rebased",
        revision,
        summary=N_("updated an outdated proposal for §%(position)s “%(heading)s” to the current text"),
        params=section_params(section),
        details={"from": old.id, "base": current.id},
        url=revision_url(revision),
    )
    _tell_reviewers(
        author,
        revision,
        section,
        N_(
            "%(name)s updated outdated revision %(old)s of §%(position)s “%(heading)s” to the current text: "
            "revision %(number)s waits for review"
        ),
        old=old.number,
    )
    db.session.commit()
    return revision


def accept_revision(moderator: User, revision_id: int, reason: str) -> SectionRevision:
    """The proposal becomes the section's text; every other open proposal of the section, written against
    the older text, becomes outdated."""
    _require(has_role(moderator, "moderator"), N_("Only moderators accept revisions."))
    reason = _check_reason(reason)
    revision = _revision(revision_id)
    section = lock_section(revision.section_id)
    db.session.refresh(revision)
    if revision.status != "proposed":
        raise RuleViolation(
            gettext(
                "Revision %(number)s is %(status)s; only a proposed revision can be accepted.",
                number=revision.number,
                status=revision.status_word,
            ),
            status=409,
        )
    if revision.base_revision_id != section.current_revision_id:
        revision.status = "outdated"
        _tell_outdated(moderator, revision, section, None)
        db.session.commit()
        raise RuleViolation(
            gettext(
                "Revision %(number)s was written against older text; it is now marked outdated for its author to "
                "rebase.",
                number=revision.number,
            ),
            status=409,
        )
    now = utcnow()
    previous = section.current_revision_id
    revision.status = "accepted"
    revision.decided_by_id = moderator.id
    revision.decided_at = now
    revision.decision_reason = reason
    section.current_revision_id = revision.id
    section.changed_at = now
    outdated = list(
        db.session.execute(
            select(SectionRevision).where(
                SectionRevision.section_id == section.id,
                SectionRevision.status == "proposed",
                SectionRevision.id != revision.id,
            )
        ).scalars()
    )
    for other in outdated:
        other.status = "outdated"
    db.session.execute(update(Guideline).where(Guideline.id == section.guideline_id).values(changed_at=now))
    search.update("section", section.id)
    search.update("revision", revision.id)
    audit.record(
        moderator,
        "guidelines.revision_accepted",
        revision,
        summary=N_("accepted revision %(number)s of §%(position)s “%(heading)s”"),
        params=revision_params(revision),
        details={"reason": reason, "previous": previous, "outdated": [o.id for o in outdated]},
        url=revision_url(revision),
    )
    _tell(
        "revision",
        [revision.author_id] if revision.author_id else [],
        moderator,
        revision,
        section,
        N_("%(name)s accepted your revision %(number)s of §%(position)s “%(heading)s”"),
        revision_url(revision),
    )
    for other in outdated:
        _tell_outdated(moderator, other, section, revision)
    db.session.commit()
    return revision


def reject_revision(moderator: User, revision_id: int, reason: str) -> SectionRevision:
    _require(has_role(moderator, "moderator"), N_("Only moderators reject revisions."))
    reason = _check_reason(reason)
    revision = _revision(revision_id)
    lock_section(revision.section_id)
    db.session.refresh(revision)
    if revision.status not in ("proposed", "outdated"):
        raise RuleViolation(
            gettext(
                "Revision %(number)s is %(status)s already; it cannot be rejected.",
                number=revision.number,
                status=revision.status_word,
            ),
            status=409,
        )
    now = utcnow()
    revision.status = "rejected"
    revision.decided_by_id = moderator.id
    revision.decided_at = now
    revision.decision_reason = reason
    revision.section.changed_at = now
    search.update("revision", revision.id)
    audit.record(
        moderator,
        "guidelines.revision_rejected",
        revision,
        summary=N_("rejected revision %(number)s of §%(position)s “%(heading)s”"),
        params=revision_params(revision),
        details={"reason": reason},
        url=revision_url(revision),
    )
    _tell(
        "revision",
        [revision.author_id] if revision.author_id else [],
        moderator,
        revision,
        revision.section,
        N_("%(name)s rejected your revision %(number)s of §%(position)s “%(heading)s”"),
        revision_url(revision),
    )
    db.session.commit()
    return revision


def withdraw_revision(user: User, revision_id: int) -> SectionRevision:
    revision = _revision(revision_id)
    if revision.author_id != user.id:
        raise RuleViolation(gettext("Only the author of a proposal can withdraw it."), status=403)
    lock_section(revision.section_id)
    db.session.refresh(revision)
    if revision.status not in ("proposed", "outdated"):
        raise RuleViolation(
            gettext(
                "Revision %(number)s is %(status)s; it cannot be withdrawn any more.",
                number=revision.number,
                status=revision.status_word,
            ),
            status=409,
        )
    now = utcnow()
    revision.status = "withdrawn"
    revision.decided_by_id = user.id
    revision.decided_at = now
    revision.section.changed_at = now
    search.update("revision", revision.id)
    audit.record(
        user,
        "guidelines.revision_withdrawn",
        revision,
        summary=N_("withdrew revision %(number)s of §%(position)s “%(heading)s”"),
        params=revision_params(revision),
        url=revision_url(revision),
    )
    db.session.commit()
    return revision


# Comments -----------------------------------------------------------------------------------------------------


def paragraph_count(revision: SectionRevision) -> int:
    return len(diff.blocks(revision.body))


def check_comment_body(body: str | None) -> str:
    body = _clean_text(body)
    if not body:
        raise RuleViolation(gettext("Write a comment first."), field="body", status=422)
    if len(body) > COMMENT_MAX:
        raise RuleViolation(
            gettext(
                "A comment can be at most %(limit)s characters; this one has %(count)s. Shorten it or split it "
                "into two comments.",
                limit=format_number(COMMENT_MAX),
                count=format_number(len(body)),
            ),
            field="body",
            status=422,
        )
    return body


def _bump_comments(revision_id: int, now: datetime) -> int:
    """Raise the revision's comment sequence (open pages poll it); returns the new value."""
    return db.session.execute(
        update(SectionRevision)
        .where(SectionRevision.id == revision_id)
        .values(comment_seq=SectionRevision.comment_seq + 1, last_comment_at=now)
        .returning(SectionRevision.comment_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _touch_section(section_id: int, now: datetime) -> None:
    db.session.execute(update(GuidelineSection).where(GuidelineSection.id == section_id).values(changed_at=now))


def add_comment(
    author: User, revision_id: int, body: str, paragraph: int | None = None, parent_id: int | None = None
) -> Comment:
    """A new thread on the revision (or on one of its paragraphs), or a reply in a thread."""
    _require(has_role(author, "expert"))
    revision = _revision(revision_id)
    body = check_comment_body(body)
    parent = None
    replied_to: set[int] = set()  # the authors of the comment replied to and of its thread
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.revision_id != revision.id:
            raise RuleViolation(
                gettext("The comment you reply to is not on this revision."), field="parent", status=422
            )
        replied_to.add(parent.author_id)
        if parent.parent_id is not None:  # a reply to a reply joins the same thread
            parent = db.session.get(Comment, parent.parent_id)
            replied_to.add(parent.author_id)
        paragraph = parent.paragraph
    elif paragraph is not None:
        count = paragraph_count(revision)
        if not 1 <= paragraph <= count:
            raise RuleViolation(
                gettext(
                    "Revision %(number)s has paragraphs 1 to %(count)s; there is no paragraph %(paragraph)s.",
                    number=revision.number,
                    count=count,
                    paragraph=paragraph,
                ),
                field="paragraph",
                status=422,
            )
    _check_comment_room(revision, parent)
    now = utcnow()
    seq = _bump_comments(revision.id, now)
    comment = Comment(
        revision_id=revision.id,
        paragraph=paragraph,
        parent_id=parent.id if parent else None,
        author_id=author.id,
        body=body,
        created_at=now,
        created_seq=seq,
        seq=seq,
    )
    db.session.add(comment)
    if parent is not None:
        parent.seq = seq  # the thread changed: pages showing it fetch it again
    _touch_section(revision.section_id, now)
    db.session.flush()
    if parent and paragraph:
        summary = N_(
            "replied to a comment on paragraph %(paragraph)s of revision %(number)s of §%(position)s “%(heading)s”"
        )
    elif parent:
        summary = N_("replied to a comment on revision %(number)s of §%(position)s “%(heading)s”")
    elif paragraph:
        summary = N_("commented on paragraph %(paragraph)s of revision %(number)s of §%(position)s “%(heading)s”")
    else:
        summary = N_("commented on revision %(number)s of §%(position)s “%(heading)s”")
    params = revision_params(revision)
    if paragraph:
        params["paragraph"] = paragraph
    search.update("comment", comment.id)
    audit.record(
        author,
        "guidelines.comment_replied" if parent else "guidelines.comment_added",
        comment,
        summary=summary,
        params=params,
        url=revision_url(revision, f"comment-{comment.id}"),
    )
    _tell_about_comment(author, revision, comment, replied_to - {None})
    db.session.commit()
    return comment


def _check_comment_room(revision: SectionRevision, parent: Comment | None) -> None:
    """A revision takes at most COMMENTS_PER_REVISION comments and a thread REPLIES_PER_THREAD replies.

    Counted after the revision's row is locked (``_revision`` reads it; the count runs in the transaction
    that will raise its comment sequence), so the limit holds for comments posted at the same moment."""
    db.session.execute(
        select(SectionRevision.id).where(SectionRevision.id == revision.id).with_for_update()
    ).scalar_one()
    total, replies = db.session.execute(
        select(
            func.count(),
            func.count().filter(Comment.parent_id == (parent.id if parent is not None else None)),
        ).where(Comment.revision_id == revision.id)
    ).one()
    if total >= COMMENTS_PER_REVISION:
        raise RuleViolation(
            ngettext(
                "Revision %(number)s has %(num)d comment, the most one revision takes, so no more can be added. "
                "Ask a moderator to decide on it, or take the discussion to the next meeting.",
                "Revision %(number)s has %(num)d comments, the most one revision takes, so no more can be added. "
                "Ask a moderator to decide on it, or take the discussion to the next meeting.",
                total,
                number=revision.number,
            ),
            field="body",
            status=422,
        )
    if parent is not None and replies >= REPLIES_PER_THREAD:
        raise RuleViolation(
            ngettext(
                "This thread has %(num)d reply, the most one thread takes. Start a new thread on the same "
                "paragraph to go on.",
                "This thread has %(num)d replies, the most one thread takes. Start a new thread on the same "
                "paragraph to go on.",
                replies,
            ),
            field="body",
            status=422,
        )


def _thread_changed(comment: Comment, seq: int) -> None:
    comment.seq = seq
    if comment.parent_id is not None:
        db.session.execute(update(Comment).where(Comment.id == comment.parent_id).values(seq=seq))


def edit_comment(user: User, comment_id: int, body: str) -> Comment:
    comment = _comment(comment_id)
    if comment.author_id != user.id:
        raise RuleViolation(gettext("Only the author of a comment can edit it."), status=403)
    if comment.hidden:
        raise RuleViolation(gettext("A moderator hid this comment; it cannot be edited."), status=409)
    body = check_comment_body(body)
    if body == comment.body:
        raise RuleViolation(gettext("The comment is unchanged."), field="body", status=422)
    now = utcnow()
    before = comment.body
    comment.body = body
    comment.edited_at = now
    _thread_changed(comment, _bump_comments(comment.revision_id, now))
    search.update("comment", comment.id)
    audit.record(
        user,
        "guidelines.comment_edited",
        comment,
        summary=N_("edited a comment on revision %(number)s of §%(position)s “%(heading)s”"),
        params=revision_params(comment.revision),
        details={"before": before, "after": body},
        url=revision_url(comment.revision_id, f"comment-{comment.id}"),
    )
    _tell_about_comment(user, comment.revision, comment, set(), before=before)
    db.session.commit()
    return comment


def set_resolved(user: User, comment_id: int, resolved: bool) -> Comment:
    thread = _comment(comment_id)
    if thread.parent_id is not None:
        raise RuleViolation(gettext("Threads are resolved as a whole: resolve the thread's first comment."), status=422)
    if not _may_resolve(user, thread):
        raise RuleViolation(
            gettext("The thread's author, the revision's author and moderators resolve or reopen a thread."),
            status=403,
        )
    if thread.resolved == resolved:
        message = gettext("The thread is resolved already.") if resolved else gettext("The thread is open already.")
        raise RuleViolation(message, status=409)
    now = utcnow()
    thread.resolved = resolved
    thread.resolved_by_id = user.id if resolved else None
    thread.resolved_at = now if resolved else None
    thread.seq = _bump_comments(thread.revision_id, now)
    audit.record(
        user,
        "guidelines.thread_resolved" if resolved else "guidelines.thread_reopened",
        thread,
        summary=(
            N_("resolved a comment thread on revision %(number)s of §%(position)s “%(heading)s”")
            if resolved
            else N_("reopened a comment thread on revision %(number)s of §%(position)s “%(heading)s”")
        ),
        params=revision_params(thread.revision),
        url=revision_url(thread.revision_id, f"comment-{thread.id}"),
    )
    db.session.commit()
    return thread


def hide_comment(moderator: User, comment_id: int, reason: str) -> Comment:
    """The comment's text leaves the page and the database row; it stays in the audit log, for moderators."""
    _require(has_role(moderator, "moderator"), N_("Only moderators hide comments."))
    reason = _check_reason(reason)
    comment = _comment(comment_id)
    if comment.hidden:
        raise RuleViolation(gettext("This comment is hidden already."), status=409)
    now = utcnow()
    text = comment.body
    comment.hidden = True
    comment.hidden_reason = reason
    comment.hidden_by_id = moderator.id
    comment.hidden_at = now
    comment.body = ""
    _thread_changed(comment, _bump_comments(comment.revision_id, now))
    search.remove("comment", comment.id)
    audit.record(
        moderator,
        "guidelines.comment_hidden",
        comment,
        summary=N_("hid a comment on revision %(number)s of §%(position)s “%(heading)s”"),
        params=revision_params(comment.revision),
        details={"reason": reason, "hidden_text": text, "author_id": comment.author_id},
        url=revision_url(comment.revision_id, f"comment-{comment.id}"),
        audience="moderator",
    )
    db.session.commit()
    return comment


# Reading ------------------------------------------------------------------------------------------------------


@dataclass
class Thread:
    root: Comment
    replies: list[Comment]

    @property
    def id(self) -> int:
        return self.root.id

    def involves(self, user_id: int) -> bool:
        return self.root.author_id == user_id or any(r.author_id == user_id for r in self.replies)

    @property
    def seq(self) -> int:
        return max([self.root.seq, *(r.seq for r in self.replies)])


_COMMENTS_OF = (
    select(Comment)
    .options(joinedload(Comment.author).load_only(User.id, User.display_name))
    .where(Comment.revision_id == bindparam("revision_id"))
    .order_by(Comment.created_at, Comment.id)
)


def comments_of(revision_id: int) -> list[Comment]:
    """Every comment on the revision with its author's name, oldest first (one query, built once)."""
    return list(db.session.execute(_COMMENTS_OF, {"revision_id": revision_id}).scalars())


def threads_of(comments: list[Comment]) -> list[Thread]:
    by_root: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None:
            by_root[comment.id] = Thread(comment, [])
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in by_root:
            by_root[comment.parent_id].replies.append(comment)
    return list(by_root.values())


# The comment filters (keys in URLs) and their labels (English, marked with N_; translated where shown).
FILTERS = {
    "all": N_("All"),
    # Translators: a filter of comment threads, the ones not resolved yet.
    "open": N_("Open"),
    # Translators: a filter of comment threads.
    "resolved": N_("Resolved"),
    # Translators: a filter of comment threads, the ones the member wrote in.
    "mine": N_("Mine"),
}


def filter_threads(threads: list[Thread], which: str, user_id: int, paragraph: int | None = None) -> list[Thread]:
    if which == "open":
        threads = [t for t in threads if not t.root.resolved]
    elif which == "resolved":
        threads = [t for t in threads if t.root.resolved]
    elif which == "mine":
        threads = [t for t in threads if t.involves(user_id)]
    if paragraph is not None:
        threads = [t for t in threads if t.root.paragraph == paragraph]
    return threads


COMMENTS_PER_PAGE = 100


def thread_pages(threads: list[Thread], per_page: int = COMMENTS_PER_PAGE) -> list[list[Thread]]:
    """The threads in pages of at most ``per_page`` comments each (a thread is never split; one longer than a
    page has a page of its own), so a revision page's size does not grow with its comments. Never empty."""
    pages: list[list[Thread]] = [[]]
    held = 0
    for thread in threads:
        size = 1 + len(thread.replies)
        if pages[-1] and held + size > per_page:
            pages.append([])
            held = 0
        pages[-1].append(thread)
        held += size
    return pages


def paragraph_counts(comments: list[Comment]) -> dict[int, int]:
    """Visible comments per paragraph (hidden ones do not count)."""
    counts: dict[int, int] = {}
    for comment in comments:
        if comment.paragraph is not None and not comment.hidden:
            counts[comment.paragraph] = counts.get(comment.paragraph, 0) + 1
    return counts


def _dashboard_statements() -> tuple[Any, Any]:
    """The panel's two queries, for the member ``user_id``: open proposals (with whether the member commented on
    each), and the latest replies by others in threads the member started or took part in.

    Neither query reads a revision's text (the panel shows none), and the replies are looked for only in the
    threads the member wrote in (found by the author index), not in every comment of every revision."""
    mine, parent, earlier, written = aliased(Comment), aliased(Comment), aliased(Comment), aliased(Comment)
    successor = aliased(SectionRevision)
    user_id = bindparam("user_id")
    # The revisions the user commented on, found once by the author index (not per proposal in its comments).
    commented = SectionRevision.id.in_(select(mine.revision_id).where(mine.author_id == user_id))
    rebased = exists().where(successor.rebased_from_id == SectionRevision.id)
    listed = (
        SectionRevision.id,
        SectionRevision.section_id,
        SectionRevision.number,
        SectionRevision.summary,
        SectionRevision.author_id,
        SectionRevision.status,
        SectionRevision.created_at,
    )
    proposals = (
        select(SectionRevision, commented)
        .options(
            load_only(*listed),
            joinedload(SectionRevision.section)
            .load_only(GuidelineSection.position, GuidelineSection.heading, GuidelineSection.guideline_id)
            .joinedload(GuidelineSection.guideline),
            joinedload(SectionRevision.author),
        )
        .where(
            or_(
                SectionRevision.status == "proposed",
                and_(SectionRevision.status == "outdated", SectionRevision.author_id == user_id, ~rebased),
            )
        )
        .order_by(SectionRevision.created_at, SectionRevision.id)
        .limit(100)
    )
    took_part = exists().where(
        earlier.parent_id == Comment.parent_id, earlier.author_id == user_id, earlier.id < Comment.id
    )
    # Every thread the user wrote in: the ones they started and the ones they replied to.
    my_threads = select(func.coalesce(written.parent_id, written.id)).where(written.author_id == user_id)
    replies = (
        select(Comment)
        .join(parent, Comment.parent_id == parent.id)
        .options(
            joinedload(Comment.author),
            joinedload(Comment.revision)
            .load_only(SectionRevision.section_id)
            .joinedload(SectionRevision.section)
            .load_only(GuidelineSection.position, GuidelineSection.heading),
        )
        .where(
            Comment.parent_id.in_(my_threads),
            Comment.author_id != user_id,
            Comment.hidden.is_(False),
            or_(parent.author_id == user_id, and_(took_part)),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(bindparam("limit"))
    )
    return proposals, replies


# Built once: the dashboard asks on every visit, and building these costs more than running them.
_DASHBOARD_PROPOSALS, _DASHBOARD_REPLIES = _dashboard_statements()


def dashboard_items(user: User, limit: int = 6) -> dict[str, Any]:
    """The dashboard panel's lists, in two queries (``_dashboard_statements``)."""
    proposals = db.session.execute(_DASHBOARD_PROPOSALS, {"user_id": user.id}).all()
    # Each open proposal is listed once, under the heading that asks the most of this member: a moderator
    # reviews every proposal but their own (and sees there whether they commented on it); a member who does
    # not review is asked for a comment on the proposals of others they have not commented on yet.
    others = [(r, has_comment) for r, has_comment in proposals if r.status == "proposed" and r.author_id != user.id]
    if has_role(user, "moderator"):
        waiting = [revision for revision, _ in others]
        uncommented = []
    else:
        waiting = []
        uncommented = [r for r, has_comment in others if not has_comment]
    commented_ids = {r.id for r, has_comment in others if has_comment}
    to_rebase = [r for r, _ in proposals if r.status == "outdated"]
    replies = list(db.session.execute(_DASHBOARD_REPLIES, {"user_id": user.id, "limit": limit}).scalars())
    return {
        "waiting": waiting[:limit],
        "waiting_total": len(waiting),
        "uncommented": uncommented[-limit:][::-1],
        "uncommented_total": len(uncommented),
        "replies": replies,
        "to_rebase": to_rebase[:limit],
        "commented_ids": commented_ids,
    }


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """Proposals waiting for review, proposals the user has not commented on, replies to the user (2 queries)."""
    if not has_role(user, "expert"):
        return None
    return dashboard_items(user)
