"""What the outbox settles besides sending: a sender the server refuses, a member deactivated with mail waiting,
a private reminder kept apart from other notices, and an unsubscribe that stops every kind its mail carried."""

from __future__ import annotations

import smtplib

from protect.extensions import db
from protect.notifications import mailer, services
from protect.notifications.mailer import compose_immediate, deliver
from protect.notifications.models import NotificationSetting
from tests.notifications.mailing import notices_of, outbox, tell


def test_a_server_that_refuses_the_sender_fails_no_mail(smtp, expert, moderator, monkeypatch):
    """530 "authentication required" or a refused From is the set-up's fault, not the mails': they all wait."""
    tell("mention", expert)
    tell("mention", moderator)
    compose_immediate()

    def refuse(*_args, **_kwargs):
        raise smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "workspace@protect.example")

    with monkeypatch.context() as patched:
        patched.setattr(smtplib.SMTP, "send_message", refuse)
        assert deliver() == {"sent": 0, "retry": 1, "failed": 0}  # the run stops at the first refusal
    assert [(m.status, m.attempts) for m in outbox()] == [("queued", 0), ("queued", 0)]
    assert deliver()["sent"] == 2


def test_a_deactivated_members_waiting_mail_is_settled_not_kept_for_later(smtp, expert, moderator):
    tell("mention", expert)
    compose_immediate()
    tell("mention", expert, thread="revision:13")  # composed after the deactivation: never
    expert.active = False
    db.session.commit()
    compose_immediate()
    [mail] = outbox()
    assert (mail.status, mail.last_error) == ("failed", "member deactivated")
    assert [n.mail for n in notices_of(expert) if n.outbox_id is None] == [None]  # in the app only
    expert.active = True  # reactivated: nothing stale goes out
    db.session.commit()
    compose_immediate()
    deliver()
    assert smtp.to(expert.email) == []


def test_a_private_reminder_goes_in_a_mail_of_its_own(expert):
    tell("poll_closing", expert, thread="poll:3", summary="The vote closes soon and you have not voted yet", params={})
    tell("mention", expert, thread="poll:3")
    compose_immediate()
    mails = outbox()
    assert sorted(m.private for m in mails) == [False, True]


def test_unsubscribing_from_a_mail_stops_every_kind_it_carried(client, expert, moderator):
    db.session.add(NotificationSetting(user_id=expert.id, kind="reply", delivery="now"))
    db.session.commit()
    tell("mention", expert)
    tell("reply", expert)  # the same thread within the pause: one mail carries both
    compose_immediate()
    [mail] = outbox()
    path = mail.headers["List-Unsubscribe"].strip("<>").removeprefix(mailer.base_url())
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    settings = services.settings_of(expert.id)
    assert settings["mention"] == settings["reply"] == "app"
    assert services.settings_of(moderator.id)["mention"] == "now"  # nobody else's
