"""Published versions of a guideline document: a moderator publishes the document as it reads (each section's
current accepted revision) as version N; each keeps its Markdown and the SHA-256 of it, has a permanent address
(/guidelines/<slug>/v<N>, and .md for the Markdown), and the changelog lists the accepted revisions between
consecutive versions.

The Markdown of a version is written in no interface language (title, sections and their texts only), so its
hash is the same for every reader and a printed or cited copy can be checked against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import has_role
from protect.core.urls import path_for
from protect.extensions import db
from protect.guidelines.models import Guideline, GuidelineSection, GuidelineVersion, SectionRevision


def version_markdown(title: str, sections: list[tuple[int, str, str]]) -> str:
    """The document's Markdown: its title, then each section (position, heading, text) under its heading."""
    parts = [f"# {title}\n"]
    for position, heading, body in sections:
        parts.append(f"## {position}. {heading}\n")
        parts.append(body.strip() + "\n")
    return "\n".join(parts)


def markdown_hash(markdown: str) -> str:
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def publish_version(actor: User, guideline_id: int) -> GuidelineVersion:
    """Publish the document as it reads now as its next version. 403 for a non-moderator; 409 when nothing
    changed since the last version (the same text again would be a version without a change)."""
    if not has_role(actor, "moderator"):
        raise RuleViolation(gettext("Only moderators and administrators may publish a version."), status=403)
    guideline = db.session.execute(
        select(Guideline).where(Guideline.id == guideline_id).with_for_update()
    ).scalar_one_or_none()
    if guideline is None:
        raise LookupError(guideline_id)
    sections = list(
        db.session.execute(
            select(GuidelineSection)
            .options(joinedload(GuidelineSection.current_revision))
            .where(GuidelineSection.guideline_id == guideline.id)
            .order_by(GuidelineSection.position)
        ).scalars()
    )
    listed = [
        {
            "section_id": section.id,
            "position": section.position,
            "heading": section.heading,
            "revision_id": section.current_revision_id,
            "revision_number": section.current_revision.number if section.current_revision else None,
            "summary": section.current_revision.summary if section.current_revision else "",
        }
        for section in sections
    ]
    markdown = version_markdown(
        guideline.title,
        [(s.position, s.heading, s.current_revision.body if s.current_revision else "") for s in sections],
    )
    digest = markdown_hash(markdown)
    last = db.session.execute(
        select(GuidelineVersion)
        .where(GuidelineVersion.guideline_id == guideline.id)
        .order_by(GuidelineVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is not None and last.content_hash == digest:
        raise RuleViolation(
            gettext("Nothing changed since version %(number)s: there is nothing new to publish.", number=last.number),
            status=409,
        )
    version = GuidelineVersion(
        guideline_id=guideline.id,
        number=(last.number if last else 0) + 1,
        sections=listed,
        markdown=markdown,
        content_hash=digest,
        published_at=utcnow(),
        published_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        actor,
        "guidelines.version_published",
        guideline,
        summary=N_("published version %(number)s of “%(title)s”"),
        params={"number": version.number, "title": guideline.title},
        url=path_for("guidelines.version", slug=guideline.slug, number=version.number),
        details={"content_hash": digest},
    )
    db.session.commit()
    return version


def versions_of(guideline_id: int) -> list[GuidelineVersion]:
    """Every published version, oldest first, with who published it."""
    return list(
        db.session.execute(
            select(GuidelineVersion)
            .options(joinedload(GuidelineVersion.published_by))
            .where(GuidelineVersion.guideline_id == guideline_id)
            .order_by(GuidelineVersion.number)
        ).scalars()
    )


@dataclass(frozen=True)
class SectionChange:
    position: int
    heading: str
    section_id: int
    before: int | None  # revision id in the earlier version (None: the section is new)
    after: int | None
    revisions: list[SectionRevision]  # the revisions accepted in between, oldest first


@dataclass(frozen=True)
class VersionChanges:
    version: GuidelineVersion
    changes: list[SectionChange]  # empty for the first version


def changelog(versions: list[GuidelineVersion]) -> list[VersionChanges]:
    """Each version, newest first, with the revisions accepted since the version before (one query for all)."""
    wanted: set[tuple[int, int, int]] = set()  # (section, after number, up to number)
    pairs = []
    for previous, current in zip([None, *versions][: len(versions)], versions, strict=True):
        before = {s["section_id"]: s for s in previous.sections} if previous else {}
        changes = []
        if previous is not None:
            for entry in current.sections:
                old = before.get(entry["section_id"])
                if old is None or old["revision_id"] != entry["revision_id"]:
                    low = (old or {}).get("revision_number") or 0
                    wanted.add((entry["section_id"], low, entry["revision_number"] or 0))
                    changes.append((entry, old, low))
        pairs.append((current, changes))
    found: dict[int, list[SectionRevision]] = {}
    if wanted:
        section_ids = {section_id for section_id, _low, _high in wanted}
        for revision in db.session.execute(
            select(SectionRevision)
            .where(SectionRevision.section_id.in_(section_ids), SectionRevision.status == "accepted")
            .order_by(SectionRevision.section_id, SectionRevision.number)
        ).scalars():
            found.setdefault(revision.section_id, []).append(revision)
    result = []
    for current, changes in pairs:
        listed = [
            SectionChange(
                entry["position"],
                entry["heading"],
                entry["section_id"],
                (old or {}).get("revision_id"),
                entry["revision_id"],
                [r for r in found.get(entry["section_id"], []) if low < r.number <= (entry["revision_number"] or 0)],
            )
            for entry, old, low in changes
        ]
        result.append(VersionChanges(current, listed))
    return list(reversed(result))


def count_versions(guideline_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(GuidelineVersion).where(GuidelineVersion.guideline_id == guideline_id)
    ).scalar_one()
