"""From notices to delivered mail: composing the outbox, sending it, and the morning digests.

- ``compose_immediate()``: the notices a member wants at once become one mail per thread, never more than one
  per thread in ``THREAD_PAUSE`` (what arrives meanwhile waits and goes out together in the next one).
- ``send_digests()``: at each member's local morning, everything of the day (Mondays: of the week) in one mail.
- ``deliver()``: sends the outbox through SMTP. A sender *claims* a mail (status "sending" with a lease) in a
  short transaction, sends it outside any transaction, then marks it sent. Two senders never claim the same mail
  (the claim is a compare-and-set; on PostgreSQL the candidates are read with ``SKIP LOCKED``). A sender killed
  mid-send leaves its claim, which another sender retries when the lease runs out; a refusal is retried with a
  growing pause, and given up after ``MAX_ATTEMPTS``.

Composing and the digests are serialised (SQLite's write lock; a transaction advisory lock on PostgreSQL), so
two senders running at once make each mail once. Mail is written in the recipient's language and time zone.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from protect.auth.models import User
from protect.core.database import is_sqlite, utcnow, writing
from protect.core.i18n import N_, babel_locale, language_code
from protect.core.registry import registry
from protect.core.urls import path_for
from protect.extensions import db
from protect.notifications.kinds import KINDS
from protect.notifications.models import SUBJECT_MAX, DigestRun, Notification, OutboxMail
from protect.notifications.services import dialect_insert

THREAD_PAUSE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF = (60, 300, 900, 1800, 3600, 7200, 14400)  # seconds before the 2nd, 3rd, ... attempt
DIGEST_HOUR = 7  # local time at which the digests are made
DIGEST_WINDOW = 3  # hours after it in which a late run still makes them (a missed cron run)
_COMPOSE_LOCK = 0x50524F54  # "PROT": PostgreSQL's advisory lock key for composing


def base_url() -> str:
    return (current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def _unsubscribe_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications.unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _unsubscribe_signer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(member id, kind) of an unsubscribe link; LookupError when it was not made here."""
    try:
        user_id, kind = _unsubscribe_signer().loads(token)
    except (BadSignature, ValueError, TypeError) as error:
        raise LookupError(token) from error
    if not isinstance(user_id, int) or not isinstance(kind, str):
        raise LookupError(token)
    return user_id, kind


def _serialised() -> None:
    """Called first in a composing transaction: one composer at a time (SQLite: the write lock already)."""
    if not is_sqlite():
        db.session.execute(select(func.pg_advisory_xact_lock(_COMPOSE_LOCK)))


def _domain() -> str:
    sender = current_app.config.get("MAIL_SENDER", "")
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Copenhagen")


def _language(user: User) -> str:
    return language_code(user.language) or "en"


def _queue(
    user: User,
    *,
    kind: str,
    thread: str | None,
    subject: str,
    text: str,
    html: str,
    headers: dict,
    private: bool,
    now: datetime,
    unsubscribe: str | None = None,
) -> int:
    """Put a finished mail in the outbox. ``unsubscribe``: the kinds its one-click link stops, comma-separated
    (``kind`` by default)."""
    unsubscribe_url = base_url() + path_for(
        "notifications.unsubscribe", token=unsubscribe_token(user.id, unsubscribe or kind)
    )
    headers = {
        "Message-ID": make_msgid("protect", _domain()),
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": _language(user),
        **headers,
    }
    return db.session.execute(
        insert(OutboxMail).returning(OutboxMail.id),
        {
            "user_id": user.id,
            "to_address": user.email,
            # One line: a title or a name with a line break in it would make the message impossible to build.
            "subject": " ".join(subject.split())[:SUBJECT_MAX],
            "body_text": text,
            "body_html": html,
            "headers": headers,
            "kind": kind,
            "thread": thread,
            "language": _language(user),
            "private": private,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,  # what the 10-minute pause per thread counts from
        },
    ).scalar_one()


# Mails that carry a link which opens an account (a password reset, an invitation): once sent or given up on,
# their text is emptied, so that the outbox keeps no working link (the link itself is stored only as a hash).
LINK_KINDS = frozenset({"account.reset", "account.invitation"})


