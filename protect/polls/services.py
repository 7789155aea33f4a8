"""The rules of location votes, without HTTP: creating and changing polls, casting ballots, counting.

Secrecy: nothing here returns who chose what for a secret poll, except a voter's own ballot to that voter
while voting is open. Who voted (``PollParticipation``) and what was voted (``Ballot``) are separate rows; a
secret ballot is found again only through a keyed tag whose key is not in the database, and at the close
(``seal_poll``) the key and the tags are erased and the ballots rewritten in random order (see
``polls.secrecy``). The audit log records that a ballot was cast or changed, never its content.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import groupby
from typing import Any, NamedTuple

from flask_babel import format_number, format_percent, get_locale, gettext, ngettext
from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import joinedload, selectinload

from protect.auth.models import User
from protect.core import audit
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.inputs import parse_int
from protect.core.permissions import ROLES
from protect.core.timefmt import format_datetime
from protect.core.urls import path_for
from protect.extensions import db
from protect.polls import (
    locations,
    quorum,
    search_entries,  # noqa: F401 - registers the polls' search source
    secrecy,
    stv,  # noqa: F401 - registers the single transferable vote's count with tally.count
)
from protect.polls.cache import tallies
from protect.polls.models import (
    OPTIONS_MAX,
    OPTIONS_MIN,
    Ballot,
    BallotMark,
    Poll,
    PollOption,
    PollParticipation,
    PollScheduleChange,
    new_ballot_id,
)
from protect.polls.tally import (
    APPROVAL,
    IRV,
    METHOD_LABELS,
    METHODS,
    RANKED_METHODS,
    SCHULZE,
    STV,
    BallotError,
    Candidate,
    Tally,
    check_ballot,
    count,
    join_names,
    percent_text,
)
from protect.search import services as search

log = logging.getLogger(__name__)

# English messages, translated where they are used (gettext(LOCKED_AFTER_FIRST_BALLOT)).
LOCKED_AFTER_FIRST_BALLOT = N_(
    "The locations, the counting method and ballot secrecy cannot change once the first ballot is cast: voters "
    "chose among these locations under these rules, and changing them would change what their ballots mean. "
    "The close can still be extended, or the poll closed early, with a reason."
)
NO_RUNNING_RESULTS_WHEN_HIDDEN = N_(
    "Running results cannot be shown for a secret ballot: anyone watching the count change just after a "
    "colleague votes could tell how they voted. Show results after the close, or make the ballot open."
)


# Reading ----------------------------------------------------------------------------------------------------


# Statements every poll page runs, built once: building one costs more than running it on SQLite.


@cache
def _get_poll_statement():
    return select(Poll).where(Poll.id == bindparam("poll_id")).options(joinedload(Poll.options))


def get_poll(poll_id: int) -> Poll | None:
    """The poll with its options (one query), or None."""
    return db.session.execute(_get_poll_statement(), {"poll_id": poll_id}).unique().scalar_one_or_none()


def _eligible_condition():
    return User.active.is_(True) & User.role.in_(ROLES)


@dataclass(frozen=True)
class Turnout:
    ballots: int
    eligible: int
    # The poll's versions read in the same statement as ``ballots``: with it, the key of the cached tally.
    poll_id: int | None = field(default=None, compare=False)
    ballot_version: int | None = field(default=None, compare=False)
    version: int | None = field(default=None, compare=False)

    @property
    def percent(self) -> int:
        return round(100 * self.ballots / self.eligible) if self.eligible else 0

    @property
    def percent_text(self) -> str:
        """ "40%", "40 %": the share of eligible voters who voted, in the interface's language."""
        return format_percent(self.percent / 100)

    @property
    def text(self) -> str:
        """ "2 of 5 eligible voters (40%)", in the interface's language."""
        return ngettext(
            "%(ballots)d of %(num)d eligible voter (%(percent)s)",
            "%(ballots)d of %(num)d eligible voters (%(percent)s)",
            self.eligible,
            ballots=self.ballots,
            percent=self.percent_text,
        )


def turnout(poll: Poll) -> Turnout:
    """Ballots cast of the eligible voters, in one query (which also reads the poll's versions, for the
    tally cache).

    Eligible: every active expert, moderator and administrator, and anyone who cast a ballot while eligible
    (a voter deactivated later still counts, so turnout never exceeds the ballots' own voters)."""
    row = db.session.execute(_turnout_statement(), {"poll_id": poll.id}).one()
    return Turnout(row[0], row[1], poll.id, row[2], row[3])


@cache
def _turnout_statement():
    poll_id = bindparam("poll_id")
    voted = select(PollParticipation.voter_id).where(PollParticipation.poll_id == poll_id)
    ballots = select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id).scalar_subquery()
    eligible = (
        select(func.count()).select_from(User).where(or_(_eligible_condition(), User.id.in_(voted))).scalar_subquery()
    )
    ballot_version = select(Poll.ballot_version).where(Poll.id == poll_id).scalar_subquery()
    version = select(Poll.version).where(Poll.id == poll_id).scalar_subquery()
    return select(ballots, eligible, ballot_version, version)


@dataclass(frozen=True)
class OwnBallot:
    """A voter's own ballot as shown to them (and only to them).

    ``marks`` is None when the member voted but their ballot can no longer be linked to them: a secret poll
    after its close (sealed), or one whose key changed since. ``receipt`` is the receipt code of a secret
    poll's ballot while voting is open, ``secret`` the ballot secret it was made with (polls.secrecy)."""

    cast_at: datetime
    changed_at: datetime
    revision: int
    marks: tuple[int, ...] | None
    receipt: str | None = None
    secret: str | None = None

    def choice(self) -> tuple[int, ...]:
        return self.marks or ()

    @property
    def linked(self) -> bool:
        return self.marks is not None


def own_ballot(poll: Poll, user: User) -> OwnBallot | None:
    """``user``'s own ballot in ``poll`` (one query), or None if they have not voted. Only ever shown to ``user``."""
    key = _key_of(poll)
    if poll.secret:
        params = {"poll_id": poll.id, "voter_id": user.id, "tag": secrecy.voter_tag(key, user.id) if key else None}
        rows = db.session.execute(_own_secret_ballot_statement(), params).all()
    else:
        rows = db.session.execute(_own_open_ballot_statement(), {"poll_id": poll.id, "voter_id": user.id}).all()
    if not rows:
        return None
    first = rows[0]
    if first.ballot_id is None:
        return OwnBallot(first.cast_at, first.changed_at, first.revision, None)
    marks = tuple(row.option_id for row in rows if row.option_id is not None)
    if not (poll.secret and key):
        return OwnBallot(first.cast_at, first.changed_at, first.revision, marks)
    if first.receipt_code:
        receipt, secret = _grouped(first.receipt_code), secrecy.ballot_secret(key, first.ballot_id)
    else:  # a ballot cast before receipts were made from the content (0017)
        receipt, secret = secrecy.receipt_code(key, first.ballot_id), None
    return OwnBallot(first.cast_at, first.changed_at, first.revision, marks, receipt, secret)


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _own_ballot_statement(ballot_matches):
    p, b, m = PollParticipation.__table__, Ballot.__table__, BallotMark.__table__
    source = p.outerjoin(b, and_(b.c.poll_id == p.c.poll_id, ballot_matches(p, b))).outerjoin(
        m, m.c.ballot_id == b.c.id
    )
    return (
        select(p.c.cast_at, p.c.changed_at, p.c.revision, b.c.id.label("ballot_id"), b.c.receipt_code, m.c.option_id)
        .select_from(source)
        .where(p.c.poll_id == bindparam("poll_id"), p.c.voter_id == bindparam("voter_id"))
        .order_by(m.c.rank.is_(None), m.c.rank, m.c.option_id)
    )


