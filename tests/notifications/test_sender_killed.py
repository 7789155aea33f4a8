"""``kill -9`` of the sender in the middle of a delivery: nothing is lost and nothing is sent twice.

The sender runs as the administrator runs it (``flask send-mail`` from cron, or ``flask mail-worker``), in a process
of its own against the suite's database file (SQLite, or PostgreSQL with PROTECT_TEST_BACKEND=postgresql), and
delivers to the test's SMTP server. The server accepts two mails and holds the third (at RCPT, or with its data
received and not yet answered); the sender is killed there with SIGKILL, so it can neither finish nor clean up.
Run again once its claim's lease (PROTECT_MAIL_CLAIM_SECONDS) has run out, a sender delivers the held mail and the
rest, each exactly once.

A mail the server had already accepted (its 250 sent) when the sender died would be sent again: no sender can
tell that from a mail it never delivered, which is why the server here holds the mail before answering.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protect.core.database import utcnow
from tests.conftest import TEST_CONFIG
from tests.factories import make_user
from tests.notifications.conftest import BASE_URL, SENDER
from tests.notifications.mailing import outbox, tell

ROOT = Path(__file__).resolve().parents[2]
CLAIM_SECONDS = 2
MAILS = 6


def _environment(database_url: str, port: int, instance: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PROTECT_")}
    env.update(
        {
            "PROTECT_DATABASE_URL": database_url,
            "PROTECT_INSTANCE_PATH": str(instance),
            "PROTECT_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
            "PROTECT_MAIL_SERVER": "127.0.0.1",
            "PROTECT_MAIL_PORT": str(port),
            "PROTECT_MAIL_USE_TLS": "0",
            "PROTECT_MAIL_SENDER": SENDER,
            "PROTECT_BASE_URL": BASE_URL,
            "PROTECT_MAIL_CLAIM_SECONDS": str(CLAIM_SECONDS),
        }
    )
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "protect", *args]


@pytest.mark.parametrize(
    ("command", "stage"),
    [
        (("send-mail",), "data"),
        (("mail-worker", "--interval", "1"), "rcpt"),
    ],
    ids=["send-mail-held-after-its-data", "mail-worker-held-at-rcpt"],
)
def test_a_sender_killed_mid_delivery_loses_nothing_and_doubles_nothing(smtp, database_url, tmp_path, command, stage):
    members = [make_user("expert") for _ in range(MAILS)]
    for number, member in enumerate(members):
        tell("mention", member, thread=f"poll:{number}", title=f"Poll {number}")
    env = _environment(database_url, smtp.port, tmp_path / "instance")
    smtp.stall(at=stage, after=2)

    log = tmp_path / "sender.log"
    with log.open("wb") as output:
        sender = subprocess.Popen(_flask(*command), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            smtp.wait_stalled(timeout=60)
        finally:
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait(timeout=30)
    assert sender.returncode == -signal.SIGKILL, log.read_text()

    mails = outbox()
    assert len(mails) == MAILS  # every mail was composed and kept
    assert sorted(mail.status for mail in mails) == ["queued"] * 3 + ["sending"] + ["sent"] * 2
    assert len(smtp.delivered) == 2
    [held] = [mail for mail in mails if mail.status == "sending"]
    assert held.attempts == 1

    while utcnow() <= held.claimed_until:  # the dead sender's lease runs out
        time.sleep(0.1)
    again = subprocess.run(_flask("send-mail"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 mails composed, 4 sent, 0 to retry, 0 failed." in again.stdout

    mails = outbox()
    assert [mail.status for mail in mails] == ["sent"] * MAILS
    assert next(mail for mail in mails if mail.id == held.id).attempts == 2
    for member in members:
        assert len(smtp.to(member.email)) == 1
    assert sorted(d.header("Message-ID") for d in smtp.delivered) == sorted(m.headers["Message-ID"] for m in mails)


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)


def test_the_worker_sends_round_after_round_and_stops_cleanly_on_sigterm(smtp, database_url, tmp_path):
    first, second = make_user("expert"), make_user("expert")
    tell("mention", first)
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            _flask("mail-worker", "--interval", "0.5"),
            cwd=ROOT,
            env=_environment(database_url, smtp.port, tmp_path / "instance"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(lambda: len(smtp.delivered) == 1)
            tell("mention", second)  # a later round finds it
            _wait_for(lambda: len(smtp.delivered) == 2)
        finally:
            os.kill(worker.pid, signal.SIGTERM)  # as systemctl stop does
            worker.wait(timeout=30)
    assert worker.returncode == 0, log.read_text()
    assert "mail-worker stopped." in log.read_text()
    assert [len(smtp.to(member.email)) for member in (first, second)] == [1, 1]
    assert [mail.status for mail in outbox()] == ["sent", "sent"]