def queue_account_mail(
    *,
    to_address: str,
    user_id: int | None,
    language: str,
    kind: str,
    subject: str,
    text: str,
    html: str,
    now: datetime | None = None,
) -> int:
    """Put a mail about an account in the outbox (a reset link, an invitation, a notice that the password or a
    second factor changed), in the current transaction. No unsubscribe link: a member cannot turn these off.
    Private: the outbox page shows neither its recipient nor its text. ``kind``: "account.<what>"."""
    now = now or utcnow()
    return db.session.execute(
        insert(OutboxMail).returning(OutboxMail.id),
        {
            "user_id": user_id,
            "to_address": to_address,
            "subject": " ".join(subject.split())[:SUBJECT_MAX],
            "body_text": text,
            "body_html": html,
            "headers": {
                "Message-ID": make_msgid("protect", _domain()),
                "Auto-Submitted": "auto-generated",
                "Content-Language": language,
            },
            "kind": kind,
            "thread": None,
            "language": language,
            "private": True,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    ).scalar_one()


def _render(user: User, template: str, **context: Any) -> tuple[str, str]:
    context.update(
        user=user, zone=_zone(user), base=base_url(), settings_url=base_url() + path_for("notifications.settings")
    )
    return (
        render_template(f"notifications/mail/{template}.txt", **context),
        render_template(f"notifications/mail/{template}.html", **context),
    )


# Immediate mail ------------------------------------------------------------------------------------------------


def compose_immediate(now: datetime | None = None) -> int:
    """One mail per member and thread for the notices they want at once; returns how many mails were queued."""
    now = now or utcnow()
    made = 0
    with writing():
        _serialised()
        _settle_deactivated()
        waiting = db.session.execute(
            select(Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.mail == "now", Notification.outbox_id.is_(None), User.active.is_(True))
            .order_by(Notification.created_at, Notification.id)
        ).scalars()
        # A private notice (only its member may know it) goes in a mail of its own: folded with others, it would
        # hide them from the outbox page too, and the hiding would tell.
        by_thread: dict[tuple[int, str, bool], list[Notification]] = defaultdict(list)
        for notice in waiting:
            by_thread[(notice.user_id, notice.thread, _private([notice]))].append(notice)
        if by_thread:
            recent = set(
                db.session.execute(
                    select(OutboxMail.user_id, OutboxMail.thread).where(
                        OutboxMail.created_at > now - THREAD_PAUSE, OutboxMail.thread.is_not(None)
                    )
                ).all()
            )
            users = {
                u.id: u
                for u in db.session.execute(select(User).where(User.id.in_({k[0] for k in by_thread}))).scalars()
            }
            for (user_id, thread, _), notices in by_thread.items():
                if (user_id, thread) in recent:
                    continue  # a mail of this thread went out less than 10 minutes ago: these wait, together
                outbox_id = _thread_mail(users[user_id], thread, notices, now)
                db.session.execute(
                    update(Notification).where(Notification.id.in_([n.id for n in notices])).values(outbox_id=outbox_id)
                )
                made += 1
        db.session.commit()
    return made


def _settle_deactivated() -> None:
    """A deactivated member gets nothing, and nothing waits for them: reactivated, they would get months of stale
    mail. Their notices stay in the app; their waiting mails are marked not sent."""
    inactive = select(User.id).where(User.active.is_(False))
    db.session.execute(
        update(Notification)
        .where(Notification.outbox_id.is_(None), Notification.mail.is_not(None), Notification.user_id.in_(inactive))
        .values(mail=None)
    )
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.status == "queued", OutboxMail.user_id.in_(inactive))
        .values(status="failed", last_error="member deactivated")
    )


def _thread_mail(user: User, thread: str, notices: list[Notification], now: datetime) -> int:
    title = notices[-1].thread_title
    root = f"<{thread.replace(':', '-')}.{user.id}@{_domain()}>"  # one per member and thread: clients group on it
    with force_locale(babel_locale(_language(user))):
        if len(notices) == 1:
            subject = notices[0].text
        else:
            subject = ngettext(
                "%(num)d new notice: %(title)s", "%(num)d new notices: %(title)s", len(notices), title=title
            )
        text, html = _render(user, "thread", notices=notices, title=title)
    return _queue(
        user,
        kind=notices[-1].kind,
        unsubscribe=",".join(sorted({n.kind for n in notices})),  # every kind the mail carries
        thread=thread,
        subject=subject,
        text=text,
        html=html,
        headers={"In-Reply-To": root, "References": root},
        private=_private(notices),
        now=now,
    )


