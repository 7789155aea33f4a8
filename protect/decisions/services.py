"""The decision log's rules, without HTTP: proposing and editing decisions (every edit kept), moving them
through their statuses (every change recorded), actions, meetings, and the filtered, searchable log.

Permissions: every member (expert and up) records meetings, proposes decisions and adds actions; moderators
and administrators set a decision's status and record a poll's result; a decision's author, its owner or a
moderator edits it, but only its author or a moderator hands it to another owner; an action is ticked off by
its owner, whoever added it, or a moderator.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import Select, func, select, union_all, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from protect.agendas.models import TrainingEvent
from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.inputs import parse_int
from protect.core.permissions import has_role, rule
from protect.core.text import plain_excerpt
from protect.core.timefmt import to_zone, viewer_zone
from protect.decisions import rules
from protect.decisions.models import (
    ACTIONS_MAX,
    ATTENDEES_MAX,
    GUESTS_MAX,
    MINUTES_MAX,
    NOTE_MAX,
    PLACE_MAX,
    REPLACES_MAX,
    STATUS_CHANGES_MAX,
    TAG_MAX,
    TAGS_MAX,
    TEXT_MAX,
    TITLE_MAX,
    WHAT_MAX,
    ActionItem,
    Decision,
    DecisionStatusChange,
    DecisionTag,
    DecisionVersion,
    Meeting,
    MeetingAttendee,
)
from protect.extensions import db
from protect.guidelines.models import SectionRevision
from protect.polls.models import Poll

PAGE_SIZE = 20
EXPORT_MAX = 5_000
DUE_SOON_DAYS = 14
TEXT_FIELDS = ("title", "text", "rationale", "tags")
DECISION_FIELDS = (
    "title", "text", "rationale", "tags", "meeting_id", "owner_id", "due_on", "event_id", "revision_id", "poll_id",
)  # fmt: skip
# The facts each kept version records beside its text (the poll and Guidelines links are in the audit log).
FACT_FIELDS = ("owner_id", "due_on", "meeting_id", "event_id")
VERSIONED_FIELDS = TEXT_FIELDS + FACT_FIELDS
HISTORY_PAGE_SIZE = 10
MEETINGS_PAGE_SIZE = 50
MEETING_DECISIONS_SHOWN = 50
MEETING_CHOICES_MAX = 200
EVENT_CHOICES_MAX = 200
# The log's tag filter lists the first tags alphabetically (a tag chosen through a link is added to it).
TAG_CHOICES_MAX = 300


# Permissions --------------------------------------------------------------------------------------------------


@rule("decisions.propose")
def _may_propose(user: Any, _obj: Any) -> bool:
    return has_role(user, "expert")


@rule("decisions.edit")
def _may_edit(user: Any, decision: Decision) -> bool:
    """The author, the owner (who sees it through) or a moderator (or administrator) edits a decision."""
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and decision is not None and user.id in (decision.author_id, decision.owner_id)


@rule("decisions.reassign")
def _may_reassign(user: Any, decision: Decision) -> bool:
    """Who carries a decision through is the author's or a moderator's call, not the owner's alone."""
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and decision is not None and decision.author_id == user.id


@rule("decisions.set_status")
def _may_set_status(user: Any, _decision: Any) -> bool:
    return has_role(user, "moderator")


@rule("decisions.record_poll")
def _may_record_poll(user: Any, _poll: Any) -> bool:
    return has_role(user, "moderator")


@rule("decisions.add_action")
def _may_add_action(user: Any, _parent: Any) -> bool:
    return has_role(user, "expert")


@rule("decisions.update_action")
def _may_update_action(user: Any, action: ActionItem) -> bool:
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and action is not None and user.id in (action.owner_id, action.created_by_id)


@rule("decisions.record_meeting")
def _may_record_meeting(user: Any, _obj: Any) -> bool:
    return has_role(user, "expert")


@rule("decisions.edit_meeting")
def _may_edit_meeting(user: Any, meeting: Meeting) -> bool:
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and meeting is not None and meeting.created_by_id == user.id


# Small helpers ------------------------------------------------------------------------------------------------


def _url(endpoint: str, **values: Any) -> str:
    """A URL path, also outside a request (demo data, command line)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def decision_url(decision_id: int) -> str:
    return _url("decisions.show_decision", decision_id=decision_id)


def meeting_url(meeting_id: int) -> str:
    return _url("decisions.show_meeting", meeting_id=meeting_id)


def today_for(user: Any = None) -> date:
    """Today in the viewer's time zone: what "overdue" and "due soon" are measured against."""
    return to_zone(utcnow(), viewer_zone()).date()


def _member_problem(user_id: int | None, field_name: str, what: str) -> None:
    if user_id is None:
        return
    found = db.session.execute(select(User.id).where(User.id == user_id, User.active.is_(True))).first()
    if found is None:
        raise RuleViolation(
            f"The {what} must be a member of the workspace. Choose one from the list.", field=field_name, status=422
        )


def _search_text(title: str, text: str, rationale: str, tags: list[str]) -> str:
    return rules.fold("\n".join([title, text, rationale, " ".join(tags)]))


def _clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


# Decisions ----------------------------------------------------------------------------------------------------


def clean_decision_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: values.get(name) for name in DECISION_FIELDS}
    cleaned["title"] = " ".join((cleaned["title"] or "").split())
    cleaned["text"] = _clean_text(cleaned["text"])
    cleaned["rationale"] = _clean_text(cleaned["rationale"])
    cleaned["tags"] = rules.normalise_tags(cleaned["tags"])
    return cleaned


def check_decision_values(
    values: dict[str, Any], actor: Any = None, linked_poll_id: int | None = None, record_again: bool = False
) -> None:
    """Refuse (422, beside the field) what the form cannot check alone: members, meetings, links, limits.

    A poll's result is recorded as a decision only by a moderator or an administrator, and only once the poll
    has closed; ``linked_poll_id`` (the decision's link before an edit) stays without that check. A result
    already recorded is recorded again only with ``record_again`` (409 otherwise)."""
    if not values["title"]:
        raise RuleViolation("Enter a title.", field="title", status=422)
    if len(values["title"]) > TITLE_MAX:
        raise RuleViolation(f"At most {TITLE_MAX} characters.", field="title", status=422)
    if not values["text"]:
        raise RuleViolation("Write down what was decided.", field="text", status=422)
    for name in ("text", "rationale"):
        if len(values[name]) > TEXT_MAX:
            raise RuleViolation(f"At most {TEXT_MAX:,} characters.", field=name, status=422)
    if len(values["tags"]) > TAGS_MAX:
        raise RuleViolation(
            f"At most {TAGS_MAX} tags (you wrote {len(values['tags'])}). Remove some, or combine them.",
            field="tags",
            status=422,
        )
    long_tag = next((tag for tag in values["tags"] if len(tag) > TAG_MAX), None)
    if long_tag:
        raise RuleViolation(f"A tag has at most {TAG_MAX} characters (“{long_tag[:50]}…”).", field="tags", status=422)
    if values["due_on"] is not None and not isinstance(values["due_on"], date):
        raise RuleViolation("Enter the due date as a date, for example 2016-03-15.", field="due_on", status=422)
    _member_problem(values["owner_id"], "owner_id", "owner")
    if values["meeting_id"] is not None and db.session.get(Meeting, values["meeting_id"]) is None:
        raise RuleViolation("There is no such meeting. Choose one from the list.", field="meeting_id", status=422)
    if values["event_id"] is not None and db.session.get(TrainingEvent, values["event_id"]) is None:
        raise RuleViolation("There is no such training event. Choose one from the list.", field="event_id", status=422)
    if values["revision_id"] is not None and db.session.get(SectionRevision, values["revision_id"]) is None:
        raise RuleViolation("There is no such revision of the Guidelines.", field="revision_id", status=422)
    if values["poll_id"] is not None and values["poll_id"] != linked_poll_id:
        check_poll_link(actor, db.session.get(Poll, values["poll_id"]), allow_recorded=record_again)


