"""How the guidelines are found: a section's current text, each revision (its text and summary), and each
comment that is not hidden. Their place names the document and the section."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from protect.core.text import plain_text
from protect.core.urls import path_for
from protect.extensions import db
from protect.guidelines.models import Comment, Guideline, GuidelineSection, SectionRevision
from protect.search import services as search
from protect.search.services import Entry

_SECTION = (
    GuidelineSection.position,
    GuidelineSection.heading,
    Guideline.title.label("document"),
)


def _place(row: Any) -> str:
    return f"{row.document} › §{row.position} {row.heading}"


@search.source("section")
def section_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            GuidelineSection.id,
            GuidelineSection.position,
            GuidelineSection.heading,
            GuidelineSection.changed_at,
            Guideline.title.label("document"),
            SectionRevision.body,
        )
        .join(Guideline, Guideline.id == GuidelineSection.guideline_id)
        .outerjoin(SectionRevision, SectionRevision.id == GuidelineSection.current_revision_id)
    )
    if ids is not None:
        statement = statement.where(GuidelineSection.id.in_(ids))
    for row in db.session.execute(statement):
        yield Entry(
            kind="section",
            object_id=row.id,
            title=f"§{row.position} {row.heading}",
            place=row.document,
            url=path_for("guidelines.show_section", section_id=row.id),
            body=plain_text(row.body),
            changed_at=row.changed_at,
        )


@search.source("revision")
def revision_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            SectionRevision.id,
            SectionRevision.number,
            SectionRevision.summary,
            SectionRevision.body,
            SectionRevision.author_id,
            SectionRevision.created_at,
            SectionRevision.decided_at,
            *_SECTION,
        )
        .join(GuidelineSection, GuidelineSection.id == SectionRevision.section_id)
        .join(Guideline, Guideline.id == GuidelineSection.guideline_id)
    )
    if ids is not None:
        statement = statement.where(SectionRevision.id.in_(ids))
    for row in db.session.execute(statement):
        yield Entry(
            kind="revision",
            object_id=row.id,
            title=f"§{row.position} {row.heading} · {row.number}: {row.summary}",
            place=_place(row),
            url=path_for("guidelines.show_revision", revision_id=row.id),
            body=plain_text(row.body),
            author_id=row.author_id,
            changed_at=row.decided_at or row.created_at,
        )


@search.source("comment")
def comment_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            Comment.id,
            Comment.body,
            Comment.author_id,
            Comment.created_at,
            Comment.edited_at,
            Comment.revision_id,
            SectionRevision.number,
            *_SECTION,
        )
        .join(SectionRevision, SectionRevision.id == Comment.revision_id)
        .join(GuidelineSection, GuidelineSection.id == SectionRevision.section_id)
        .join(Guideline, Guideline.id == GuidelineSection.guideline_id)
        .where(Comment.hidden.is_(False))
    )
    if ids is not None:
        statement = statement.where(Comment.id.in_(ids))
    for row in db.session.execute(statement):
        text = plain_text(row.body)
        yield Entry(
            kind="comment",
            object_id=row.id,
            title=text[:80] + ("…" if len(text) > 80 else ""),
            place=f"{_place(row)} › {row.number}",
            url=path_for("guidelines.show_revision", revision_id=row.revision_id, _anchor=f"comment-{row.id}"),
            body=text,
            author_id=row.author_id,
            changed_at=row.edited_at or row.created_at,
        )


def update_sections(*section_ids: int) -> None:
    """A section's heading or position changed: its entries and those of its revisions and comments name it."""
    revisions = list(db.session.scalars(select(SectionRevision.id).where(SectionRevision.section_id.in_(section_ids))))
    comments = (
        list(db.session.scalars(select(Comment.id).where(Comment.revision_id.in_(revisions)))) if revisions else []
    )
    search.update("section", *section_ids)
    search.update("revision", *revisions)
    search.update("comment", *comments)