@cache
def _own_open_ballot_statement():
    return _own_ballot_statement(lambda p, b: b.c.voter_id == p.c.voter_id)


@cache
def _own_secret_ballot_statement():
    # A NULL tag (a sealed poll) matches no ballot: the member voted, and nothing says which ballot is theirs.
    return _own_ballot_statement(lambda p, b: b.c.voter_tag == bindparam("tag"))


def _key_of(poll: Poll) -> bytes | None:
    """The poll's ballot key while it has one (a secret poll not yet sealed)."""
    return secrecy.poll_key(poll.ballot_salt) if poll.secret and poll.ballot_salt else None


def check_receipt(poll: Poll, code: str) -> tuple[int, ...]:
    """The content of the ballot of ``poll`` whose receipt code is ``code``: lets a voter check, also after
    the close, that their ballot was counted as cast, without saying who they are. 422 if none has it."""
    if not poll.secret:
        raise RuleViolation(gettext("Open ballots have no receipt codes: the results list every ballot."), status=404)
    normal = secrecy.normalise_receipt(code)
    if normal is None:
        raise RuleViolation(
            gettext(
                "A receipt code has %(num)d letters and digits, like ABCD-EFGH-IJKL-MNOP-QRST.",
                num=secrecy.RECEIPT_LENGTH,
            ),
            field="receipt",
            status=422,
        )
    b, m = Ballot.__table__, BallotMark.__table__
    rows = db.session.execute(
        select(b.c.id, m.c.option_id)
        .select_from(b.outerjoin(m, m.c.ballot_id == b.c.id))
        .where(b.c.poll_id == poll.id, b.c.receipt_hash == secrecy.receipt_hash(normal))
        .order_by(m.c.rank.is_(None), m.c.rank, m.c.option_id)
    ).all()
    if not rows:
        raise RuleViolation(
            gettext(
                "No ballot of this poll has this receipt code. Check the code; a ballot changed later has a new code."
            ),
            field="receipt",
            status=422,
        )
    return tuple(row.option_id for row in rows if row.option_id is not None)


@dataclass(frozen=True)
class PublishedBallot:
    receipt: str | None  # grouped, "ABCD-EFGH-…"; None for a ballot cast before receipts were published (0017)
    marks: tuple[int, ...]  # as the tally reads them: ranked in order of preference, otherwise ascending


@dataclass(frozen=True)
class Publication:
    """A closed secret poll's anonymised ballots, in the random order of the seal, and the count made from
    exactly them."""

    ballots: list[PublishedBallot]
    result: Tally


def published_ballots(poll: Poll) -> Publication:
    """The ballots of a closed and sealed secret poll as anyone in the group may see them: each its receipt
    code and its marks, nothing about its voter, in the order of the seal (random ids); and the tally counted
    from this very list. LookupError for a poll that is not a sealed secret poll (nothing to publish yet)."""
    if not poll.secret or poll.sealed_at is None or not poll.is_closed():
        raise LookupError(poll.id)
    b, m = Ballot.__table__, BallotMark.__table__
    rows = db.session.execute(
        select(b.c.id, b.c.receipt_code, m.c.option_id)
        .select_from(b.outerjoin(m, m.c.ballot_id == b.c.id))
        .where(b.c.poll_id == poll.id)
        .order_by(b.c.id, m.c.rank.is_(None), m.c.rank, m.c.option_id)
    ).all()
    ballots: list[PublishedBallot] = []
    for _ballot_id, group in groupby(rows, key=lambda row: row.id):
        group = list(group)
        code = group[0].receipt_code
        marks = tuple(row.option_id for row in group if row.option_id is not None)
        ballots.append(PublishedBallot(_grouped(code) if code else None, marks))
    marks = [ballot.marks for ballot in ballots]
    result = count(poll.method, candidates(poll), marks, seed=poll.tie_break_seed, seats=poll.seats)
    return Publication(ballots, result)


def has_ballots(poll_id: int) -> bool:
    return db.session.execute(select(Ballot.id).where(Ballot.poll_id == poll_id).limit(1)).first() is not None


def poll_ballots(poll: Poll) -> list[Ballot]:
    """Every ballot of ``poll`` with its marks as ORM objects (two queries); with the voters only for an open
    ballot. The pages use the lighter ``ballot_set``."""
    query = select(Ballot).where(Ballot.poll_id == poll.id).options(selectinload(Ballot.marks))
    if not poll.secret:
        joined = and_(PollParticipation.poll_id == Ballot.poll_id, PollParticipation.voter_id == Ballot.voter_id)
        query = (
            query.options(joinedload(Ballot.voter))
            .outerjoin(PollParticipation, joined)
            .order_by(PollParticipation.cast_at, Ballot.id)
        )
    else:
        query = query.order_by(Ballot.id)
    return list(db.session.execute(query).scalars())


@dataclass(frozen=True)
class Voter:
    id: int
    display_name: str


class BallotLine(NamedTuple):
    """One ballot as plain values: its choice, and for an open ballot who cast it and when. (A named tuple:
    hundreds are made per count, and a frozen dataclass costs several times as much to build.)"""

    id: int
    marks: tuple[int, ...]  # the option ids as the tally reads them: ranked ones in order of rank
    voter: Voter | None = None
    cast_at: datetime | None = None
    changed_at: datetime | None = None
    revision: int = 1

    def choice(self) -> tuple[int, ...]:
        return self.marks


@dataclass(frozen=True)
class BallotSet:
    """Every ballot of a poll with the poll's versions, read in one statement: one consistent state."""

    poll_id: int
    version: int | None
    ballot_version: int | None
    lines: list[BallotLine]

    @property
    def stamp(self) -> tuple[int | None, int | None, int]:
        return (self.version, self.ballot_version, len(self.lines))

    def __iter__(self):
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def __bool__(self) -> bool:
        return bool(self.lines)