def check_poll_link(actor: Any, poll: Poll | None, allow_recorded: bool = False) -> None:
    """Refuse to link ``poll``: unknown, not the actor's to record, still open, or (unless ``allow_recorded``)
    already recorded by another decision (409: the moderator is sent to it, or confirms)."""
    if poll is None:
        raise RuleViolation("There is no such poll.", field="poll_id", status=422)
    if not _may_record_poll(actor, poll):
        raise RuleViolation(
            "Only moderators and administrators record a poll's result as a decision.", field="poll_id", status=403
        )
    if not poll.is_closed(utcnow()):
        raise RuleViolation(
            "The poll is still open: its result can be recorded as a decision once it closes.",
            field="poll_id",
            status=409,
        )
    if allow_recorded:
        return
    # The poll's row is locked first (PostgreSQL; SQLite's write transaction is one at a time already), so two
    # moderators recording the same result at once are told in turn: the second sees the first's decision.
    db.session.execute(select(Poll.id).where(Poll.id == poll.id).with_for_update())
    recorded = decisions_recording(poll.id)
    if recorded:
        titles = "; ".join(f"“{title}”" for _id, title, _status in recorded)
        raise RuleViolation(
            f"The result of this poll is already recorded in the decision log: {titles}. Open that decision "
            "instead, or tick “Record it again anyway” to record a second decision about the same vote.",
            field="poll_id",
            status=409,
        )


