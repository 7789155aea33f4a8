"""A real SMTP server for the mail tests: aiosmtpd in this process, on 127.0.0.1 at a free port.

The ``smtp`` fixture starts it, points the app at it (MAIL_SERVER, MAIL_PORT, no TLS) and hands the test a
``MailServer`` that records each message it accepts, parsed with the email package, with its raw bytes. It can be
told to refuse the next messages (``refuse(451)``: a temporary refusal; ``refuse(550)``: a permanent one) or to
stall one in the middle of its delivery (``stall()``), as a server that hangs while a sender is killed.

A message counts as delivered only when the server answers 250 to its data: one refused or stalled (the
connection cut before the answer) is not recorded, as a real server would not deliver it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

SENDER = "PROTECT Workspace <workspace@protect.example>"
BASE_URL = "https://workspace.protect.example"


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes  # as the sender sent it: the headers before the email package decodes them
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def header(self, name: str) -> str:
        """A header's value as it stands in the raw message, unfolded (no decoding of RFC 2047 words)."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
        for line in unfolded.split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                return value.strip()
        raise KeyError(name)

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class MailServer:
    """aiosmtpd's handler: records what it accepts; refuses or stalls on demand (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delivered: list[Delivered] = []
        self.port = 0
        self._refusals: list[tuple[str, str]] = []  # (stage, reply) for the next messages, in order
        self._stall_at: str | None = None
        self._stall_after = 0
        self.stalled = threading.Event()  # set when a message is being held
        self._release = threading.Event()
        self.delay = 0.0  # seconds the server takes over each message's data (to make senders overlap)

    # What a test asks for ------------------------------------------------------------------------------------

    def refuse(self, code: int, count: int = 1, *, at: str = "data") -> None:
        """Refuse the next ``count`` messages with ``code`` (4xx: try later; 5xx: never), at RCPT or at the end of
        DATA."""
        text = "4.3.0 Try again later" if code < 500 else "5.1.1 Mailbox unavailable"
        with self.lock:
            self._refusals.extend([(at, f"{code} {text}")] * count)

    def stall(self, *, at: str = "data", after: int = 0) -> None:
        """Accept ``after`` messages, then hold the next one at RCPT or at the end of DATA (its data received,
        not yet answered) until ``release()`` or the sender hangs up; a held message is not delivered. Once."""
        with self.lock:
            self._stall_at, self._stall_after = at, after

    def release(self) -> None:
        with self.lock:
            self._stall_at = None
        self._release.set()

    def wait_stalled(self, timeout: float = 30) -> None:
        assert self.stalled.wait(timeout), "the server never held a message"

    def to(self, address: str) -> list[Delivered]:
        with self.lock:
            return [d for d in self.delivered if address in d.rcpt_tos]

    def one_to(self, address: str) -> Delivered:
        mails = self.to(address)
        assert len(mails) == 1, f"{len(mails)} mails to {address}: {[m.message['Subject'] for m in mails]}"
        return mails[0]

    # aiosmtpd's hooks ------------------------------------------------------------------------------------------

    def _refusal(self, stage: str) -> str | None:
        with self.lock:
            if self._refusals and self._refusals[0][0] == stage:
                return self._refusals.pop(0)[1]
        return None

    async def _maybe_stall(self, stage: str) -> bool:
        with self.lock:
            hold = self._stall_at == stage and len(self.delivered) >= self._stall_after
            if hold:
                self._stall_at = None  # one message is held; the next sender finds the server well again
        if not hold:
            return False
        self.stalled.set()
        deadline = time.monotonic() + 60
        while not self._release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # cancelled here when the sender hangs up (killed)
        return True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self._refusal("rcpt")
        if refusal:
            return refusal
        if await self._maybe_stall("rcpt"):
            return "451 4.3.0 Held, try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self._refusal("data")
        if refusal:
            return refusal
        if await self._maybe_stall("data"):
            return "451 4.3.0 Held, try again"
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app: Flask, monkeypatch) -> Iterator[MailServer]:
    """A real SMTP server on 127.0.0.1 for this test, and the app configured to send through it."""
    server = MailServer()
    for attempt in range(5):
        server.port = _free_port()
        controller = Controller(server, hostname="127.0.0.1", port=server.port, ready_timeout=10)
        try:
            controller.start()
            break
        except OSError:  # another process took the port between the probe and the start
            if attempt == 4:
                raise
    for name, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
        "MAIL_SENDER": SENDER,
        "MAIL_TIMEOUT": 10,
        "BASE_URL": BASE_URL,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    try:
        yield server
    finally:
        server.release()
        controller.stop()


@pytest.fixture
def no_smtp(app: Flask, monkeypatch) -> None:
    """No mail server set, as in ``make run``: the mail stays in the outbox."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
