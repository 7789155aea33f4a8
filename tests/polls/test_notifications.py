"""What polls tell members, through the reminders ``flask send-mail`` runs: a poll opened (every member who may
vote, not the moderator who set it up), a poll closing within a day (each member who has not voted, about
their own ballot alone), a poll's result (everyone who may vote, nothing of anyone's vote). Each once, however
often and however many senders run them; nothing about polls far ahead or long closed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications.kinds import KINDS
from protect.notifications.mailer import run_reminders
from protect.notifications.models import Notification
from protect.polls import notices, services
from tests.factories import make_user
from tests.polls.factories import cast, make_poll


@pytest.fixture
def people(moderator):
    """The moderator who sets polls up, and the members: two experts, an administrator (all may vote), and a
    deactivated expert (who may not)."""
    return {
        "moderator": moderator,
        "anna": make_user("expert", display_name="Anna Berg", time_zone="Europe/Riga"),
        "boris": make_user("expert", display_name="Boris Lind"),
        "admin": make_user("admin", display_name="Ada Admin"),
        "gone": make_user("expert", display_name="Gone Away", active=False),
    }


def _remind(now=None) -> int:
    db.session.commit()  # the reminders begin write transactions of their own, as the sender does
    given = run_reminders(now or utcnow())
    db.session.expire_all()
    return given


def _notices(kind: str | None = None, poll=None) -> list[Notification]:
    query = select(Notification).order_by(Notification.user_id, Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    if poll is not None:
        query = query.where(Notification.thread == f"poll:{poll.id}")
    return list(db.session.execute(query).scalars())


def _to(kind: str, poll=None) -> list[int]:
    return [notice.user_id for notice in _notices(kind, poll)]


def _ids(*users) -> list[int]:
    return sorted(user.id for user in users)


def test_paths_are_the_routes_url_for_builds(app):
    """The reminders run without a request, where url_for has no host: their paths are built from the routes,
    and are the same as url_for makes in a request."""
    outside = (notices.ballot_path(42), notices.results_path(42))
    with app.test_request_context("/"):
        assert outside == (
            url_for("polls.show_poll", poll_id=42, _anchor="ballot"),
            url_for("polls.results", poll_id=42),
        )
    assert outside == ("/polls/42#ballot", "/polls/42/results")


def test_an_open_poll_is_told_to_every_member_who_may_vote_once(people):
    poll = make_poll(people["moderator"], question="Where in the Baltics?")

    assert _remind() == 3
    opened = _notices("poll_open")
    # Anna, Boris and the administrator; not the moderator who set it up, not the deactivated member
    assert [n.user_id for n in opened] == _ids(people["anna"], people["boris"], people["admin"])
    for notice in opened:
        assert notice.summary == notices.POLL_OPEN
        assert notice.summary_params["question"] == "Where in the Baltics?"
        assert notice.summary_params["name"] == "Mads Moderator"
        assert notice.thread == f"poll:{poll.id}" and notice.thread_title == "Where in the Baltics?"
        assert notice.url == f"/polls/{poll.id}#ballot"
        assert notice.actor_id == people["moderator"].id
        assert notice.mail == KINDS["poll_open"].default
    # the close time in each reader's own zone: Anna reads Riga's time, Boris Copenhagen's
    by_user = {n.user_id: n for n in opened}
    assert "Riga" in by_user[people["anna"].id].summary_params["when"]
    assert "Copenhagen" in by_user[people["boris"].id].summary_params["when"]
    assert "Where in the Baltics?" in by_user[people["anna"].id].text
    assert "Mads Moderator" in by_user[people["anna"].id].text

    # the next rounds give nothing more
    assert _remind() == 0
    assert _remind(utcnow() + timedelta(hours=1)) == 0
    assert len(_notices("poll_open")) == 3


def test_polls_far_ahead_or_long_closed_give_nothing(people):
    ahead = make_poll(people["moderator"], opens_in=timedelta(days=30), closes_in=timedelta(days=37))
    assert _remind() == 0  # scheduled a month ahead: nothing is due yet
    assert _remind(ahead.opens_at - timedelta(days=10)) == 0

    old = make_poll(people["moderator"])
    # the first sender ever runs three days after it closed: neither its opening nor its result is news
    assert _remind(old.closes_at + timedelta(days=3)) == 0
    assert _notices() == []


def test_a_poll_that_opened_days_ago_is_not_announced(people):
    poll = make_poll(people["moderator"], opens_in=timedelta(hours=-1), closes_in=timedelta(days=10))
    # the first sender ever runs three days after the opening: no flood of old news
    assert _remind(poll.opens_at + timedelta(days=3)) == 0
    assert _notices("poll_open") == []


def test_the_closing_reminder_goes_to_each_member_who_has_not_voted(people, client_for):
    poll = make_poll(people["moderator"], question="Which city?", closes_in=timedelta(hours=12), secret=True)
    cast(poll, people["anna"], "Riga")

    _remind()
    closing = _notices("poll_closing")
    # Boris, the administrator and the moderator (who set it up, and may vote too) have not voted; Anna has
    assert [n.user_id for n in closing] == _ids(people["boris"], people["admin"], people["moderator"])
    assert people["gone"].id not in [n.user_id for n in _notices()]
    for notice in closing:
        assert notice.summary == notices.POLL_CLOSING
        # about the poll and its close: nothing about anyone else
        assert set(notice.summary_params) == {"question", "when"}
        assert notice.url == f"/polls/{poll.id}#ballot"
        assert notice.actor_id is None
        assert notice.mail == "now"  # the kind's default: a digest could come after the close
    assert KINDS["poll_closing"].private

    # Boris votes after the reminder: nothing more for him, nor for anyone, in the next rounds
    cast(poll, people["boris"], "Tallinn")
    assert _remind() == 0
    assert _remind(utcnow() + timedelta(hours=2)) == 0
    assert len(_notices("poll_closing")) == 3

    # Boris's own page tells him; Anna's (who voted) says nothing about who has not
    boris_page = client_for(people["boris"]).get("/notifications")
    assert boris_page.status_code == 200
    assert "closes" in boris_page.text and "you have not voted yet" in boris_page.text
    anna_page = client_for(people["anna"]).get("/notifications")
    assert anna_page.status_code == 200
    assert "not voted" not in anna_page.text
    for other in ("Boris Lind", "Ada Admin"):
        assert other not in anna_page.text


def test_an_extension_in_the_last_day_reminds_again_those_still_not_voting(people, moderator):
    poll = make_poll(moderator, closes_in=timedelta(hours=12))
    _remind()
    assert _to("poll_closing") == _ids(people["anna"], people["boris"], people["admin"], moderator)
    first = {n.id for n in _notices("poll_closing")}
    cast(poll, people["anna"], "Riga")
    services.extend_poll(moderator, poll.id, poll.closes_at + timedelta(hours=6), "Two members asked for time.")

    _remind()
    again = [n for n in _notices("poll_closing") if n.id not in first]
    # a new close time: those who still have not voted are told it; Anna, who voted, is not
    assert sorted(n.user_id for n in again) == _ids(people["boris"], people["admin"], moderator)
    assert _remind() == 0


def test_the_result_is_told_to_everyone_who_may_vote_and_says_nothing_of_the_votes(people, client_for):
    poll = make_poll(people["moderator"], question="Where next spring?", secret=True, closes_in=timedelta(hours=2))
    cast(poll, people["anna"], "Riga")
    cast(poll, people["boris"], "Tallinn", "Riga")

    after = poll.closes_at + timedelta(minutes=5)
    assert _remind(after) == 4
    result = _notices("poll_result")
    # every member who may vote, the moderator too (nobody caused it); never the deactivated one
    assert [n.user_id for n in result] == _ids(people["anna"], people["boris"], people["admin"], people["moderator"])
    for notice in result:
        assert notice.summary == notices.POLL_RESULT == "The result of “%(question)s” is published"
        assert notice.summary_params == {"question": "Where next spring?"}
        assert notice.url == f"/polls/{poll.id}/results"
        assert notice.thread == f"poll:{poll.id}"
    assert _remind(after + timedelta(hours=1)) == 0
    assert len(_notices("poll_result")) == 4

    # what the administrator's notifications page shows: the question and a link, not who voted or how
    page = client_for(people["admin"]).get("/notifications")
    assert page.status_code == 200
    assert "The result of “Where next spring?” is published" in page.text
    for secret in ("Anna Berg", "Boris Lind", "Riga", "Tallinn", "voted"):
        assert secret not in page.text


def test_a_secret_polls_notices_reveal_no_vote(people, client_for):
    """Every notice of a secret poll, of every kind, holds the question, a time and the set-up moderator's name
    at most: not a voter, not a choice, not a count."""
    poll = make_poll(people["moderator"], question="Secret question?", closes_in=timedelta(hours=6), secret=True)
    cast(poll, people["anna"], "Vilnius")
    _remind()
    _remind(poll.closes_at + timedelta(minutes=1))
    stored = _notices(poll=poll)
    assert {n.kind for n in stored} == {"poll_open", "poll_closing", "poll_result"}
    for notice in stored:
        assert set(notice.summary_params) <= {"question", "when", "name"}
        assert notice.summary_params.get("name") in (None, "Mads Moderator")
        assert "Vilnius" not in notice.text and "Anna Berg" not in notice.text
    # Anna voted: her only notices are the opening and the result, exactly like everyone else's
    assert sorted(n.kind for n in stored if n.user_id == people["anna"].id) == ["poll_open", "poll_result"]
    for member in ("boris", "admin"):
        page = client_for(people[member]).get("/notifications")
        assert page.status_code == 200
        assert "Anna Berg" not in page.text and "Vilnius" not in page.text


def test_reminders_run_twice_at_once_give_each_notice_once(app, people):
    """Two senders, each in its own thread and application context, run the reminders at the same moment."""
    poll = make_poll(people["moderator"], closes_in=timedelta(hours=6))
    closed = make_poll(people["moderator"], closes_in=timedelta(minutes=30))
    db.session.commit()
    now = closed.closes_at + timedelta(minutes=1)  # poll: opened and closing; closed: closed
    barrier = threading.Barrier(2)
    given: list[int] = []
    errors: list[BaseException] = []

    def sender():
        with app.app_context():
            try:
                barrier.wait(30)
                given.append(run_reminders(now))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.rollback()
    # poll: opened (3) + closing (4); closed: its result (4) — its opening is after its close, not news
    assert sum(given) == 3 + 4 + 4
    counts = db.session.execute(
        select(Notification.user_id, Notification.kind, Notification.thread, func.count()).group_by(
            Notification.user_id, Notification.kind, Notification.thread
        )
    ).all()
    assert counts and all(row[3] == 1 for row in counts)
    assert sorted({(row[1], row[2]) for row in counts}) == sorted(
        {
            ("poll_open", f"poll:{poll.id}"),
            ("poll_closing", f"poll:{poll.id}"),
            ("poll_result", f"poll:{closed.id}"),
        }
    )
