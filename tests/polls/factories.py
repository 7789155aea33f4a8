"""Builders of polls and ballots for the polls tests. Each commits, so the app under test sees them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from protect.auth.models import User
from protect.core.database import utcnow, writing
from protect.extensions import db
from protect.polls import services
from protect.polls.models import Ballot, Poll, PollOption
from protect.polls.services import OptionData, PollData
from tests.factories import make_user

CITIES = {
    "Riga": "LV",
    "Tallinn": "EE",
    "Vilnius": "LT",
    "St Petersburg": "RU",
    "Helsinki": "FI",
    "Stockholm": "SE",
    "Gdańsk": "PL",
    "Oslo": "NO",
    "Copenhagen": "DK",
    "Reykjavík": "IS",
    "Malmö": "SE",
    "Turku": "FI",
}


def poll_data(
    method: str = "irv",
    cities: tuple[str, ...] = ("Riga", "Tallinn", "Vilnius"),
    question: str = "Where should the training take place?",
    secret: bool = True,
    live: bool = False,
    opens_in: timedelta = timedelta(hours=-1),
    closes_in: timedelta = timedelta(days=7),
    seats: int = 1,
) -> PollData:
    now = utcnow().replace(microsecond=0)
    return PollData(
        question=question,
        method=method,
        opens_at=now + opens_in,
        closes_at=now + closes_in,
        time_zone="Europe/Riga",
        options=[OptionData(city, CITIES.get(city, "XX"), f"Venue notes for {city}.") for city in cities],
        description="Background for **voters**.",
        secret=secret,
        live_results=live,
        seats=seats,
    )


def make_poll(creator: User | None = None, *, closed: bool = False, **kwargs) -> Poll:
    """A poll made through the service; ``closed=True`` moves its times into the past afterwards."""
    creator = creator or make_user("moderator")
    poll = services.create_poll(creator, poll_data(**kwargs))
    if closed:
        close_now(poll)
    return services.get_poll(poll.id)


def close_now(poll: Poll) -> None:
    now = utcnow()
    poll.opens_at = min(poll.opens_at, now - timedelta(days=2))
    poll.closes_at = now - timedelta(seconds=1)
    db.session.commit()


def seal(poll: Poll) -> bool:
    """Seal a closed secret poll as its first read, a cast attempt or `flask seal-polls` would."""
    with writing():
        sealed = services.seal_poll(poll.id)
    return sealed


def option_ids(poll: Poll, *cities: str) -> list[int]:
    rows = db.session.execute(select(PollOption.city, PollOption.id).where(PollOption.poll_id == poll.id))
    by_city = dict(rows.all())
    return [by_city[city] for city in cities]


def cast(poll: Poll, voter: User, *cities: str) -> services.OwnBallot:
    """Cast (or change) ``voter``'s ballot; returns it as the voter sees it (choice, times, receipt code)."""
    with writing():
        mine = services.cast_ballot(poll.id, voter, option_ids(poll, *cities))
        db.session.commit()
    return mine


def ballot_rows(poll: Poll) -> list[Ballot]:
    """The poll's ballot rows with their marks, as the database holds them."""
    return list(
        db.session.execute(
            select(Ballot).where(Ballot.poll_id == poll.id).options(selectinload(Ballot.marks)).order_by(Ballot.id)
        ).scalars()
    )
