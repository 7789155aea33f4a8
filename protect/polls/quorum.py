"""Quorums: a poll may require a share of the eligible members to vote AND a number of the group's countries to
be represented among its voters, so that every country is heard.

What is shown, and to whom: the counts only (voters of eligible members, countries represented of the group's
countries), never who voted, nor which countries, in a secret poll (a country with one member would name them).
At the close an unmet quorum is stated with the result; a moderator then either extends the poll (it opens
again until the new close; a secret poll takes a new key, so the members who vote now can change their ballot
until then, and it is sealed again at the new close) or records the result as advisory.

Reminders (``closing_soon``): 48 hours before the close, when the country quorum is unmet, the members who have
not voted in the countries not yet represented are reminded first; when the poll has no country quorum, or it
is met, every member who has not voted is. 24 hours before the close the polls' own reminder (``notices.closing``)
reminds every member who still has not voted. Each reminder speaks of its reader's own ballot only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import func, select

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import ROLES
from protect.core.urls import path_for
from protect.extensions import db
from protect.polls import notices
from protect.polls.models import Poll, PollParticipation

EARLY_WINDOW = timedelta(hours=48)
POLL_CLOSING_SOON = N_("The vote “%(question)s” closes %(when)s and you have not voted yet")


@dataclass(frozen=True)
class Quorum:
    percent: int | None  # required share of the eligible members, in per cent
    countries: int | None  # required number of the group's countries among the voters
    voters: int
    eligible: int
    represented: int  # countries of the group with at least one voter
    group: int  # countries of the group (of its eligible members)

    @property
    def required(self) -> bool:
        return bool(self.percent or self.countries)

    @property
    def voters_needed(self) -> int:
        """Voters the share requires (rounded up)."""
        return -(-(self.percent or 0) * self.eligible // 100)

    @property
    def share_met(self) -> bool:
        return not self.percent or self.voters >= self.voters_needed

    @property
    def countries_needed(self) -> int:
        return min(self.countries or 0, self.group) if self.group else (self.countries or 0)

    @property
    def countries_met(self) -> bool:
        return not self.countries or self.represented >= self.countries_needed

    @property
    def met(self) -> bool:
        return self.share_met and self.countries_met


def _eligible():
    return User.active.is_(True) & User.role.in_(ROLES) & (User.country != "XX")


def progress(poll: Poll) -> Quorum:
    """The poll's quorum and how far it is, in one query: voters, eligible members, the countries represented
    among the voters and the group's countries (of its eligible members and voters)."""
    voted = select(PollParticipation.voter_id).where(PollParticipation.poll_id == poll.id)
    voters = select(func.count()).select_from(PollParticipation).where(PollParticipation.poll_id == poll.id)
    eligible = (
        select(func.count())
        .select_from(User)
        .where((User.active.is_(True) & User.role.in_(ROLES)) | User.id.in_(voted))
    )
    represented = select(func.count(func.distinct(User.country))).where(User.id.in_(voted), User.country != "XX")
    group = select(func.count(func.distinct(User.country))).where(
        _eligible() | (User.id.in_(voted) & (User.country != "XX"))
    )
    row = db.session.execute(
        select(
            voters.scalar_subquery(), eligible.scalar_subquery(), represented.scalar_subquery(), group.scalar_subquery()
        )
    ).one()
    return Quorum(poll.quorum_percent, poll.quorum_countries, row[0], row[1], row[2], row[3])


def check_settings(percent: int | None, countries: int | None) -> None:
    if percent is not None and not 0 <= percent <= 100:
        raise RuleViolation(
            gettext("The share of members is a percentage from 0 to 100."), field="quorum_percent", status=422
        )
    if countries is not None and not 0 <= countries <= 50:
        raise RuleViolation(gettext("The number of countries runs from 0 to 50."), field="quorum_countries", status=422)


def _lock(poll_id: int) -> Poll:
    """The poll, re-read and locked (as services._lock_poll; this module is below services)."""
    poll = db.session.execute(
        select(Poll).where(Poll.id == poll_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if poll is None:
        raise RuleViolation(gettext("There is no such poll."), status=404)
    return poll


def closed_unmet(poll_id: int, now: datetime) -> Poll:
    """The poll, locked, if it has closed with its quorum unmet and no advisory record (else RuleViolation)."""
    poll = _lock(poll_id)
    if not poll.is_closed(now):
        raise RuleViolation(gettext("The poll is still open: its quorum is decided at the close."), status=409)
    if poll.advisory_at is not None:
        raise RuleViolation(gettext("The result is recorded as advisory already."), status=409)
    found = progress(poll)
    if not found.required or found.met:
        raise RuleViolation(gettext("This poll's quorum is met (or it has none): its result stands."), status=409)
    return poll


def record_advisory(actor: User, poll_id: int, now: datetime | None = None) -> Poll:
    """A moderator records the result of a closed poll whose quorum was not met as advisory."""
    now = now or utcnow()
    poll = closed_unmet(poll_id, now)
    poll.advisory_at = now
    poll.version = poll.version + 1
    audit.record(
        actor,
        "poll.advisory",
        poll,
        summary=N_("recorded the result of “%(question)s” as advisory (quorum not met)"),
        params={"question": poll.question},
        url=path_for("polls.results", poll_id=poll.id),
    )
    db.session.commit()
    return poll


def closing_soon(now: datetime) -> int:
    """Polls open now that close within 48 hours (and more than 24: the 24-hour reminder follows): the members
    who have not voted are reminded, those of the countries not yet represented first (see the docstring)."""
    polls = db.session.execute(
        select(Poll)
        .where(
            Poll.closes_at > now + notices.CLOSING_WINDOW,
            Poll.closes_at <= now + EARLY_WINDOW,
            Poll.opens_at <= now,
        )
        .order_by(Poll.id)
    ).scalars()
    due = notices._new({f"poll-closing-48:{poll.id}:{poll.closes_at:%Y%m%d%H%M}": poll for poll in polls})
    given = 0
    for key, poll in due.items():
        if not notices.first_time(key):
            continue
        voted = select(PollParticipation.voter_id).where(
            PollParticipation.poll_id == poll.id, PollParticipation.voter_id == User.id
        )
        query = notices._voters().where(~voted.exists())
        standing = progress(poll)
        if poll.quorum_countries and not standing.countries_met:
            represented = (
                select(User.country)
                .join(PollParticipation, PollParticipation.voter_id == User.id)
                .where(PollParticipation.poll_id == poll.id)
            )
            query = query.where(User.country.not_in(represented), User.country != "XX")
        rows = db.session.execute(query).all()
        given += notices._tell(
            "poll_closing_soon",
            poll,
            rows,
            POLL_CLOSING_SOON,
            {"question": poll.question},
            notices.ballot_path(poll.id),
        )
    return given
