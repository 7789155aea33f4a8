"""The rules of polls and ballots, called directly (no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from protect.core.audit import AuditEvent
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.core.timefmt import date_range
from protect.extensions import db
from protect.polls import services
from protect.polls.models import Ballot, BallotMark, Poll, PollOption, PollScheduleChange
from protect.polls.services import OptionData
from tests.factories import make_user
from tests.polls.factories import ballot_rows, cast, close_now, make_poll, option_ids, poll_data


def _refused(call, status: int, text: str = "") -> RuleViolation:
    with pytest.raises(RuleViolation) as caught, writing():
        call()
    db.session.rollback()
    assert caught.value.status == status, caught.value.message
    assert text in caught.value.message
    return caught.value


def _ballot_count(poll) -> int:
    return db.session.execute(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)).scalar_one()


# Creating ---------------------------------------------------------------------------------------------------


def test_a_moderator_creates_a_poll_with_its_options_in_order(moderator):
    poll = make_poll(moderator, cities=("Vilnius", "Riga", "Tallinn"))
    assert [o.city for o in poll.options] == ["Vilnius", "Riga", "Tallinn"]
    assert [o.position for o in poll.options] == [1, 2, 3]
    assert poll.options[1].label == "Riga, Latvia"
    assert poll.secret is True and poll.live_results is False
    assert len(poll.tie_break_seed) == 16
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "poll.created")).scalar_one()
    assert event.actor_id == moderator.id and event.object_id == poll.id


def test_russian_cities_are_labelled_without_the_region_note(moderator):
    poll = make_poll(moderator, cities=("St Petersburg", "Riga"))
    assert poll.options[0].label == "St Petersburg, Russia"


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"cities": ("Riga",)}, "options", "at least 2"),
        ({"cities": ("Riga", "Tallinn", "Riga")}, "options", "listed twice"),
        ({"cities": tuple(f"Town {n}" for n in range(13))}, "options", "at most 12 candidate locations; you entered"),
        ({"closes_in": timedelta(hours=-2)}, "closes_local", "close after it opens"),
        ({"opens_in": timedelta(days=-3), "closes_in": timedelta(days=-1)}, "closes_local", "in the past"),
        ({"question": "   "}, "question", "question"),
        ({"method": "borda"}, "method", "method"),
        ({"secret": True, "live": True}, "live_results", "secret ballot"),
    ],
)
def test_bad_poll_data_is_refused_beside_its_field(moderator, changes, field, text):
    with pytest.raises(RuleViolation) as caught:
        services.create_poll(moderator, poll_data(**changes))
    db.session.rollback()
    assert caught.value.status == 422
    assert caught.value.field == field
    assert text in caught.value.message
    assert db.session.execute(select(func.count()).select_from(Poll)).scalar_one() == 0


def test_proposed_dates_must_not_end_before_they_begin(moderator):
    data = poll_data()
    data.options[0].proposed_from = utcnow().date()
    data.options[0].proposed_to = utcnow().date() - timedelta(days=1)
    with pytest.raises(RuleViolation, match="end before they begin"):
        services.create_poll(moderator, data)


def test_open_ballots_may_show_running_results(moderator):
    poll = make_poll(moderator, secret=False, live=True)
    assert poll.results_visible()
    secret = make_poll(moderator, question="Another", secret=True)
    assert not secret.results_visible()


# Casting ----------------------------------------------------------------------------------------------------


def test_casting_stores_the_ranking_in_order_and_changing_replaces_it(moderator, expert):
    poll = make_poll(moderator)
    ballot = cast(poll, expert, "Tallinn", "Riga")
    assert ballot.choice() == tuple(option_ids(poll, "Tallinn", "Riga"))
    (row,) = ballot_rows(poll)
    assert [m.rank for m in row.marks] == [1, 2] and row.choice() == ballot.choice()
    assert ballot.revision == 1
    first_id, first_cast = row.id, ballot.cast_at

    changed = cast(poll, expert, "Vilnius", "Tallinn", "Riga")
    (row,) = ballot_rows(poll)  # still one ballot for the voter: the old one replaced by a new row
    assert row.id != first_id and row.choice() == changed.choice()
    assert changed.revision == 2
    assert changed.cast_at == first_cast and changed.changed_at >= first_cast
    assert changed.choice() == tuple(option_ids(poll, "Vilnius", "Tallinn", "Riga"))
    assert _ballot_count(poll) == 1
    marks = db.session.execute(select(func.count()).select_from(BallotMark)).scalar_one()
    assert marks == 3  # the old marks are gone
    assert db.session.get(Poll, poll.id).ballot_version == 2


def test_single_choice_and_approval_marks_have_no_rank(moderator, expert):
    single = make_poll(moderator, method="single")
    cast(single, expert, "Riga")
    assert [m.rank for m in ballot_rows(single)[0].marks] == [None]
    approval = make_poll(moderator, method="approval", question="Which are acceptable?")
    ballot = cast(approval, expert, "Riga", "Vilnius")
    assert sorted(ballot.choice()) == sorted(option_ids(approval, "Riga", "Vilnius"))


def test_the_audit_log_records_that_a_ballot_was_cast_never_what(moderator, expert):
    poll = make_poll(moderator, cities=("Riga", "Tallinn"))
    cast(poll, expert, "Tallinn")
    cast(poll, expert, "Riga", "Tallinn")
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action.like("ballot.%")).order_by(AuditEvent.id))
        .scalars()
        .all()
    )
    assert [e.action for e in events] == ["ballot.cast", "ballot.changed"]
    for event in events:
        text = f"{event.summary} {event.details} {event.url}"
        assert "Tallinn" not in text and "Riga" not in text
        assert event.details is None
        assert event.audience == "moderator"  # for a secret poll, even who voted is for moderators only


def test_an_open_ballot_records_casting_for_everyone(moderator, expert):
    poll = make_poll(moderator, secret=False)
    cast(poll, expert, "Riga")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ballot.cast")).scalar_one()
    assert event.audience == "all"


def test_casting_before_the_opening_or_after_the_close_is_refused(moderator, expert):
    early = make_poll(moderator, opens_in=timedelta(days=1), closes_in=timedelta(days=3))
    _refused(lambda: services.cast_ballot(early.id, expert, option_ids(early, "Riga")), 409, "has not started")
    late = make_poll(moderator, question="Late")
    close_now(late)
    _refused(lambda: services.cast_ballot(late.id, expert, option_ids(late, "Riga")), 409, "Voting has ended")
    assert _ballot_count(early) == 0 and _ballot_count(late) == 0


def test_a_ballot_that_does_not_fit_the_poll_is_refused_and_not_counted(moderator, expert):
    poll = make_poll(moderator)
    other = make_poll(moderator, question="Other poll", cities=("Oslo", "Helsinki"))
    foreign = option_ids(other, "Oslo")
    riga, tallinn = option_ids(poll, "Riga", "Tallinn")
    _refused(lambda: services.cast_ballot(poll.id, expert, foreign), 422, "not an option of this poll")
    _refused(lambda: services.cast_ballot(poll.id, expert, [riga, tallinn, riga]), 422, "twice")
    _refused(lambda: services.cast_ballot(poll.id, expert, []), 422, "ranking")
    approval = make_poll(moderator, method="approval", question="Acceptable?")
    _refused(lambda: services.cast_ballot(approval.id, expert, []), 422, "at least one")
    single = make_poll(moderator, method="single", question="One?")
    _refused(lambda: services.cast_ballot(single.id, expert, option_ids(single, "Riga", "Tallinn")), 422, "exactly one")
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 0


def test_an_unknown_poll_is_not_found(expert):
    _refused(lambda: services.cast_ballot(999999, expert, [1]), 404, "no such poll")


def test_a_deactivated_member_cannot_vote(moderator):
    poll = make_poll(moderator)
    gone = make_user("expert", active=False)
    _refused(lambda: services.cast_ballot(poll.id, gone, option_ids(poll, "Riga")), 403, "active members")
    assert _ballot_count(poll) == 0


def test_rank_lists_with_duplicates_or_gaps_are_refused():
    assert services.ranks_to_order({7: 2, 5: 1, 9: 3}) == [5, 7, 9]
    for ranks, text in (({5: 1, 7: 1}, "same rank"), ({5: 1, 7: 3}, "without gaps"), ({5: 2}, "without gaps")):
        with pytest.raises(RuleViolation, match=text) as caught:
            services.ranks_to_order(ranks)
        assert caught.value.status == 422


def test_arranging_a_ranking_moves_one_step_and_says_what_happened(moderator):
    poll = make_poll(moderator)
    riga, tallinn, vilnius = option_ids(poll, "Riga", "Tallinn", "Vilnius")
    ranking, moved, said = services.arrange(poll, [], f"add:{tallinn}")
    assert ranking == [tallinn] and moved == tallinn and "place 1 of 1" in said
    ranking, _, _ = services.arrange(poll, ranking, f"add:{riga}")
    ranking, _, said = services.arrange(poll, ranking, f"up:{riga}")
    assert ranking == [riga, tallinn] and "Riga, Latvia moved to place 1 of 2" in said
    ranking, _, said = services.arrange(poll, ranking, f"up:{riga}")
    assert ranking == [riga, tallinn] and "already at the top" in said
    ranking, _, said = services.arrange(poll, ranking, f"down:{riga}")
    assert ranking == [tallinn, riga]
    ranking, _, said = services.arrange(poll, ranking, f"remove:{tallinn}")
    assert ranking == [riga] and "removed" in said
    for bad_ranking, move in (([riga, riga], f"add:{vilnius}"), ([], "jump:1"), ([], f"up:{riga}"), ([], "add:999999")):
        with pytest.raises(RuleViolation):
            services.arrange(poll, bad_ranking, move)


# Changing polls ---------------------------------------------------------------------------------------------


def test_options_method_and_secrecy_cannot_change_once_a_ballot_is_cast(moderator, expert):
    poll = make_poll(moderator)
    data = poll_data(cities=("Riga", "Tallinn", "Vilnius", "Oslo"))
    data.opens_at, data.closes_at = poll.opens_at, poll.closes_at
    edited = services.update_poll(moderator, poll.id, data, poll.version)  # no ballot yet: allowed
    assert [o.city for o in services.get_poll(poll.id).options] == ["Riga", "Tallinn", "Vilnius", "Oslo"]

    cast(poll, expert, "Oslo")
    db.session.expire_all()
    locked = [
        poll_data(cities=("Riga", "Tallinn")),
        poll_data(cities=("Riga", "Tallinn", "Vilnius", "Oslo"), method="schulze"),
        poll_data(cities=("Riga", "Tallinn", "Vilnius", "Oslo"), secret=False),
    ]
    for attempt in locked:
        attempt.opens_at, attempt.closes_at = edited.opens_at, edited.closes_at
        error = _refused(lambda a=attempt: services.update_poll(moderator, poll.id, a, edited.version), 409)
        assert "cannot change once the first ballot is cast" in error.message
    wording = poll_data(cities=("Riga", "Tallinn", "Vilnius", "Oslo"), question="Where should we meet in spring?")
    wording.opens_at, wording.closes_at = edited.opens_at, edited.closes_at
    services.update_poll(moderator, poll.id, wording, edited.version)
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).question == "Where should we meet in spring?"
    assert _ballot_count(poll) == 1


def test_a_stale_edit_is_refused(moderator):
    poll = make_poll(moderator)
    data = poll_data(question="First edit")
    data.opens_at, data.closes_at = poll.opens_at, poll.closes_at
    services.update_poll(moderator, poll.id, data, poll.version)
    data.question = "Second edit from an old form"
    _refused(lambda: services.update_poll(moderator, poll.id, data, 1), 409, "Someone else changed this poll")
    assert db.session.get(Poll, poll.id).question == "First edit"


def test_extending_and_closing_early_are_recorded_with_the_reason(moderator, expert):
    poll = make_poll(moderator)
    before = poll.closes_at
    services.extend_poll(moderator, poll.id, before + timedelta(days=3), "Two members were travelling")
    _refused(lambda: services.extend_poll(moderator, poll.id, before, "Shorter"), 422, "later than")
    _refused(lambda: services.extend_poll(moderator, poll.id, before + timedelta(days=9), " "), 422, "reason")
    cast(poll, expert, "Riga")
    services.close_poll_early(moderator, poll.id, "Everyone has voted")
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.is_closed()
    changes = db.session.execute(select(PollScheduleChange).order_by(PollScheduleChange.id)).scalars().all()
    assert [(c.kind, c.reason) for c in changes] == [
        ("extended", "Two members were travelling"),
        ("closed_early", "Everyone has voted"),
    ]
    assert changes[0].closes_before == before and changes[0].closes_after == before + timedelta(days=3)
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("poll.%"))).scalars().all()
    assert "poll.extended" in actions and "poll.closed_early" in actions
    # once closed, it stays closed
    _refused(lambda: services.extend_poll(moderator, poll.id, utcnow() + timedelta(days=5), "Reopen"), 409, "closed")
    _refused(lambda: services.close_poll_early(moderator, poll.id, "Again"), 409, "closed already")
    _refused(lambda: services.cast_ballot(poll.id, expert, option_ids(poll, "Tallinn")), 409, "ended")


def test_a_poll_that_has_not_opened_cannot_be_closed_early(moderator):
    poll = make_poll(moderator, opens_in=timedelta(days=1), closes_in=timedelta(days=2))
    _refused(lambda: services.close_poll_early(moderator, poll.id, "Not needed"), 409, "not opened yet")


# Turnout and the summary for the decision log ---------------------------------------------------------------


def test_turnout_counts_active_members_and_voters_deactivated_since(moderator, expert, admin):
    poll = make_poll(moderator)
    make_user("expert", active=False)  # never voted, not eligible
    voter = make_user("expert")
    cast(poll, voter, "Riga")
    cast(poll, expert, "Tallinn")
    assert services.turnout(poll).text == "2 of 4 eligible voters (50%)"
    voter.active = False
    db.session.commit()
    assert services.turnout(poll).text == "2 of 4 eligible voters (50%)"  # their ballot still counts


def test_result_summary_of_a_closed_runoff(moderator):
    poll = make_poll(moderator, cities=("Riga", "Tallinn", "Vilnius"))
    voters = [make_user("expert", display_name=f"Voter {n}") for n in range(5)]
    for voter, ranking in zip(
        voters,
        [("Riga",), ("Riga", "Tallinn"), ("Tallinn", "Riga"), ("Vilnius", "Tallinn"), ("Tallinn",)],
        strict=True,
    ):
        cast(poll, voter, *ranking)
    close_now(poll)
    summary = services.result_summary(services.get_poll(poll.id))
    assert summary.closed and summary.results_visible
    assert summary.winner == "Tallinn, Estonia"  # Vilnius out, its ballot to Tallinn: 3 of 5
    assert not summary.tie
    assert summary.method_label == "Ranked choice, instant runoff"
    assert summary.turnout == "5 of 6 eligible voters (83%)"
    assert "**Tallinn, Estonia** won in round 2 with 3 of 5 votes" in summary.text
    assert "| Riga, Latvia | 2 | 40.0% |" in summary.text
    assert summary.url == f"/polls/{poll.id}/results"
    for voter in voters:
        assert voter.display_name not in summary.text


def test_result_summary_says_nothing_of_the_count_before_the_close(moderator, expert):
    poll = make_poll(moderator)
    cast(poll, expert, "Vilnius")
    summary = services.result_summary(poll)
    assert not summary.closed and not summary.results_visible
    assert summary.winner is None
    assert "Vilnius" not in summary.text
    assert "shown when the poll closes" in summary.text


def test_result_summary_of_a_tie(moderator):
    poll = make_poll(moderator, method="single", cities=("Riga", "Tallinn"))
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn")
    close_now(poll)
    summary = services.result_summary(poll)
    assert summary.winner is None and summary.tie
    assert summary.tied == ["Riga, Latvia", "Tallinn, Estonia"]
    assert "declared tie" in summary.text


def test_an_option_row_keeps_its_details(moderator):
    data = poll_data(cities=("Riga", "Tallinn"))
    data.options[0] = OptionData("Riga", "LV", "Old town venue", utcnow().date(), utcnow().date() + timedelta(days=1))
    poll = services.create_poll(moderator, data)
    option = db.session.execute(
        select(PollOption).where(PollOption.poll_id == poll.id, PollOption.position == 1)
    ).scalar_one()
    assert option.venue_notes == "Old town venue"
    assert option.dates_label == date_range(option.proposed_from, option.proposed_to)  # "7–8 December 2026"
