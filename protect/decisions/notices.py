"""Actions due: the reminder (``core.registry.Reminder``, run every minute by ``flask send-mail``) that tells an
open action's owner when it is due within ``DUE_SOON_DAYS`` days, and again when it is overdue; each once per
due date (``notifications.services.first_time``). An action done gets neither.

"Today" is the owner's own date, in their time zone: an action due on the 9th is due "in 2 days" from the 7th
where the owner lives, and overdue from the 10th there. Only recent lateness counts (``OVERDUE_DAYS``): a
database without a sender for a while, or a new one, does not tell owners about every action late for months.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale
from sqlalchemy import select

from protect.auth.models import User
from protect.core.i18n import N_, babel_locale, language_code
from protect.core.timefmt import DEFAULT_TIME_ZONE, format_date, to_zone
from protect.decisions.models import ActionItem, Decision, Meeting
from protect.decisions.services import action_url
from protect.extensions import db
from protect.notifications.models import NoticeOnce
from protect.notifications.services import first_time, notify

DUE_SOON_DAYS = 2  # told when the due date is at most this many days ahead (0: due today)
OVERDUE_DAYS = 14  # overdue for longer than this: not told any more (the actions list shows it)

ACTION_DUE = N_("Your action “%(what)s” for “%(parent)s” is due on %(day)s")
ACTION_OVERDUE = N_("Your action “%(what)s” for “%(parent)s” was due on %(day)s and is still open")


def _local_today(now: datetime, zone: str | None) -> date:
    try:
        tz = ZoneInfo(zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(DEFAULT_TIME_ZONE)
    return to_zone(now, tz).date()


def actions_due(now: datetime) -> int:
    """Tell the owners of open actions due soon or overdue (each once per action, due date and kind)."""
    today = now.date()
    # Wide enough for every time zone (UTC-12 to UTC+14 are a day either side of UTC's date), and bounded: the
    # open actions due in these few weeks, through the due date's index.
    rows = db.session.execute(
        select(
            ActionItem.id,
            ActionItem.what,
            ActionItem.due_on,
            ActionItem.owner_id,
            ActionItem.decision_id,
            ActionItem.meeting_id,
            Decision.title.label("decision_title"),
            Meeting.title.label("meeting_title"),
            User.time_zone,
            User.language,
        )
        .join(User, User.id == ActionItem.owner_id)
        .outerjoin(Decision, Decision.id == ActionItem.decision_id)
        .outerjoin(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(
            ActionItem.done_at.is_(None),
            ActionItem.due_on >= today - timedelta(days=OVERDUE_DAYS + 1),
            ActionItem.due_on <= today + timedelta(days=DUE_SOON_DAYS + 1),
            User.active.is_(True),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
    ).all()
    due = {}
    for row in rows:
        left = (row.due_on - _local_today(now, row.time_zone)).days
        if 0 <= left <= DUE_SOON_DAYS:
            due[f"action-due:{row.id}:{row.due_on.isoformat()}"] = (row, ACTION_DUE)
        elif -OVERDUE_DAYS <= left < 0:
            due[f"action-overdue:{row.id}:{row.due_on.isoformat()}"] = (row, ACTION_OVERDUE)
    if not due:
        return 0
    given_already = set(db.session.execute(select(NoticeOnce.key).where(NoticeOnce.key.in_(list(due)))).scalars())
    given = 0
    for key, (row, summary) in due.items():
        if key in given_already or not first_time(key):
            continue
        with force_locale(babel_locale(language_code(row.language) or "en")):
            day = format_date(row.due_on)  # in the owner's language: the notice is theirs alone
        given += notify(
            "action_due",
            [row.owner_id],
            thread=f"action:{row.id}",
            title=row.what,
            summary=summary,
            params={"what": row.what, "parent": row.decision_title or row.meeting_title or "", "day": day},
            url=action_url(row.id, decision_id=row.decision_id, meeting_id=row.meeting_id),
        )
    return given