def decisions_recording(poll_id: int) -> list[tuple[int, str, str]]:
    """(id, title, status) of the decisions that record the poll's result, oldest first (one query)."""
    rows = db.session.execute(
        select(Decision.id, Decision.title, Decision.status).where(Decision.poll_id == poll_id).order_by(Decision.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


def poll_panel(poll: Poll, user: Any) -> dict[str, Any] | None:
    """What the poll's pages show of the decision log (a PagePanel, see decisions/__init__.py): the decisions
    recording its result, and for moderators "Record as a decision" (a warning instead once one exists).
    Nothing before the close: a result is recorded only then. One query."""
    if not poll.is_closed(utcnow()):
        return None
    recorded = [
        {
            "title": title,
            "status": rules.STATUSES.get(status, status),
            "url": url_for("decisions.show_decision", decision_id=did),
        }
        for did, title, status in decisions_recording(poll.id)
    ]
    may_record = _may_record_poll(user, poll)
    if not recorded and not may_record:
        return None
    return {
        "poll": poll,
        "recorded": recorded,
        "record_url": url_for("decisions.new_decision", poll_id=poll.id) if may_record else None,
    }


def poll_prefill(actor: Any, poll_id: int) -> dict[str, Any]:
    """What a decision recording a closed poll's result starts from (the polls feature's own summary)."""
    from protect.polls.services import result_summary

    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise LookupError(f"no poll {poll_id}")
    check_poll_link(actor, poll, allow_recorded=True)  # the form shows the decisions that record it already
    summary = result_summary(poll)
    if summary.winner:
        title = f"{summary.question}: {summary.winner}"
    elif summary.tie:
        title = f"{summary.question}: a tie to be settled"
    else:
        title = f"Result of the vote: {summary.question}"
    return {
        "title": title[:TITLE_MAX],
        "text": summary.text,
        "rationale": f"The group voted in the workspace ({summary.method_label}); turnout: {summary.turnout}.",
        "tags": "location vote",
        "poll_id": poll.id,
        "poll": poll,
    }


def revision_label(revision: SectionRevision | None) -> str:
    if revision is None:
        return ""
    section = revision.section
    return f"Section {section.position} “{section.heading}”, revision {revision.number}"


def _set_tags(decision: Decision, tags: list[str]) -> None:
    wanted = {rules.fold(tag): tag for tag in tags}
    for tag in list(decision.tags):
        if tag.key not in wanted:
            decision.tags.remove(tag)
        else:
            tag.name = wanted.pop(tag.key)
    for key, name in wanted.items():
        decision.tags.append(DecisionTag(name=name, key=key))


def _facts(values: dict[str, Any]) -> dict[str, Any]:
    return {"facts_known": True, **{name: values[name] for name in FACT_FIELDS}}


def propose_decision(actor: User, values: dict[str, Any], record_again: bool = False) -> Decision:
    """``record_again``: the actor confirmed recording a poll's result that is recorded already."""
    values = clean_decision_values(values)
    check_decision_values(values, actor, record_again=record_again)
    now = utcnow()
    decision = Decision(
        title=values["title"],
        text=values["text"],
        rationale=values["rationale"],
        meeting_id=values["meeting_id"],
        owner_id=values["owner_id"],
        due_on=values["due_on"],
        event_id=values["event_id"],
        revision_id=values["revision_id"],
        poll_id=values["poll_id"],
        status="proposed",
        status_changed_at=now,
        author_id=actor.id,
        created_at=now,
        updated_at=now,
        version=1,
        search_text=_search_text(values["title"], values["text"], values["rationale"], values["tags"]),
    )
    decision.tags = []
    _set_tags(decision, values["tags"])
    db.session.add(decision)
    db.session.flush()
    db.session.add(
        DecisionVersion(
            decision_id=decision.id,
            number=1,
            title=decision.title,
            text=decision.text,
            rationale=decision.rationale,
            tags=values["tags"],
            **_facts(values),
            edited_by_id=actor.id,
            created_at=now,
        )
    )
    db.session.add(
        DecisionStatusChange(
            decision_id=decision.id, from_status=None, to_status="proposed", actor_id=actor.id, created_at=now
        )
    )
    audit.record(
        actor,
        "decisions.proposed",
        decision,
        summary=f"proposed the decision “{decision.title}”",
        url=decision_url(decision.id),
    )
    db.session.commit()
    return decision


class DecisionConflict(RuleViolation):
    """Someone saved the decision after this form was opened: nothing was saved; both texts are shown."""

    def __init__(self, current: Decision) -> None:
        super().__init__(
            "Someone else saved this decision while you were editing it. Nothing was saved yet: compare your "
            "text with the saved one below, then save again to keep yours.",
            status=409,
        )
        self.current = current


def lock_decision(decision_id: int) -> Decision:
    """The decision, freshly read and locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; an
    SQLite write transaction holds the write lock already)."""
    decision = db.session.execute(
        select(Decision)
        .options(selectinload(Decision.tags))
        .where(Decision.id == decision_id)
        .with_for_update(of=Decision)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if decision is None:
        raise LookupError(f"no decision {decision_id}")
    return decision


def edit_decision(actor: User, decision_id: int, version: int, values: dict[str, Any]) -> Decision:
    decision = lock_decision(decision_id)
    if not _may_edit(actor, decision):
        raise RuleViolation("Only the author or the owner of a decision, or a moderator, may edit it.", status=403)
    values = clean_decision_values(values)
    check_decision_values(values, actor, linked_poll_id=decision.poll_id)
    if values["owner_id"] != decision.owner_id and not _may_reassign(actor, decision):
        raise RuleViolation(
            "Only the author of the decision or a moderator may hand it to another owner; ask them to.",
            field="owner_id",
            status=403,
        )
    if decision.version != version:
        raise DecisionConflict(decision)
    before = {name: getattr(decision, name) for name in DECISION_FIELDS if name != "tags"}
    before["tags"] = decision.tag_names
    changed = [name for name in DECISION_FIELDS if before[name] != values[name]]
    if not changed:
        db.session.commit()
        return decision
    now = utcnow()
    result = db.session.execute(
        update(Decision)
        .where(Decision.id == decision.id, Decision.version == version)
        .values(
            **{name: values[name] for name in DECISION_FIELDS if name != "tags"},
            search_text=_search_text(values["title"], values["text"], values["rationale"], values["tags"]),
            version=Decision.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # cannot happen under the lock; kept as the compare-and-set it is
        db.session.rollback()
        raise DecisionConflict(db.session.get(Decision, decision_id, populate_existing=True))
    db.session.expire(decision, [name for name in DECISION_FIELDS if name != "tags"] + ["version", "search_text"])
    _set_tags(decision, values["tags"])
    if any(name in VERSIONED_FIELDS for name in changed):
        db.session.add(
            DecisionVersion(
                decision_id=decision.id,
                number=version + 1,
                title=values["title"],
                text=values["text"],
                rationale=values["rationale"],
                tags=values["tags"],
                **_facts(values),
                edited_by_id=actor.id,
                created_at=now,
            )
        )
    details = {
        name: [_plain(before[name]), _plain(values[name])] for name in changed if name not in ("text", "rationale")
    }
    audit.record(
        actor,
        "decisions.edited",
        decision,
        summary=f"edited the decision “{values['title']}”",
        url=decision_url(decision.id),
        details={"fields": changed, **details},
    )
    db.session.commit()
    return decision


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def successor_map() -> dict[int, int | None]:
    """Which decision superseded which (only superseded ones are listed)."""
    rows = db.session.execute(
        select(Decision.id, Decision.superseded_by_id).where(Decision.superseded_by_id.is_not(None))
    ).all()
    return {row.id: row.superseded_by_id for row in rows}


def change_status(
    actor: User, decision_id: int, new_status: str, note: str = "", superseded_by_id: int | None = None
) -> Decision:
    """Move a decision to ``new_status`` if the rules allow it, and record the step on its timeline."""
    if not _may_set_status(actor, None):
        raise RuleViolation("Only moderators and administrators set the status of a decision.", status=403)
    # Lock the decision and its replacement, always in the order of their ids: two moderators superseding
    # A by B and B by A at once then queue, and the second sees the first's result (and is refused a cycle).
    wanted = {decision_id}
    if new_status == "superseded" and superseded_by_id is not None and superseded_by_id > 0:
        wanted.add(superseded_by_id)
    locked = {
        d.id: d
        for d in db.session.execute(
            select(Decision)
            .where(Decision.id.in_(sorted(wanted)))
            .order_by(Decision.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    }
    decision = locked.get(decision_id)
    if decision is None:
        raise LookupError(f"no decision {decision_id}")
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise RuleViolation(f"The note has at most {NOTE_MAX} characters.", field="note", status=422)
    problem = rules.transition_problem(decision.status, new_status)
    if problem is None and new_status == "superseded":
        replacement = locked.get(superseded_by_id) if superseded_by_id is not None else None
        problem = rules.supersede_problem(
            decision.id, superseded_by_id, replacement.status if replacement else None, successor_map()
        )
    if problem is None and new_status in rules.STATUSES_A_REPLACEMENT_LEAVES:
        # Read after the lock: a decision being superseded by this one at the same moment locks it too.
        problem = rules.replacement_problem(new_status, [d.title for d in replaced_by_this(decision.id)])
    if problem is None and new_status == "superseded":
        replacing = db.session.execute(
            select(func.count()).select_from(Decision).where(Decision.superseded_by_id == superseded_by_id)
        ).scalar_one()
        if replacing >= REPLACES_MAX:
            problem = rules.StatusProblem(
                f"The chosen decision replaces {REPLACES_MAX} decisions already, the most one can. Choose "
                "another, or propose a decision that sums them up.",
                "superseded_by_id",
                422,
            )
    if problem is None:
        steps = db.session.execute(
            select(func.count())
            .select_from(DecisionStatusChange)
            .where(DecisionStatusChange.decision_id == decision.id)
        ).scalar_one()
        if steps >= STATUS_CHANGES_MAX:
            problem = rules.StatusProblem(
                f"This decision has changed status {STATUS_CHANGES_MAX} times, the most its timeline holds. "
                "Propose a new decision to carry it on, and mark this one superseded by it.",
                status=422,
            )
    if problem is not None:
        raise RuleViolation(problem.message, field=problem.field, status=problem.status)
    previous = decision.status
    now = utcnow()
    decision.status = new_status
    decision.status_changed_at = now
    decision.superseded_by_id = superseded_by_id if new_status == "superseded" else None
    db.session.add(
        DecisionStatusChange(
            decision_id=decision.id,
            from_status=previous,
            to_status=new_status,
            superseded_by_id=decision.superseded_by_id,
            note=note,
            actor_id=actor.id,
            created_at=now,
        )
    )
    audit.record(
        actor,
        "decisions.status_changed",
        decision,
        summary=f"{rules.TRANSITION_VERBS[new_status]} the decision “{decision.title}”",
        url=decision_url(decision.id),
        details={"from": previous, "to": new_status, "superseded_by": decision.superseded_by_id, "note": note},
    )
    db.session.commit()
    return decision


def load_decision(decision_id: int) -> Decision | None:
    """A decision with everything its page shows beside it, in one query (+1 for its tags)."""
    return db.session.execute(
        select(Decision)
        .options(
            joinedload(Decision.owner),
            joinedload(Decision.author),
            joinedload(Decision.meeting),
            joinedload(Decision.superseded_by),
            joinedload(Decision.event),
            joinedload(Decision.revision).joinedload(SectionRevision.section),
            joinedload(Decision.poll),
            selectinload(Decision.tags),
        )
        .where(Decision.id == decision_id)
    ).scalar_one_or_none()


def timeline(decision_id: int) -> list[DecisionStatusChange]:
    return list(
        db.session.execute(
            select(DecisionStatusChange)
            .options(joinedload(DecisionStatusChange.actor), joinedload(DecisionStatusChange.superseded_by))
            .where(DecisionStatusChange.decision_id == decision_id)
            .order_by(DecisionStatusChange.created_at, DecisionStatusChange.id)
        ).scalars()
    )


def versions(decision_id: int) -> list[DecisionVersion]:
    """Every kept text of the decision, oldest first."""
    return list(
        db.session.execute(
            select(DecisionVersion)
            .options(joinedload(DecisionVersion.edited_by))
            .where(DecisionVersion.decision_id == decision_id)
            .order_by(DecisionVersion.number)
        ).scalars()
    )


@dataclass
class HistoryPage:
    """A page of kept versions, newest first, each with the version before it (``None`` for the first)."""

    pairs: list[tuple[DecisionVersion, DecisionVersion | None]]
    total: int
    page: int
    pages: int
    names: dict[str, dict[int, str]]


def history_page(decision_id: int, page: int = 1) -> HistoryPage:
    """One page of the decision's history (newest first): the page's versions and the one before the oldest
    of them (to say what changed), and the names of the owners, meetings and events they mention: five
    queries however long the history grows."""
    total = version_count(decision_id)
    pages = max(1, -(-total // HISTORY_PAGE_SIZE))
    page = min(max(1, page), pages)
    kept = list(
        db.session.execute(
            select(DecisionVersion)
            .options(joinedload(DecisionVersion.edited_by))
            .where(DecisionVersion.decision_id == decision_id)
            .order_by(DecisionVersion.number.desc())
            .limit(HISTORY_PAGE_SIZE + 1)
            .offset((page - 1) * HISTORY_PAGE_SIZE)
        ).scalars()
    )
    pairs = [(kept[i], kept[i + 1] if i + 1 < len(kept) else None) for i in range(min(len(kept), HISTORY_PAGE_SIZE))]
    owner_ids = {v.owner_id for v in kept if v.owner_id}
    meeting_ids = {v.meeting_id for v in kept if v.meeting_id}
    event_ids = {v.event_id for v in kept if v.event_id}
    names: dict[str, dict[int, str]] = {"owner_id": {}, "meeting_id": {}, "event_id": {}}
    if owner_ids:
        names["owner_id"] = dict(
            db.session.execute(select(User.id, User.display_name).where(User.id.in_(owner_ids))).all()
        )
    if meeting_ids:
        names["meeting_id"] = {
            row.id: f"{row.title} ({row.starts_at:%-d %b %Y})"
            for row in db.session.execute(
                select(Meeting.id, Meeting.title, Meeting.starts_at).where(Meeting.id.in_(meeting_ids))
            )
        }
    if event_ids:
        names["event_id"] = dict(
            db.session.execute(
                select(TrainingEvent.id, TrainingEvent.title).where(TrainingEvent.id.in_(event_ids))
            ).all()
        )
    return HistoryPage(pairs, total, page, pages, names)


def version_count(decision_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(DecisionVersion).where(DecisionVersion.decision_id == decision_id)
    ).scalar_one()


def superseding_choices(decision_id: int) -> list[tuple[int, str, str]]:
    """(id, title, status) of decisions that could replace this one: agreed or implemented ones, newest first."""
    rows = db.session.execute(
        select(Decision.id, Decision.title, Decision.status)
        .where(Decision.id != decision_id, Decision.status.in_(rules.SUPERSEDING_STATUSES))
        .order_by(Decision.created_at.desc(), Decision.id.desc())
        .limit(500)
    ).all()
    return [(row.id, row.title, row.status) for row in rows]


def replaced_by_this(decision_id: int) -> list[Decision]:
    """The decisions this one superseded."""
    return list(
        db.session.execute(
            select(Decision)
            .where(Decision.superseded_by_id == decision_id)
            .order_by(Decision.created_at, Decision.id)
            .limit(REPLACES_MAX)
        ).scalars()
    )


# Actions ------------------------------------------------------------------------------------------------------


def add_action(
    actor: User,
    *,
    what: str,
    owner_id: int | None,
    due_on: date | None,
    decision_id: int | None = None,
    meeting_id: int | None = None,
) -> ActionItem:
    what = " ".join((what or "").split())
    if not what:
        raise RuleViolation("Say what is to be done.", field="what", status=422)
    if len(what) > WHAT_MAX:
        raise RuleViolation(f"At most {WHAT_MAX} characters.", field="what", status=422)
    if due_on is not None and not isinstance(due_on, date):
        raise RuleViolation("Enter the due date as a date, for example 2016-03-15.", field="due_on", status=422)
    _member_problem(owner_id, "owner_id", "person responsible")
    if (decision_id is None) == (meeting_id is None):
        raise RuleViolation("An action belongs to one decision or one meeting.", status=422)
    # The parent, locked: two actions added at once are counted one after the other.
    model, parent_id = (Decision, decision_id) if decision_id else (Meeting, meeting_id)
    parent = db.session.execute(
        select(model).where(model.id == parent_id).with_for_update(of=model)
    ).scalar_one_or_none()
    if parent is None:
        raise LookupError("no such decision or meeting")
    siblings = ActionItem.decision_id == decision_id if decision_id else ActionItem.meeting_id == meeting_id
    if db.session.execute(select(func.count()).select_from(ActionItem).where(siblings)).scalar_one() >= ACTIONS_MAX:
        kind = "decision" if decision_id else "meeting"
        raise RuleViolation(
            f"This {kind} has {ACTIONS_MAX} actions already, the most one can hold. Remove one that is no longer "
            "needed, or combine some.",
            field="what",
            status=422,
        )
    action = ActionItem(
        decision_id=decision_id,
        meeting_id=meeting_id,
        what=what,
        owner_id=owner_id,
        due_on=due_on,
        created_by_id=actor.id,
    )
    db.session.add(action)
    url = decision_url(decision_id) if decision_id else meeting_url(meeting_id)  # type: ignore[arg-type]
    audit.record(
        actor, "decisions.action_added", action, summary=f"added the action “{what}” to “{parent.title}”", url=url
    )
    db.session.commit()
    return action


def load_action(action_id: int) -> ActionItem | None:
    return db.session.execute(
        select(ActionItem)
        .options(joinedload(ActionItem.owner), joinedload(ActionItem.decision), joinedload(ActionItem.meeting))
        .where(ActionItem.id == action_id)
    ).scalar_one_or_none()


def set_action_done(actor: User, action_id: int, done: bool) -> ActionItem:
    action = load_action(action_id)
    if action is None:
        raise LookupError(f"no action {action_id}")
    if not _may_update_action(actor, action):
        raise RuleViolation(
            "Only the person responsible, whoever added the action, or a moderator may tick it off.", status=403
        )
    if done == action.done:
        return action
    action.done_at = utcnow() if done else None
    action.done_by_id = actor.id if done else None
    parent = action.decision or action.meeting
    audit.record(
        actor,
        "decisions.action_done" if done else "decisions.action_reopened",
        action,
        summary=f"{'completed' if done else 'reopened'} the action “{action.what}”",
        url=decision_url(action.decision_id) if action.decision_id else meeting_url(parent.id),
    )
    db.session.commit()
    return action


def delete_action(actor: User, action_id: int) -> ActionItem:
    action = load_action(action_id)
    if action is None:
        raise LookupError(f"no action {action_id}")
    if not _may_update_action(actor, action):
        raise RuleViolation(
            "Only whoever added the action, the person responsible or a moderator may remove it.", status=403
        )
    audit.record(
        actor,
        "decisions.action_removed",
        action,
        summary=f"removed the action “{action.what}”",
        url=decision_url(action.decision_id) if action.decision_id else meeting_url(action.meeting_id),  # type: ignore[arg-type]
        details={"what": action.what, "owner_id": action.owner_id, "due_on": _plain(action.due_on)},
    )
    db.session.delete(action)
    db.session.commit()
    return action


def actions_of(*, decision_id: int | None = None, meeting_id: int | None = None) -> list[ActionItem]:
    query = select(ActionItem).options(joinedload(ActionItem.owner))
    if decision_id is not None:
        query = query.where(ActionItem.decision_id == decision_id)
    else:
        query = query.where(ActionItem.meeting_id == meeting_id)
    return list(
        db.session.execute(
            query.order_by(
                ActionItem.done_at.is_not(None), ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id
            )
        ).scalars()
    )


# Meetings -----------------------------------------------------------------------------------------------------


@dataclass
class Guest:
    name: str
    organisation: str = ""


def parse_guests(raw: str | None) -> list[Guest]:
    """Guests, one a line: "Name, Organisation" (the organisation may be left out)."""
    guests = []
    for line in (raw or "").splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        name, _, organisation = line.partition(",")
        guests.append(Guest(name.strip(), organisation.strip()))
    return guests


def guests_text(meeting: Meeting) -> str:
    return "\n".join(
        f"{a.guest_name}, {a.guest_organisation}" if a.guest_organisation else a.guest_name
        for a in meeting.attendees
        if a.user_id is None
    )


MEETING_FIELDS = ("title", "starts_at", "time_zone", "place", "online", "minutes")


def _check_meeting(values: dict[str, Any]) -> None:
    if not values["title"]:
        raise RuleViolation("Enter a title.", field="title", status=422)
    if len(values["title"]) > TITLE_MAX:
        raise RuleViolation(f"At most {TITLE_MAX} characters.", field="title", status=422)
    if not isinstance(values["starts_at"], datetime):
        raise RuleViolation("Enter the date and the time.", field="starts_on", status=422)
    if not values["online"] and not values["place"]:
        raise RuleViolation("Say where the meeting is, or tick “Online”.", field="place", status=422)
    if len(values["place"]) > PLACE_MAX:
        raise RuleViolation(f"At most {PLACE_MAX} characters.", field="place", status=422)
    if len(values["minutes"]) > MINUTES_MAX:
        raise RuleViolation(f"The minutes have at most {MINUTES_MAX:,} characters.", field="minutes", status=422)
    guests = values["guests"]
    if len(guests) > GUESTS_MAX:
        raise RuleViolation(
            f"At most {GUESTS_MAX} guests, one a line (you wrote {len(guests)}).", field="guests", status=422
        )
    for guest in guests:
        if not guest.name:
            raise RuleViolation("Each guest line starts with the guest's name.", field="guests", status=422)
        if len(guest.name) > 120 or len(guest.organisation) > 200:
            raise RuleViolation(
                f"“{guest.name[:40]}”: names have at most 120 characters, organisations 200.",
                field="guests",
                status=422,
            )
    ids = values["attendee_ids"]
    if len(ids) > ATTENDEES_MAX:
        raise RuleViolation(
            f"At most {ATTENDEES_MAX} members can be listed as attending (you ticked {len(ids)}).",
            field="attendee_ids",
            status=422,
        )
    if ids:
        found = set(db.session.execute(select(User.id).where(User.id.in_(ids), User.active.is_(True))).scalars())
        if found != set(ids):
            raise RuleViolation(
                "Attendees must be members of the workspace; add others as guests.", field="attendee_ids", status=422
            )


def clean_meeting_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": " ".join((values.get("title") or "").split()),
        "starts_at": values.get("starts_at"),
        "time_zone": values.get("time_zone") or "UTC",
        "place": " ".join((values.get("place") or "").split()),
        "online": bool(values.get("online")),
        "minutes": _clean_text(values.get("minutes")),
        "attendee_ids": sorted({int(i) for i in values.get("attendee_ids") or []}),
        "guests": values.get("guests")
        if isinstance(values.get("guests"), list)
        else parse_guests(values.get("guests")),
    }


def _set_attendees(meeting: Meeting, attendee_ids: list[int], guests: list[Guest]) -> None:
    meeting.attendees.clear()
    db.session.flush()
    for user_id in attendee_ids:
        meeting.attendees.append(MeetingAttendee(user_id=user_id))
    for guest in guests:
        meeting.attendees.append(MeetingAttendee(guest_name=guest.name, guest_organisation=guest.organisation))


def record_meeting(actor: User, values: dict[str, Any]) -> Meeting:
    values = clean_meeting_values(values)
    _check_meeting(values)
    meeting = Meeting(created_by_id=actor.id, **{name: values[name] for name in MEETING_FIELDS})
    meeting.attendees = []
    _set_attendees(meeting, values["attendee_ids"], values["guests"])
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        actor,
        "decisions.meeting_recorded",
        meeting,
        summary=f"recorded the meeting “{meeting.title}”",
        url=meeting_url(meeting.id),
    )
    db.session.commit()
    return meeting


class MeetingConflict(RuleViolation):
    def __init__(self, current: Meeting) -> None:
        super().__init__(
            "Someone else saved this meeting while you were editing it. Nothing was saved yet: compare your "
            "minutes with the saved ones below, then save again to keep yours.",
            status=409,
        )
        self.current = current


def load_meeting(meeting_id: int, *, lock: bool = False) -> Meeting | None:
    query = (
        select(Meeting)
        .options(joinedload(Meeting.created_by), selectinload(Meeting.attendees).joinedload(MeetingAttendee.user))
        .where(Meeting.id == meeting_id)
    )
    if lock:
        query = query.with_for_update(of=Meeting).execution_options(populate_existing=True)
    return db.session.execute(query).unique().scalar_one_or_none()


def edit_meeting(actor: User, meeting_id: int, version: int, values: dict[str, Any]) -> Meeting:
    meeting = load_meeting(meeting_id, lock=True)
    if meeting is None:
        raise LookupError(f"no meeting {meeting_id}")
    if not _may_edit_meeting(actor, meeting):
        raise RuleViolation("Only whoever recorded the meeting or a moderator may edit it.", status=403)
    values = clean_meeting_values(values)
    _check_meeting(values)
    if meeting.version != version:
        raise MeetingConflict(meeting)
    result = db.session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.version == version)
        .values(**{name: values[name] for name in MEETING_FIELDS}, version=Meeting.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise MeetingConflict(load_meeting(meeting_id))  # type: ignore[arg-type]
    db.session.expire(meeting, [*MEETING_FIELDS, "version", "updated_at"])
    _set_attendees(meeting, values["attendee_ids"], values["guests"])
    audit.record(
        actor,
        "decisions.meeting_edited",
        meeting,
        summary=f"edited the meeting “{values['title']}”",
        url=meeting_url(meeting.id),
    )
    db.session.commit()
    return meeting


@dataclass
class MeetingsPage:
    rows: list[tuple[Meeting, int, int]]
    total: int
    page: int
    pages: int


def meetings_page(page: int = 1) -> MeetingsPage:
    """One page of the meetings, latest first, with their numbers of decisions and open actions (two queries)."""
    total = db.session.execute(select(func.count(Meeting.id))).scalar_one()
    pages = max(1, -(-total // MEETINGS_PAGE_SIZE))
    page = min(max(1, page), pages)
    return MeetingsPage(
        list_meetings(limit=MEETINGS_PAGE_SIZE, offset=(page - 1) * MEETINGS_PAGE_SIZE), total, page, pages
    )


def list_meetings(limit: int | None = None, offset: int = 0) -> list[tuple[Meeting, int, int]]:
    """Meetings, latest first, with their numbers of decisions and open actions (one query)."""
    decisions = (
        select(Decision.meeting_id, func.count().label("n"))
        .where(Decision.meeting_id.is_not(None))
        .group_by(Decision.meeting_id)
    ).subquery()
    actions = (
        select(ActionItem.meeting_id, func.count().label("n"))
        .where(ActionItem.meeting_id.is_not(None), ActionItem.done_at.is_(None))
        .group_by(ActionItem.meeting_id)
    ).subquery()
    rows = db.session.execute(
        select(Meeting, func.coalesce(decisions.c.n, 0), func.coalesce(actions.c.n, 0))
        .outerjoin(decisions, decisions.c.meeting_id == Meeting.id)
        .outerjoin(actions, actions.c.meeting_id == Meeting.id)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def meeting_choices(keep: int | None = None) -> list[tuple[int, str, datetime]]:
    """(id, title, start) of the latest meetings, latest first (the rows as they come: tuples already), and the
    meeting ``keep`` (a form's current choice) wherever it is: a select of every meeting would grow without bound."""
    columns = select(Meeting.id, Meeting.title, Meeting.starts_at)
    rows = list(
        db.session.execute(
            columns.order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(MEETING_CHOICES_MAX)
        ).all()
    )
    if keep and all(row[0] != keep for row in rows):
        rows += db.session.execute(columns.where(Meeting.id == keep)).all()
    return rows


def decisions_of_meeting(meeting_id: int, limit: int | None = None) -> tuple[list[Decision], int]:
    """The first ``limit`` decisions taken at the meeting, and how many there are in all (the log lists the rest)."""
    total = db.session.execute(
        select(func.count()).select_from(Decision).where(Decision.meeting_id == meeting_id)
    ).scalar_one()
    decisions = list(
        db.session.execute(
            select(Decision)
            .options(joinedload(Decision.owner))
            .where(Decision.meeting_id == meeting_id)
            .order_by(Decision.created_at, Decision.id)
            .limit(limit or MEETING_DECISIONS_SHOWN)
        ).scalars()
    )
    return decisions, total


# The log ------------------------------------------------------------------------------------------------------

OWNER_NAME_MAX = 120
EXCERPT_LENGTH = 220


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The list's plain-text excerpt of a decision's Markdown (``plain_excerpt`` caches it on the text)."""
    return plain_excerpt(text, length)


@dataclass
class LogFilter:
    status: str | None = None
    owner_id: int | None = None
    # A name, or part of one, as typed into the filter form: the decisions of every owner it names.
    owner_name: str = ""
    meeting_id: int | None = None
    tag: str | None = None
    due_before: date | None = None
    q: str = ""
    page: int = 1
    problems: dict[str, str] = field(default_factory=dict)
    _owner_ids: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return any(
            (self.status, self.owner_id, self.owner_name, self.meeting_id, self.tag, self.due_before, self.q.strip())
        )

    def params(self, **changes: Any) -> dict[str, Any]:
        """The filter as query parameters: only what is set, so a shared URL is short and readable."""
        values = {
            "q": self.q.strip() or None,
            "status": self.status,
            "owner": self.owner_id or self.owner_name or None,
            "meeting": self.meeting_id,
            "tag": self.tag,
            "due_before": self.due_before.isoformat() if self.due_before else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value not in (None, "")}

    def owner_ids(self) -> list[int]:
        """Whom ``owner_name`` names (looked up once per filter)."""
        if self._owner_ids is None:
            self._owner_ids = owners_named(self.owner_name)
        return self._owner_ids


def owners_named(name: str) -> list[int]:
    """The owners of decisions whose name is ``name``, compared folded and without accents (so "åsa" and "asa"
    find "Åsa"); when nobody's is, those whose name holds every word of it ("berg" finds "Jonas Berg" and
    "Ilze Bergmane").

    An exact name wins so that the form, which shows the chosen owner's name, keeps to that person. Names are
    folded in Python, as the search is: SQLite's lower() and LIKE fold only ASCII."""
    wanted = rules.loose(" ".join(name.split()))
    words = wanted.split()
    if not words:
        return []
    owners = select(Decision.owner_id).where(Decision.owner_id.is_not(None)).distinct()
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(owners))).all()
    folded = [(row.id, rules.loose(" ".join(row.display_name.split()))) for row in rows]
    exact = [user_id for user_id, folded_name in folded if folded_name == wanted]
    if exact:
        return sorted(exact)
    return sorted(user_id for user_id, folded_name in folded if all(word in folded_name for word in words))


def owner_name(user_id: int) -> str | None:
    return db.session.execute(select(User.display_name).where(User.id == user_id)).scalar_one_or_none()


def _int_param(value: str | None) -> int | None:
    return parse_int(value, minimum=1)


def parse_filter(args: Any) -> LogFilter:
    """The log's filters from query parameters. Nonsense is ignored; a due date that is not a date is
    reported beside its field (and left out). ``owner`` is an owner's id (links) or a name typed in the form."""
    result = LogFilter()
    status = (args.get("status") or "").strip()
    result.status = status if status in rules.STATUSES else None
    owner = " ".join((args.get("owner") or "").split())[:OWNER_NAME_MAX]
    if owner.isascii() and owner.isdigit():
        result.owner_id = _int_param(owner)
    else:
        result.owner_name = owner
    result.meeting_id = _int_param(args.get("meeting"))
    tag = " ".join((args.get("tag") or "").split())[:TAG_MAX]
    result.tag = tag or None
    result.q = (args.get("q") or "")[:200]
    raw_due = (args.get("due_before") or "").strip()
    if raw_due:
        try:
            result.due_before = date.fromisoformat(raw_due)
        except ValueError:
            result.problems["due_before"] = (
                f"“{raw_due[:30]}” is not a date. Enter it as YYYY-MM-DD, for example 2016-03-15."
            )
    result.page = _int_param(args.get("page")) or 1
    return result


def filtered(query: Select, log_filter: LogFilter) -> Select:
    if log_filter.status:
        query = query.where(Decision.status == log_filter.status)
    if log_filter.owner_id:
        query = query.where(Decision.owner_id == log_filter.owner_id)
    elif log_filter.owner_name:
        query = query.where(Decision.owner_id.in_(log_filter.owner_ids()))
    if log_filter.meeting_id:
        query = query.where(Decision.meeting_id == log_filter.meeting_id)
    if log_filter.tag:
        query = query.where(
            Decision.id.in_(select(DecisionTag.decision_id).where(DecisionTag.key == rules.fold(log_filter.tag)))
        )
    if log_filter.due_before:
        query = query.where(Decision.due_on.is_not(None), Decision.due_on < log_filter.due_before)
    # search_text is folded already: LIKE's own (ASCII-only) case folding has nothing left to do.
    for word in rules.search_words(log_filter.q):
        query = query.where(Decision.search_text.like(rules.like_pattern(word), escape="\\"))
    return query


@dataclass(slots=True)
class LogRow:
    """What the log shows of a decision: no rationale, no search text, no full owner or meeting rows."""

    id: int
    title: str
    excerpt: str
    status: str
    owner_id: int | None
    owner_name: str | None
    due_on: date | None
    meeting_id: int | None
    meeting_title: str | None
    created_at: datetime
    tag_names: list[str]


@dataclass
class LogPage:
    decisions: list[LogRow]
    total: int
    page: int
    pages: int
    open_actions: dict[int, int]

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def _with_listing(query: Select) -> Select:
    return query.options(joinedload(Decision.owner), joinedload(Decision.meeting), selectinload(Decision.tags))


def log_page(log_filter: LogFilter) -> LogPage:
    """One page of the filtered log, newest first: count, rows, their tags and open actions: 4 queries (+1 to
    find the owners a typed name names). The rows are plain columns, only those the log shows."""
    total = db.session.execute(filtered(select(func.count(Decision.id)), log_filter)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, log_filter.page), pages)
    log_filter.page = page
    rows = db.session.execute(
        filtered(
            select(
                Decision.id,
                Decision.title,
                Decision.text,
                Decision.status,
                Decision.owner_id,
                User.display_name.label("owner_name"),
                Decision.due_on,
                Decision.meeting_id,
                Meeting.title.label("meeting_title"),
                Decision.created_at,
            )
            .outerjoin(User, User.id == Decision.owner_id)
            .outerjoin(Meeting, Meeting.id == Decision.meeting_id),
            log_filter,
        )
        .order_by(Decision.created_at.desc(), Decision.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    tags: dict[int, list[str]] = {row.id: [] for row in rows}
    open_actions: dict[int, int] = {}
    if rows:
        ids = list(tags)
        for decision_id, name in db.session.execute(
            select(DecisionTag.decision_id, DecisionTag.name)
            .where(DecisionTag.decision_id.in_(ids))
            .order_by(DecisionTag.id)
        ):
            tags[decision_id].append(name)
        counts = db.session.execute(
            select(ActionItem.decision_id, func.count())
            .where(ActionItem.decision_id.in_(ids), ActionItem.done_at.is_(None))
            .group_by(ActionItem.decision_id)
        ).all()
        open_actions = {row[0]: row[1] for row in counts}
    decisions = [
        LogRow(
            id=row.id,
            title=row.title,
            excerpt=excerpt(row.text),
            status=row.status,
            owner_id=row.owner_id,
            owner_name=row.owner_name,
            due_on=row.due_on,
            meeting_id=row.meeting_id,
            meeting_title=row.meeting_title,
            created_at=row.created_at,
            tag_names=tags[row.id],
        )
        for row in rows
    ]
    return LogPage(decisions, total, page, pages, open_actions)


def export_decisions(log_filter: LogFilter) -> list[Decision]:
    """Every decision the filter matches (not only one page), newest first, for the exports."""
    return list(
        db.session.execute(
            _with_listing(filtered(select(Decision), log_filter))
            .options(
                joinedload(Decision.event),
                joinedload(Decision.author),
                joinedload(Decision.poll),
                joinedload(Decision.revision).joinedload(SectionRevision.section),
            )
            .order_by(Decision.created_at.desc(), Decision.id.desc())
            .limit(EXPORT_MAX)
        ).scalars()
    )


def open_actions_with_due_dates(decision_ids: list[int] | None) -> list[ActionItem]:
    """Open actions that have a due date (of these decisions, or of every decision and meeting)."""
    query = (
        select(ActionItem)
        .options(joinedload(ActionItem.owner), joinedload(ActionItem.decision), joinedload(ActionItem.meeting))
        .where(ActionItem.done_at.is_(None), ActionItem.due_on.is_not(None))
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(EXPORT_MAX)
    )
    if decision_ids is not None:
        query = query.where(ActionItem.decision_id.in_(decision_ids))
    return list(db.session.execute(query).scalars())


def tag_choices() -> list[str]:
    """The tags in use (the first ``TAG_CHOICES_MAX``), each once (as first written), alphabetically.

    A skip scan of the (key, name) index: from each key straight to the next one, and its first name beside it,
    so the work follows the number of distinct tags, not of taggings (a GROUP BY reads every one)."""
    return [row[1] for row in db.session.execute(_tags_in_use().limit(TAG_CHOICES_MAX))]


@functools.cache
def _tags_in_use() -> Select:
    """The statement of ``tag_choices``, built once (it has no parameters; building it costs more than running it)."""
    keys = select(func.min(DecisionTag.key).label("key")).cte("tag_keys", recursive=True)
    following = select(func.min(DecisionTag.key)).where(DecisionTag.key > keys.c.key).scalar_subquery()
    keys = keys.union_all(select(following).where(keys.c.key.is_not(None)))
    named = aliased(DecisionTag)
    first_name = select(func.min(named.name)).where(named.key == keys.c.key).scalar_subquery()
    return select(keys.c.key, first_name).where(keys.c.key.is_not(None)).order_by(keys.c.key)


# The dashboard ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class OpenAction:
    id: int
    what: str
    due_on: date | None
    decision_id: int | None
    decision_title: str | None
    meeting_id: int | None
    meeting_title: str | None


def my_open_actions(user: User, limit: int = 8) -> list[OpenAction]:
    """The user's open actions, soonest due first, those without a due date last: one query.

    Each half (with a due date, by date; without, by id) walks the open-actions index of the owner in order and
    stops at ``limit``, however many actions the user has; only those rows are joined and sorted."""
    mine = select(ActionItem.id).where(ActionItem.owner_id == user.id, ActionItem.done_at.is_(None))
    dated = mine.where(ActionItem.due_on.is_not(None)).order_by(ActionItem.due_on, ActionItem.id).limit(limit)
    undated = mine.where(ActionItem.due_on.is_(None)).order_by(ActionItem.id).limit(limit)
    first = union_all(select(dated.subquery().c.id), select(undated.subquery().c.id)).subquery()
    rows = db.session.execute(
        select(
            ActionItem.id,
            ActionItem.what,
            ActionItem.due_on,
            ActionItem.decision_id,
            Decision.title.label("decision_title"),
            ActionItem.meeting_id,
            Meeting.title.label("meeting_title"),
        )
        .outerjoin(Decision, Decision.id == ActionItem.decision_id)
        .outerjoin(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(ActionItem.id.in_(select(first.c.id)))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        .limit(limit)
    ).all()
    return [OpenAction(*row) for row in rows]


@dataclass(slots=True)
class DueDecision:
    id: int
    title: str
    status: str
    due_on: date
    owner_name: str | None


def decisions_due_soon(today: date, limit: int = 6) -> list[DueDecision]:
    """Open decisions due within two weeks, and those overdue, soonest first: one query.

    One part per open status walks the (status, due date) index in order and stops at ``limit``."""
    until = today + timedelta(days=DUE_SOON_DAYS)
    parts = [
        select(
            select(Decision.id, Decision.due_on)
            .where(Decision.status == status, Decision.due_on.is_not(None), Decision.due_on <= until)
            .order_by(Decision.due_on, Decision.id)
            .limit(limit)
            .subquery()
            .c.id
        )
        for status in rules.OPEN_STATUSES
    ]
    first = union_all(*parts).subquery()
    rows = db.session.execute(
        select(Decision.id, Decision.title, Decision.status, Decision.due_on, User.display_name)
        .outerjoin(User, User.id == Decision.owner_id)
        .where(Decision.id.in_(select(first.c.id)))
        .order_by(Decision.due_on, Decision.id)
        .limit(limit)
    ).all()
    return [DueDecision(*row) for row in rows]


# The actions list -------------------------------------------------------------------------------------------

ACTIONS_PAGE_SIZE = 25
ACTION_STATES = {"open": "Open", "done": "Done"}


@dataclass
class ActionFilter:
    """The actions list's filters, as the URL holds them: ``owner`` (a member's id), ``state`` (open or done),
    ``overdue`` (open and due before today), ``meeting`` (actions of the meeting and of decisions taken there)."""

    owner_id: int | None = None
    state: str | None = None
    overdue: bool = False
    meeting_id: int | None = None
    page: int = 1

    @property
    def active(self) -> bool:
        return any((self.owner_id, self.state, self.overdue, self.meeting_id))

    def params(self, **changes: Any) -> dict[str, Any]:
        values = {
            "owner": self.owner_id,
            "state": self.state,
            "overdue": "1" if self.overdue else None,
            "meeting": self.meeting_id,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value not in (None, "")}


def parse_action_filter(args: Any) -> ActionFilter:
    """The filters from query parameters; nonsense is ignored (a filter left out shows more, never an error)."""
    state = (args.get("state") or "").strip()
    return ActionFilter(
        owner_id=_int_param(args.get("owner")),
        state=state if state in ACTION_STATES else None,
        overdue=(args.get("overdue") or "") in ("1", "y", "on", "true", "yes"),
        meeting_id=_int_param(args.get("meeting")),
        page=_int_param(args.get("page")) or 1,
    )


def _filtered_actions(query: Select, action_filter: ActionFilter, today: date) -> Select:
    if action_filter.owner_id:
        query = query.where(ActionItem.owner_id == action_filter.owner_id)
    if action_filter.state == "open":
        query = query.where(ActionItem.done_at.is_(None))
    elif action_filter.state == "done":
        query = query.where(ActionItem.done_at.is_not(None))
    if action_filter.overdue:
        query = query.where(ActionItem.done_at.is_(None), ActionItem.due_on.is_not(None), ActionItem.due_on < today)
    if action_filter.meeting_id:
        taken_there = select(Decision.id).where(Decision.meeting_id == action_filter.meeting_id)
        query = query.where(
            (ActionItem.meeting_id == action_filter.meeting_id) | ActionItem.decision_id.in_(taken_there)
        )
    return query


@dataclass(slots=True)
class ActionRow:
    """What the actions list and its exports show of an action: its parent's title, never the whole row."""

    id: int
    what: str
    owner_id: int | None
    owner_name: str | None
    due_on: date | None
    done_at: datetime | None
    decision_id: int | None
    decision_title: str | None
    meeting_id: int | None
    meeting_title: str | None
    created_at: datetime

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass
class ActionsPage:
    actions: list[ActionRow]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * ACTIONS_PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * ACTIONS_PAGE_SIZE, self.total)


def _action_rows(action_filter: ActionFilter, today: date) -> Select:
    """Open actions first, then by due date (the overdue ones come first among the open), undated last."""
    return (
        _filtered_actions(
            select(
                ActionItem.id,
                ActionItem.what,
                ActionItem.owner_id,
                User.display_name,
                ActionItem.due_on,
                ActionItem.done_at,
                ActionItem.decision_id,
                Decision.title,
                ActionItem.meeting_id,
                Meeting.title,
                ActionItem.created_at,
            )
            .outerjoin(User, User.id == ActionItem.owner_id)
            .outerjoin(Decision, Decision.id == ActionItem.decision_id)
            .outerjoin(Meeting, Meeting.id == ActionItem.meeting_id),
            action_filter,
            today,
        )
    ).order_by(ActionItem.done_at.is_not(None), ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)


def actions_page(action_filter: ActionFilter, today: date) -> ActionsPage:
    """One page of the filtered actions: two queries."""
    total = db.session.execute(_filtered_actions(select(func.count(ActionItem.id)), action_filter, today)).scalar_one()
    pages = max(1, -(-total // ACTIONS_PAGE_SIZE))
    page = min(max(1, action_filter.page), pages)
    action_filter.page = page
    rows = db.session.execute(
        _action_rows(action_filter, today).limit(ACTIONS_PAGE_SIZE).offset((page - 1) * ACTIONS_PAGE_SIZE)
    ).all()
    return ActionsPage([ActionRow(*row) for row in rows], total, page, pages)


# Each to-do costs the icalendar library about 1 ms to write (5,000: 5-8 s), so the calendar takes fewer than the CSV.
ACTIONS_CALENDAR_MAX = 1_000


def export_actions(action_filter: ActionFilter, today: date, *, calendar: bool = False) -> list[ActionRow]:
    """Every action the filter matches (not only one page), in the list's order, for the exports; for the
    calendar, those with a due date (the first ``ACTIONS_CALENDAR_MAX``)."""
    query = _action_rows(action_filter, today)
    if calendar:
        query = query.where(ActionItem.due_on.is_not(None)).limit(ACTIONS_CALENDAR_MAX)
    else:
        query = query.limit(EXPORT_MAX)
    return [ActionRow(*row) for row in db.session.execute(query)]


def event_choices(keep: int | None = None) -> list[Any]:
    """(id, title) of the latest training events, and the event ``keep`` (a form's current choice) wherever it is."""
    columns = select(TrainingEvent.id, TrainingEvent.title)
    rows = list(
        db.session.execute(
            columns.order_by(TrainingEvent.first_day.desc(), TrainingEvent.id).limit(EVENT_CHOICES_MAX)
        ).all()
    )
    if keep and all(row[0] != keep for row in rows):
        rows += db.session.execute(columns.where(TrainingEvent.id == keep)).all()
    return rows
