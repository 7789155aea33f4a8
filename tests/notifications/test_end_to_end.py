"""From what a member does to the mail the right members receive, through the real SMTP server of the tests:
a new comment, an @mention, a review request, a poll about to close and an overdue action. Each is also on the
recipient's notifications page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications import mailer
from protect.notifications.mentions import mention
from protect.notifications.models import NotificationSetting
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline, propose
from tests.notice_helpers import texts_of


def morning(zone: str = "Europe/Copenhagen") -> datetime:
    """Tomorrow 07:30 in ``zone``, as the naive UTC the app stores: when that member's digest is made."""
    local = datetime.now(ZoneInfo(zone)).replace(hour=7, minute=30, second=0, microsecond=0) + timedelta(days=1)
    return local.astimezone(UTC).replace(tzinfo=None)


def at_once(user, kind: str) -> None:
    db.session.add(NotificationSetting(user_id=user.id, kind=kind, delivery="now"))
    db.session.commit()


def comment(client, revision, body: str) -> None:
    answer = client.post(f"/guidelines/revisions/{revision.id}/comments", data={"body": body})
    assert answer.status_code == 303, answer.get_data(as_text=True)


def test_a_new_comment_reaches_the_revisions_author(smtp, client_for, moderator):
    author = make_user(display_name="Pia Proposer", email="pia@test.example")
    at_once(author, "reply")
    revision = propose(author, first_section(make_guideline(moderator)), "A new text for the section.")
    comment(client_for(make_user(display_name="Anna Berg")), revision, "Why this change?")
    mailer.tick()
    mail = smtp.one_to("pia@test.example")
    assert "Anna Berg commented on your revision" in mail.text
    assert f"/guidelines/revisions/{revision.id}#comment-" in mail.text
    assert any("Anna Berg commented on your revision" in text for text in texts_of(author))


def test_an_at_mention_reaches_the_member_at_once(smtp, client_for, moderator):
    revision = propose(moderator, first_section(make_guideline(moderator)), "Text.")
    jonas = make_user(display_name="Jonas Petrauskas", email="jonas@test.example")
    bystander = make_user(email="bystander@test.example")
    comment(client_for(make_user(display_name="Kadri Tamm")), revision, f"{mention(jonas.id, 'Jonas')}, your list?")
    mailer.tick()
    mail = smtp.one_to("jonas@test.example")
    assert mail.message["Subject"].startswith("Kadri Tamm mentioned you")
    assert smtp.to("bystander@test.example") == [] and texts_of(bystander) == []
    assert texts_of(jonas, "mention")


def test_a_review_request_reaches_the_moderators_in_their_morning_digest(smtp, moderator):
    expert = make_user(display_name="Eero Expert", email="eero@test.example")
    section = first_section(make_guideline(moderator))
    propose(expert, section, current(section).body + "\n\nOne more paragraph.")
    mailer.tick()
    assert smtp.to(moderator.email) == []  # a review request waits for the daily digest by default
    mailer.send_digests(now=morning())
    mailer.deliver(now=morning() + timedelta(hours=1))
    digest = smtp.one_to(moderator.email)
    assert "Your day in PROTECT Workspace" in digest.message["Subject"]
    assert "Eero Expert" in digest.text and "for review" in digest.text
    assert smtp.to("eero@test.example") == []  # nobody is told of their own proposal, experts get no reviews
    mailer.send_digests(now=morning() + timedelta(hours=1))
    mailer.deliver(now=morning() + timedelta(hours=1))
    assert len(smtp.to(moderator.email)) == 1  # once a morning


def test_a_poll_closing_tomorrow_reaches_those_who_have_not_voted(smtp):
    from tests.polls.factories import cast, make_poll

    voter = make_user(email="voter@test.example")
    make_user(email="waiting@test.example", display_name="Wanda Waiting")
    poll = make_poll(closes_in=timedelta(hours=20), question="Where in 2017?")
    cast(poll, voter, "Riga", "Tallinn", "Vilnius")
    mailer.tick()
    reminder = smtp.one_to("waiting@test.example")
    assert "Where in 2017?" in reminder.message["Subject"] and "not voted" in reminder.message["Subject"]
    assert not any("not voted" in d.message["Subject"] for d in smtp.to("voter@test.example"))
    mailer.tick()
    assert len([d for d in smtp.to("waiting@test.example") if "not voted" in d.message["Subject"]]) == 1


def test_an_overdue_action_reaches_its_owner(smtp, moderator):
    from tests.decisions.factories import make_action, make_decision

    owner = make_user(email="owner@test.example", display_name="Olga Owner")
    decision = make_decision(moderator)
    make_action(moderator, decision=decision, what="Send the interpreter list", owner_id=owner.id,
                due_on=date.today() - timedelta(days=2))  # fmt: skip
    mailer.tick()
    assert any("Send the interpreter list" in text for text in texts_of(owner, "action_due"))
    mailer.send_digests(now=morning())
    mailer.deliver(now=morning() + timedelta(hours=1))
    [digest] = [d for d in smtp.to("owner@test.example") if "Your day" in d.message["Subject"]]
    assert "Send the interpreter list" in digest.text and "still open" in digest.text


def test_nothing_is_mailed_twice_when_the_sender_runs_again(smtp, client_for, moderator):
    revision = propose(moderator, first_section(make_guideline(moderator)), "Text.")
    jonas = make_user(email="jonas2@test.example")
    comment(client_for(make_user()), revision, f"{mention(jonas.id, 'Jonas')} see this")
    for _ in range(3):
        mailer.tick(now=utcnow() + timedelta(minutes=30))
    assert len(smtp.to("jonas2@test.example")) == 1
