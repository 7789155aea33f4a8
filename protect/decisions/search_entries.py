"""How the launch group's log is found: decisions (title, text, rationale, tags), their actions and the
meetings (title, place, minutes). The decision log's own text filter runs on these entries too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from protect.core.text import plain_text
from protect.core.urls import path_for
from protect.decisions.models import ActionItem, Decision, DecisionTag, Meeting
from protect.extensions import db
from protect.search import services as search
from protect.search.services import Entry


@search.source("decision")
def decision_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = select(
        Decision.id,
        Decision.title,
        Decision.text,
        Decision.rationale,
        Decision.event_id,
        Decision.author_id,
        Decision.updated_at,
        Meeting.title.label("meeting"),
    ).outerjoin(Meeting, Meeting.id == Decision.meeting_id)
    tags = select(DecisionTag.decision_id, DecisionTag.name)
    if ids is not None:
        statement = statement.where(Decision.id.in_(ids))
        tags = tags.where(DecisionTag.decision_id.in_(ids))
    names: dict[int, list[str]] = defaultdict(list)
    for decision_id, name in db.session.execute(tags):
        names[decision_id].append(name)
    for row in db.session.execute(statement):
        yield Entry(
            kind="decision",
            object_id=row.id,
            title=row.title,
            place=row.meeting or "",
            url=path_for("decisions.show_decision", decision_id=row.id),
            body=" ".join(
                part for part in (plain_text(row.text), plain_text(row.rationale), " ".join(names[row.id])) if part
            ),
            event_id=row.event_id,
            author_id=row.author_id,
            changed_at=row.updated_at,
        )


@search.source("action")
def action_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = (
        select(
            ActionItem.id,
            ActionItem.what,
            ActionItem.decision_id,
            ActionItem.meeting_id,
            ActionItem.created_by_id,
            ActionItem.created_at,
            Decision.title.label("decision"),
            Meeting.title.label("meeting"),
        )
        .outerjoin(Decision, Decision.id == ActionItem.decision_id)
        .outerjoin(Meeting, Meeting.id == ActionItem.meeting_id)
    )
    if ids is not None:
        statement = statement.where(ActionItem.id.in_(ids))
    for row in db.session.execute(statement):
        anchor = f"action-{row.id}"
        if row.decision_id:
            url = path_for("decisions.show_decision", decision_id=row.decision_id, _anchor=anchor)
        else:
            url = path_for("decisions.show_meeting", meeting_id=row.meeting_id, _anchor=anchor)
        yield Entry(
            kind="action",
            object_id=row.id,
            title=row.what,
            place=row.decision or row.meeting or "",
            url=url,
            author_id=row.created_by_id,
            changed_at=row.created_at,
        )


@search.source("meeting")
def meeting_entries(ids: list[int] | None) -> Iterator[Entry]:
    statement = select(
        Meeting.id,
        Meeting.title,
        Meeting.starts_at,
        Meeting.place,
        Meeting.minutes,
        Meeting.created_by_id,
        Meeting.updated_at,
    )
    if ids is not None:
        statement = statement.where(Meeting.id.in_(ids))
    for meeting in db.session.execute(statement):
        yield Entry(
            kind="meeting",
            object_id=meeting.id,
            title=meeting.title,
            place=f"{meeting.starts_at.date().isoformat()} {meeting.place}".strip(),
            url=path_for("decisions.show_meeting", meeting_id=meeting.id),
            body=plain_text(meeting.minutes),
            author_id=meeting.created_by_id,
            changed_at=meeting.updated_at,
        )


def update_meeting(meeting_id: int) -> None:
    """A meeting changed: its entry, and those of its decisions and actions, which name it."""
    search.update("meeting", meeting_id)
    search.update("decision", *db.session.scalars(select(Decision.id).where(Decision.meeting_id == meeting_id)))
    search.update("action", *db.session.scalars(select(ActionItem.id).where(ActionItem.meeting_id == meeting_id)))


def update_decision(decision_id: int) -> None:
    """A decision changed: its entry, and those of its actions, which name it."""
    search.update("decision", decision_id)
    search.update("action", *db.session.scalars(select(ActionItem.id).where(ActionItem.decision_id == decision_id)))
