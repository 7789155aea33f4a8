"""When each member last looked at each section: the "changed since your last visit" marks.

A page reads the previous visit times first, renders with them, and records the new visit last, in a
transaction of its own (so a read-only page never holds SQLite's write lock while it renders).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from protect.core.database import utcnow, writing
from protect.extensions import db
from protect.guidelines.models import SectionVisit


def last_seen(user_id: int, section_ids: list[int]) -> dict[int, datetime]:
    if not section_ids:
        return {}
    rows = db.session.execute(
        select(SectionVisit.section_id, SectionVisit.seen_at).where(
            SectionVisit.user_id == user_id, SectionVisit.section_id.in_(section_ids)
        )
    )
    return {section_id: seen_at for section_id, seen_at in rows}


def is_new(moment: datetime | None, seen: datetime | None) -> bool:
    """Changed after the last visit. Before a member's first visit nothing is marked: everything is new."""
    return moment is not None and seen is not None and moment > seen


def mark_seen(user_id: int, section_ids: list[int], now: datetime | None = None) -> None:
    """Record a visit of the sections, in one statement (insert, or update the time where a row exists)."""
    if not section_ids:
        return
    now = now or utcnow()
    db.session.commit()  # end the page's read transaction; the write below takes a transaction of its own
    with writing():
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(SectionVisit).values(
            [{"user_id": user_id, "section_id": section_id, "seen_at": now} for section_id in section_ids]
        )
        statement = statement.on_conflict_do_update(
            index_elements=[SectionVisit.user_id, SectionVisit.section_id], set_={"seen_at": now}
        )
        db.session.execute(statement)
        db.session.commit()