# Digests ---------------------------------------------------------------------------------------------------------


def send_digests(now: datetime | None = None) -> int:
    """Make the digests of every member whose local morning it is and who has none for today yet (the weekly
    one on Mondays); a period with nothing in it sends nothing. Returns how many mails were queued."""
    now = now or utcnow()
    made = 0
    with writing():
        _serialised()
        members = (
            db.session.execute(
                select(User)
                .where(
                    User.active.is_(True),
                    User.id.in_(
                        select(Notification.user_id).where(
                            Notification.mail.in_(("daily", "weekly")), Notification.outbox_id.is_(None)
                        )
                    ),
                )
                .order_by(User.id)
            )
            .scalars()
            .all()
        )
        for user in members:
            local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(_zone(user))
            if not DIGEST_HOUR <= local.hour < DIGEST_HOUR + DIGEST_WINDOW:
                continue
            periods = ["daily"] + (["weekly"] if local.weekday() == 0 else [])
            for period in periods:
                run = dialect_insert(DigestRun).values(user_id=user.id, period=period, local_date=local.date())
                # RETURNING, not rowcount: psycopg's cursor is closed after an INSERT and its rowcount lost (-1).
                if db.session.execute(run.on_conflict_do_nothing().returning(DigestRun.user_id)).first() is None:
                    continue  # this morning's digest is made already
                notices = (
                    db.session.execute(
                        select(Notification)
                        .where(
                            Notification.user_id == user.id,
                            Notification.mail == period,
                            Notification.outbox_id.is_(None),
                            Notification.created_at <= now,
                        )
                        .order_by(Notification.created_at, Notification.id)
                    )
                    .scalars()
                    .all()
                )
                if not notices:
                    continue
                outbox_id = _digest_mail(user, period, notices, now)
                ids = [n.id for n in notices]
                db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(outbox_id=outbox_id))
                db.session.execute(
                    update(DigestRun)
                    .where(
                        DigestRun.user_id == user.id, DigestRun.period == period, DigestRun.local_date == local.date()
                    )
                    .values(outbox_id=outbox_id)
                )
                made += 1
        db.session.commit()
    return made


# The areas a digest groups its notices under, in this order.
AREAS = (
    ("revision", "guidelines"),
    ("comment", "guidelines"),
    ("poll", "polls"),
    ("decision", "decisions"),
    ("action", "decisions"),
    ("meeting", "decisions"),
    ("agenda", "agendas"),
    ("programme", "programme"),
)
_AREA_OF = dict(AREAS)
AREA_TITLES = {  # N_ messages, translated in the mail's template
    "guidelines": N_("Guidelines"),
    "polls": N_("Votes"),
    "decisions": N_("Decision log"),
    "agendas": N_("Training agendas"),
    "programme": N_("Programme pages"),
    "other": N_("Other notices"),
}


def _digest_mail(user: User, period: str, notices: list[Notification], now: datetime) -> int:
    areas: dict[str, dict[str, list[Notification]]] = {}
    for notice in notices:
        area_name = _AREA_OF.get(notice.thread.split(":", 1)[0], "other")
        areas.setdefault(area_name, {}).setdefault(notice.thread, []).append(notice)
    ordered = [(name, areas[name]) for name in (*dict.fromkeys(_AREA_OF.values()), "other") if name in areas]
    with force_locale(babel_locale(_language(user))):
        if period == "weekly":
            subject = ngettext(
                "Your week in PROTECT Workspace: %(num)d notice",
                "Your week in PROTECT Workspace: %(num)d notices",
                len(notices),
            )
        else:
            subject = ngettext(
                "Your day in PROTECT Workspace: %(num)d notice",
                "Your day in PROTECT Workspace: %(num)d notices",
                len(notices),
            )
        text, html = _render(user, "digest", areas=ordered, area_titles=AREA_TITLES, period=period, count=len(notices))
    return _queue(
        user,
        kind=period,
        thread=None,
        subject=subject,
        text=text,
        html=html,
        headers={},
        private=_private(notices),
        now=now,
    )


