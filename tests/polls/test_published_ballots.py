"""A closed secret poll publishes its anonymised ballots (receipt code and marks, random order, no voter) and
the count made from them: the published ballots recount to the published result for every method, each
voter's receipt matches exactly one published ballot (recomputable from the marks with their ballot secret),
and nothing published or stored links a voter to a receipt."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.extensions import db
from protect.polls import secrecy
from protect.polls.models import Ballot, PollParticipation
from protect.polls.tally import Candidate, count
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll

BALLOTS = {
    "stv": [  # two of the three elected
        ("Riga", "Tallinn"),
        ("Riga", "Vilnius"),
        ("Riga", "Tallinn", "Vilnius"),
        ("Tallinn", "Riga"),
        ("Vilnius", "Tallinn"),
        ("Vilnius",),
        ("Tallinn", "Vilnius", "Riga"),
    ],
    "single": [("Riga",), ("Riga",), ("Tallinn",), ("Vilnius",), ("Riga",)],
    "approval": [("Riga", "Tallinn"), ("Tallinn",), ("Tallinn", "Vilnius"), ("Riga",), ("Vilnius", "Riga")],
    "irv": [
        ("Vilnius", "Tallinn", "Riga"),
        ("Tallinn", "Vilnius"),
        ("Riga", "Tallinn"),
        ("Riga",),
        ("Tallinn", "Riga", "Vilnius"),
        ("Vilnius", "Tallinn"),
        ("Tallinn",),
    ],
    "schulze": [
        ("Riga", "Tallinn", "Vilnius"),
        ("Tallinn", "Vilnius", "Riga"),
        ("Vilnius", "Riga", "Tallinn"),
        ("Riga", "Vilnius"),
        ("Tallinn", "Riga"),
    ],
}


def _voted(moderator, method: str):
    poll = make_poll(moderator, method=method, seats=2 if method == "stv" else 1)
    voters = [make_user("expert", display_name=f"Voter {method} {n}") for n in range(len(BALLOTS[method]))]
    receipts = {}
    for voter, cities in zip(voters, BALLOTS[method], strict=True):
        receipts[voter.id] = cast(poll, voter, *cities)
    return poll, voters, receipts


def _published(client, poll) -> dict:
    response = client.get(f"/polls/{poll.id}/ballots.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize("method", sorted(BALLOTS))
def test_the_published_ballots_recount_to_the_published_result(client_for, moderator, expert, method):
    poll, _voters, _receipts = _voted(moderator, method)
    close_now(poll)
    data = _published(client_for(expert), poll)
    candidates = [Candidate(option["id"], option["label"]) for option in data["options"]]
    marks, seed, seats = [b["marks"] for b in data["ballots"]], data["poll"]["tie_break_seed"], data["poll"]["seats"]
    recount = count(method, candidates, marks, seed=seed, seats=seats)
    assert data["result"]["ballots"] == len(BALLOTS[method]) == recount.ballots
    assert data["result"]["winners"] == list(recount.winners)
    assert data["result"]["counts"] == {str(row.option_id): row.count for row in recount.rows}
    assert [r["eliminated"] for r in data["result"]["rounds"]] == [r.eliminated for r in recount.rounds]
    # and the results page shows that same outcome, counted from the list it shows
    page = client_for(expert).get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Published ballots" in page
    for winner in recount.winners:
        assert recount.label(winner) in page
    for ballot in data["ballots"]:
        assert ballot["receipt"] in page


def test_each_receipt_matches_exactly_one_ballot_as_cast(client_for, moderator, expert):
    poll, voters, receipts = _voted(moderator, "irv")
    changer = voters[0]
    first = receipts[changer.id]
    receipts[changer.id] = cast(poll, changer, "Riga", "Vilnius")  # only the ballot as last changed counts
    close_now(poll)
    data = _published(client_for(expert), poll)
    published = [b["receipt"] for b in data["ballots"]]
    assert first.receipt not in published
    for mine in receipts.values():
        matches = [b for b in data["ballots"] if b["receipt"] == mine.receipt]
        assert len(matches) == 1
        assert tuple(matches[0]["marks"]) == mine.marks
        # the voter recomputes the receipt from the published marks with the secret only they were shown
        assert secrecy.content_receipt(mine.secret, matches[0]["marks"]) == mine.receipt
        assert secrecy.content_receipt(mine.secret, [*matches[0]["marks"], 0]) != mine.receipt  # other marks
        assert (
            secrecy.content_receipt(
                mine.secret.replace(mine.secret[0], "A" if mine.secret[0] != "A" else "B"), matches[0]["marks"]
            )
            != mine.receipt
        )
    # the check form says so to the voter, without them saying who they are
    checked = client_for(changer).post(f"/polls/{poll.id}/receipt", data={"receipt": receipts[changer.id].receipt})
    assert checked.status_code == 200
    assert "Your ballot is among the counted ones, as you cast it" in checked.get_data(as_text=True)


def test_nothing_published_or_stored_links_a_voter_to_a_receipt(client_for, moderator, expert, admin):
    poll, voters, receipts = _voted(moderator, "approval")
    close_now(poll)
    json_text = client_for(admin).get(f"/polls/{poll.id}/ballots.json").get_data(as_text=True)
    csv_text = client_for(admin).get(f"/polls/{poll.id}/ballots.csv").get_data(as_text=True)
    page = client_for(admin).get(f"/polls/{poll.id}/results").get_data(as_text=True)
    for voter in voters:
        for text in (json_text, csv_text, page):
            assert voter.display_name not in text and voter.email not in text
    assert set(json.loads(json_text)["ballots"][0]) == {"receipt", "marks"}
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert rows[0][0] == "Receipt code" and len(rows) == len(voters) + 1
    # stored: the sealed ballots name nobody; participation rows know who voted, never a receipt
    db.session.rollback()
    for ballot in db.session.execute(select(Ballot).where(Ballot.poll_id == poll.id)).scalars():
        assert ballot.voter_id is None and ballot.voter_tag is None
    assert "receipt" not in " ".join(PollParticipation.__table__.c.keys())
    codes = {mine.receipt.replace("-", "") for mine in receipts.values()}
    events = db.session.execute(select(AuditEvent)).scalars().all()
    assert not any(code in repr((e.summary, e.details, e.summary_params, e.url)) for e in events for code in codes)


def test_the_ballots_are_published_only_after_the_close(client_for, client, moderator, expert):
    poll, _voters, _receipts = _voted(moderator, "single")
    member = client_for(expert)
    for url in (f"/polls/{poll.id}/ballots.json", f"/polls/{poll.id}/ballots.csv"):
        assert member.get(url).status_code == 403
    close_now(poll)
    for url in (f"/polls/{poll.id}/ballots.json", f"/polls/{poll.id}/ballots.csv"):
        assert member.get(url).status_code == 200
        visitor = client.get(url)
        assert visitor.status_code in (302, 303) and "/login" in visitor.headers["Location"]
    open_ballot = make_poll(moderator, method="single", secret=False, closed=True)
    assert member.get(f"/polls/{open_ballot.id}/ballots.json").status_code == 404
