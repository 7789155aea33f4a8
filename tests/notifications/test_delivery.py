"""The outbox's sender against a real SMTP server: refusals retried with a growing pause, given up on when
permanent or after MAX_ATTEMPTS, a server away, and two senders at once never sending a mail twice."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications.mailer import BACKOFF, MAX_ATTEMPTS, compose_immediate, deliver, tick
from protect.notifications.models import OutboxMail
from tests.factories import make_user
from tests.notifications.mailing import outbox, tell


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_temporary_refusal_is_tried_again_later_and_delivered_once(smtp, expert, stage):
    tell("mention", expert)
    start = utcnow()
    compose_immediate(start)
    smtp.refuse(451, at=stage)

    assert deliver(now=start) == {"sent": 0, "retry": 1, "failed": 0}
    [mail] = outbox()
    assert mail.status == "queued" and mail.attempts == 1 and mail.claimed_until is None
    assert mail.next_attempt_at == start + timedelta(seconds=BACKOFF[0])
    assert "451" in mail.last_error
    assert smtp.delivered == []

    assert deliver(now=start + timedelta(seconds=BACKOFF[0] - 1)) == {"sent": 0, "retry": 0, "failed": 0}  # not due
    assert deliver(now=start + timedelta(seconds=BACKOFF[0])) == {"sent": 1, "retry": 0, "failed": 0}
    assert deliver(now=start + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp.to(expert.email)) == 1
    [mail] = outbox()
    assert mail.status == "sent" and mail.attempts == 2 and mail.last_error is None


def test_the_pause_grows_with_each_refusal(smtp, expert):
    tell("mention", expert)
    start = utcnow()
    compose_immediate(start)
    smtp.refuse(451, count=3, at="rcpt")
    moment = start
    for pause in BACKOFF[:3]:
        deliver(now=moment)
        [mail] = outbox()
        assert mail.next_attempt_at == moment + timedelta(seconds=pause)
        moment = mail.next_attempt_at
    assert deliver(now=moment)["sent"] == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_a_permanent_refusal_fails_at_once_and_the_rest_still_go(smtp, expert, moderator, stage):
    tell("mention", expert)
    tell("mention", moderator, thread="poll:3")
    compose_immediate()
    smtp.refuse(550, at=stage)

    assert deliver() == {"sent": 1, "retry": 0, "failed": 1}
    refused, other = outbox()
    assert refused.status == "failed" and refused.attempts == 1 and "550" in refused.last_error
    assert other.status == "sent"
    assert deliver(now=utcnow() + timedelta(days=30))["sent"] == 0  # never tried again
    assert smtp.to(expert.email) == [] and len(smtp.to(moderator.email)) == 1


def test_after_max_attempts_a_mail_is_given_up(smtp, expert):
    tell("mention", expert)
    start = utcnow()
    compose_immediate(start)
    smtp.refuse(451, count=MAX_ATTEMPTS + 1, at="data")
    outcomes = [deliver(now=start + timedelta(days=day)) for day in range(MAX_ATTEMPTS + 2)]
    assert [o["retry"] for o in outcomes] == [1] * (MAX_ATTEMPTS - 1) + [0, 0, 0]
    assert [o["failed"] for o in outcomes] == [0] * (MAX_ATTEMPTS - 1) + [1, 0, 0]
    [mail] = outbox()
    assert mail.status == "failed" and mail.attempts == MAX_ATTEMPTS
    assert smtp.delivered == []


def test_a_server_that_is_away_keeps_everything_for_later_and_fails_nothing(smtp, app, expert, moderator, monkeypatch):
    tell("mention", expert)
    tell("mention", moderator, thread="poll:3")
    start = utcnow()
    compose_immediate(start)
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())

    for minute in range(MAX_ATTEMPTS + 2):  # a long outage: more runs than a refused mail gets attempts
        assert deliver(now=start + timedelta(minutes=minute)) == {"sent": 0, "retry": 1, "failed": 0}
    first, second = outbox()
    assert (first.status, first.attempts) == ("queued", 0) and "Error" in first.last_error
    assert (second.status, second.attempts) == ("queued", 0)

    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)  # back
    assert deliver(now=start + timedelta(hours=1))["sent"] == 2
    assert len(smtp.delivered) == 2
    assert [(mail.status, mail.attempts) for mail in outbox()] == [("sent", 1), ("sent", 1)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_a_mail_that_cannot_be_built_fails_without_holding_up_the_rest(smtp, expert, moderator):
    tell("mention", expert)
    tell("mention", moderator, thread="poll:3")
    compose_immediate()
    broken = outbox()[0]
    db.session.execute(
        update(OutboxMail).where(OutboxMail.id == broken.id).values(headers={"X-Broken": "one\r\nBcc: someone"})
    )
    db.session.commit()
    assert deliver() == {"sent": 1, "retry": 0, "failed": 1}
    assert [mail.status for mail in outbox()] == ["failed", "sent"]


def test_an_expired_claim_is_taken_again_and_the_late_sender_cannot_undo_a_delivery(smtp, app, expert):
    tell("mention", expert)
    start = utcnow()
    compose_immediate(start)
    # A sender claimed it and died (its lease ran out); another sends it.
    db.session.execute(
        update(OutboxMail).values(status="sending", attempts=1, claimed_until=start - timedelta(seconds=1))
    )
    db.session.commit()
    assert deliver(now=start)["sent"] == 1
    [mail] = outbox()
    assert mail.status == "sent" and mail.attempts == 2


# Two senders at once ----------------------------------------------------------------------------------------------


def _senders(app, work, count: int = 2) -> list:
    """Run ``work()`` in ``count`` threads at once, each with its own application context (its own session and
    database connection), as separate processes would; returns what each returned."""
    start = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                results[index] = work()
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def _members_with_mail(total: int, per_member: int = 5) -> list:
    members = [make_user("expert") for _ in range(total // per_member)]
    for thread in range(per_member):
        tell("mention", *members, thread=f"poll:{thread}", title=f"Poll {thread}")
    return members


def test_two_senders_at_once_deliver_each_mail_exactly_once(smtp, app):
    _members_with_mail(50)
    assert compose_immediate() == 50
    smtp.delay = 0.005  # each message takes the server a moment: the senders overlap
    results = _senders(app, deliver)

    assert sum(result["sent"] for result in results) == 50
    assert sum(result["retry"] + result["failed"] for result in results) == 0
    ids = [d.header("Message-ID") for d in smtp.delivered]
    assert len(ids) == 50 and len(set(ids)) == 50
    mails = outbox()
    assert all(mail.status == "sent" and mail.attempts == 1 for mail in mails)  # nobody claimed one twice


def test_two_senders_at_once_compose_each_mail_once(smtp, app):
    members = _members_with_mail(50)
    smtp.delay = 0.002
    results = _senders(app, tick)

    assert sum(result["composed"] for result in results) == 50
    assert sum(result["sent"] for result in results) == 50
    assert len(outbox()) == 50
    for member in members:
        assert len(smtp.to(member.email)) == 5
    assert len({d.header("Message-ID") for d in smtp.delivered}) == 50