def _private(notices: list[Notification]) -> bool:
    return any(KINDS[n.kind].private for n in notices if n.kind in KINDS)


# Delivery --------------------------------------------------------------------------------------------------------


def _claim(now: datetime, lease: timedelta) -> OutboxMail | None:
    """Take one mail that is due (or whose sender's lease ran out) for this sender; None when none is left.

    The mail comes back detached from the session, loaded as claimed: sending it and marking it open no read
    transaction in between (on SQLite, a write in a transaction that began with a read fails at once when
    another sender has written since, and the mail, delivered, would be sent again after its lease)."""
    due = or_(
        (OutboxMail.status == "queued") & (OutboxMail.next_attempt_at <= now),
        (OutboxMail.status == "sending") & (OutboxMail.claimed_until < now),
    )
    with writing():
        candidates = (
            select(OutboxMail.id)
            .join(User, User.id == OutboxMail.user_id, isouter=True)
            .where(due, or_(OutboxMail.user_id.is_(None), User.active.is_(True)))
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(5)
        )
        if not is_sqlite():
            candidates = candidates.with_for_update(skip_locked=True, of=OutboxMail)
        for mail_id in db.session.execute(candidates).scalars().all():
            taken = db.session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id, due)
                .values(status="sending", claimed_until=now + lease, attempts=OutboxMail.attempts + 1)
            ).rowcount
            if taken:
                mail = db.session.get(OutboxMail, mail_id, populate_existing=True)
                db.session.expunge(mail)
                db.session.commit()
                return mail
        db.session.commit()
    return None


class _OneLine(str):
    """A header value written as it is, on one line (RFC 5322 allows 998 characters). The email package folds a
    value longer than 78 characters, and one it cannot break (a long link) it encodes as RFC 2047 words, which a
    ``List-Unsubscribe`` header may not hold: mail clients would find no link to offer."""

    name: str

    def __new__(cls, name: str, value: str) -> _OneLine:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_ONE_LINE_HEADERS = {"List-Unsubscribe"}


def as_message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    # After the parts: setting the content drops every Content-* header set before (Content-Language with them).
    for name, value in mail.headers.items():
        message[name] = _OneLine(name, value) if name in _ONE_LINE_HEADERS else value
    return message


def _finish(mail: OutboxMail, **values: Any) -> None:
    """Mark how the claimed ``mail`` went. Sent is sent, whoever holds it now; a retry or a failure counts only
    while this sender still holds the claim (after its lease ran out another sender may have taken the mail and
    sent it, and that must not be undone into "queued", to be sent once more)."""
    statement = update(OutboxMail).where(OutboxMail.id == mail.id)
    if mail.kind in LINK_KINDS and values.get("status") in ("sent", "failed"):
        values = {**values, "body_text": "", "body_html": ""}
    if values.get("status") != "sent":
        statement = statement.where(OutboxMail.status == "sending", OutboxMail.claimed_until == mail.claimed_until)
    with writing():
        db.session.execute(statement.values(**values))
        db.session.commit()


