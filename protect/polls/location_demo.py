"""Demo candidate locations and the single transferable vote that chose the three cities of the 2016 trainings
(3 of 8). The records carry the facts the group weighed; the poll's options are chosen from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from protect.auth.demo import demo_user
from protect.core.database import utcnow
from protect.core.timefmt import from_zone
from protect.extensions import db
from protect.polls.demo import _make_poll
from protect.polls.locations import Location, LocationRevision
from protect.polls.models import Poll, PollOption
from protect.search import services as search

# city, country, venue, nearest hub, lat, lon, accessibility, visa notes, cost, partner, description
LOCATIONS = [
    (
        "Riga",
        "LV",
        "State Inspectorate for the Protection of Children's Rights, conference rooms",
        "Riga International Airport (RIX), 13 km",
        56.95,
        24.11,
        "Step-free entrance from Ķengaraga iela; lift to the second floor; accessible toilet on each floor.",
        {"RU": "Schengen visa: apply at least six weeks ahead; the hosts send invitation letters."},
        290,
        "State Inspectorate for the Protection of Children's Rights",
        "Direct flights from every capital of the region; hotels in the old town at moderate prices.",
    ),
    (
        "Tallinn",
        "EE",
        "Tallinn University, Astra building",
        "Tallinn Airport (TLL), 4 km; ferry terminal from Helsinki",
        59.44,
        24.75,
        "Step-free throughout; hearing loop in the main hall.",
        {"RU": "Schengen visa: apply at least six weeks ahead."},
        310,
        "Estonian Victim Support NGO",
        "Two hours by ferry from Helsinki; walking distance from the old town.",
    ),
    (
        "Vilnius",
        "LT",
        "Ministry of Social Security and Labour, training centre",
        "Vilnius Airport (VNO), 6 km",
        54.69,
        25.28,
        "Ramp at the side entrance; lift; one accessible room in the partner hotel.",
        {"RU": "Schengen visa; Belarus transit visa if travelling by train through Minsk."},
        260,
        "Police Department under the Ministry of the Interior",
        "Good links to the Polish and Belarusian border services, who can join the case studies.",
    ),
    (
        "St Petersburg",
        "RU",
        "NGO partner venue, Vasilievsky Island",
        "Pulkovo Airport (LED), 23 km; Finland Station (Allegro from Helsinki)",
        59.94,
        30.31,
        "Historic building: three steps at the entrance, no lift; a ground-floor room on request.",
        {
            code: "Russian visa: invitation letter and 20 working days."
            for code in ("DK", "EE", "FI", "DE", "IS", "LV", "LT", "NO", "PL", "SE")
        },
        340,
        "Social services of St Petersburg",
        "The hosts need more lead time: April at the earliest.",
    ),
    (
        "Helsinki",
        "FI",
        "Children's shelter network, meeting centre",
        "Helsinki Airport (HEL), 19 km",
        60.17,
        24.94,
        "Step-free; accessible toilets; quiet room.",
        {"RU": "Schengen visa: apply at least six weeks ahead."},
        420,
        "Children's shelter network",
        "Higher costs for hotels; many direct flights.",
    ),
    (
        "Stockholm",
        "SE",
        "Council of the Baltic Sea States secretariat",
        "Stockholm Arlanda (ARN), 40 km",
        59.33,
        18.07,
        "Step-free; lift; hearing loop.",
        {"RU": "Schengen visa: apply at least six weeks ahead."},
        450,
        "Council of the Baltic Sea States",
        "The secretariat offers its rooms free of charge.",
    ),
    (
        "Gdańsk",
        "PL",
        "Regional police academy",
        "Gdańsk Lech Wałęsa Airport (GDN), 12 km",
        54.35,
        18.65,
        "Lift to every floor; accessible rooms in the academy's guest house.",
        {"RU": "Schengen visa; the Kaliningrad local border traffic permit does not cover Gdańsk."},
        240,
        "Anti-trafficking unit of the Pomeranian police",
        "On the route of many cases involving children on the move.",
    ),
    (
        "Copenhagen",
        "DK",
        "Nordic Council of Ministers, meeting rooms",
        "Copenhagen Airport (CPH), 8 km",
        55.68,
        12.57,
        "Step-free; lift; accessible toilets.",
        {"RU": "Schengen visa: apply at least six weeks ahead."},
        480,
        "Nordic Council of Ministers",
        "Where the project was launched; the most expensive of the candidates.",
    ),
]

STV_QUESTION = "Which three cities should host the 2016 trainings?"
STV_TEXT = """\
The group holds three two-day trainings in 2016. Rank the eight candidate cities: the single transferable
vote chooses three, so that a majority cannot take every place and a large minority still gets one of its
choices. The records of the candidates (travel, visas, accessibility, cost, partner) are linked from each city.
"""
# email -> ranking, most preferred first
STV_BALLOTS = {
    "moderator@example.org": ["Riga", "Tallinn", "Vilnius"],
    "sigrid@example.org": ["Riga", "Stockholm", "Tallinn"],
    "admin@example.org": ["Riga", "Copenhagen", "Vilnius"],
    "erik@example.org": ["Riga", "Stockholm", "Copenhagen"],
    "kadri@example.org": ["Tallinn", "Helsinki", "Riga"],
    "aino@example.org": ["Tallinn", "Helsinki", "Riga"],
    "olga@example.org": ["St Petersburg", "Tallinn", "Helsinki"],
    "expert@example.org": ["Vilnius", "Gdańsk", "Riga"],
    "tomasz@example.org": ["Vilnius", "Gdańsk", "Riga"],
    "gudrun@example.org": ["Copenhagen", "Tallinn", "Riga"],
}


def seed_locations() -> None:
    author = demo_user("moderator@example.org")
    when = from_zone(datetime(2015, 10, 28, 10, 0), "Europe/Riga")
    records: dict[str, Location] = {}
    fields = ("city", "country", "venue", "nearest_hub", "latitude", "longitude", "accessibility", "visa_notes")
    fields += ("cost_per_participant", "partner", "description")
    for values in LOCATIONS:
        found = db.session.execute(
            select(Location).where(Location.city == values[0], Location.country == values[1])
        ).scalar_one_or_none()
        if found is None:
            found = Location(
                **dict(zip(fields, values, strict=True)), created_by_id=author.id, created_at=when, updated_at=when
            )
            db.session.add(found)
            db.session.flush()
            db.session.add(
                LocationRevision(
                    location_id=found.id,
                    version=1,
                    fields={name: getattr(found, name) for name in fields},
                    actor_id=author.id,
                    created_at=when,
                )
            )
        records[found.city] = found
    zone = "Europe/Riga"
    if db.session.execute(select(Poll.id).where(Poll.question == STV_QUESTION)).first() is None:
        opens = from_zone(datetime(2015, 11, 2, 9, 0), zone)
        options = [(city, records[city].country, records[city].venue, None, None) for city, *_ in LOCATIONS]
        _make_poll(
            STV_QUESTION,
            STV_TEXT,
            "stv",
            opens,
            from_zone(datetime(2015, 11, 16, 17, 0), zone),
            zone,
            secret=True,
            live=False,
            options=options,
            ballots=STV_BALLOTS,
            cast_at=opens,
        )
        poll = db.session.execute(select(Poll).where(Poll.question == STV_QUESTION)).scalar_one()
        poll.seats = 3
        for option in db.session.execute(select(PollOption).where(PollOption.poll_id == poll.id)).scalars():
            option.location_id = records[option.city].id
        poll.updated_at = utcnow()
    db.session.commit()
    search.update("location", *(record.id for record in records.values()))
    db.session.commit()
