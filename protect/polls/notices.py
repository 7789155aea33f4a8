"""What the polls feature tells members: a poll has opened, closes within a day (to those who have not voted),
has a result. All three are due at a time, not caused by a request: reminders (``core.registry.Reminder``)
that ``flask send-mail`` runs every minute, each notice given once (``notifications.services.first_time``).

Nothing here says how anyone voted, or who has or has not voted: the opening and the result go to every
member who may vote alike, and the closing reminder goes to each member who has not voted, about their own
ballot alone (its kind is private: the moderators' outbox page does not show it).

Only what happened recently counts (``OPEN_WINDOW``, ``RESULT_WINDOW``): a database that had no sender for a
while, or none ever, does not tell everyone about every poll of the past on its first run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale
from sqlalchemy import select

from protect.auth.models import User
from protect.core.i18n import N_, babel_locale, language_code
from protect.core.permissions import ROLES
from protect.core.timefmt import DEFAULT_TIME_ZONE, format_datetime
from protect.core.urls import path_for
from protect.extensions import db
from protect.notifications.models import NoticeOnce
from protect.notifications.services import first_time, notify
from protect.polls.models import Poll, PollParticipation

OPEN_WINDOW = timedelta(days=2)  # a poll that opened longer ago than this is not announced any more
CLOSING_WINDOW = timedelta(hours=24)  # "closes within 24 hours"
RESULT_WINDOW = timedelta(days=2)  # a poll that closed longer ago than this has its result told no more

POLL_OPEN = N_("The vote “%(question)s” set up by %(name)s is open: vote by %(when)s")
POLL_OPEN_NO_NAME = N_("The vote “%(question)s” is open: vote by %(when)s")
# Sent to the member alone, about their own ballot: the only notice that says whether someone voted.
POLL_CLOSING = N_("The vote “%(question)s” closes %(when)s and you have not voted yet")
POLL_RESULT = N_("The result of “%(question)s” is published")


# Paths, also outside a request (the reminders run from the command line, where url_for has no host) ------------


def ballot_path(poll_id: int) -> str:
    """The poll's page, at the ballot: where a member votes."""
    return path_for("polls.show_poll", _anchor="ballot", poll_id=poll_id)


def results_path(poll_id: int) -> str:
    return path_for("polls.results", poll_id=poll_id)


def thread(poll_id: int) -> str:
    return f"poll:{poll_id}"


# Who may vote ----------------------------------------------------------------------------------------------


def _voters():
    """Every member who may vote (what ``services.cast_ballot`` accepts), with their zone and language."""
    return select(User.id, User.time_zone, User.language).where(User.active.is_(True), User.role.in_(ROLES))


def _by_reader(rows: Iterable) -> dict[tuple[str, str], list[int]]:
    """Member ids grouped by (time zone, language): a notice naming a time is written once per group, in the
    group's zone and language (a notice's params are the same for all its recipients)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for user_id, zone, language in rows:
        try:
            ZoneInfo(zone or "")
        except (ZoneInfoNotFoundError, ValueError):
            zone = DEFAULT_TIME_ZONE
        groups[(zone, language_code(language) or "en")].append(user_id)
    return groups


def _tell(kind: str, poll: Poll, rows: Iterable, summary: str, params: dict, url: str, actor=None) -> int:
    """``notify`` each group of readers, the close time written in their zone and language."""
    given = 0
    for (zone, language), ids in sorted(_by_reader(rows).items()):
        with force_locale(babel_locale(language)):
            when = format_datetime(poll.closes_at, zone)
        given += notify(
            kind,
            ids,
            thread=thread(poll.id),
            title=poll.question,
            summary=summary,
            params={**params, "when": when},
            url=url,
            actor=actor,
        )
    return given


def _new(keys: dict[str, Poll]) -> dict[str, Poll]:
    """The keys of ``keys`` not given yet (one query; ``first_time`` still decides, for senders running at once)."""
    if not keys:
        return {}
    given = set(db.session.execute(select(NoticeOnce.key).where(NoticeOnce.key.in_(list(keys)))).scalars())
    return {key: poll for key, poll in keys.items() if key not in given}


# The reminders -------------------------------------------------------------------------------------------------


def opened(now: datetime) -> int:
    """Polls that opened within ``OPEN_WINDOW`` and are still open: every member who may vote is told, but
    not the moderator who set the poll up."""
    polls = db.session.execute(
        select(Poll)
        .where(Poll.opens_at <= now, Poll.opens_at > now - OPEN_WINDOW, Poll.closes_at > now)
        .order_by(Poll.id)
    ).scalars()
    due = _new({f"poll-open:{poll.id}": poll for poll in polls})
    given = 0
    rows = db.session.execute(_voters()).all() if due else []  # the same members for every poll: read once
    for key, poll in due.items():
        if not first_time(key):
            continue
        creator = db.session.get(User, poll.created_by_id) if poll.created_by_id else None
        summary, params = (
            (POLL_OPEN, {"question": poll.question, "name": creator.display_name})
            if creator is not None
            else (POLL_OPEN_NO_NAME, {"question": poll.question})
        )
        given += _tell("poll_open", poll, rows, summary, params, ballot_path(poll.id), actor=creator)
    return given


def closing(now: datetime) -> int:
    """Polls open now that close within ``CLOSING_WINDOW``: each member who may vote and has not voted yet is
    told, about their own ballot. Once per poll and close time: a poll extended in its last day is reminded
    of again before its new close, to those who still have not voted; a member who voted meanwhile is not."""
    polls = db.session.execute(
        select(Poll)
        .where(Poll.closes_at > now, Poll.closes_at <= now + CLOSING_WINDOW, Poll.opens_at <= now)
        .order_by(Poll.id)
    ).scalars()
    due = _new({f"poll-closing:{poll.id}:{poll.closes_at:%Y%m%d%H%M}": poll for poll in polls})
    given = 0
    for key, poll in due.items():
        if not first_time(key):
            continue
        voted = select(PollParticipation.voter_id).where(
            PollParticipation.poll_id == poll.id, PollParticipation.voter_id == User.id
        )
        rows = db.session.execute(_voters().where(~voted.exists())).all()
        given += _tell("poll_closing", poll, rows, POLL_CLOSING, {"question": poll.question}, ballot_path(poll.id))
    return given


def result(now: datetime) -> int:
    """Polls that closed within ``RESULT_WINDOW``: every member who may vote is told the result is published,
    with a link to it (nothing of the result itself, nor of anyone's vote)."""
    polls = db.session.execute(
        select(Poll).where(Poll.closes_at <= now, Poll.closes_at > now - RESULT_WINDOW).order_by(Poll.id)
    ).scalars()
    due = _new({f"poll-result:{poll.id}": poll for poll in polls})
    given = 0
    for key, poll in due.items():
        if not first_time(key):
            continue
        given += notify(
            "poll_result",
            _voters().with_only_columns(User.id),
            thread=thread(poll.id),
            title=poll.question,
            summary=POLL_RESULT,
            params={"question": poll.question},
            url=results_path(poll.id),
        )
    return given