def ballot_set(poll: Poll, *, voters: bool | None = None) -> BallotSet:
    """Every ballot of ``poll`` as plain tuples, in one query. ``voters`` (by default: for an open ballot
    only) adds who cast each ballot and when, in the order first cast; a secret poll's never need them."""
    if voters is None:
        voters = not poll.secret
    p, b, m = Poll.__table__, Ballot.__table__, BallotMark.__table__
    columns = [p.c.version, p.c.ballot_version, b.c.id, m.c.option_id]
    source = p.outerjoin(b, b.c.poll_id == p.c.id).outerjoin(m, m.c.ballot_id == b.c.id)
    marks_in_order = (m.c.rank.is_(None), m.c.rank, m.c.option_id)  # as Ballot.choice(): by rank, unranked last
    if voters:
        u, pp = User.__table__, PollParticipation.__table__
        columns += [pp.c.cast_at, pp.c.changed_at, pp.c.revision, u.c.id, u.c.display_name]
        source = source.outerjoin(u, u.c.id == b.c.voter_id).outerjoin(
            pp, and_(pp.c.poll_id == b.c.poll_id, pp.c.voter_id == b.c.voter_id)
        )
        order = (pp.c.cast_at, b.c.id, *marks_in_order)
    else:
        order = (b.c.id, *marks_in_order)
    rows = db.session.execute(select(*columns).select_from(source).where(p.c.id == poll.id).order_by(*order)).all()
    if not rows:  # the poll is gone
        return BallotSet(poll.id, None, None, [])
    lines: list[BallotLine] = []
    current = None
    current_id = None
    choice: list[int] = []
    for row in rows:
        if current is None or row[2] != current_id:
            if current is not None:
                lines.append(_line(current, choice))
            current, current_id, choice = row, row[2], []
        if row[3] is not None:
            choice.append(row[3])
    if current is not None and current[2] is not None:  # (a poll without ballots has one row, with no ballot)
        lines.append(_line(current, choice))
    return BallotSet(poll.id, rows[0][0], rows[0][1], lines)


def _line(row, choice: list[int]) -> BallotLine:
    if len(row) == 4:
        return BallotLine(row[2], tuple(choice))
    cast_at, changed_at, revision, voter_id, name = row[4:]
    if voter_id is None:  # a secret ballot in a poll whose row was made open by hand: it names nobody
        return BallotLine(row[2], tuple(choice))
    return BallotLine(row[2], tuple(choice), Voter(voter_id, name), cast_at, changed_at, revision)


def candidates(poll: Poll) -> list[Candidate]:
    return [Candidate(option.id, option.label) for option in poll.options]


def _stamp(poll: Poll, numbers: Turnout | None) -> tuple[int | None, int | None, int]:
    """(version, ballot_version, ballots) of ``poll`` now: from the turnout read in this request, or one query."""
    if numbers is not None and numbers.poll_id == poll.id and numbers.ballot_version is not None:
        return (numbers.version, numbers.ballot_version, numbers.ballots)
    ballots = select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id).scalar_subquery()
    row = db.session.execute(select(Poll.version, Poll.ballot_version, ballots).where(Poll.id == poll.id)).first()
    return (row[0], row[1], row[2]) if row is not None else (None, None, 0)


def tally_poll(
    poll: Poll, ballots: BallotSet | Sequence[Ballot] | None = None, numbers: Turnout | None = None
) -> Tally:
    """The count of ``poll`` (options must be loaded), computed once per state of the poll.

    The result is cached under everything it depends on (see protect.polls.cache): the method, the seed,
    each candidate, and the poll's version, ballot version and number of ballots. ``ballots``: a BallotSet
    this request loaded anyway (counted if the cache misses), or a list of ballots, counted as given and
    never cached. ``numbers``: this request's turnout, whose versions spare the query that reads them.
    A cached Tally is shared: read it, never change it."""
    people = candidates(poll)
    if ballots is not None and not isinstance(ballots, BallotSet):
        return count(poll.method, people, [b.choice() for b in ballots], seed=poll.tie_break_seed, seats=poll.seats)
    cache = tallies()
    # The count's notes and column names are in the request's language: it is part of the key.
    language = str(get_locale())
    base = (poll.id, poll.method, poll.tie_break_seed, tuple((c.id, c.label) for c in people), language, poll.seats)
    stamp = ballots.stamp if ballots is not None else _stamp(poll, numbers)
    found = cache.get((*base, *stamp))
    if found is not None:
        return found
    if ballots is None:
        ballots = ballot_set(poll, voters=False)
    result = count(
        poll.method, people, [line.marks for line in ballots.lines], seed=poll.tie_break_seed, seats=poll.seats
    )
    if ballots.ballot_version is not None:
        cache.put((*base, *ballots.stamp), result)  # the state the ballots were read in, not the one asked for
    return result


@dataclass(frozen=True)
class PollSummary:
    """What a list of polls shows of a poll: a few columns, not the description or the seed."""

    id: int
    question: str
    method: str
    secret: bool
    opens_at: datetime
    closes_at: datetime

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])


@dataclass
class PollListing:
    poll: PollSummary
    ballots: int
    voted: bool
    status: str  # "open", "scheduled" or "closed", as Poll.status()


def _voted():
    """Whether the user of the ``user_id`` parameter voted in the poll of the row."""
    return (
        select(PollParticipation.voter_id)
        .where(PollParticipation.poll_id == Poll.id, PollParticipation.voter_id == bindparam("user_id"))
        .exists()
        .label("voted")
    )


POLLS_PAGE_SIZE = 20
STATUS_ORDER = ("open", "scheduled", "closed")


@dataclass
class PollsPage:
    """One page of the list of polls: its polls grouped by status, and how many polls each status has in all."""

    groups: dict[str, list[PollListing]]
    totals: dict[str, int]
    page: int
    pages: int


def _scheduled(now):
    return Poll.opens_at > now


def _open(now):
    return and_(Poll.opens_at <= now, Poll.closes_at > now)


