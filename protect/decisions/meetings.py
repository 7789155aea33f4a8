"""Meetings of the decision log: recording and editing them (attendees and guests), their list and choices."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_number, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import has_role, rule
from protect.decisions import search_entries
from protect.decisions.models import (
    ATTENDEES_MAX,
    GUESTS_MAX,
    MINUTES_MAX,
    PLACE_MAX,
    TITLE_MAX,
    ActionItem,
    Decision,
    Meeting,
    MeetingAttendee,
)
from protect.decisions.services import clean_text, meeting_url, too_long, update_version
from protect.extensions import db
from protect.notifications import mentions
from protect.notifications.services import notify

MEETINGS_PAGE_SIZE = 50
MEETING_DECISIONS_SHOWN = 50
MEETING_CHOICES_MAX = 200
MENTIONED_IN_MINUTES = N_("%(name)s mentioned you in the minutes of “%(title)s”")


# Permissions ----------------------------------------------------------------------------------------------


@rule("decisions.record_meeting")
def _may_record_meeting(user: Any, _obj: Any) -> bool:
    return has_role(user, "expert")


@rule("decisions.edit_meeting")
def _may_edit_meeting(user: Any, meeting: Meeting) -> bool:
    if has_role(user, "moderator"):
        return True
    return has_role(user, "expert") and meeting is not None and meeting.created_by_id == user.id


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
        raise RuleViolation(gettext("Enter a title."), field="title", status=422)
    if len(values["title"]) > TITLE_MAX:
        raise RuleViolation(too_long(TITLE_MAX), field="title", status=422)
    if not isinstance(values["starts_at"], datetime):
        raise RuleViolation(gettext("Enter the date and the time."), field="starts_on", status=422)
    if not values["online"] and not values["place"]:
        raise RuleViolation(gettext("Say where the meeting is, or tick “Online”."), field="place", status=422)
    if len(values["place"]) > PLACE_MAX:
        raise RuleViolation(too_long(PLACE_MAX), field="place", status=422)
    if len(values["minutes"]) > MINUTES_MAX:
        raise RuleViolation(
            gettext("The minutes have at most %(max)s characters.", max=format_number(MINUTES_MAX)),
            field="minutes",
            status=422,
        )
    guests = values["guests"]
    if len(guests) > GUESTS_MAX:
        raise RuleViolation(
            gettext(
                "At most %(max)s guests, one a line (you wrote %(count)s).",
                max=format_number(GUESTS_MAX),
                count=format_number(len(guests)),
            ),
            field="guests",
            status=422,
        )
    for guest in guests:
        if not guest.name:
            raise RuleViolation(gettext("Each guest line starts with the guest's name."), field="guests", status=422)
        if len(guest.name) > 120 or len(guest.organisation) > 200:
            raise RuleViolation(
                gettext("“%(name)s”: names have at most 120 characters, organisations 200.", name=guest.name[:40]),
                field="guests",
                status=422,
            )
    ids = values["attendee_ids"]
    if len(ids) > ATTENDEES_MAX:
        raise RuleViolation(
            gettext(
                "At most %(max)s members can be listed as attending (you ticked %(count)s).",
                max=format_number(ATTENDEES_MAX),
                count=format_number(len(ids)),
            ),
            field="attendee_ids",
            status=422,
        )
    if ids:
        found = set(db.session.execute(select(User.id).where(User.id.in_(ids), User.active.is_(True))).scalars())
        if found != set(ids):
            raise RuleViolation(
                gettext("Attendees must be members of the workspace; add others as guests."),
                field="attendee_ids",
                status=422,
            )


def clean_meeting_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": " ".join((values.get("title") or "").split()),
        "starts_at": values.get("starts_at"),
        "time_zone": values.get("time_zone") or "UTC",
        "place": " ".join((values.get("place") or "").split()),
        "online": bool(values.get("online")),
        "minutes": clean_text(values.get("minutes")),
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
    search_entries.update_meeting(meeting.id)
    audit.record(
        actor,
        "decisions.meeting_recorded",
        meeting,
        summary=N_("recorded the meeting “%(title)s”"),
        params={"title": meeting.title},
        url=meeting_url(meeting.id),
    )
    _tell_mentioned(actor, meeting.id, meeting.title, "", meeting.minutes)
    db.session.commit()
    return meeting


def _tell_mentioned(actor: User, meeting_id: int, title: str, before: str, after: str) -> None:
    """The members the minutes newly mention are told, sent to the minutes."""
    notify(
        "mention",
        mentions.added(before, after),
        thread=f"meeting:{meeting_id}",
        title=title,
        summary=MENTIONED_IN_MINUTES,
        params={"name": actor.display_name, "title": title},
        url=meeting_url(meeting_id, "minutes-title"),
        actor=actor,
    )


class MeetingConflict(RuleViolation):
    def __init__(self, current: Meeting) -> None:
        super().__init__(
            gettext(
                "Someone else saved this meeting while you were editing it. Nothing was saved yet: compare your "
                "minutes with the saved ones below, then save again to keep yours."
            ),
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
        raise RuleViolation(gettext("Only whoever recorded the meeting or a moderator may edit it."), status=403)
    values = clean_meeting_values(values)
    _check_meeting(values)
    if meeting.version != version:
        raise MeetingConflict(meeting)
    minutes_before = meeting.minutes
    written = {name: values[name] for name in MEETING_FIELDS}
    if not update_version(Meeting, meeting.id, version, **written, updated_at=utcnow()):
        db.session.rollback()
        raise MeetingConflict(load_meeting(meeting_id))  # type: ignore[arg-type]
    db.session.expire(meeting, [*MEETING_FIELDS, "version", "updated_at"])
    _set_attendees(meeting, values["attendee_ids"], values["guests"])
    search_entries.update_meeting(meeting.id)
    audit.record(
        actor,
        "decisions.meeting_edited",
        meeting,
        summary=N_("edited the meeting “%(title)s”"),
        params={"title": values["title"]},
        url=meeting_url(meeting.id),
    )
    _tell_mentioned(actor, meeting.id, values["title"], minutes_before, values["minutes"])
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
