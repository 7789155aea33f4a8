"""The decision log's rules, without HTTP: proposing and editing decisions (every edit kept), moving them
through their statuses (every change recorded), actions, meetings, and the filtered, searchable log.

Permissions: every member (expert and up) records meetings, proposes decisions and adds actions; moderators
and administrators set a decision's status and record a poll's result; a decision's author, its owner or a
moderator edits it, but only its author or a moderator hands it to another owner; an action is ticked off by
its owner, whoever added it, or a moderator.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import force_locale, format_number, gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from protect.agendas.models import TrainingEvent
from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_, WORKING_LANGUAGE
from protect.core.inputs import parse_int
from protect.core.permissions import has_role, rule
from protect.core.timefmt import to_zone, viewer_zone
from protect.core.urls import path_for
from protect.decisions import basis, rules, search_entries
from protect.decisions.models import (
    NOTE_MAX,
    REPLACES_MAX,
    STATUS_CHANGES_MAX,
    TAG_MAX,
    TAGS_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Decision,
    DecisionStatusChange,
    DecisionTag,
    DecisionVersion,
    Meeting,
)
from protect.extensions import db
from protect.guidelines.models import SectionRevision
from protect.notifications import mentions
from protect.notifications.services import notify
from protect.polls.models import Poll
from protect.polls.services import result_summary

TEXT_FIELDS = ("title", "text", "rationale", "tags")
DECISION_FIELDS = (
    "title", "text", "rationale", "tags", "meeting_id", "owner_id", "due_on", "event_id", "revision_id", "poll_id",
)  # fmt: skip
# The facts each kept version records beside its text (the poll and Guidelines links are in the audit log).
FACT_FIELDS = ("owner_id", "due_on", "meeting_id", "event_id")
VERSIONED_FIELDS = TEXT_FIELDS + FACT_FIELDS
HISTORY_PAGE_SIZE = 10
EXPORT_MAX = 5_000  # rows in one export of the log or of the actions
EVENT_CHOICES_MAX = 200


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


# Small helpers ------------------------------------------------------------------------------------------------


def decision_url(decision_id: int, anchor: str | None = None) -> str:
    return path_for("decisions.show_decision", _anchor=anchor, decision_id=decision_id)


def meeting_url(meeting_id: int, anchor: str | None = None) -> str:
    return path_for("decisions.show_meeting", _anchor=anchor, meeting_id=meeting_id)


def action_url(action_id: int, *, decision_id: int | None = None, meeting_id: int | None = None) -> str:
    """The action in its place: on its decision's page, or its meeting's."""
    anchor = f"action-{action_id}"
    return decision_url(decision_id, anchor) if decision_id else meeting_url(meeting_id, anchor)  # type: ignore[arg-type]


# Notices ------------------------------------------------------------------------------------------------------

DECISION_ASSIGNED = N_("%(name)s made you the owner of the decision “%(title)s”")
MENTIONED_IN_DECISION = N_("%(name)s mentioned you in the decision “%(title)s”")


def _tell_owner(actor: User, decision_id: int, title: str, owner_id: int | None) -> None:
    """The decision's new owner is told, unless they made themselves its owner."""
    if owner_id is None or owner_id == actor.id:
        return
    notify(
        "assigned",
        [owner_id],
        thread=f"decision:{decision_id}",
        title=title,
        summary=DECISION_ASSIGNED,
        params={"name": actor.display_name, "title": title},
        url=decision_url(decision_id),
        actor=actor,
    )


def _tell_mentioned(actor: User, decision_id: int, title: str, before: tuple[str, str], after: tuple[str, str]) -> None:
    """The members that the decision's text or rationale (``after``) newly mentions are told, each sent to the
    part that mentions them."""
    new = mentions.added("\n".join(before), "\n".join(after))
    in_text = new & mentions.mentioned(after[0])
    for ids, anchor in ((in_text, "decided-title"), (new - in_text, "rationale-title")):
        notify(
            "mention",
            ids,
            thread=f"decision:{decision_id}",
            title=title,
            summary=MENTIONED_IN_DECISION,
            params={"name": actor.display_name, "title": title},
            url=decision_url(decision_id, anchor),
            actor=actor,
        )


def today_for(user: Any = None) -> date:
    """Today in the viewer's time zone: what "overdue" and "due soon" are measured against."""
    return to_zone(utcnow(), viewer_zone()).date()


def member_problem(user_id: int | None, field_name: str, message: str) -> None:
    """Refuse ``user_id`` unless it is an active member, with ``message`` (already translated) beside the field."""
    if user_id is None:
        return
    found = db.session.execute(select(User.id).where(User.id == user_id, User.active.is_(True))).first()
    if found is None:
        raise RuleViolation(message, field=field_name, status=422)


def too_long(limit: int) -> str:
    """ "At most 20,000 characters." in the reader's language (and way of writing numbers)."""
    return gettext("At most %(max)s characters.", max=format_number(limit))


