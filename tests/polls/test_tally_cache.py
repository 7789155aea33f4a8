"""The cached tally is never stale: every change of what a count depends on gives a new count.

The cache (protect.polls.cache) keys a tally on the poll, its method, seed and candidates, and on the poll's
version, ballot version and number of ballots. These tests change each of those inputs, through the
services and behind their back, and check that the next count (and the results page) shows the change.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update

from protect.core.database import writing
from protect.core.lru import LRU
from protect.extensions import db
from protect.polls import services
from protect.polls.cache import tallies
from protect.polls.models import Ballot, BallotMark, Poll, PollOption, PollParticipation
from protect.polls.tally import count
from tests.conftest import count_queries
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll, option_ids, poll_data


def _fresh(poll_id: int) -> Poll:
    db.session.expire_all()
    return services.get_poll(poll_id)


def _counts(poll_id: int) -> dict[str, int]:
    result = services.tally_poll(_fresh(poll_id))
    return {row.label.split(",")[0]: row.count for row in result.rows}


def _uncached(poll_id: int):
    """The count made from the ORM ballots, as before there was a cache."""
    poll = _fresh(poll_id)
    return count(
        poll.method,
        services.candidates(poll),
        [b.choice() for b in services.poll_ballots(poll)],
        seed=poll.tie_break_seed,
    )


def _same(a, b) -> bool:
    rows = lambda t: [(r.option_id, r.label, r.count, r.share, r.winner, r.tied) for r in t.rows]  # noqa: E731
    pairwise = lambda t: (t.pairwise.order, t.pairwise.beats, t.pairwise.strongest) if t.pairwise else None  # noqa: E731
    rounds = lambda t: [(r.counts, r.continuing, r.exhausted, r.eliminated, r.elected, r.note) for r in t.rounds]  # noqa: E731
    return (a.ballots, a.winners, rows(a), pairwise(a), rounds(a), a.lot_order) == (
        b.ballots,
        b.winners,
        rows(b),
        pairwise(b),
        rounds(b),
        b.lot_order,
    )


def test_a_second_count_of_an_unchanged_poll_comes_from_the_cache_without_a_query(moderator):
    poll = make_poll(moderator, method="schulze")
    cast(poll, make_user("expert"), "Riga", "Tallinn")
    cast(poll, make_user("expert"), "Tallinn")
    poll = _fresh(poll.id)
    numbers = services.turnout(poll)
    first = services.tally_poll(poll, numbers=numbers)
    with count_queries() as statements:
        again = services.tally_poll(poll, numbers=numbers)
    assert again is first and statements == []
    with count_queries() as statements:
        services.tally_poll(poll)  # without the turnout: one small query for the versions
    assert len(statements) == 1
    assert _same(first, _uncached(poll.id))


def test_a_new_ballot_changes_the_count(moderator):
    poll = make_poll(moderator, method="single")
    cast(poll, make_user("expert"), "Riga")
    assert _counts(poll.id) == {"Riga": 1, "Tallinn": 0, "Vilnius": 0}
    cast(poll, make_user("expert"), "Vilnius")
    assert _counts(poll.id) == {"Riga": 1, "Tallinn": 0, "Vilnius": 1}


def test_a_changed_ballot_changes_the_count(moderator, expert):
    poll = make_poll(moderator, method="irv")
    cast(poll, expert, "Riga", "Tallinn")
    cast(poll, make_user("expert"), "Tallinn")
    assert services.tally_poll(_fresh(poll.id)).rows[0].count == 1
    cast(poll, expert, "Vilnius", "Riga")  # the same voter changes their ballot: same number of ballots
    result = services.tally_poll(_fresh(poll.id))
    assert [row.count for row in result.rows] == [0, 1, 1]
    assert _same(result, _uncached(poll.id))


def test_a_ballot_that_disappears_without_a_cast_changes_the_count(moderator):
    """No service removes a ballot, but a voter's row deleted in the database takes their open ballot with it."""
    poll = make_poll(moderator, method="approval", secret=False)
    leaving = make_user("expert")
    cast(poll, leaving, "Riga", "Tallinn")
    cast(poll, make_user("expert"), "Riga")
    assert _counts(poll.id) == {"Riga": 2, "Tallinn": 1, "Vilnius": 0}
    db.session.execute(delete(Ballot).where(Ballot.voter_id == leaving.id))  # ballot_version stays as it was
    db.session.commit()
    assert _counts(poll.id) == {"Riga": 1, "Tallinn": 0, "Vilnius": 0}


