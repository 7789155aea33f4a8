"""How the agendas are found: each agenda item (title, speakers, notes) that is not deleted, where it lives
being its training and day."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from protect.agendas.models import AgendaItem, TrainingEvent
from protect.core.text import plain_text
from protect.core.urls import path_for
from protect.extensions import db
from protect.search import services as search
from protect.search.services import Entry


@search.source("item")
def item_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            AgendaItem.id,
            AgendaItem.event_id,
            AgendaItem.day,
            AgendaItem.start,
            AgendaItem.title,
            AgendaItem.speakers,
            AgendaItem.notes,
            AgendaItem.updated_by_id,
            AgendaItem.updated_at,
            TrainingEvent.title.label("training"),
            TrainingEvent.first_day,
            TrainingEvent.language,
        )
        .join(TrainingEvent, TrainingEvent.id == AgendaItem.event_id)
        .where(AgendaItem.deleted_at.is_(None))
    )
    if ids is not None:
        statement = statement.where(AgendaItem.id.in_(ids))
    for row in db.session.execute(statement):
        yield _entry(row, row.training, row.first_day, row.language)


def _entry(item: Any, training: str, first_day: date, language: str) -> Entry:
    day = first_day + timedelta(days=item.day - 1)
    return Entry(
        kind="item",
        object_id=item.id,
        title=item.title,
        place=f"{training} › {day.isoformat()} {item.start.strftime('%H:%M')}",
        url=path_for("agendas.show_event", event_id=item.event_id, _anchor=f"item-{item.id}"),
        body=" ".join(part for part in (item.speakers, plain_text(item.notes)) if part),
        event_id=item.event_id,
        author_id=item.updated_by_id,
        changed_at=item.updated_at,
        language=language,
    )


def put_items(event: TrainingEvent, items: Iterable[AgendaItem]) -> None:
    """The entries of items just written (the service has them, and their training, at hand: no query)."""
    items = list(items)
    search.remove("item", *(item.id for item in items if item.deleted_at is not None))
    search.put("item", (_entry(i, event.title, event.first_day, event.language) for i in items if i.deleted_at is None))


def update_event(event_id: int) -> None:
    """The training's title or dates changed: its items' entries name them."""
    search.update("item", *db.session.scalars(select(AgendaItem.id).where(AgendaItem.event_id == event_id)))
