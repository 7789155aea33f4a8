"""The daily and weekly digests (``send_digests(now=...)``), delivered to the real SMTP server: made at 07:00-09:59
in each member's own time zone, once per local date however often the command runs, the weekly one on Mondays,
never when empty, everything of the period in one message grouped by area, in the member's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from sqlalchemy import update

from protect.auth.models import User
from protect.extensions import db
from protect.notifications import services
from protect.notifications.mailer import deliver, send_digests, tick
from tests.factories import make_user
from tests.i18n import tr
from tests.notifications.conftest import BASE_URL
from tests.notifications.mailing import TITLE, backdate, notices_of, outbox, tell

# January: Riga is UTC+2, Copenhagen UTC+1, New York UTC-5. 4 January 2027 is a Monday.
EVENING = datetime(2027, 1, 4, 20, 0)  # when the notices were written (UTC)
TUESDAY = datetime(2027, 1, 5)
MONDAY = datetime(2027, 1, 11)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """A time in UTC on ``day``."""
    return day.replace(hour=hour, minute=minute)


def member(zone: str, role: str = "expert", language: str | None = None) -> User:
    user = make_user(role, time_zone=zone)
    if language:
        db.session.execute(update(User).where(User.id == user.id).values(language=language))
        db.session.commit()
    return user


def send(now: datetime) -> int:
    made = send_digests(now=now)
    deliver(now=now)
    return made


def test_the_daily_digest_comes_in_each_members_local_morning_once(smtp):
    riga, copenhagen = member("Europe/Riga"), member("Europe/Copenhagen")
    tell("reply", riga, copenhagen)  # replies go to the daily digest by default
    backdate(EVENING)

    assert send(at(TUESDAY, 4, 30)) == 0  # 06:30 in Riga, 05:30 in Copenhagen: too early for both
    assert send(at(TUESDAY, 5, 10)) == 1  # 07:10 in Riga
    assert send(at(TUESDAY, 5, 40)) == 0  # the same morning again: made already
    assert [d.rcpt_tos for d in smtp.delivered] == [[riga.email]]
    assert send(at(TUESDAY, 6, 10)) == 1  # 07:10 in Copenhagen
    assert send(at(TUESDAY, 7, 50)) == 0  # 09:50 in Riga, 08:50 in Copenhagen: both had theirs

    mail = smtp.one_to(riga.email)
    assert str(mail.message["Subject"]) == "Your day in PROTECT Workspace: 1 notice"
    assert mail.header("Auto-Submitted") == "auto-generated"
    assert "References" not in mail.message  # a digest is no thread's
    assert "This is what happened since yesterday" in mail.text
    assert f"{BASE_URL}/guidelines/revisions/12#comment-40" in mail.text
    assert f'href="{BASE_URL}/guidelines/revisions/12#comment-40"' in mail.html
    assert "4 Jan 2027, 22:00" in mail.text  # when it happened, in Riga's time
    assert all(notice.outbox_id for notice in notices_of(riga))


def test_a_notice_after_this_mornings_digest_waits_for_tomorrows(smtp):
    riga = member("Europe/Riga")
    tell("reply", riga)
    backdate(EVENING)
    assert send(at(TUESDAY, 5, 10)) == 1
    tell("reply", riga, thread="poll:3", title="Which city?")
    backdate(at(TUESDAY, 5, 30))
    assert send(at(TUESDAY, 6, 30)) == 0  # 08:30 in Riga: today's is made
    assert send(at(TUESDAY + timedelta(days=1), 5, 10)) == 1
    first, second = smtp.to(riga.email)
    assert "Which city?" not in first.text and "Which city?" in second.text


def test_no_digest_after_the_morning_and_none_when_empty(smtp):
    new_york, idle, immediate = member("America/New_York"), member("Europe/Riga"), member("Europe/Riga")
    tell("reply", new_york)
    tell("mention", immediate)  # a mention goes at once, not in the digest
    services.save_settings(idle, {"reply": "app"})
    tell("reply", idle)  # only in the app
    backdate(EVENING)

    assert send(at(TUESDAY, 15, 30)) == 0  # 10:30 in New York: the morning is over
    assert send(at(TUESDAY, 12, 30)) == 1  # 07:30 in New York
    assert send(at(TUESDAY, 5, 30)) == 0  # Riga's morning: nothing daily for either Riga member
    assert [d.rcpt_tos for d in smtp.delivered] == [[new_york.email]]
    assert [mail.user_id for mail in outbox()] == [new_york.id]


def test_the_weekly_digest_comes_on_monday_mornings(smtp):
    weekly = member("Europe/Copenhagen")
    services.save_settings(weekly, {"reply": "weekly", "poll_result": "weekly"})
    tell("reply", weekly)
    tell("poll_result", weekly, thread="poll:3", title="Which city?")
    tell("poll_open", weekly, thread="poll:4", title="Which date?")  # still daily
    backdate(EVENING)

    assert send(at(TUESDAY, 6, 30)) == 1  # Tuesday: the daily one only
    [daily] = smtp.to(weekly.email)
    assert "Which date?" in daily.text and "Which city?" not in daily.text
    for day in range(1, 6):  # Wednesday to Sunday: nothing
        assert send(at(TUESDAY + timedelta(days=day), 6, 30)) == 0
    assert send(at(MONDAY, 6, 30)) == 1
    assert send(at(MONDAY, 8, 30)) == 0
    daily, week = smtp.to(weekly.email)
    assert str(week.message["Subject"]) == "Your week in PROTECT Workspace: 2 notices"
    assert "This is what happened in your week" in week.text
    assert "Which city?" in week.text and TITLE in week.text
    assert week.header("List-Unsubscribe") != daily.header("List-Unsubscribe")  # each stops its own digest


def test_a_digest_puts_the_period_in_one_message_grouped_by_area(smtp):
    reader = member("Europe/Copenhagen", role="moderator")
    threads = [  # in the order they happened: not the order of the areas
        ("poll:3", "Which city?"),
        ("agenda:5", "Riga workshop"),
        ("revision:1", "§2 Definitions"),
        ("action:4", "Send the draft"),
        ("programme:6", "Programme page: Vilnius"),
        ("comment:2", "§2 Definitions, comment"),
        ("revision:1", "§2 Definitions"),
        ("elsewhere:7", "Something new"),
    ]
    for thread, title in threads:
        tell("reply", reader, thread=thread, title=title, params={"name": "Jonas", "title": title})
    backdate(EVENING)
    assert send(at(TUESDAY, 6, 30)) == 1

    mail = smtp.one_to(reader.email)
    assert str(mail.message["Subject"]) == "Your day in PROTECT Workspace: 8 notices"
    headings = [line for line in mail.text.splitlines() if line.startswith("== ")]
    assert headings == [
        "== Guidelines ==",
        "== Votes ==",
        "== Decision log ==",
        "== Training agendas ==",
        "== Programme pages ==",
        "== Other notices ==",
    ]
    guidelines = mail.text.split("== Guidelines ==")[1].split("== Votes ==")[0]
    assert guidelines.count("Jonas mentioned you in “§2 Definitions”") == 2  # one thread, both notices
    assert "§2 Definitions, comment" in guidelines
    assert mail.html.count("<h2") == 6 and mail.html.index("Which city?") < mail.html.index("Send the draft")


def test_a_digest_is_in_the_members_language(smtp):
    russian = member("Europe/Riga", language="ru")
    tell("reply", russian)
    tell("reply", russian, thread="poll:3", title="Which city?")
    backdate(EVENING)
    send(at(TUESDAY, 5, 30))
    mail = smtp.one_to(russian.email)
    assert mail.header("Content-Language") == "ru"
    assert f"== {tr('ru', 'Guidelines')} ==" in mail.text and f"== {tr('ru', 'Votes')} ==" in mail.text
    assert tr("ru", "Votes") in mail.html and 'lang="ru"' in mail.html
    day = format_skeleton("yMMMd", EVENING.replace(tzinfo=UTC), tzinfo=ZoneInfo("Europe/Riga"), locale="ru")
    assert day.startswith("4 янв") and f"{day}, 22:00" in mail.text  # a Russian month's name, in Riga's time


def test_a_deactivated_member_gets_no_digest(smtp):
    leaving, staying = member("Europe/Riga"), member("Europe/Riga")
    tell("reply", leaving, staying)
    backdate(EVENING)
    db.session.execute(update(User).where(User.id == leaving.id).values(active=False))
    db.session.commit()
    assert send(at(TUESDAY, 5, 30)) == 1
    assert [d.rcpt_tos for d in smtp.delivered] == [[staying.email]]


def test_unsubscribing_from_the_daily_digest_leaves_its_kinds_in_the_app(smtp, client):
    reader = member("Europe/Riga")
    tell("reply", reader)
    backdate(EVENING)
    send(at(TUESDAY, 5, 30))
    link = smtp.one_to(reader.email).header("List-Unsubscribe").strip("<>")
    response = client.post(link[len(BASE_URL) :], data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200
    db.session.rollback()
    chosen = services.settings_of(reader.id)
    assert chosen["reply"] == chosen["poll_open"] == chosen["action_due"] == "app"  # every daily kind
    assert chosen["mention"] == chosen["assigned"] == "now"  # the immediate ones stay

    tell("reply", reader, thread="poll:3")
    backdate(EVENING + timedelta(days=1))
    assert send(at(TUESDAY + timedelta(days=1), 5, 30)) == 0
    assert tick()["composed"] == 0
    assert len(smtp.delivered) == 1


def test_send_digests_on_the_command_line(smtp, app):
    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 digests queued."
