"""The demo votes tell the story: the first training went to Riga after three rounds; two votes are open."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.auth.demo import demo_user, seed_people
from protect.extensions import db
from protect.polls import services
from protect.polls.demo import FIRST_TRAINING_QUESTION, FOLLOW_UP_QUESTION, SECOND_TRAINING_QUESTION, seed_polls
from protect.polls.models import Ballot, Poll


def _poll(question: str) -> Poll:
    poll_id = db.session.execute(select(Poll.id).where(Poll.question == question)).scalar_one()
    return services.get_poll(poll_id)


def test_demo_votes_are_seeded_once_with_a_closed_runoff_and_open_votes():
    seed_people()
    seed_polls()
    seed_polls()  # idempotent
    assert db.session.execute(select(func.count()).select_from(Poll)).scalar_one() == 3
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 10 + 6 + 3

    first = _poll(FIRST_TRAINING_QUESTION)
    assert first.is_closed() and first.secret and first.method == "irv"
    result = services.tally_poll(first)
    assert result.label(result.winner) == "Riga, Latvia"
    assert len(result.rounds) == 3 and result.exhausted == 1
    summary = services.result_summary(first)
    assert summary.closed and summary.winner == "Riga, Latvia"
    assert summary.turnout == "10 of 10 eligible voters (100%)"

    second = _poll(SECOND_TRAINING_QUESTION)
    follow_up = _poll(FOLLOW_UP_QUESTION)
    assert second.is_open() and second.method == "schulze" and second.secret
    assert follow_up.is_open() and not follow_up.secret and follow_up.live_results
    jonas = demo_user("expert@example.org")
    assert services.own_ballot(second, jonas) is None  # left for the demo visitor to cast
    assert services.own_ballot(follow_up, jonas) is None
