"""Actions of the decision log: adding them to a decision or a meeting, ticking them off, deleting them, and
the list of every action with its filters and exports."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_number, gettext, lazy_gettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import has_role, rule
from protect.decisions.models import (
    ACTIONS_MAX,
    WHAT_MAX,
    ActionItem,
    Decision,
    Meeting,
)
from protect.decisions.services import (
    DUE_NOT_A_DATE,
    EXPORT_MAX,
    action_url,
    decision_url,
    id_param,
    meeting_url,
    member_problem,
    plain_value,
    too_long,
)
from protect.extensions import db
from protect.notifications.services import notify
from protect.search import services as search

ACTION_ASSIGNED = N_("%(name)s gave you the action “%(what)s” for “%(parent)s”")

# Permissions ----------------------------------------------------------------------------------------------


@rule("decisions.add_action")
def _may_add_action(user: Any, _parent: Any) -> bool:
    return has_role(user, "expert")


@rule("decisions.update_action")
def _may_update_action(user: Any, action: ActionItem) -> bool:
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and action is not None and user.id in (action.owner_id, action.created_by_id)


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
        raise RuleViolation(gettext("Say what is to be done."), field="what", status=422)
    if len(what) > WHAT_MAX:
        raise RuleViolation(too_long(WHAT_MAX), field="what", status=422)
    if due_on is not None and not isinstance(due_on, date):
        raise RuleViolation(gettext(DUE_NOT_A_DATE), field="due_on", status=422)
    member_problem(
        owner_id,
        "owner_id",
        gettext("The person responsible must be a member of the workspace. Choose one from the list."),
    )
    if (decision_id is None) == (meeting_id is None):
        raise RuleViolation(gettext("An action belongs to one decision or one meeting."), status=422)
    # The parent, locked: two actions added at once are counted one after the other.
    model, parent_id = (Decision, decision_id) if decision_id else (Meeting, meeting_id)
    parent = db.session.execute(
        select(model).where(model.id == parent_id).with_for_update(of=model)
    ).scalar_one_or_none()
    if parent is None:
        raise LookupError("no such decision or meeting")
    siblings = ActionItem.decision_id == decision_id if decision_id else ActionItem.meeting_id == meeting_id
    if db.session.execute(select(func.count()).select_from(ActionItem).where(siblings)).scalar_one() >= ACTIONS_MAX:
        if decision_id:
            message = gettext(
                "This decision has %(max)s actions already, the most one can hold. Remove one that is no longer "
                "needed, or combine some.",
                max=format_number(ACTIONS_MAX),
            )
        else:
            message = gettext(
                "This meeting has %(max)s actions already, the most one can hold. Remove one that is no longer "
                "needed, or combine some.",
                max=format_number(ACTIONS_MAX),
            )
        raise RuleViolation(
            message,
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
    db.session.flush()
    url = decision_url(decision_id) if decision_id else meeting_url(meeting_id)  # type: ignore[arg-type]
    search.update("action", action.id)
    audit.record(
        actor,
        "decisions.action_added",
        action,
        summary=N_("added the action “%(what)s” to “%(parent)s”"),
        params={"what": what, "parent": parent.title},
        url=url,
    )
    if owner_id is not None and owner_id != actor.id:
        notify(
            "assigned",
            [owner_id],
            thread=f"action:{action.id}",
            title=what,
            summary=ACTION_ASSIGNED,
            params={"name": actor.display_name, "what": what, "parent": parent.title},
            url=action_url(action.id, decision_id=decision_id, meeting_id=meeting_id),
            actor=actor,
        )
    db.session.commit()
    return action


def load_action(action_id: int) -> ActionItem | None:
    return db.session.execute(
        select(ActionItem)
        .options(joinedload(ActionItem.owner), joinedload(ActionItem.decision), joinedload(ActionItem.meeting))
        .where(ActionItem.id == action_id)
    ).scalar_one_or_none()


def _action_for_change(actor: User, action_id: int, refusal: str) -> ActionItem:
    """The action, if ``actor`` may tick it off or remove it: LookupError if there is none, else ``refusal``."""
    action = load_action(action_id)
    if action is None:
        raise LookupError(f"no action {action_id}")
    if not _may_update_action(actor, action):
        raise RuleViolation(refusal, status=403)
    return action


def set_action_done(actor: User, action_id: int, done: bool) -> ActionItem:
    action = _action_for_change(
        actor,
        action_id,
        gettext("Only the person responsible, whoever added the action, or a moderator may tick it off."),
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
        summary=N_("completed the action “%(what)s”") if done else N_("reopened the action “%(what)s”"),
        params={"what": action.what},
        url=decision_url(action.decision_id) if action.decision_id else meeting_url(parent.id),
    )
    db.session.commit()
    return action


def delete_action(actor: User, action_id: int) -> ActionItem:
    action = _action_for_change(
        actor,
        action_id,
        gettext("Only whoever added the action, the person responsible or a moderator may remove it."),
    )
    search.remove("action", action.id)
    audit.record(
        actor,
        "decisions.action_removed",
        action,
        summary=N_("removed the action “%(what)s”"),
        params={"what": action.what},
        url=decision_url(action.decision_id) if action.decision_id else meeting_url(action.meeting_id),  # type: ignore[arg-type]
        details={"what": action.what, "owner_id": action.owner_id, "due_on": plain_value(action.due_on)},
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


# The actions list -------------------------------------------------------------------------------------------

ACTIONS_PAGE_SIZE = 25
ACTION_STATES = {"open": lazy_gettext("Open"), "done": lazy_gettext("Done")}


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
        owner_id=id_param(args.get("owner")),
        state=state if state in ACTION_STATES else None,
        overdue=(args.get("overdue") or "") in ("1", "y", "on", "true", "yes"),
        meeting_id=id_param(args.get("meeting")),
        page=id_param(args.get("page")) or 1,
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