@cache
def _list_statements():
    """The counts by status, and one page of the polls in the list's order: open ones first, the soonest close
    first; then the scheduled ones, the soonest opening first; then the closed ones, the latest close first."""
    now = bindparam("now")
    totals = select(
        func.count(), func.count(case((_open(now), 1))), func.count(case((_scheduled(now), 1)))
    ).select_from(Poll)
    status = case((_open(now), 0), (_scheduled(now), 1), else_=2)
    upcoming = case((_open(now), Poll.closes_at), (_scheduled(now), Poll.opens_at), else_=None)
    ballots = select(func.count()).where(Ballot.poll_id == Poll.id).correlate(Poll).scalar_subquery()
    rows = (
        select(Poll.id, Poll.question, Poll.method, Poll.secret, Poll.opens_at, Poll.closes_at, ballots, _voted())
        .order_by(status, upcoming, Poll.closes_at.desc(), Poll.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return totals, rows


def list_polls(user: User, page: int = 1, per_page: int = POLLS_PAGE_SIZE) -> PollsPage:
    """One page of the polls, grouped by status, each with its ballot count and whether ``user`` voted (two
    queries: the counts, the page); a page past the last shows the last."""
    now = utcnow()
    totals_statement, rows_statement = _list_statements()
    total, open_now, scheduled = db.session.execute(totals_statement, {"now": now}).one()
    totals = {"open": open_now, "scheduled": scheduled, "closed": total - open_now - scheduled}
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    groups: dict[str, list[PollListing]] = {name: [] for name in STATUS_ORDER}
    parameters = {"now": now, "user_id": user.id, "offset": (page - 1) * per_page, "limit": per_page}
    for row in db.session.execute(rows_statement, parameters):
        poll = PollSummary(*row[:6])
        status = "scheduled" if now < poll.opens_at else "open" if now < poll.closes_at else "closed"
        groups[status].append(PollListing(poll, row[6], bool(row[7]), status))
    return PollsPage(groups, totals, page, pages)


@dataclass(frozen=True)
class OpenPoll:
    """What the dashboard panel shows of an open poll."""

    id: int
    question: str
    closes_at: datetime


@cache
def _open_polls_statement():
    now = bindparam("now")
    voted = _voted()
    return (
        select(Poll.id, Poll.question, Poll.closes_at, voted)
        .where(Poll.opens_at <= now, Poll.closes_at > now)
        .order_by(Poll.closes_at, Poll.id)
        .limit(bindparam("limit"))
    )


def open_polls_for(user: User, limit: int = 5) -> list[tuple[OpenPoll, bool]]:
    """The polls open now, soonest close first, each with whether ``user`` has voted (one query)."""
    rows = db.session.execute(_open_polls_statement(), {"now": utcnow(), "user_id": user.id, "limit": limit})
    return [(OpenPoll(row[0], row[1], row[2]), bool(row[3])) for row in rows]


# Creating and changing polls ---------------------------------------------------------------------------------


@dataclass
class OptionData:
    city: str
    country: str
    venue_notes: str = ""
    proposed_from: date | None = None
    proposed_to: date | None = None
    location_id: int | None = None  # the candidate location record it was chosen from (polls.locations)


@dataclass
class PollData:
    question: str
    method: str
    opens_at: datetime  # naive UTC
    closes_at: datetime  # naive UTC
    time_zone: str
    options: list[OptionData] = field(default_factory=list)
    description: str = ""
    secret: bool = True
    live_results: bool = False
    seats: int = 1  # single transferable vote: how many locations the poll chooses
    quorum_percent: int | None = None  # polls.quorum
    quorum_countries: int | None = None


def _check_poll_data(data: PollData, *, new: bool, now: datetime) -> None:
    if not data.question.strip():
        raise RuleViolation(gettext("Enter the question voters answer."), field="question", status=422)
    if data.method not in METHODS:
        raise RuleViolation(gettext("Choose a counting method."), field="method", status=422)
    if data.closes_at <= data.opens_at:
        raise RuleViolation(gettext("The poll must close after it opens."), field="closes_local", status=422)
    if new and data.closes_at <= now:
        raise RuleViolation(
            gettext("The closing time is in the past; choose a time to come."), field="closes_local", status=422
        )
    if data.secret and data.live_results:
        raise RuleViolation(gettext(NO_RUNNING_RESULTS_WHEN_HIDDEN), field="live_results", status=422)
    _check_options(data.options)
    _check_seats(data)
    quorum.check_settings(data.quorum_percent, data.quorum_countries)


def _check_seats(data: PollData) -> None:
    """A single transferable vote chooses at least one location and fewer than there are; the other methods one."""
    if data.method != STV:
        if data.seats != 1:
            data.seats = 1  # the field is read for STV only
        return
    if not 1 <= data.seats < len(data.options):
        raise RuleViolation(
            ngettext(
                "Choose how many locations the vote elects: at least 1 and fewer than the %(num)d candidate.",
                "Choose how many locations the vote elects: at least 1 and fewer than the %(num)d candidates.",
                len(data.options),
            ),
            field="seats",
            status=422,
        )


def too_many_options(count: int) -> str:
    """The refusal of ``count`` candidate locations, more than OPTIONS_MAX (the poll form says it too, before
    the service is called, beside the other fields' messages)."""
    return ngettext(
        "Enter at most %(num)d candidate location; you entered %(count)s. Empty the city of a row to leave it out.",
        "Enter at most %(num)d candidate locations; you entered %(count)s. Empty the city of a row to leave it out.",
        OPTIONS_MAX,
        count=format_number(count),
    )


def _fill_from_locations(options: list[OptionData]) -> None:
    """Options chosen from the candidate location records take the record's city and country (and its venue
    as notes when none were typed): one query for all of them; an unknown record is refused."""
    wanted = [o.location_id for o in options if o.location_id is not None]
    if not wanted:
        return
    records = locations.locations_by_id(wanted)
    for option in options:
        if option.location_id is None:
            continue
        record = records.get(option.location_id)
        if record is None:
            raise RuleViolation(
                gettext("A chosen candidate location no longer exists: choose another or type the city."),
                field="options",
                status=422,
            )
        option.city, option.country = record.city, record.country
        if not option.venue_notes.strip():
            option.venue_notes = " · ".join(part for part in (record.venue, record.nearest_hub) if part)[:1000]


def _check_options(options: list[OptionData]) -> None:
    _fill_from_locations(options)
    if len(options) < OPTIONS_MIN:
        message = ngettext(
            "Enter at least %(num)d candidate location.", "Enter at least %(num)d candidate locations.", OPTIONS_MIN
        )
        raise RuleViolation(message, field="options", status=422)
    if len(options) > OPTIONS_MAX:
        raise RuleViolation(too_many_options(len(options)), field="options", status=422)
    seen: set[tuple[str, str]] = set()
    for option in options:
        key = (" ".join(option.city.split()).casefold(), option.country)
        if key in seen:
            raise RuleViolation(gettext("%(city)s is listed twice.", city=option.city), field="options", status=422)
        seen.add(key)
        if option.proposed_from and option.proposed_to and option.proposed_to < option.proposed_from:
            raise RuleViolation(
                gettext("The proposed dates for %(city)s end before they begin.", city=option.city),
                field="options",
                status=422,
            )


def _poll_url(poll: Poll) -> str:
    return path_for("polls.show_poll", poll_id=poll.id)


def create_poll(actor: User, data: PollData, now: datetime | None = None) -> Poll:
    now = now or utcnow()
    _check_poll_data(data, new=True, now=now)
    poll = Poll(
        question=" ".join(data.question.split()),
        description=data.description.strip(),
        method=data.method,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        time_zone=data.time_zone,
        secret=data.secret,
        live_results=data.live_results,
        seats=data.seats,
        quorum_percent=data.quorum_percent or None,
        quorum_countries=data.quorum_countries or None,
        ballot_salt=secrecy.new_salt() if data.secret else None,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(poll)
    db.session.flush()
    _store_options(poll, data.options)
    search.update("poll", poll.id)
    audit.record(
        actor,
        "poll.created",
        poll,
        summary=N_("opened a vote: “%(question)s”"),
        params={"question": poll.question},
        url=_poll_url(poll),
        details={"method": poll.method, "secret": poll.secret, "options": [o.city for o in data.options]},
    )
    db.session.commit()
    return poll


def _store_options(poll: Poll, options: list[OptionData]) -> None:
    for position, option in enumerate(options, start=1):
        db.session.add(
            PollOption(
                poll_id=poll.id,
                position=position,
                city=" ".join(option.city.split()),
                country=option.country,
                venue_notes=option.venue_notes.strip(),
                proposed_from=option.proposed_from,
                proposed_to=option.proposed_to,
                location_id=option.location_id,
            )
        )


def _lock_poll(poll_id: int) -> Poll:
    """The poll, re-read and locked for this transaction (SELECT ... FOR UPDATE; on SQLite the write
    transaction's lock, taken at BEGIN IMMEDIATE, does the same)."""
    poll = db.session.execute(
        select(Poll).where(Poll.id == poll_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if poll is None:
        raise RuleViolation(gettext("There is no such poll."), status=404)
    return poll


def _options_of(poll_id: int) -> list[PollOption]:
    return list(
        db.session.execute(
            select(PollOption)
            .where(PollOption.poll_id == poll_id)
            .order_by(PollOption.position)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def _same_options(current: list[PollOption], wanted: list[OptionData]) -> bool:
    def key(city, country, notes, start, end, location=None):
        return (" ".join(city.split()), country, notes.strip(), start, end, location)

    return [key(o.city, o.country, o.venue_notes, o.proposed_from, o.proposed_to, o.location_id) for o in current] == [
        key(o.city, o.country, o.venue_notes, o.proposed_from, o.proposed_to, o.location_id) for o in wanted
    ]


def _minute(value: datetime) -> datetime:
    """Forms carry times to the minute: compare stored times the same way."""
    return value.replace(second=0, microsecond=0)


def update_poll(actor: User, poll_id: int, data: PollData, version: int, now: datetime | None = None) -> Poll:
    """Save a moderator's edit. Refused (409) when someone else saved since ``version``, or when a
    ballot exists and the edit would change the options, the method, the secrecy or the opening."""
    now = now or utcnow()
    poll = _lock_poll(poll_id)
    if poll.version != version:
        raise RuleViolation(
            gettext(
                "Someone else changed this poll while you were editing it. Your changes are still in the form; "
                "reload the poll to see theirs, then edit again."
            ),
            field="version",
            status=409,
        )
    current = _options_of(poll.id)
    if has_ballots(poll.id):
        locked_changes = (
            data.method != poll.method
            or data.seats != poll.seats
            or (data.quorum_percent or None) != poll.quorum_percent
            or (data.quorum_countries or None) != poll.quorum_countries
            or data.secret != poll.secret
            or _minute(data.opens_at) != _minute(poll.opens_at)
            or _minute(data.closes_at) != _minute(poll.closes_at)
            or not _same_options(current, data.options)
        )
        if locked_changes:
            raise RuleViolation(gettext(LOCKED_AFTER_FIRST_BALLOT), field="options", status=409)
    _check_poll_data(data, new=False, now=now)
    before = {"question": poll.question, "method": poll.method, "secret": poll.secret}
    poll.question = " ".join(data.question.split())
    poll.description = data.description.strip()
    poll.method = data.method
    poll.seats = data.seats
    poll.quorum_percent = data.quorum_percent or None
    poll.quorum_countries = data.quorum_countries or None
    poll.opens_at = data.opens_at
    poll.closes_at = data.closes_at
    poll.time_zone = data.time_zone
    poll.secret = data.secret
    poll.live_results = data.live_results
    poll.updated_at = now
    poll.version = poll.version + 1
    # Secrecy can change only before the first ballot, and a poll without ballots can be moved back before its
    # close: a secret poll that may take ballots has a salt, an open one none.
    if not poll.secret:
        poll.ballot_salt = poll.sealed_at = None
    elif poll.ballot_salt is None and not poll.is_closed(now):
        poll.ballot_salt, poll.sealed_at = secrecy.new_salt(), None
    if not _same_options(current, data.options):
        for option in current:
            db.session.delete(option)
        db.session.flush()
        _store_options(poll, data.options)
    search.update("poll", poll.id)
    audit.record(
        actor,
        "poll.changed",
        poll,
        summary=N_("changed the vote “%(question)s”"),
        params={"question": poll.question},
        url=_poll_url(poll),
        details={"before": before, "after": {"question": poll.question, "method": poll.method, "secret": poll.secret}},
    )
    db.session.commit()
    return poll


def _check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise RuleViolation(gettext("Give the reason; it is shown on the poll page."), field="reason", status=422)
    return reason


def extend_poll(actor: User, poll_id: int, closes_at: datetime, reason: str, now: datetime | None = None) -> Poll:
    now = now or utcnow()
    reason = _check_reason(reason)
    poll = _lock_poll(poll_id)
    if poll.is_closed(now):
        raise RuleViolation(
            gettext("This poll has closed and its result stands. To vote again, create a new poll."), status=409
        )
    if closes_at <= poll.closes_at:
        raise RuleViolation(
            gettext("Choose a closing time later than the current one (to end the vote sooner, close it early)."),
            field="closes_local",
            status=422,
        )
    return _extend(actor, poll, closes_at, reason, now)


def extend_unmet(actor: User, poll_id: int, closes_at: datetime, reason: str, now: datetime | None = None) -> Poll:
    """A moderator extends a closed poll whose quorum was not met: it opens again until ``closes_at``. A
    secret poll takes a new key (its ballots cast before stay sealed; the members who vote now can change
    theirs until the new close, when it is sealed again)."""
    now = now or utcnow()
    reason = _check_reason(reason)
    poll = quorum.closed_unmet(poll_id, now)
    if closes_at <= now:
        raise RuleViolation(gettext("Choose a closing time to come."), field="closes_local", status=422)
    if poll.secret:
        poll.ballot_salt, poll.sealed_at = secrecy.new_salt(), None
    return _extend(actor, poll, closes_at, reason, now, {"quorum": "unmet"})


def _extend(
    actor: User, poll: Poll, closes_at: datetime, reason: str, now: datetime, details: dict[str, Any] | None = None
) -> Poll:
    """Move the locked ``poll``'s close to ``closes_at``: the schedule change, the audit, the commit."""
    before = poll.closes_at
    poll.closes_at = closes_at
    poll.updated_at = now
    poll.version = poll.version + 1
    db.session.add(
        PollScheduleChange(
            poll_id=poll.id,
            kind="extended",
            closes_before=before,
            closes_after=closes_at,
            reason=reason,
            actor_id=actor.id,
            created_at=now,
        )
    )
    audit.record(
        actor,
        "poll.extended",
        poll,
        summary=N_("extended the vote “%(question)s”"),
        params={"question": poll.question},
        url=_poll_url(poll),
        details={"closes_at": [before.isoformat(), closes_at.isoformat()], "reason": reason, **(details or {})},
    )
    db.session.commit()
    return poll


def close_poll_early(actor: User, poll_id: int, reason: str, now: datetime | None = None) -> Poll:
    now = now or utcnow()
    reason = _check_reason(reason)
    poll = _lock_poll(poll_id)
    status = poll.status(now)
    if status == "closed":
        raise RuleViolation(gettext("This poll is closed already."), status=409)
    if status == "scheduled":
        raise RuleViolation(
            gettext("This poll has not opened yet: change its times instead of closing it."),
            field="reason",
            status=409,
        )
    before = poll.closes_at
    poll.closes_at = now
    poll.updated_at = now
    poll.version = poll.version + 1
    db.session.add(
        PollScheduleChange(
            poll_id=poll.id,
            kind="closed_early",
            closes_before=before,
            closes_after=now,
            reason=reason,
            actor_id=actor.id,
            created_at=now,
        )
    )
    audit.record(
        actor,
        "poll.closed_early",
        poll,
        summary=N_("closed the vote “%(question)s” early"),
        params={"question": poll.question},
        url=_poll_url(poll),
        details={"closes_at": [before.isoformat(), now.isoformat()], "reason": reason},
    )
    seal_locked_poll(poll, now)
    db.session.commit()
    return poll


def schedule_changes(poll: Poll) -> list[PollScheduleChange]:
    return list(
        db.session.execute(
            select(PollScheduleChange)
            .where(PollScheduleChange.poll_id == poll.id)
            .options(joinedload(PollScheduleChange.actor))
            .order_by(PollScheduleChange.created_at, PollScheduleChange.id)
        ).scalars()
    )


# Casting ----------------------------------------------------------------------------------------------------


def _eligible(user: User) -> bool:
    return bool(user.active) and user.role in ROLES


def cast_ballot(poll_id: int, voter: User, choice: Sequence[int], now: datetime | None = None) -> OwnBallot:
    """Cast ``voter``'s ballot, or replace it, in one transaction, and return it as the voter's receipt.

    ``choice`` is the option ids: the one chosen, every approved one, or the ranking (most preferred
    first). Refused: 404 unknown poll, 403 a voter who is not an active member, 409 outside the voting
    time, 422 a ballot that does not fit the poll (unknown option, duplicates, empty). A cast after the close
    seals the poll first (if nothing did yet).

    The poll row is locked first (SELECT ... FOR UPDATE; SQLite's write lock is taken at BEGIN), so casts,
    edits and closes of one poll happen one after the other. That the member voted is written with INSERT ...
    ON CONFLICT on the (poll, voter) key of the participation row, so even without the lock nobody votes
    twice; their previous ballot (found by voter id, or on a secret poll by voter tag) is deleted and the new
    one inserted with a new random id.
    """
    now = now or utcnow()
    poll = _lock_poll(poll_id)
    voter_row = db.session.execute(
        select(User).where(User.id == voter.id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if voter_row is None or not _eligible(voter_row):
        raise RuleViolation(gettext("Only active members of the group can vote."), status=403)
    status = poll.status(now)
    if status == "scheduled":
        raise RuleViolation(
            gettext(
                "Voting has not started: the poll opens %(when)s.", when=format_datetime(poll.opens_at, voter.time_zone)
            ),
            status=409,
        )
    if status == "closed":
        if seal_locked_poll(poll, now):
            db.session.commit()
        raise RuleViolation(
            gettext(
                "Voting has ended: the poll closed %(when)s.", when=format_datetime(poll.closes_at, voter.time_zone)
            ),
            status=409,
        )
    options = db.session.execute(select(PollOption.id).where(PollOption.poll_id == poll.id)).scalars().all()
    choice = list(choice)
    try:
        check_ballot(poll.method, options, choice)
    except BallotError as error:
        raise RuleViolation(_ballot_message(poll.method, error, choice), field="choice", status=422) from error
    key = _key_of(poll)
    if poll.secret and key is None:  # a secret poll open for voting always has its salt; never store a link
        raise RuleViolation(gettext("This poll cannot take ballots: its ballot key is missing."), status=409)

    with _quiet_parameters(poll):
        dialect = db.session.get_bind().dialect.name
        make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = PollParticipation.__table__
        participation = (
            make_insert(table)
            .values(poll_id=poll.id, voter_id=voter_row.id, cast_at=now, changed_at=now, revision=1)
            .on_conflict_do_update(
                index_elements=[table.c.poll_id, table.c.voter_id],
                set_={"changed_at": now, "revision": table.c.revision + 1},
            )
            .returning(table.c.cast_at, table.c.revision)
        )
        cast_at, revision = db.session.execute(participation).one()
        if poll.secret:
            tag = secrecy.voter_tag(key, voter_row.id)
            mine = Ballot.voter_tag == tag
        else:
            tag = None
            mine = Ballot.voter_id == voter_row.id
        previous = db.session.execute(select(Ballot.id).where(Ballot.poll_id == poll.id, mine)).scalars().all()
        if revision > 1 and not previous:
            # They voted, but their ballot cannot be found: the server's SECRET_KEY changed since. Their ballot
            # still counts; a second one must not.
            raise RuleViolation(
                gettext(
                    "Your ballot is counted, but it can no longer be changed: the server's key changed since you "
                    "voted. Ask an administrator."
                ),
                status=409,
            )
        if previous:
            db.session.execute(delete(BallotMark).where(BallotMark.ballot_id.in_(previous)))
            db.session.execute(delete(Ballot).where(Ballot.id.in_(previous)))
        ballot_id = new_ballot_id()
        ranked = poll.method in RANKED_METHODS
        marks = choice if ranked else sorted(choice)
        secret = secrecy.ballot_secret(key, ballot_id) if key else None
        receipt = secrecy.content_receipt(secret, marks) if secret else None
        db.session.execute(
            insert(Ballot.__table__).values(
                id=ballot_id,
                poll_id=poll.id,
                voter_id=None if poll.secret else voter_row.id,
                voter_tag=tag,
                receipt_hash=secrecy.receipt_hash(receipt) if receipt else None,
                receipt_code=receipt.replace("-", "") if receipt else None,
            )
        )
        db.session.execute(
            insert(BallotMark.__table__),
            [
                {"ballot_id": ballot_id, "option_id": option_id, "rank": position if ranked else None}
                for position, option_id in enumerate(choice, start=1)
            ],
        )
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(ballot_version=Poll.ballot_version + 1))
    changed = revision > 1
    audit.record(
        voter_row,
        "ballot.changed" if changed else "ballot.cast",
        poll,
        summary=N_("changed their ballot in “%(question)s”") if changed else N_("voted in “%(question)s”"),
        params={"question": poll.question},
        url=_poll_url(poll),
        # Who voted is recorded; what they chose never is. Secret polls show even that only to moderators.
        audience="moderator" if poll.secret else "all",
    )
    db.session.commit()
    return OwnBallot(cast_at, now, revision, tuple(marks), receipt, secret)


@contextmanager
def _quiet_parameters(poll: Poll):
    """A database error while writing a secret poll's ballots is raised (and logged) without the statement's
    parameters: an insert's option ids next to a request's time in a log would be a link outside the database."""
    try:
        yield
    except StatementError as error:
        if poll.secret:
            error.hide_parameters = True
        raise


# Sealing ----------------------------------------------------------------------------------------------------


def seal_due(poll: Poll, now: datetime | None = None) -> bool:
    """Whether ``poll`` is a secret poll past its close whose ballots are not sealed yet."""
    return bool(poll.secret) and poll.sealed_at is None and poll.is_closed(now)


def seal_poll(poll_id: int, now: datetime | None = None) -> bool:
    """Seal a secret poll that has closed, in one transaction (see ``seal_locked_poll``). True if it sealed it
    now; False if it was sealed already, is still open, or is an open ballot. Outside a write request, call it
    inside ``database.writing()``."""
    now = now or utcnow()
    poll = _lock_poll(poll_id)
    sealed = seal_locked_poll(poll, now)
    db.session.commit()
    if sealed:
        _checkpoint_sqlite()
    return sealed


def seal_if_due(poll: Poll) -> Poll:
    """For reads: seal ``poll`` if its close has passed and nothing sealed it yet (the first read after the
    close does it; ``flask seal-polls`` run by cron does it without a read). Returns the poll as it is now."""
    if not seal_due(poll):
        return poll

    db.session.rollback()  # end this request's read transaction: the seal is a write of its own
    with writing():
        seal_poll(poll.id)
    return get_poll(poll.id) or poll


def seal_closed_polls(now: datetime | None = None) -> list[int]:
    """Seal every secret poll whose close has passed (the cron command). Returns the ids sealed."""

    now = now or utcnow()
    due = (
        db.session.execute(
            select(Poll.id).where(Poll.secret.is_(True), Poll.sealed_at.is_(None), Poll.closes_at <= now)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    sealed = []
    for poll_id in due:
        with writing():
            if seal_poll(poll_id, now):
                sealed.append(poll_id)
    return sealed


def seal_locked_poll(poll: Poll, now: datetime) -> bool:
    """Erase every link between ``poll``'s voters and its ballots, in the caller's transaction (the poll
    locked): the salt and every voter tag go, and the ballots are deleted and inserted again in a random order
    with new random ids, so neither the ids nor the order the rows are stored in follow the order of voting.
    Each ballot's content and receipt hash are kept. Nothing is done to an open ballot or one sealed already."""
    if not seal_due(poll, now):
        return False
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        # Overwrite the freed space of deleted rows and of the old salt with zeros, not just mark it free.
        db.session.execute(text("PRAGMA secure_delete = ON"))
    with _quiet_parameters(poll):
        ballots = db.session.execute(
            select(Ballot.id, Ballot.receipt_hash, Ballot.receipt_code).where(Ballot.poll_id == poll.id)
        ).all()
        marks: dict[int, list[tuple[int, int | None]]] = {row.id: [] for row in ballots}
        for ballot_id, option_id, rank in db.session.execute(
            select(BallotMark.ballot_id, BallotMark.option_id, BallotMark.rank)
            .join(Ballot, Ballot.id == BallotMark.ballot_id)
            .where(Ballot.poll_id == poll.id)
        ):
            marks[ballot_id].append((option_id, rank))
        if ballots:
            mine = select(Ballot.id).where(Ballot.poll_id == poll.id).scalar_subquery()
            db.session.execute(delete(BallotMark).where(BallotMark.ballot_id.in_(mine)))
            db.session.execute(delete(Ballot).where(Ballot.poll_id == poll.id))
            order = list(ballots)
            random.SystemRandom().shuffle(order)
            new_rows, new_marks = [], []
            for old in order:
                new_id = new_ballot_id()
                new_rows.append(
                    {
                        "id": new_id,
                        "poll_id": poll.id,
                        "voter_id": None,
                        "voter_tag": None,
                        "receipt_hash": old.receipt_hash,
                        "receipt_code": old.receipt_code,
                    }
                )
                new_marks += [{"ballot_id": new_id, "option_id": o, "rank": r} for o, r in marks[old.id]]
            db.session.execute(insert(Ballot.__table__), new_rows)
            if new_marks:
                db.session.execute(insert(BallotMark.__table__), new_marks)
    poll.ballot_salt = None
    poll.sealed_at = now
    db.session.flush()
    return True


def _checkpoint_sqlite() -> None:
    """After a seal on SQLite, move the write-ahead log into the database file and truncate it, so the log no
    longer holds the pages with the erased salt and tags (best effort: a reader can hold it open)."""
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    try:
        with bind.connect() as connection:
            busy = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    except OperationalError:
        busy = (1,)
    if busy and busy[0]:  # SQLite answers "busy" rather than raising while a reader holds the log
        log.info("Sealed a poll; the write-ahead log is in use and keeps older pages until SQLite checkpoints it")


def _ballot_message(method: str, error: BallotError, choice: list[int]) -> str:
    if not choice:
        if method == APPROVAL:
            return gettext("Tick at least one acceptable location. (To abstain, do not cast a ballot.)")
        if method in RANKED_METHODS:
            return gettext("Add at least one location to your ranking.")
        return gettext("Choose a location.")
    return str(error)


def parse_choice(poll: Poll, values: Sequence[str]) -> list[int]:
    """Option ids from form values. A value that is no number, or an empty place in a ranking, is refused."""
    ids = []
    for position, value in enumerate(values, start=1):
        number = parse_int(value or "")
        if number is None:
            if poll.ranked:
                raise RuleViolation(
                    gettext(
                        "Place %(place)d of the ranking is empty or not a location: ranks must run 1, 2, 3… without "
                        "gaps.",
                        place=position,
                    ),
                    field="choice",
                    status=422,
                )
            raise RuleViolation(
                gettext("The ballot names a location that is not an option of this poll."), field="choice", status=422
            )
        ids.append(number)
    return ids


def ranks_to_order(ranks: dict[int, int]) -> list[int]:
    """A ranking given as {option id: rank} as the ordered list, refusing duplicate ranks and gaps."""
    if not ranks:
        return []
    values = sorted(ranks.values())
    if len(set(values)) != len(values):
        raise RuleViolation(
            gettext("Two locations have the same rank: give each a different one."), field="choice", status=422
        )
    if values != list(range(1, len(values) + 1)):
        raise RuleViolation(gettext("The ranks must run 1, 2, 3… without gaps."), field="choice", status=422)
    return [option_id for option_id, _rank in sorted(ranks.items(), key=lambda item: item[1])]


def arrange(poll: Poll, ranking: Sequence[int], move: str) -> tuple[list[int], int | None, str]:
    """A ranking after one step of arranging (nothing is stored): "up:ID", "down:ID", "add:ID", "remove:ID".

    Returns the new ranking, the option that moved and a sentence for screen readers."""
    labels = {option.id: option.label for option in poll.options}
    ranking = list(ranking)
    if any(oid not in labels for oid in ranking) or len(set(ranking)) != len(ranking):
        raise RuleViolation(
            gettext("The ranking names an unknown location or one location twice."), field="choice", status=422
        )
    action, _, raw = (move or "").partition(":")
    oid = parse_int(raw)
    if oid is None or oid not in labels or action not in {"up", "down", "add", "remove"}:
        raise RuleViolation(gettext("That is not a move this ballot knows."), field="choice", status=422)
    name = labels[oid]
    if action == "add":
        if oid not in ranking:
            ranking.append(oid)
        sentence = gettext(
            "%(name)s added to your ranking at place %(place)d of %(total)d.",
            name=name,
            place=ranking.index(oid) + 1,
            total=len(ranking),
        )
        return ranking, oid, sentence
    if oid not in ranking:
        raise RuleViolation(gettext("%(name)s is not in your ranking.", name=name), field="choice", status=422)
    index = ranking.index(oid)
    if action == "remove":
        ranking.remove(oid)
        return ranking, oid, gettext("%(name)s removed from your ranking.", name=name)
    target = index - 1 if action == "up" else index + 1
    if 0 <= target < len(ranking):
        ranking[index], ranking[target] = ranking[target], ranking[index]
        sentence = gettext(
            "%(name)s moved to place %(place)d of %(total)d.", name=name, place=target + 1, total=len(ranking)
        )
        return ranking, oid, sentence
    if action == "up":
        return ranking, oid, gettext("%(name)s is already at the top of your ranking.", name=name)
    return ranking, oid, gettext("%(name)s is already at the bottom of your ranking.", name=name)


# The result as a summary (used by the decision log) -----------------------------------------------------------


@dataclass
class ResultSummary:
    poll_id: int
    question: str
    method: str
    method_label: str
    closed: bool
    results_visible: bool
    winner: str | None  # the winning location's label, e.g. "Riga, Latvia"
    tie: bool
    tied: list[str]
    ballots: int
    eligible: int
    turnout: str  # "7 of 10 eligible voters (70%)"
    closes_at: datetime  # naive UTC
    url: str  # the results page
    text: str  # Markdown: the result with its counts; never who chose what on a secret ballot


def _percent(value) -> str:
    return percent_text(value)


def _head(poll: Poll, closed: bool, zone: str) -> str:
    when = format_datetime(poll.closes_at, zone)
    if closed:
        if poll.secret:
            return gettext("%(method)s, secret ballot. Voting closed %(when)s.", method=poll.method_label, when=when)
        return gettext("%(method)s, open ballot. Voting closed %(when)s.", method=poll.method_label, when=when)
    if poll.secret:
        return gettext("%(method)s, secret ballot. Voting is open until %(when)s.", method=poll.method_label, when=when)
    return gettext("%(method)s, open ballot. Voting is open until %(when)s.", method=poll.method_label, when=when)


def _outcome_line(result: Tally, closed: bool, winner: str | None, tied: list[str]) -> str:
    """The result in one sentence of Markdown: "Result: **Riga, Latvia** won in round 2 with 3 of 5 votes…"."""
    if result.method == STV and result.winners:
        names = join_names(f"**{result.label(oid)}**" for oid in result.winners)
        outcome = ngettext(
            "%(names)s elected (%(num)d seat, quota %(quota)d).",
            "%(names)s elected (%(num)d seats, quota %(quota)d).",
            result.stv.seats,
            names=names,
            quota=result.stv.quota,
        )
    elif winner:
        outcome = _how_won(result, f"**{winner}**", closed)
    elif tied:
        outcome = gettext("a declared tie between %(names)s.", names=join_names(f"**{name}**" for name in tied))
    else:
        outcome = gettext("no winner (no ballots were counted).")
    if closed:
        return gettext("Result: %(outcome)s", outcome=outcome)
    return gettext("Running result (the poll is still open): %(outcome)s", outcome=outcome)


def result_summary(poll: Poll) -> ResultSummary:
    """The poll's result in a few lines, for a decision record. Before the close (and without running
    results) it says only that voting is under way. Never names voters of a secret poll. In the interface's
    language of the request (a caller that stores it in another language wraps the call in force_locale)."""
    if "options" not in poll.__dict__:
        poll = get_poll(poll.id) or poll
    now = utcnow()
    closed = poll.is_closed(now)
    visible = poll.results_visible(now)
    numbers = turnout(poll)
    zone = poll.time_zone
    url = path_for("polls.results", poll_id=poll.id)
    head = f"**{poll.question}**  \n" + _head(poll, closed, zone)
    lines = [head, "", gettext("Turnout: %(turnout)s.", turnout=numbers.text), ""]
    winner = None
    tied: list[str] = []
    tie = False
    if not visible:
        lines.append(gettext("The result is shown when the poll closes."))
    else:
        result = tally_poll(poll, numbers=numbers)
        winner = result.label(result.winner) or None
        tie = result.tie
        tied = [result.label(oid) for oid in result.winners] if tie else []
        lines.append(_outcome_line(result, closed, winner, tied))
        location = gettext("Location")
        lines += ["", f"| {location} | {result.count_label} | {result.share_label} |", "|---|---:|---:|"]
        for row in result.rows:
            lines.append(f"| {_md_cell(row.label)} | {row.count} | {_percent(row.share)} |")
        if result.rounds and result.lot_decisive is not False:
            lines += ["", result.lot_text()]
        if result.rounds and len(result.rounds) > 1:
            lines.append("")
            lines += [f"- {_round_text(result, r)}" for r in result.rounds]
        if poll.secret:
            lines += ["", gettext("Secret ballot: only the counts are recorded.")]
    lines += ["", f"[{gettext('Full results')}]({url})"]
    return ResultSummary(
        poll_id=poll.id,
        question=poll.question,
        method=poll.method,
        method_label=poll.method_label,
        closed=closed,
        results_visible=visible,
        winner=winner,
        tie=tie,
        tied=tied,
        ballots=numbers.ballots,
        eligible=numbers.eligible,
        turnout=numbers.text,
        closes_at=poll.closes_at,
        url=url,
        text="\n".join(lines),
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _how_won(result: Tally, name: str, closed: bool) -> str:
    """ "Riga won in round 2 with 3 of 5 votes still counting." (``name`` marked up already); "leads" while open."""
    win = result.runoff_win() if result.method == IRV else None
    if win is not None:
        number, won, continuing = win
        if closed:
            return ngettext(
                "%(name)s won in round %(round)d with %(count)d of %(num)d vote still counting.",
                "%(name)s won in round %(round)d with %(count)d of %(num)d votes still counting.",
                continuing,
                name=name,
                round=number,
                count=won,
            )
        return ngettext(
            "%(name)s leads in round %(round)d with %(count)d of %(num)d vote still counting.",
            "%(name)s leads in round %(round)d with %(count)d of %(num)d votes still counting.",
            continuing,
            name=name,
            round=number,
            count=won,
        )
    if result.method == SCHULZE:
        if closed:
            return gettext("%(name)s won, preferred head to head (Schulze).", name=name)
        return gettext("%(name)s leads, preferred head to head (Schulze).", name=name)
    row = next(r for r in result.rows if r.option_id == result.winner)
    ballots = ngettext("%(num)d ballot", "%(num)d ballots", result.ballots)
    if result.method == APPROVAL:
        if closed:
            return ngettext(
                "%(name)s won with %(num)d approval of %(ballots)s.",
                "%(name)s won with %(num)d approvals of %(ballots)s.",
                row.count,
                name=name,
                ballots=ballots,
            )
        return ngettext(
            "%(name)s leads with %(num)d approval of %(ballots)s.",
            "%(name)s leads with %(num)d approvals of %(ballots)s.",
            row.count,
            name=name,
            ballots=ballots,
        )
    if closed:
        return ngettext(
            "%(name)s won with %(num)d vote of %(ballots)s.",
            "%(name)s won with %(num)d votes of %(ballots)s.",
            row.count,
            name=name,
            ballots=ballots,
        )
    return ngettext(
        "%(name)s leads with %(num)d vote of %(ballots)s.",
        "%(name)s leads with %(num)d votes of %(ballots)s.",
        row.count,
        name=name,
        ballots=ballots,
    )


def _round_text(result: Tally, r) -> str:
    counts = " · ".join(f"{result.label(oid)}: {n}" for oid, n in r.counts.items())
    if r.exhausted:
        counts += " · " + gettext("exhausted: %(num)d", num=r.exhausted)
    if r.eliminated is not None:
        name = result.label(r.eliminated)
        if r.by_lot:
            tail = gettext("%(name)s eliminated (drawn by lot).", name=name)
        else:
            tail = gettext("%(name)s eliminated.", name=name)
    elif r.elected is not None:
        tail = gettext("%(name)s elected.", name=result.label(r.elected))
    elif r.tied:
        tail = gettext("tie.")
    else:
        return gettext("Round %(round)d: %(counts)s", round=r.number, counts=counts)
    return gettext("Round %(round)d: %(counts)s — %(outcome)s", round=r.number, counts=counts, outcome=tail)


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """The polls open now and whether ``user`` has voted in each (one query)."""
    return {"polls": open_polls_for(user)}