DUE_NOT_A_DATE = N_("Enter the due date as a date, for example 2016-03-15.")


def id_param(value: str | None) -> int | None:
    """A query parameter naming a row (a member, a meeting): its id, or None."""
    return parse_int(value, minimum=1)


def clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


# Decisions ----------------------------------------------------------------------------------------------------


def clean_decision_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: values.get(name) for name in DECISION_FIELDS}
    cleaned["title"] = " ".join((cleaned["title"] or "").split())
    cleaned["text"] = clean_text(cleaned["text"])
    cleaned["rationale"] = clean_text(cleaned["rationale"])
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
        raise RuleViolation(gettext("Enter a title."), field="title", status=422)
    if len(values["title"]) > TITLE_MAX:
        raise RuleViolation(too_long(TITLE_MAX), field="title", status=422)
    if not values["text"]:
        raise RuleViolation(gettext("Write down what was decided."), field="text", status=422)
    for name in ("text", "rationale"):
        if len(values[name]) > TEXT_MAX:
            raise RuleViolation(too_long(TEXT_MAX), field=name, status=422)
    if len(values["tags"]) > TAGS_MAX:
        raise RuleViolation(
            gettext(
                "At most %(max)s tags (you wrote %(count)s). Remove some, or combine them.",
                max=format_number(TAGS_MAX),
                count=format_number(len(values["tags"])),
            ),
            field="tags",
            status=422,
        )
    long_tag = next((tag for tag in values["tags"] if len(tag) > TAG_MAX), None)
    if long_tag:
        raise RuleViolation(
            gettext(
                "A tag has at most %(max)s characters (“%(tag)s…”).", max=format_number(TAG_MAX), tag=long_tag[:50]
            ),
            field="tags",
            status=422,
        )
    if values["due_on"] is not None and not isinstance(values["due_on"], date):
        raise RuleViolation(gettext(DUE_NOT_A_DATE), field="due_on", status=422)
    member_problem(
        values["owner_id"],
        "owner_id",
        gettext("The owner must be a member of the workspace. Choose one from the list."),
    )
    if values["meeting_id"] is not None and db.session.get(Meeting, values["meeting_id"]) is None:
        raise RuleViolation(
            gettext("There is no such meeting. Choose one from the list."), field="meeting_id", status=422
        )
    if values["event_id"] is not None and db.session.get(TrainingEvent, values["event_id"]) is None:
        raise RuleViolation(
            gettext("There is no such training event. Choose one from the list."), field="event_id", status=422
        )
    if values["revision_id"] is not None and db.session.get(SectionRevision, values["revision_id"]) is None:
        raise RuleViolation(gettext("There is no such revision of the Guidelines."), field="revision_id", status=422)
    if values["poll_id"] is not None and values["poll_id"] != linked_poll_id:
        check_poll_link(actor, db.session.get(Poll, values["poll_id"]), allow_recorded=record_again)


def check_poll_link(actor: Any, poll: Poll | None, allow_recorded: bool = False) -> None:
    """Refuse to link ``poll``: unknown, not the actor's to record, still open, or (unless ``allow_recorded``)
    already recorded by another decision (409: the moderator is sent to it, or confirms)."""
    if poll is None:
        raise RuleViolation(gettext("There is no such poll."), field="poll_id", status=422)
    if not _may_record_poll(actor, poll):
        raise RuleViolation(
            gettext("Only moderators and administrators record a poll's result as a decision."),
            field="poll_id",
            status=403,
        )
    if not poll.is_closed(utcnow()):
        raise RuleViolation(
            gettext("The poll is still open: its result can be recorded as a decision once it closes."),
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
            gettext(
                "The result of this poll is already recorded in the decision log: %(titles)s. Open that decision "
                "instead, or tick “Record it again anyway” to record a second decision about the same vote.",
                titles=titles,
            ),
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
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise LookupError(f"no poll {poll_id}")
    check_poll_link(actor, poll, allow_recorded=True)  # the form shows the decisions that record it already
    # The decision is the group's record: prefilled in its working language, whatever the member's interface.
    with force_locale(WORKING_LANGUAGE):
        summary = result_summary(poll)
        if summary.winner:
            title = f"{summary.question}: {summary.winner}"
        elif summary.tie:
            title = gettext("%(question)s: a tie to be settled", question=summary.question)
        else:
            title = gettext("Result of the vote: %(question)s", question=summary.question)
        rationale = gettext(
            "The group voted in the workspace (%(method)s); turnout: %(turnout)s.",
            method=summary.method_label,
            turnout=summary.turnout,
        )
        text = str(summary.text)
    return {
        "title": title[:TITLE_MAX],
        "text": text,
        "rationale": rationale,
        "tags": "location vote",
        "poll_id": poll.id,
        "poll": poll,
    }


def revision_label(revision: SectionRevision | None) -> str:
    if revision is None:
        return ""
    section = revision.section
    return gettext(
        "Section %(position)s “%(heading)s”, revision %(number)s",
        position=section.position,
        heading=section.heading,
        number=revision.number,
    )


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
    )
    decision.tags = []
    _set_tags(decision, values["tags"])
    db.session.add(decision)
    db.session.flush()
    basis.freeze(decision.id, {name: values[name] for name in ("poll_id", "revision_id", "event_id")})
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
    search_entries.update_decision(decision.id)
    audit.record(
        actor,
        "decisions.proposed",
        decision,
        summary=N_("proposed the decision “%(title)s”"),
        params={"title": decision.title},
        url=decision_url(decision.id),
    )
    _tell_owner(actor, decision.id, decision.title, decision.owner_id)
    _tell_mentioned(actor, decision.id, decision.title, ("", ""), (decision.text, decision.rationale))
    db.session.commit()
    return decision


