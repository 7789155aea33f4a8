"""Demo votes: the closed vote on where the first training took place, and two votes open now."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from protect.auth.demo import demo_user
from protect.core import audit
from protect.core.database import utcnow
from protect.core.i18n import N_
from protect.core.timefmt import from_zone
from protect.extensions import db
from protect.polls import secrecy
from protect.polls.models import Ballot, BallotMark, Poll, PollOption, PollParticipation, new_ballot_id
from protect.polls.services import seal_locked_poll
from protect.polls.tally import RANKED_METHODS

FIRST_TRAINING_QUESTION = "Where should the first two-day training take place?"
FIRST_TRAINING_TEXT = """\
At the launch meeting in Copenhagen in September 2015 the expert group agreed to hold the first two-day
training early in 2016, in a city that participants from the Nordic countries, the Baltic States and
North-West Russia can reach easily.

Please rank the candidate cities. Consider travel for participants, visa requirements, and whether local
child protection services and police can join the case-study sessions.
"""
FIRST_TRAINING_OPTIONS = [
    (
        "Riga",
        "LV",
        "Conference rooms offered by the State Inspectorate for the Protection of Children's Rights. "
        "Direct flights from every capital of the region.",
        date(2016, 3, 15),
        date(2016, 3, 16),
    ),
    (
        "Tallinn",
        "EE",
        "University venue near the old town; ferry from Helsinki; hotels within walking distance.",
        date(2016, 2, 23),
        date(2016, 2, 24),
    ),
    (
        "Vilnius",
        "LT",
        "Ministry of Social Security and Labour training centre; good links to Poland and Belarus border services.",
        date(2016, 3, 1),
        date(2016, 3, 2),
    ),
    (
        "St Petersburg",
        "RU",
        "NGO partner venue. Participants from EU countries need a visa, and the hosts need more lead time: "
        "April at the earliest.",
        date(2016, 4, 12),
        date(2016, 4, 13),
    ),
]
# email -> ranking, most preferred first (cities as above)
FIRST_TRAINING_BALLOTS = {
    "moderator@example.org": ["Riga", "Vilnius", "Tallinn"],
    "expert@example.org": ["Vilnius", "Riga", "Tallinn"],
    "aino@example.org": ["Tallinn", "Riga"],
    "olga@example.org": ["St Petersburg", "Tallinn", "Riga"],
    "erik@example.org": ["Riga", "Tallinn", "Vilnius", "St Petersburg"],
    "kadri@example.org": ["Tallinn", "Vilnius"],
    "sigrid@example.org": ["Riga", "Tallinn"],
    "gudrun@example.org": ["Tallinn", "Riga", "Vilnius"],
    "tomasz@example.org": ["Vilnius"],
    "admin@example.org": ["Riga", "Vilnius", "Tallinn", "St Petersburg"],
}

SECOND_TRAINING_QUESTION = "Where should the autumn 2027 training take place?"
SECOND_TRAINING_TEXT = """\
The trainings in Riga, Tallinn and Vilnius showed how much participants gain from meeting colleagues from
across the border. St Petersburg and Helsinki host the spring 2027 trainings; for the autumn the group
proposed four more cities around the Baltic Sea. The ballot is secret; rank as many cities as you like.
"""
SECOND_TRAINING_OPTIONS = [
    ("Stockholm", "SE", "Venue offered by the Council of the Baltic Sea States secretariat.", None, None),
    ("Turku", "FI", "University of Turku; ferries from Stockholm and the Åland Islands.", None, None),
    ("Gdańsk", "PL", "Regional police academy; on the route of many cases involving children on the move.", None, None),
    ("Oslo", "NO", "Child welfare service's conference centre; higher costs for travel and hotels.", None, None),
]
SECOND_TRAINING_BALLOTS = {
    "aino@example.org": ["Turku", "Stockholm", "Gdańsk"],
    "olga@example.org": ["Turku", "Gdańsk"],
    "erik@example.org": ["Stockholm", "Turku", "Oslo", "Gdańsk"],
    "kadri@example.org": ["Turku", "Stockholm"],
    "gudrun@example.org": ["Oslo", "Stockholm", "Turku"],
    "tomasz@example.org": ["Gdańsk", "Stockholm", "Turku"],
}

FOLLOW_UP_QUESTION = "Which cities could host the follow-up day for trainers?"
FOLLOW_UP_TEXT = """\
An open ballot: tick every city you could travel to for a one-day follow-up with the trainers. Running
results are shown so that we can plan early.
"""
FOLLOW_UP_OPTIONS = [
    ("Copenhagen", "DK", "Nordic Council of Ministers' meeting rooms, where the project was launched.", None, None),
    ("Reykjavík", "IS", "Ombudsman for children hosts; flights from Oslo and Copenhagen.", None, None),
    ("Malmö", "SE", "Border police training room; 35 minutes from Copenhagen airport.", None, None),
]
FOLLOW_UP_BALLOTS = {
    "sigrid@example.org": ["Copenhagen", "Malmö"],
    "erik@example.org": ["Malmö", "Copenhagen"],
    "gudrun@example.org": ["Reykjavík", "Copenhagen"],
}


def _make_poll(
    question: str,
    description: str,
    method: str,
    opens_at: datetime,
    closes_at: datetime,
    zone: str,
    secret: bool,
    live: bool,
    options,
    ballots: dict[str, list[str]],
    cast_at: datetime,
) -> None:
    if db.session.execute(select(Poll.id).where(Poll.question == question)).first():
        return
    moderator = demo_user("moderator@example.org")
    poll = Poll(
        question=question,
        description=description,
        method=method,
        opens_at=opens_at,
        closes_at=closes_at,
        time_zone=zone,
        secret=secret,
        live_results=live,
        ballot_salt=secrecy.new_salt() if secret else None,
        created_by_id=moderator.id,
        created_at=opens_at - timedelta(days=1),
        updated_at=opens_at - timedelta(days=1),
        ballot_version=len(ballots),
    )
    db.session.add(poll)
    db.session.flush()
    by_city = {}
    for position, (city, country, notes, first, last) in enumerate(options, start=1):
        option = PollOption(
            poll_id=poll.id,
            position=position,
            city=city,
            country=country,
            venue_notes=notes,
            proposed_from=first,
            proposed_to=last,
        )
        db.session.add(option)
        by_city[city] = option
    db.session.flush()
    audit.record(
        moderator,
        "poll.created",
        poll,
        summary=N_("opened a vote: “%(question)s”"),
        params={"question": question},
        url=f"/polls/{poll.id}",
    )
    key = secrecy.poll_key(poll.ballot_salt) if secret else None
    for index, (email, cities) in enumerate(ballots.items()):
        when = cast_at + timedelta(hours=7 * index + 1)
        voter = demo_user(email)
        db.session.add(PollParticipation(poll_id=poll.id, voter_id=voter.id, cast_at=when, changed_at=when))
        ballot_id = new_ballot_id()
        receipt = secrecy.receipt_code(key, ballot_id) if key else None
        db.session.add(
            Ballot(
                id=ballot_id,
                poll_id=poll.id,
                voter_id=None if secret else voter.id,
                voter_tag=secrecy.voter_tag(key, voter.id) if key else None,
                receipt_hash=secrecy.receipt_hash(receipt) if receipt else None,
            )
        )
        db.session.flush()
        for rank, city in enumerate(cities, start=1):
            db.session.add(
                BallotMark(
                    ballot_id=ballot_id,
                    option_id=by_city[city].id,
                    rank=rank if method in RANKED_METHODS else None,
                )
            )
    db.session.flush()
    if secret and closes_at <= utcnow():
        seal_locked_poll(poll, utcnow())  # a closed secret poll is sealed: nothing links its voters to its ballots


def seed_polls() -> None:
    zone = "Europe/Copenhagen"
    opens = from_zone(datetime(2015, 10, 5, 9, 0), zone)
    _make_poll(
        FIRST_TRAINING_QUESTION,
        FIRST_TRAINING_TEXT,
        "irv",
        opens,
        from_zone(datetime(2015, 10, 19, 17, 0), zone),
        zone,
        secret=True,
        live=False,
        options=FIRST_TRAINING_OPTIONS,
        ballots=FIRST_TRAINING_BALLOTS,
        cast_at=opens,
    )
    now = utcnow().replace(second=0, microsecond=0)
    _make_poll(
        SECOND_TRAINING_QUESTION,
        SECOND_TRAINING_TEXT,
        "schulze",
        now - timedelta(days=3),
        now + timedelta(days=11),
        "Europe/Riga",
        secret=True,
        live=False,
        options=SECOND_TRAINING_OPTIONS,
        ballots=SECOND_TRAINING_BALLOTS,
        cast_at=now - timedelta(days=3),
    )
    _make_poll(
        FOLLOW_UP_QUESTION,
        FOLLOW_UP_TEXT,
        "approval",
        now - timedelta(days=1),
        now + timedelta(days=20),
        "Europe/Oslo",
        secret=False,
        live=True,
        options=FOLLOW_UP_OPTIONS,
        ballots=FOLLOW_UP_BALLOTS,
        cast_at=now - timedelta(days=1),
    )
    db.session.commit()
