"""How the programme pages are found: the working copy (by members), and what the public sees (by anyone):
the live page, and each live translation in its own language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, select

from protect.core.text import plain_text
from protect.core.urls import path_for
from protect.extensions import db
from protect.programme.models import SOURCE, ProgrammePage, ProgrammeSnapshot, ProgrammeTranslation
from protect.search import services as search
from protect.search.services import Entry


def _text(content: dict[str, Any]) -> str:
    parts = [
        content.get("summary", ""),
        plain_text(content.get("description", "")),
        plain_text(content.get("how_to_take_part", "")),
        content.get("city", ""),
        content.get("venue", ""),
    ]
    for item in content.get("agenda", ()):
        parts += [item.get("title", ""), item.get("speakers", ""), plain_text(item.get("notes", ""))]
    return " ".join(part for part in parts if part)


@search.source("programme")
def page_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = select(
        ProgrammePage.id,
        ProgrammePage.event_id,
        ProgrammePage.title,
        ProgrammePage.summary,
        ProgrammePage.description,
        ProgrammePage.how_to_take_part,
        ProgrammePage.venue,
        ProgrammePage.language,
        ProgrammePage.updated_by_id,
        ProgrammePage.updated_at,
    )
    if ids is not None:
        statement = statement.where(ProgrammePage.id.in_(ids))
    for page in db.session.execute(statement):
        yield Entry(
            kind="programme",
            object_id=page.id,
            title=page.title,
            url=path_for("programme.overview", page_id=page.id),
            body=_text(
                {"summary": page.summary, "description": page.description, "how_to_take_part": page.how_to_take_part}
            ),
            place=page.venue,
            event_id=page.event_id,
            author_id=page.updated_by_id,
            changed_at=page.updated_at,
            language=page.language,
        )


@search.source("published")
def published_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = select(
        ProgrammePage.id,
        ProgrammePage.slug,
        ProgrammePage.event_id,
        ProgrammeSnapshot.title,
        ProgrammeSnapshot.content,
        ProgrammeSnapshot.published_at,
    ).join(
        ProgrammeSnapshot,
        and_(
            ProgrammeSnapshot.page_id == ProgrammePage.id,
            ProgrammeSnapshot.language == SOURCE,
            ProgrammeSnapshot.version == ProgrammePage.live_version,
        ),
    )
    if ids is not None:
        statement = statement.where(ProgrammePage.id.in_(ids))
    for live in db.session.execute(statement):
        yield Entry(
            kind="published",
            object_id=live.id,
            title=live.title,
            url=path_for("programme.public_page", slug=live.slug),
            body=_text(live.content),
            place=live.content.get("city", ""),
            audience="public",
            event_id=live.event_id,
            changed_at=live.published_at,
            language=live.content.get("language", "English"),
        )


@search.source("translation")
def translation_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            ProgrammeTranslation.id,
            ProgrammeTranslation.language,
            ProgrammePage.slug,
            ProgrammePage.event_id,
            ProgrammeSnapshot.title,
            ProgrammeSnapshot.content,
            ProgrammeSnapshot.published_at,
        )
        .join(ProgrammePage, ProgrammePage.id == ProgrammeTranslation.page_id)
        .join(
            ProgrammeSnapshot,
            and_(
                ProgrammeSnapshot.page_id == ProgrammePage.id,
                ProgrammeSnapshot.language == ProgrammeTranslation.language,
                ProgrammeSnapshot.version == ProgrammeTranslation.live_version,
            ),
        )
    )
    if ids is not None:
        statement = statement.where(ProgrammeTranslation.id.in_(ids))
    for live in db.session.execute(statement):
        fields = live.content.get("fields") or {}
        yield Entry(
            kind="translation",
            object_id=live.id,
            title=fields.get("title") or live.title,
            url=path_for("programme.public_page", slug=live.slug, lang=live.language),
            body=_text(fields),
            audience="public",
            event_id=live.event_id,
            changed_at=live.published_at,
            language=live.language,
        )


def update_page(page_id: int) -> None:
    """The page changed (its text, or what the public sees): its entries, and its translations' (a withdrawal
    takes them off the public site with it)."""
    search.update("programme", page_id)
    search.update("published", page_id)
    search.update(
        "translation",
        *db.session.scalars(select(ProgrammeTranslation.id).where(ProgrammeTranslation.page_id == page_id)),
    )