def update_version(model: Any, row_id: int, version: int, **values: Any) -> bool:
    """Write ``values`` and the next version to the row if it still has ``version`` (optimistic locking's
    compare-and-set): whether it did. The caller rolls back and says who saved meanwhile if not."""
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.version == version)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


class DecisionConflict(RuleViolation):
    """Someone saved the decision after this form was opened: nothing was saved; both texts are shown."""

    def __init__(self, current: Decision) -> None:
        super().__init__(
            gettext(
                "Someone else saved this decision while you were editing it. Nothing was saved yet: compare your "
                "text with the saved one below, then save again to keep yours."
            ),
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
        raise RuleViolation(
            gettext("Only the author or the owner of a decision, or a moderator, may edit it."), status=403
        )
    values = clean_decision_values(values)
    check_decision_values(values, actor, linked_poll_id=decision.poll_id)
    if values["owner_id"] != decision.owner_id and not _may_reassign(actor, decision):
        raise RuleViolation(
            gettext("Only the author of the decision or a moderator may hand it to another owner; ask them to."),
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
    written = {name: values[name] for name in DECISION_FIELDS if name != "tags"}
    if not update_version(Decision, decision.id, version, **written, updated_at=now):  # never under the lock
        db.session.rollback()
        raise DecisionConflict(db.session.get(Decision, decision_id, populate_existing=True))
    db.session.expire(decision, [name for name in DECISION_FIELDS if name != "tags"] + ["version"])
    _set_tags(decision, values["tags"])
    if any(name in changed for name in ("poll_id", "revision_id", "event_id")):
        basis.freeze(decision.id, {name: values[name] for name in ("poll_id", "revision_id", "event_id")})
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
        name: [plain_value(before[name]), plain_value(values[name])]
        for name in changed
        if name not in ("text", "rationale")
    }
    search_entries.update_decision(decision.id)
    audit.record(
        actor,
        "decisions.edited",
        decision,
        summary=N_("edited the decision “%(title)s”"),
        params={"title": values["title"]},
        url=decision_url(decision.id),
        details={"fields": changed, **details},
    )
    if "owner_id" in changed:
        _tell_owner(actor, decision.id, values["title"], values["owner_id"])
    _tell_mentioned(
        actor,
        decision.id,
        values["title"],
        (before["text"], before["rationale"]),
        (values["text"], values["rationale"]),
    )
    db.session.commit()
    return decision


def plain_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def successor_map() -> dict[int, int | None]:
    """Which decision superseded which (only superseded ones are listed)."""
    rows = db.session.execute(
        select(Decision.id, Decision.superseded_by_id).where(Decision.superseded_by_id.is_not(None))
    ).all()
    return {row.id: row.superseded_by_id for row in rows}


# What the activity list says of a status change (one message each: the verb's place differs by language).
STATUS_SUMMARIES = {
    "agreed": N_("agreed the decision “%(title)s”"),
    "implemented": N_("marked the decision “%(title)s” implemented"),
    "superseded": N_("marked the decision “%(title)s” superseded"),
    "withdrawn": N_("withdrew the decision “%(title)s”"),
    "proposed": N_("reopened the decision “%(title)s”"),
}


def change_status(
    actor: User, decision_id: int, new_status: str, note: str = "", superseded_by_id: int | None = None
) -> Decision:
    """Move a decision to ``new_status`` if the rules allow it, and record the step on its timeline."""
    if not _may_set_status(actor, None):
        raise RuleViolation(gettext("Only moderators and administrators set the status of a decision."), status=403)
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
        raise RuleViolation(
            gettext("The note has at most %(max)s characters.", max=format_number(NOTE_MAX)), field="note", status=422
        )
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
                gettext(
                    "The chosen decision replaces %(max)s decisions already, the most one can. Choose another, or "
                    "propose a decision that sums them up.",
                    max=format_number(REPLACES_MAX),
                ),
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
                gettext(
                    "This decision has changed status %(max)s times, the most its timeline holds. Propose a new "
                    "decision to carry it on, and mark this one superseded by it.",
                    max=format_number(STATUS_CHANGES_MAX),
                ),
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
        summary=STATUS_SUMMARIES[new_status],
        params={"title": decision.title},
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