def test_an_option_change_before_the_first_ballot_changes_the_count(moderator):
    poll = make_poll(moderator, method="single", cities=("Riga", "Tallinn"))
    assert [row.label for row in services.tally_poll(_fresh(poll.id)).rows] == ["Riga, Latvia", "Tallinn, Estonia"]
    data = poll_data(method="single", cities=("Riga", "Tallinn", "Oslo"))
    with writing():
        services.update_poll(moderator, poll.id, data, version=_fresh(poll.id).version)
    result = services.tally_poll(_fresh(poll.id))
    assert [row.label for row in result.rows] == ["Riga, Latvia", "Tallinn, Estonia", "Oslo, Norway"]


def test_a_renamed_option_or_a_new_seed_or_method_changes_the_count_even_behind_the_services_back(moderator):
    poll = make_poll(moderator, method="irv")
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn")
    before = services.tally_poll(_fresh(poll.id))
    riga = option_ids(poll, "Riga")[0]
    db.session.execute(update(PollOption).where(PollOption.id == riga).values(city="Jūrmala"))
    db.session.commit()
    renamed = services.tally_poll(_fresh(poll.id))
    assert renamed is not before and renamed.rows[0].label == "Jūrmala, Latvia"
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(tie_break_seed="0123456789abcdef"))
    db.session.commit()
    reseeded = services.tally_poll(_fresh(poll.id))
    assert reseeded is not renamed and reseeded.lot_order == _uncached(poll.id).lot_order
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(method="schulze"))
    db.session.commit()
    recounted = services.tally_poll(_fresh(poll.id))
    assert recounted.method == "schulze" and recounted.pairwise is not None


def test_a_count_is_stored_under_the_state_it_was_read_in_not_the_one_asked_for(moderator):
    """A turnout read before a cast must not get the old count stored under the new state, nor the new
    count served for a later request that reads the new state."""
    poll = make_poll(moderator, method="single")
    cast(poll, make_user("expert"), "Riga")
    poll = _fresh(poll.id)
    old_numbers = services.turnout(poll)
    cast(poll, make_user("expert"), "Tallinn")  # between this request's turnout and its count
    poll = _fresh(poll.id)
    result = services.tally_poll(poll, numbers=old_numbers)
    assert result.ballots == 2  # counted from the ballots as they are
    new_numbers = services.turnout(poll)
    with count_queries() as statements:
        again = services.tally_poll(poll, numbers=new_numbers)
    assert again is result and statements == []  # stored under the state it was counted from
    cast(poll, make_user("expert"), "Vilnius")
    assert services.tally_poll(_fresh(poll.id), numbers=old_numbers).ballots == 3
    assert services.tally_poll(_fresh(poll.id)).ballots == 3


