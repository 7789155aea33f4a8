"""The demo's candidate locations and the single transferable vote that chose the three 2016 cities."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.auth.demo import seed_people
from protect.extensions import db
from protect.polls import services
from protect.polls.location_demo import STV_QUESTION, seed_locations
from protect.polls.locations import Location
from protect.polls.models import Poll, PollOption


def test_the_2016_vote_chose_riga_tallinn_and_vilnius_from_eight_records():
    seed_people()
    seed_locations()
    seed_locations()  # idempotent
    assert db.session.execute(select(func.count()).select_from(Location)).scalar_one() == 8
    poll_id = db.session.execute(select(Poll.id).where(Poll.question == STV_QUESTION)).scalar_one()
    poll = services.get_poll(poll_id)
    assert poll.method == "stv" and poll.seats == 3 and poll.is_closed() and poll.secret
    assert poll.sealed_at is not None
    options = db.session.execute(select(PollOption).where(PollOption.poll_id == poll.id)).scalars().all()
    assert len(options) == 8 and all(option.location_id for option in options)
    result = services.tally_poll(poll)
    assert [result.label(oid) for oid in result.winners] == ["Riga, Latvia", "Tallinn, Estonia", "Vilnius, Lithuania"]
    assert result.stv.quota == 3
    summary = services.result_summary(poll)
    elected = "**Riga, Latvia**, **Tallinn, Estonia** and **Vilnius, Lithuania** elected (3 seats, quota 3)."
    assert elected in summary.text