def _mark_sent(mail: OutboxMail, tries: int = 5) -> None:
    """The server has the mail: mark it sent, trying again if the database is briefly unavailable (the mark is
    the same whoever writes it; left as "sending", the mail would be sent again when its lease runs out)."""
    for attempt in range(tries):
        try:
            _finish(mail, status="sent", sent_at=utcnow(), claimed_until=None, last_error=None)
            return
        except DBAPIError:
            db.session.rollback()
            if attempt == tries - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def deliver(limit: int = 500, now: datetime | None = None) -> dict[str, int]:
    """Send what is due, up to ``limit`` mails; returns counts by outcome. ``now``: the time that decides what is
    due (tests pass one; by default the clock at each claim). Nothing happens without SMTP settings: the mail
    waits in the outbox (which moderators can read)."""
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not config.get("MAIL_SERVER"):
        return counts
    lease = timedelta(seconds=config.get("MAIL_CLAIM_SECONDS", 300))
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            moment = now or utcnow()
            mail = _claim(moment, lease)
            if mail is None:
                break
            try:
                message = as_message(mail)
            except (ValueError, TypeError) as error:  # it can never be sent: retrying would only hold up the rest
                counts["failed"] += 1
                _retry_or_fail(mail, error, True, moment)
                continue
            if smtp is None:
                try:
                    smtp = _connect()
                except (OSError, smtplib.SMTPException) as error:
                    counts["retry"] += 1
                    _server_away(mail, error)
                    break  # the rest wait too
            try:
                smtp.send_message(message)
            except smtplib.SMTPSenderRefused as error:  # the server refuses this sender (login, From): every mail
                _close(smtp)
                smtp = None
                counts["retry"] += 1
                _server_away(mail, error)
                break
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                _close(smtp)
                smtp = None
                permanent = _code(error) >= 500
                counts["failed" if permanent or mail.attempts >= MAX_ATTEMPTS else "retry"] += 1
                _retry_or_fail(mail, error, permanent, moment)
            except (OSError, smtplib.SMTPException) as error:
                _close(smtp)
                smtp = None
                counts["failed" if mail.attempts >= MAX_ATTEMPTS else "retry"] += 1
                _retry_or_fail(mail, error, False, moment)
                break  # the connection broke mid-send: try the rest later
            else:
                _mark_sent(mail)
                counts["sent"] += 1
    finally:
        _close(smtp)
    return counts


def _code(error: Exception) -> int:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return min((code for code, _ in error.recipients.values()), default=0)
    return getattr(error, "smtp_code", 0)


def _retry_or_fail(mail: OutboxMail, error: Exception, permanent: bool, now: datetime) -> None:
    message = f"{type(error).__name__}: {error}"[:300]
    current_app.logger.warning(
        "Mail %s to member %s not sent (attempt %s): %s", mail.id, mail.user_id, mail.attempts, message
    )
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        _finish(mail, status="failed", claimed_until=None, last_error=message)
        return
    pause = BACKOFF[min(mail.attempts, len(BACKOFF)) - 1]
    _finish(
        mail,
        status="queued",
        claimed_until=None,
        last_error=message,
        next_attempt_at=now + timedelta(seconds=pause),
    )


def _server_away(mail: OutboxMail, error: Exception) -> None:
    """No connection (the server is away, or refuses this sender's login): not this mail's fault, so the attempt
    does not count against it; it waits, with every other, for the next run. A night's outage fails no mail."""
    message = f"{type(error).__name__}: {error}"[:300]
    current_app.logger.warning("Mail server %s not reached: %s", current_app.config["MAIL_SERVER"], message)
    _finish(mail, status="queued", claimed_until=None, last_error=message, attempts=mail.attempts - 1)


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 30))
    if config.get("MAIL_USE_TLS"):
        smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


# The whole round -------------------------------------------------------------------------------------------------


def run_reminders(now: datetime | None = None) -> int:
    """The notices due at a time (a poll closing tomorrow, an action due): each feature's reminder."""
    now = now or utcnow()
    given = 0
    for reminder in registry().reminders:
        with writing():
            given += reminder.run(now) or 0
            db.session.commit()
    return given


def tick(now: datetime | None = None) -> dict[str, int]:
    """What ``flask send-mail`` does once: reminders, immediate mails, then the outbox."""
    reminders = run_reminders(now)
    composed = compose_immediate(now)
    counts = deliver(now=now)
    return {"reminders": reminders, "composed": composed, **counts}


def worker(interval: float = 30.0, stop: threading.Event | None = None) -> None:
    """``flask mail-worker``: ``tick()`` every ``interval`` seconds and the digests every hour, until ``stop`` is
    set (a round in progress finishes first)."""
    stop = stop or threading.Event()
    next_digest = 0.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            tick()
            if started >= next_digest:
                send_digests()
                next_digest = started + 3600
        except Exception:  # a worker reports and carries on: the next round retries
            db.session.rollback()
            current_app.logger.exception("mail-worker: this round failed; the next one retries")
        finally:
            db.session.remove()
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
