"""The decision log: its filters, pages and exports, the tags in use, and the dashboard's open actions and
decisions due soon."""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, bindparam, func, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from protect.auth.models import User
from protect.core.permissions import has_role
from protect.core.text import plain_excerpt
from protect.decisions import rules
from protect.decisions.models import (
    TAG_MAX,
    ActionItem,
    Decision,
    DecisionTag,
    Meeting,
)
from protect.decisions.services import EXPORT_MAX, id_param, today_for
from protect.extensions import db
from protect.guidelines.models import SectionRevision
from protect.search import services as search

PAGE_SIZE = 20
DUE_SOON_DAYS = 14
# The log's tag filter lists the first tags alphabetically (a tag chosen through a link is added to it).
TAG_CHOICES_MAX = 300


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


def parse_filter(args: Any) -> LogFilter:
    """The log's filters from query parameters. Nonsense is ignored; a due date that is not a date is
    reported beside its field (and left out). ``owner`` is an owner's id (links) or a name typed in the form."""
    result = LogFilter()
    status = (args.get("status") or "").strip()
    result.status = status if status in rules.STATUSES else None
    owner = " ".join((args.get("owner") or "").split())[:OWNER_NAME_MAX]
    if owner.isascii() and owner.isdigit():
        result.owner_id = id_param(owner)
    else:
        result.owner_name = owner
    result.meeting_id = id_param(args.get("meeting"))
    tag = " ".join((args.get("tag") or "").split())[:TAG_MAX]
    result.tag = tag or None
    result.q = (args.get("q") or "")[:200]
    raw_due = (args.get("due_before") or "").strip()
    if raw_due:
        try:
            result.due_before = date.fromisoformat(raw_due)
        except ValueError:
            result.problems["due_before"] = gettext(
                "“%(value)s” is not a date. Enter it as YYYY-MM-DD, for example 2016-03-15.", value=raw_due[:30]
            )
    result.page = id_param(args.get("page")) or 1
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
    matching = search.matching_ids("decision", log_filter.q)  # the workspace's search engine, words as there
    if matching is not None:
        query = query.where(Decision.id.in_(matching))
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


DASHBOARD_ACTIONS = 8


def _my_open_actions_statement(limit: int) -> Select:
    """The user's (``owner_id``) open actions, soonest due first, those without a due date last.

    Each half (with a due date, by date; without, by id) walks the open-actions index of the owner in order and
    stops at ``limit``, however many actions the user has; only those rows are joined and sorted."""
    mine = select(ActionItem.id).where(ActionItem.owner_id == bindparam("owner_id"), ActionItem.done_at.is_(None))
    dated = mine.where(ActionItem.due_on.is_not(None)).order_by(ActionItem.due_on, ActionItem.id).limit(limit)
    undated = mine.where(ActionItem.due_on.is_(None)).order_by(ActionItem.id).limit(limit)
    first = union_all(select(dated.subquery().c.id), select(undated.subquery().c.id)).subquery()
    return (
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
    )


# Built once: the dashboard asks on every visit, and building a statement this size costs more than running it.
_MY_OPEN_ACTIONS = _my_open_actions_statement(DASHBOARD_ACTIONS)


def my_open_actions(user: User, limit: int = DASHBOARD_ACTIONS) -> list[OpenAction]:
    """The user's open actions, soonest due first, those without a due date last: one query."""
    statement = _MY_OPEN_ACTIONS if limit == DASHBOARD_ACTIONS else _my_open_actions_statement(limit)
    return [OpenAction(*row) for row in db.session.execute(statement, {"owner_id": user.id})]


@dataclass(slots=True)
class DueDecision:
    id: int
    title: str
    status: str
    due_on: date
    owner_name: str | None


DASHBOARD_DUE = 6


def _due_soon_statement(limit: int) -> Select:
    """Open decisions due on or before ``until``, soonest first.

    One part per open status walks the (status, due date) index in order and stops at ``limit``."""
    parts = [
        select(
            select(Decision.id, Decision.due_on)
            .where(Decision.status == status, Decision.due_on.is_not(None), Decision.due_on <= bindparam("until"))
            .order_by(Decision.due_on, Decision.id)
            .limit(limit)
            .subquery()
            .c.id
        )
        for status in rules.OPEN_STATUSES
    ]
    first = union_all(*parts).subquery()
    return (
        select(Decision.id, Decision.title, Decision.status, Decision.due_on, User.display_name)
        .outerjoin(User, User.id == Decision.owner_id)
        .where(Decision.id.in_(select(first.c.id)))
        .order_by(Decision.due_on, Decision.id)
        .limit(limit)
    )


_DUE_SOON = _due_soon_statement(DASHBOARD_DUE)


def decisions_due_soon(today: date, limit: int = DASHBOARD_DUE) -> list[DueDecision]:
    """Open decisions due within two weeks, and those overdue, soonest first: one query."""
    statement = _DUE_SOON if limit == DASHBOARD_DUE else _due_soon_statement(limit)
    until = today + timedelta(days=DUE_SOON_DAYS)
    return [DueDecision(*row) for row in db.session.execute(statement, {"until": until})]


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """The user's open actions and the decisions due soon (two queries)."""
    if not has_role(user, "expert"):
        return None
    today = today_for(user)
    return {"actions": my_open_actions(user), "decisions": decisions_due_soon(today), "today": today}
