"""Immediate mail, delivered to a real SMTP server on 127.0.0.1 (tests/notifications/conftest.py) and read back:
headers, both parts, the member's language, absolute links, the one-click unsubscribe, the 10-minute folding per
thread, and the outbox without a mail server."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_skeleton
from flask import url_for
from sqlalchemy import update

from protect.auth.models import User
from protect.core.database import utcnow
from protect.core.timefmt import to_zone
from protect.core.urls import path_for
from protect.extensions import db
from protect.notifications import mailer, services
from protect.notifications.mailer import THREAD_PAUSE, compose_immediate, deliver, tick
from tests.i18n import tr
from tests.notifications.conftest import BASE_URL, SENDER
from tests.notifications.mailing import TITLE, URL, notices_of, outbox, tell


def test_the_mail_paths_made_outside_a_request_are_the_blueprints(app):
    with app.test_request_context():
        in_request = url_for("notifications.unsubscribe", token="abc"), url_for("notifications.settings")
    assert (path_for("notifications.unsubscribe", token="abc"), path_for("notifications.settings")) == in_request


def test_a_mention_is_mailed_with_its_headers_and_both_parts(smtp, expert):
    assert tell("mention", expert) == 1
    counts = tick()
    assert counts["composed"] == 1 and counts["sent"] == 1

    mail = smtp.one_to(expert.email)
    message = mail.message
    assert str(message["From"]) == SENDER
    assert message["To"].addresses[0].addr_spec == expert.email
    assert str(message["Subject"]) == f"Jonas Petrauskas mentioned you in “{TITLE}”"
    [row] = outbox()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None and row.claimed_until is None
    assert mail.header("Message-ID") == row.headers["Message-ID"]
    assert mail.header("Message-ID").endswith("@protect.example>")  # the sender's domain
    root = f"<revision-12.{expert.id}@protect.example>"
    assert mail.header("In-Reply-To") == root and mail.header("References") == root
    assert mail.header("Auto-Submitted") == "auto-generated"
    assert mail.header("Content-Language") == "en"
    assert message["Date"] is not None

    # RFC 8058: an HTTPS link to POST to, on one line, not hidden in RFC 2047 words a mail client cannot read.
    unsubscribe = mail.header("List-Unsubscribe")
    assert unsubscribe.startswith(f"<{BASE_URL}/notifications/unsubscribe/") and unsubscribe.endswith(">")
    assert "=?" not in unsubscribe and " " not in unsubscribe
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

    # Plain text and HTML, each with the absolute link to the exact place and to the settings.
    assert message.get_content_type() == "multipart/alternative"
    assert f"{BASE_URL}{URL}" in mail.text
    assert f"{BASE_URL}/notifications/settings" in mail.text
    assert "Hello Eva Expert," in mail.text
    assert f'href="{BASE_URL}{URL}"' in mail.html
    assert f'href="{BASE_URL}/notifications/settings"' in mail.html
    assert 'lang="en"' in mail.html
    assert "Jonas Petrauskas mentioned you in “§4 Identification of children at risk”" in mail.html
    assert notices_of(expert)[0].outbox_id == row.id


def test_the_html_part_escapes_what_members_wrote(smtp, expert):
    tell("mention", expert, title='<img src=x onerror="alert(1)">', params={"name": "<b>Mallory</b>", "title": "t"})
    tick()
    mail = smtp.one_to(expert.email)
    assert "<img" not in mail.html and "<b>" not in mail.html
    assert "&lt;img src=x" in mail.html and "&lt;b&gt;Mallory&lt;/b&gt;" in mail.html
    assert '<img src=x onerror="alert(1)">' in mail.text  # the plain text is plain


def test_a_line_break_in_a_title_does_not_stop_the_outbox(smtp, expert, moderator):
    tell("mention", expert, title="First line\nInjected: header", params={"name": "A", "title": "x\r\nBcc: a@b.c"})
    tell("mention", moderator, thread="poll:3")
    counts = tick()
    assert counts["sent"] == 2
    subject = str(smtp.one_to(expert.email).message["Subject"])
    assert "\n" not in subject and subject == "A mentioned you in “x Bcc: a@b.c”"
    assert smtp.one_to(expert.email).message["Bcc"] is None


def test_one_threads_mails_share_their_root_for_each_member(smtp, expert, moderator):
    start = utcnow()
    tell("mention", expert, moderator)
    tell("mention", expert, thread="poll:3", title="Which city?")
    compose_immediate(start)
    tell("mention", expert)
    compose_immediate(start + THREAD_PAUSE + timedelta(seconds=1))
    deliver(now=start + THREAD_PAUSE * 2)

    first, poll, second = smtp.to(expert.email)
    assert first.header("References") == second.header("References") == f"<revision-12.{expert.id}@protect.example>"
    assert second.header("In-Reply-To") == first.header("In-Reply-To")
    assert first.header("Message-ID") != second.header("Message-ID")
    assert poll.header("References") == f"<poll-3.{expert.id}@protect.example>"
    assert smtp.one_to(moderator.email).header("References") == f"<revision-12.{moderator.id}@protect.example>"


def test_each_member_reads_the_mail_in_their_language_and_time_zone(smtp, expert, moderator):
    db.session.execute(update(User).where(User.id == expert.id).values(language="ru", time_zone="Europe/Riga"))
    db.session.commit()
    summary = "updated the training “%(title)s”"  # a message the catalogues translate already
    tell("mention", expert, moderator, summary=summary, params={"title": "Riga 2026"})
    tick()

    russian = smtp.one_to(expert.email)
    assert str(russian.message["Subject"]) == tr("ru", summary, title="Riga 2026")
    assert russian.header("Content-Language") == "ru"
    assert 'lang="ru"' in russian.html
    written = notices_of(expert)[0].created_at
    day = format_skeleton("yMMMd", to_zone(written, "Europe/Riga"), locale="ru")  # a Russian month's name
    assert day in russian.text and day in russian.html
    assert to_zone(written, "Europe/Riga").strftime("%H:%M") in russian.text

    english = smtp.one_to(moderator.email)  # composed in the same run, in the moderator's language
    assert str(english.message["Subject"]) == "updated the training “Riga 2026”"
    assert english.header("Content-Language") == "en"


# One-click unsubscribe ------------------------------------------------------------------------------------------


def _unsubscribe_path(mail) -> str:
    link = mail.header("List-Unsubscribe").strip("<>")
    assert link.startswith(BASE_URL)
    return link[len(BASE_URL) :]


def test_one_click_unsubscribe_leaves_that_kind_in_the_app(smtp, client, expert):
    tell("mention", expert)
    tick()
    path = _unsubscribe_path(smtp.one_to(expert.email))

    # A GET (a link checker, a preview) only asks: nothing changes.
    assert client.get(path).status_code == 200
    assert services.settings_of(expert.id)["mention"] == "now"
    # The mail client's POST (RFC 8058): no session, no form token, the signed link is the proof.
    response = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded", csrf=False
    )
    assert response.status_code == 200
    db.session.rollback()
    assert services.settings_of(expert.id)["mention"] == "app"
    assert services.settings_of(expert.id)["assigned"] == "now"  # only that kind

    tell("mention", expert, thread="poll:4", title="Which city?")
    tell("assigned", expert, thread="action:5", title="Send the draft")
    counts = tick()
    assert counts["composed"] == 1
    assert [str(m.message["Subject"]) for m in smtp.to(expert.email)][1:] == [
        "Jonas Petrauskas mentioned you in “Send the draft”"
    ]
    assert len(notices_of(expert)) == 3  # still in the app


def test_unsubscribing_stops_the_mentions_already_waiting(smtp, client, expert):
    tell("mention", expert)
    tick()
    path = _unsubscribe_path(smtp.one_to(expert.email))
    tell("mention", expert)
    compose_immediate(utcnow())  # waits: the thread had a mail less than 10 minutes ago
    client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    compose_immediate(utcnow() + THREAD_PAUSE * 2)
    deliver(now=utcnow() + THREAD_PAUSE * 2)
    assert len(smtp.to(expert.email)) == 1


def test_a_forged_unsubscribe_link_is_refused(smtp, client, expert):
    tell("mention", expert)
    tick()
    path = _unsubscribe_path(smtp.one_to(expert.email))
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    unknown_kind = path_for("notifications.unsubscribe", token=mailer.unsubscribe_token(expert.id, "everything"))
    for bad in (forged, path_for("notifications.unsubscribe", token="not-a-token")):
        assert client.get(bad).status_code == 404
        assert client.post(bad, data={"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 404
    assert client.post(unknown_kind, data={"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 404
    db.session.rollback()
    assert services.settings_of(expert.id)["mention"] == "now"


# Ten minutes per thread ------------------------------------------------------------------------------------------


def test_notices_of_one_thread_within_ten_minutes_fold_into_the_next_mail(smtp, expert):
    start = utcnow()
    tell("mention", expert)
    assert compose_immediate(start) == 1
    tell("mention", expert, params={"name": "Kristīne Bērziņa", "title": TITLE})
    tell("assigned", expert, summary="%(name)s assigned “%(title)s” to you", params={"name": "Mette", "title": "x"})
    tell("mention", expert, thread="poll:3", title="Which city?")  # another thread is not held back

    assert compose_immediate(start + timedelta(minutes=5)) == 1
    assert compose_immediate(start + THREAD_PAUSE - timedelta(seconds=1)) == 0
    assert compose_immediate(start + THREAD_PAUSE + timedelta(seconds=1)) == 1
    assert compose_immediate(start + THREAD_PAUSE * 3) == 0  # nothing left
    deliver(now=start + THREAD_PAUSE * 3)

    first, poll, folded = smtp.to(expert.email)
    assert "Which city?" in str(poll.message["Subject"])
    assert str(folded.message["Subject"]) == f"2 new notices: {TITLE}"
    assert "Kristīne Bērziņa mentioned you" in folded.text and "Mette assigned “x” to you" in folded.text
    assert "Kristīne Bērziņa mentioned you" not in first.text
    assert all(notice.outbox_id for notice in notices_of(expert))


def test_the_pause_is_per_member(smtp, expert, moderator):
    start = utcnow()
    tell("mention", expert)
    compose_immediate(start)
    tell("mention", moderator)
    assert compose_immediate(start + timedelta(minutes=1)) == 1  # the moderator had no mail of this thread yet
    deliver(now=start + timedelta(minutes=1))
    assert len(smtp.to(moderator.email)) == 1


# Who gets nothing --------------------------------------------------------------------------------------------------


def _deactivate(member) -> None:
    db.session.execute(update(User).where(User.id == member.id).values(active=False))
    db.session.commit()


def test_a_member_deactivated_before_the_mail_is_made_gets_none(smtp, expert):
    tell("mention", expert)
    _deactivate(expert)
    assert tick()["composed"] == 0
    assert outbox() == [] and smtp.delivered == []


def test_a_member_deactivated_after_the_mail_was_made_gets_none(smtp, expert, moderator):
    tell("mention", expert, moderator)
    assert compose_immediate() == 2
    _deactivate(expert)
    assert deliver()["sent"] == 1
    assert smtp.to(expert.email) == [] and len(smtp.to(moderator.email)) == 1
    waiting = next(mail for mail in outbox() if mail.user_id == expert.id)
    assert waiting.status == "queued" and waiting.attempts == 0


def test_the_actor_and_an_expert_for_a_moderators_notice_get_nothing(smtp, expert, moderator, admin):
    for member in (moderator, admin):
        services.save_settings(member, {"review": "now"})
    tell("review", expert, moderator, admin, actor=admin)  # review: moderators only, and not who made the change
    tick()
    assert [d.rcpt_tos for d in smtp.delivered] == [[moderator.email]]
    assert notices_of(expert) == [] and notices_of(admin) == []


# Without a mail server -------------------------------------------------------------------------------------------


def test_without_a_mail_server_the_mail_waits_in_the_moderators_outbox(no_smtp, app, client_for, expert, moderator):
    tell("mention", expert)
    tell("poll_closing", expert, thread="poll:7", title="Secret ballot on the chair", url="/polls/7")
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "2 mails composed, 0 sent" in result.output
    assert "PROTECT_MAIL_SERVER" in result.output  # says why nothing went out

    public, private = outbox()
    assert public.status == private.status == "queued" and public.attempts == private.attempts == 0
    assert private.private and not public.private

    page = client_for(moderator).get("/notifications/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No mail server is set" in html
    assert expert.display_name in html  # the public one: to whom (by name) and about what
    assert expert.email not in html  # addresses are the administrators' to see
    assert "mentioned you in" in html
    assert "Secret ballot on the chair" not in html  # the private one: neither what nor (apart) to whom
    assert html.count(expert.display_name) == 1

    shown = client_for(moderator).get(f"/notifications/outbox/{public.id}")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "List-Unsubscribe" not in text  # its link would stop the member's mail: not for other eyes
    assert f"{BASE_URL}{URL}" in text
    assert client_for(moderator).get(f"/notifications/outbox/{private.id}").status_code == 404
    assert client_for(expert).get("/notifications/outbox").status_code == 403
    assert client_for(expert).get(f"/notifications/outbox/{public.id}").status_code == 403