def _words(html: str) -> str:
    """The page's text: tags out, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_running_results_page_shows_each_new_ballot(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", secret=False, live=True)
    client = client_for(expert)
    cast(poll, make_user("expert", display_name="First Voter"), "Riga")
    body = _words(client.get(f"/polls/{poll.id}/results").get_data(as_text=True))
    assert "1 ballot counted" in body and "Riga, Latvia 1 (100.0%)" in body  # the chart's line
    cast(poll, make_user("expert", display_name="Second Voter"), "Tallinn")
    body = _words(client.get(f"/polls/{poll.id}/results").get_data(as_text=True))
    assert "2 ballots counted" in body and "Riga, Latvia 1 (50.0%)" in body and "Second Voter" in body
    csv = client.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True)
    assert re.search(r"Ballots cast,2\r\n", csv) and "Second Voter" in csv


def test_a_cached_count_never_opens_the_results_of_a_secret_poll_before_its_close(client_for, moderator, expert):
    poll = make_poll(moderator, method="irv")  # secret, no running results
    cast(poll, make_user("expert"), "Riga")
    services.tally_poll(_fresh(poll.id))  # a count in the cache (as a moderator's tool might make it)
    client = client_for(expert)
    for url in (f"/polls/{poll.id}/results", f"/polls/{poll.id}/results.csv"):
        assert client.get(url).status_code == 403
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Riga, Latvia: 1" not in page and "See the results" not in page
    close_now(_fresh(poll.id))
    assert client.get(f"/polls/{poll.id}/results").status_code == 200


def test_the_plain_ballots_read_in_one_query_match_the_orm_ballots(moderator):
    for method, ballots in (
        ("irv", [("Riga", "Vilnius", "Tallinn"), ("Tallinn",), ("Vilnius", "Riga")]),
        ("schulze", [("Vilnius", "Tallinn"), ("Riga", "Tallinn", "Vilnius")]),
        ("approval", [("Vilnius", "Riga"), ("Tallinn",), ("Riga", "Tallinn", "Vilnius")]),
        ("single", [("Tallinn",), ("Riga",)]),
    ):
        for secret in (True, False):
            poll = make_poll(moderator, method=method, secret=secret)
            for ranking in ballots:
                cast(poll, make_user("expert"), *ranking)
            poll = _fresh(poll.id)
            orm = services.poll_ballots(poll)
            with count_queries() as statements:
                plain = services.ballot_set(poll)
            assert len(statements) == 1
            assert [line.choice() for line in plain] == [b.choice() for b in orm]
            if not secret:
                times = {
                    p.voter_id: (p.cast_at, p.revision)
                    for p in db.session.execute(select(PollParticipation).where(PollParticipation.poll_id == poll.id))
                    .scalars()
                    .all()
                }
                assert [(line.voter.display_name, line.cast_at, line.revision) for line in plain] == [
                    (b.voter.display_name, *times[b.voter_id]) for b in orm
                ]
            else:
                assert all(line.voter is None for line in plain)  # a secret poll's are read without voters
            assert _same(services.tally_poll(poll), _uncached(poll.id))


def test_an_empty_poll_counts_no_ballots(moderator):
    poll = _fresh(make_poll(moderator, method="schulze").id)
    plain = services.ballot_set(poll)
    assert plain.lines == [] and plain.ballot_version == 0
    assert services.tally_poll(poll).ballots == 0


def test_the_cache_is_one_per_application_and_bounded(app):
    assert tallies() is tallies()
    cache = LRU(size=2)
    for n in range(3):
        cache.put(n, object())  # type: ignore[arg-type]
    assert len(cache) == 2 and cache.get(0) is None and cache.get(2) is not None


def test_marks_without_a_ballot_version_change_are_caught_by_the_count_of_ballots(moderator):
    """Belt and braces: even a ballot inserted behind the services' back (no ballot_version raised) is
    counted, because the number of ballots is part of the key."""
    poll = make_poll(moderator, method="single")
    cast(poll, make_user("expert"), "Riga")
    assert _counts(poll.id)["Riga"] == 1
    intruder = make_user("expert")
    ballot_id = db.session.execute(
        Ballot.__table__.insert().values(poll_id=poll.id, voter_id=intruder.id).returning(Ballot.__table__.c.id)
    ).scalar_one()
    db.session.execute(BallotMark.__table__.insert().values(ballot_id=ballot_id, option_id=option_ids(poll, "Riga")[0]))
    db.session.commit()
    assert db.session.execute(select(Poll.ballot_version).where(Poll.id == poll.id)).scalar_one() == 1
    assert _counts(poll.id)["Riga"] == 2


def test_the_turnout_of_another_poll_is_never_taken_for_this_ones_state(moderator):
    poll = make_poll(moderator, method="single")
    other = make_poll(moderator, method="single")
    cast(poll, make_user("expert"), "Riga")
    poll = _fresh(poll.id)
    old = services.tally_poll(poll)
    cast(other, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn")
    cast(poll, make_user("expert"), "Vilnius")
    # the other poll now has the state this one had when it was counted: (version 1, ballot version 1, 1 ballot)
    stale = services.turnout(_fresh(other.id))
    assert (stale.version, stale.ballot_version, stale.ballots) == (1, 1, 1) and old.ballots == 1
    assert services.tally_poll(_fresh(poll.id), numbers=stale).ballots == 3


def test_a_secret_poll_shows_no_running_results_even_if_a_row_says_live_results(client_for, moderator, expert):
    # The forms refuse secret + live results; an imported or hand-edited row must not open the results either.
    poll = make_poll(moderator, method="irv")
    cast(poll, make_user("expert"), "Riga")
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(live_results=True, secret=True))
    db.session.commit()
    client = client_for(expert)
    assert client.get(f"/polls/{poll.id}/results").status_code == 403
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(secret=False))
    db.session.commit()
    assert client.get(f"/polls/{poll.id}/results").status_code == 200
