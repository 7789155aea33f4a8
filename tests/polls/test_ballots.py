"""Casting, changing, checking and sealing ballots, as the voter is told and as the database holds them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from protect.core.audit import AuditEvent
from protect.core.database import writing
from protect.core.errors import RuleViolation
from protect.core.timefmt import format_datetime
from protect.extensions import db
from protect.polls import secrecy, services
from protect.polls.models import Ballot, BallotMark, Poll, PollParticipation
from tests.factories import make_user
from tests.polls.factories import ballot_rows, cast, close_now, make_poll, option_ids

RANKING_GAP = "ranks must run 1, 2, 3… without gaps."


def _told(call) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught, writing():
        call()
    db.session.rollback()
    return caught.value


def _as_told(error: RuleViolation) -> tuple[int, str | None, str]:
    return error.status, error.field, error.message


# What a voter is told when a ballot is refused ---------------------------------------------------------------


def test_an_empty_ballot_is_refused_with_what_to_do_for_each_method(moderator, expert):
    cases = {
        "approval": "Tick at least one acceptable location. (To abstain, do not cast a ballot.)",
        "irv": "Add at least one location to your ranking.",
        "single": "Choose a location.",
    }
    for method, message in cases.items():
        poll = make_poll(moderator, method=method, question=f"Where ({method})?")
        error = _told(lambda p=poll: services.cast_ballot(p.id, expert, []))
        assert _as_told(error) == (422, "choice", message)
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 0


def test_a_ballot_that_does_not_fit_is_refused_beside_the_choice(moderator, expert):
    poll = make_poll(moderator, method="single")
    error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Riga", "Tallinn")))
    assert error.status == 422 and error.field == "choice"


def test_form_values_that_are_no_location_are_refused_with_their_place(moderator):
    ranked = make_poll(moderator)
    riga = option_ids(ranked, "Riga")[0]
    assert services.parse_choice(ranked, [str(riga), "7"]) == [riga, 7]
    for values, place in (([str(riga), ""], 2), (["x"], 1), ([str(riga), str(riga), None], 3)):
        with pytest.raises(RuleViolation) as caught:
            services.parse_choice(ranked, values)
        message = f"Place {place} of the ranking is empty or not a location: {RANKING_GAP}"
        assert _as_told(caught.value) == (422, "choice", message)
    single = make_poll(moderator, method="single", question="One?")
    with pytest.raises(RuleViolation) as caught:
        services.parse_choice(single, ["Riga"])
    assert _as_told(caught.value) == (422, "choice", "The ballot names a location that is not an option of this poll.")


def test_a_ranking_given_as_ranks_is_ordered_by_rank_not_by_location():
    assert services.ranks_to_order({5: 2, 7: 1}) == [7, 5]
    assert services.ranks_to_order({}) == []
    with pytest.raises(RuleViolation) as same:
        services.ranks_to_order({5: 1, 7: 1})
    assert _as_told(same.value) == (422, "choice", "Two locations have the same rank: give each a different one.")
    with pytest.raises(RuleViolation) as gap:
        services.ranks_to_order({5: 1, 7: 3})
    assert _as_told(gap.value) == (422, "choice", "The ranks must run 1, 2, 3… without gaps.")


def test_arranging_says_what_is_wrong_with_a_move(moderator):
    poll = make_poll(moderator)
    riga, tallinn, vilnius = option_ids(poll, "Riga", "Tallinn", "Vilnius")
    cases = [
        ([riga, riga], f"add:{vilnius}", "The ranking names an unknown location or one location twice."),
        ([999999], f"add:{vilnius}", "The ranking names an unknown location or one location twice."),
        ([riga], "jump:1", "That is not a move this ballot knows."),
        ([riga], f"jump:{tallinn}", "That is not a move this ballot knows."),
        ([riga], "add:999999", "That is not a move this ballot knows."),
        ([riga], f"up:{tallinn}", "Tallinn, Estonia is not in your ranking."),
        ([riga], f"remove:{vilnius}", "Vilnius, Lithuania is not in your ranking."),
    ]
    for ranking, move, message in cases:
        with pytest.raises(RuleViolation) as caught:
            services.arrange(poll, ranking, move)
        assert _as_told(caught.value) == (422, "choice", message), move


def test_arranging_at_the_bottom_says_so_and_changes_nothing(moderator):
    poll = make_poll(moderator)
    riga, tallinn = option_ids(poll, "Riga", "Tallinn")
    assert services.arrange(poll, [riga, tallinn], f"down:{tallinn}") == (
        [riga, tallinn],
        tallinn,
        "Tallinn, Estonia is already at the bottom of your ranking.",
    )
    assert services.arrange(poll, [riga, tallinn], f"down:{riga}") == (
        [tallinn, riga],
        riga,
        "Riga, Latvia moved to place 2 of 2.",
    )
    assert services.arrange(poll, [riga], f"add:{riga}") == (
        [riga],
        riga,
        "Riga, Latvia added to your ranking at place 1 of 1.",
    )


# Casting at a given time, in the voter's time zone -----------------------------------------------------------


def test_the_opening_and_close_are_told_in_the_voters_time_zone(moderator):
    voter = make_user("expert", time_zone="Asia/Tokyo")
    early = make_poll(moderator, opens_in=timedelta(days=1), closes_in=timedelta(days=3))
    error = _told(lambda: services.cast_ballot(early.id, voter, option_ids(early, "Riga")))
    opens = format_datetime(early.opens_at, "Asia/Tokyo")
    assert _as_told(error) == (409, None, f"Voting has not started: the poll opens {opens}.")
    assert "Tokyo" in opens
    late = make_poll(moderator, question="Late")
    close_now(late)
    error = _told(lambda: services.cast_ballot(late.id, voter, option_ids(late, "Riga")))
    closed = format_datetime(services.get_poll(late.id).closes_at, "Asia/Tokyo")
    assert _as_told(error) == (409, None, f"Voting has ended: the poll closed {closed}.")


def test_a_ballot_is_judged_and_stamped_at_the_time_it_was_cast(moderator, expert):
    poll = make_poll(moderator, opens_in=timedelta(hours=-1), closes_in=timedelta(days=7))
    before_opening = poll.opens_at - timedelta(minutes=5)
    error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Riga"), now=before_opening))
    assert error.status == 409 and "has not started" in error.message
    at = poll.opens_at + timedelta(minutes=10)
    with writing():
        mine = services.cast_ballot(poll.id, expert, option_ids(poll, "Riga"), now=at)
    assert mine.cast_at == at == mine.changed_at
    row = db.session.execute(select(PollParticipation).where(PollParticipation.poll_id == poll.id)).scalar_one()
    assert row.cast_at == at and row.changed_at == at and row.revision == 1
    own = services.own_ballot(services.get_poll(poll.id), expert)
    assert (own.cast_at, own.changed_at, own.revision) == (at, at, 1)


def test_a_member_deactivated_by_someone_else_meanwhile_cannot_vote(moderator, expert):
    poll = make_poll(moderator)
    # Another request deactivates them; this session still holds them as active.
    db.session.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": expert.id})
    db.session.commit()
    error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Riga")))
    assert _as_told(error) == (403, None, "Only active members of the group can vote.")
    assert ballot_rows(poll) == []


# What the database holds --------------------------------------------------------------------------------------


def test_changing_ones_ballot_leaves_everyone_elses_marks(moderator, expert):
    poll = make_poll(moderator, secret=False)
    other = make_user("expert")
    cast(poll, other, "Vilnius", "Riga")
    cast(poll, expert, "Riga")
    cast(poll, expert, "Tallinn", "Vilnius")
    rows = {row.voter_id: row.choice() for row in ballot_rows(poll)}
    assert rows == {
        other.id: tuple(option_ids(poll, "Vilnius", "Riga")),
        expert.id: tuple(option_ids(poll, "Tallinn", "Vilnius")),
    }
    assert db.session.execute(select(func.count()).select_from(BallotMark)).scalar_one() == 4


def test_an_approval_ballot_is_returned_in_the_polls_order_whatever_order_it_was_ticked_in(moderator, expert):
    poll = make_poll(moderator, method="approval", question="Acceptable?")
    riga, tallinn, vilnius = option_ids(poll, "Riga", "Tallinn", "Vilnius")
    with writing():
        mine = services.cast_ballot(poll.id, expert, [vilnius, riga])
    assert mine.choice() == (riga, vilnius)
    own = services.own_ballot(services.get_poll(poll.id), expert)
    assert own.choice() == (riga, vilnius) and own.linked
    assert services.check_receipt(poll, mine.receipt) == (riga, vilnius)
    assert tallinn not in own.choice()


def test_the_audit_line_says_voted_then_changed_with_the_polls_address(moderator, expert):
    poll = make_poll(moderator, question="Where in autumn?")
    cast(poll, expert, "Riga")
    cast(poll, expert, "Tallinn")
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action.like("ballot.%")).order_by(AuditEvent.id))
        .scalars()
        .all()
    )
    assert [(e.action, e.text, e.url) for e in events] == [  # the summary is shown as its text, translated
        ("ballot.cast", "voted in “Where in autumn?”", f"/polls/{poll.id}"),
        ("ballot.changed", "changed their ballot in “Where in autumn?”", f"/polls/{poll.id}"),
    ]


def test_a_secret_poll_without_its_key_takes_no_ballot(moderator, expert):
    poll = make_poll(moderator)
    db.session.get(Poll, poll.id).ballot_salt = None
    db.session.commit()
    error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Riga")))
    assert _as_told(error) == (409, None, "This poll cannot take ballots: its ballot key is missing.")
    assert ballot_rows(poll) == []
    assert db.session.execute(select(func.count()).select_from(PollParticipation)).scalar_one() == 0


def test_the_server_key_changed_message_says_what_happened_and_whom_to_ask(app, moderator, expert):
    poll = make_poll(moderator)
    cast(poll, expert, "Riga")
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-rotated-key"
    try:
        error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Tallinn")))
    finally:
        app.config["SECRET_KEY"] = original
    assert _as_told(error) == (
        409,
        None,
        "Your ballot is counted, but it can no longer be changed: the server's key changed since you voted. "
        "Ask an administrator.",
    )


def test_a_database_error_while_casting_a_secret_ballot_hides_its_values(moderator, expert, monkeypatch):
    poll = make_poll(moderator)
    first = make_user("expert")
    cast(poll, first, "Riga")
    (taken,) = ballot_rows(poll)
    monkeypatch.setattr(services, "new_ballot_id", lambda: taken.id)  # the new ballot's id is already used
    with pytest.raises(StatementError) as raised, writing():
        services.cast_ballot(poll.id, expert, option_ids(poll, "Vilnius"))
    db.session.rollback()
    assert raised.value.hide_parameters and "SQL parameters hidden" in str(raised.value)
    tag = secrecy.voter_tag(services._key_of(services.get_poll(poll.id)), expert.id)
    assert tag not in str(raised.value)  # the tag that finds the voter's ballot again


# Receipts ---------------------------------------------------------------------------------------------------


def test_a_receipt_is_checked_against_its_own_poll_only(moderator, expert):
    poll = make_poll(moderator)
    other = make_poll(moderator, question="Another poll")
    mine = cast(poll, expert, "Tallinn", "Riga")
    assert services.check_receipt(poll, mine.receipt) == tuple(option_ids(poll, "Tallinn", "Riga"))
    with pytest.raises(RuleViolation) as caught:
        services.check_receipt(other, mine.receipt)
    assert _as_told(caught.value) == (
        422,
        "receipt",
        "No ballot of this poll has this receipt code. Check the code; a ballot changed later has a new code.",
    )


def test_a_receipt_that_is_no_code_or_on_an_open_ballot_is_refused(moderator):
    poll = make_poll(moderator)
    with pytest.raises(RuleViolation) as caught:
        services.check_receipt(poll, "not a code")
    assert _as_told(caught.value) == (
        422,
        "receipt",
        "A receipt code has 20 letters and digits, like ABCD-EFGH-IJKL-MNOP-QRST.",
    )
    open_ballot = make_poll(moderator, secret=False, question="Open")
    with pytest.raises(RuleViolation) as caught:
        services.check_receipt(open_ballot, "ABCD-EFGH-IJKL-MNOP-QRST")
    assert _as_told(caught.value) == (404, None, "Open ballots have no receipt codes: the results list every ballot.")


# Sealing ----------------------------------------------------------------------------------------------------


def test_after_the_seal_the_voter_still_sees_when_they_voted_not_what(moderator, expert):
    poll = make_poll(moderator)
    first = cast(poll, expert, "Riga")
    changed = cast(poll, expert, "Tallinn")
    close_now(poll)
    with writing():
        assert services.seal_poll(poll.id) is True
    with writing():
        assert services.seal_poll(poll.id) is False  # sealed already
    own = services.own_ballot(services.get_poll(poll.id), expert)
    assert not own.linked and own.choice() == ()
    assert (own.cast_at, own.changed_at, own.revision) == (first.cast_at, changed.changed_at, 2)


def test_sealing_keeps_every_mark_and_leaves_none_of_the_old_ballots(moderator):
    poll = make_poll(moderator)
    voters = [make_user("expert") for _ in range(3)]
    for voter, ranking in zip(voters, [("Riga", "Tallinn"), ("Vilnius",), ("Tallinn", "Vilnius", "Riga")], strict=True):
        cast(poll, voter, *ranking)
    before = sorted(row.choice() for row in ballot_rows(poll))
    old_ids = {row.id for row in ballot_rows(poll)}
    close_now(poll)
    with writing():
        services.seal_poll(poll.id)
    after = ballot_rows(poll)
    assert sorted(row.choice() for row in after) == before
    assert not old_ids & {row.id for row in after}
    marks = db.session.execute(select(BallotMark.ballot_id)).scalars().all()
    assert len(marks) == 6 and set(marks) == {row.id for row in after}  # no mark of a ballot that is gone


def test_an_open_or_unclosed_poll_is_not_sealed(moderator, expert):
    still_open = make_poll(moderator)
    cast(still_open, expert, "Riga")
    open_ballot = make_poll(moderator, secret=False, question="Open")
    cast(open_ballot, expert, "Riga")
    close_now(open_ballot)
    for poll in (still_open, open_ballot):
        with writing():
            assert services.seal_poll(poll.id) is False
    assert services.get_poll(still_open.id).ballot_salt is not None
    assert all(row.voter_id == expert.id for row in ballot_rows(open_ballot))


def test_the_seal_command_seals_at_the_time_it_is_given(moderator, expert):
    poll = make_poll(moderator, closes_in=timedelta(days=2))
    cast(poll, expert, "Riga")
    closes = services.get_poll(poll.id).closes_at
    assert not services.seal_due(poll, closes - timedelta(seconds=1))
    assert services.seal_due(poll, closes)
    assert services.seal_closed_polls(closes - timedelta(seconds=1)) == []
    assert services.seal_closed_polls(closes) == [poll.id]  # closed at its closing minute, not after
    sealed = services.get_poll(poll.id)
    assert sealed.sealed_at == closes and sealed.ballot_salt is None
    assert all(row.voter_tag is None for row in ballot_rows(poll))


def test_a_member_deactivated_while_their_request_runs_cannot_vote(moderator, expert):
    poll = make_poll(moderator)
    assert expert.active  # loaded, as the request loaded the member when it began
    db.session.expunge(expert)
    db.session.commit()
    with db.engine.begin() as other_request:
        other_request.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": expert.id})
    expert = db.session.merge(expert, load=False)  # the session still holds the member as it was loaded
    assert expert.active
    error = _told(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Riga")))
    assert _as_told(error) == (403, None, "Only active members of the group can vote.")
    assert ballot_rows(poll) == []


def test_changing_a_ballot_in_one_poll_keeps_the_voters_ballot_in_another(moderator, expert):
    first = make_poll(moderator, secret=False)
    second = make_poll(moderator, secret=False, question="And the spring meeting?")
    cast(second, expert, "Vilnius")
    cast(first, expert, "Riga")
    cast(first, expert, "Tallinn")
    assert [row.choice() for row in ballot_rows(second)] == [tuple(option_ids(second, "Vilnius"))]
    assert [row.choice() for row in ballot_rows(first)] == [tuple(option_ids(first, "Tallinn"))]


def test_the_audit_line_names_the_voter(moderator, expert):
    poll = make_poll(moderator)
    cast(poll, expert, "Riga")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ballot.cast")).scalar_one()
    assert event.actor_id == expert.id


def test_sealing_one_poll_leaves_the_ballots_of_the_others(moderator, expert):
    sealed = make_poll(moderator)
    other = make_poll(moderator, question="Still open")
    cast(sealed, expert, "Riga", "Tallinn")
    cast(other, expert, "Vilnius", "Riga")
    close_now(sealed)
    with writing():
        assert services.seal_poll(sealed.id)
    assert [row.choice() for row in ballot_rows(other)] == [tuple(option_ids(other, "Vilnius", "Riga"))]
    assert [row.choice() for row in ballot_rows(sealed)] == [tuple(option_ids(sealed, "Riga", "Tallinn"))]


def test_a_database_error_while_sealing_hides_the_ballots_values(moderator, monkeypatch):
    poll = make_poll(moderator)
    for _ in range(2):
        cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    receipts = {row.receipt_hash for row in ballot_rows(poll)}
    monkeypatch.setattr(services, "new_ballot_id", lambda: 4242)  # both rewritten ballots get one id
    with pytest.raises(StatementError) as raised, writing():
        services.seal_poll(poll.id)
    db.session.rollback()
    assert raised.value.hide_parameters and "SQL parameters hidden" in str(raised.value)
    assert not any(receipt in str(raised.value) for receipt in receipts)
    assert services.get_poll(poll.id).sealed_at is None and len(ballot_rows(poll)) == 2  # nothing half done
