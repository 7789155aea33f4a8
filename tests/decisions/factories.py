"""Builders of meetings, decisions and actions for the decision log's tests. Each commits."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from sqlalchemy import select

from protect.auth.models import User
from protect.decisions import actions, meetings, services
from protect.decisions.models import ActionItem, Decision, DecisionTag, Meeting
from protect.extensions import db

_numbers = itertools.count(1)


def make_meeting(recorder: User, **fields) -> Meeting:
    n = next(_numbers)
    values = {
        "title": f"Meeting {n}",
        "starts_at": datetime(2015, 9, 22, 7, 30),
        "time_zone": "Europe/Copenhagen",
        "place": "Copenhagen",
        "online": False,
        "minutes": "",
        "attendee_ids": [recorder.id],
        "guests": "",
    }
    values.update(fields)
    return meetings.record_meeting(recorder, values)


def make_decision(author: User, **fields) -> Decision:
    n = next(_numbers)
    values = {
        "title": f"Decision {n}",
        "text": f"The text of decision {n}.",
        "rationale": "",
        "tags": "",
        "meeting_id": None,
        "owner_id": None,
        "due_on": None,
        "event_id": None,
        "revision_id": None,
        "poll_id": None,
    }
    status = fields.pop("status", None)
    created_at = fields.pop("created_at", None)
    values.update(fields)
    decision = services.propose_decision(author, values)
    if created_at is not None:
        decision.created_at = created_at
    if status is not None:
        decision.status = status
    db.session.commit()
    return decision


def make_decisions(author: User, count: int, start: datetime | None = None, **fields) -> list[Decision]:
    """``count`` decisions, one a day from ``start``: the last is the newest."""
    start = start or datetime(2016, 1, 1, 12)
    return [make_decision(author, created_at=start + timedelta(days=i), **fields) for i in range(count)]


def make_action(
    creator: User, *, decision: Decision | None = None, meeting: Meeting | None = None, **fields
) -> ActionItem:
    values = {"what": f"Action {next(_numbers)}", "owner_id": creator.id, "due_on": date(2016, 1, 15)}
    values.update(fields)
    done = values.pop("done", False)
    action = actions.add_action(
        creator,
        decision_id=decision.id if decision else None,
        meeting_id=meeting.id if meeting else None,
        **values,
    )
    if done:
        actions.set_action_done(creator, action.id, True)
    return db.session.get(ActionItem, action.id)


def tag_names(decision: Decision) -> list[str]:
    return list(
        db.session.execute(
            select(DecisionTag.name).where(DecisionTag.decision_id == decision.id).order_by(DecisionTag.id)
        ).scalars()
    )


def decision_form(decision: Decision | None = None, **changes) -> dict:
    """What the decision form posts."""
    data = {
        "title": decision.title if decision else "Trainings last two days",
        "text": decision.text if decision else "Every training runs over two full days.",
        "rationale": decision.rationale if decision else "",
        "tags": ", ".join(tag_names(decision)) if decision else "",
        "meeting_id": str(decision.meeting_id) if decision and decision.meeting_id else "None",
        "owner_id": str(decision.owner_id) if decision and decision.owner_id else "None",
        "due_on": decision.due_on.isoformat() if decision and decision.due_on else "",
        "event_id": str(decision.event_id) if decision and decision.event_id else "None",
    }
    if decision is not None:
        data["version"] = str(decision.version)
    data.update({key: str(value) for key, value in changes.items()})
    return data
