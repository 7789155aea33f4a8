"""Notices: written with the change that causes them, read and settled by their member.

``notify()`` is the one way to tell members something. It runs in the caller's transaction and decides who
receives what in one query: active members only, of a role that may see that kind of notice, never the member
who made the change, never a member who muted the thread; each notice takes the delivery that member chose
for its kind (``kinds.KINDS`` gives the defaults).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from protect.auth.models import User
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.permissions import ROLES
from protect.extensions import db
from protect.notifications.kinds import KINDS
from protect.notifications.models import (
    DELIVERIES,
    TITLE_MAX,
    NoticeOnce,
    Notification,
    NotificationSetting,
    OutboxMail,
    Subscription,
)

PAGE_LIMIT = 200  # notices shown on the notifications page (the newest)


def dialect_insert(model: Any) -> Any:
    """INSERT with ON CONFLICT for the database in use (SQLite and PostgreSQL both have it)."""
    make = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return make(model)


def first_time(key: str) -> bool:
    """True the first time ``key`` is given, in this transaction and every later one: for notices due at a time
    (a poll closing), which several senders may look for at once. The inserted key is read back with RETURNING:
    psycopg reports no row count (-1) for an INSERT ... ON CONFLICT DO NOTHING, so a count would say "given
    already" every time on PostgreSQL."""
    statement = (
        dialect_insert(NoticeOnce)
        .values(key=key, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(NoticeOnce.key)
    )
    return db.session.execute(statement).first() is not None


def notify(
    kind: str,
    recipients: Iterable[int] | Select,
    *,
    thread: str,
    title: str,
    summary: str,
    params: dict[str, Any] | None = None,
    url: str,
    actor: Any = None,
    followers: bool = False,
) -> int:
    """Tell ``recipients`` (member ids, or a SELECT of them) about something, in the current transaction.
    ``summary``: an English message marked with N_, its placeholders filled by ``params`` when shown; ``thread``:
    "<type>:<id>" of what it is about, ``title`` its name; ``url``: the exact place (a path). ``followers``: the
    members who chose to follow the thread receive it too. Returns how many notices were written."""
    spec = KINDS[kind]
    actor_id = getattr(actor, "id", None)
    chosen = recipients if isinstance(recipients, Select) else sorted({int(r) for r in recipients})
    who = User.id.in_(chosen)
    if followers:
        followed = select(Subscription.user_id).where(Subscription.thread == thread, Subscription.state == "follow")
        who = or_(who, User.id.in_(followed))
    elif not isinstance(chosen, Select) and not chosen:
        return 0
    muted = (
        select(Subscription.user_id)
        .where(Subscription.user_id == User.id, Subscription.thread == thread, Subscription.state == "mute")
        .exists()
    )
    rows = db.session.execute(
        select(User.id, NotificationSetting.delivery)
        .outerjoin(NotificationSetting, and_(NotificationSetting.user_id == User.id, NotificationSetting.kind == kind))
        .where(
            who,
            User.active.is_(True),
            User.role.in_(ROLES[ROLES.index(spec.role) :]),
            User.id != actor_id if actor_id is not None else True,
            ~muted,
        )
    ).all()
    if not rows:
        return 0
    now = utcnow()
    values = []
    for user_id, delivery in rows:
        delivery = delivery or spec.default
        if spec.private and delivery in ("daily", "weekly"):  # a setting from before private kinds were kept apart
            delivery = "now"
        values.append(
            {
                "user_id": user_id,
                "kind": kind,
                "thread": thread,
                "thread_title": title[:TITLE_MAX],
                "summary": summary,
                "summary_params": params or None,
                "url": url,
                "actor_id": actor_id,
                "created_at": now,
                "read_at": None,
                "mail": None if delivery == "app" else delivery,
            }
        )
    db.session.execute(insert(Notification), values)
    return len(values)


# What a member reads ------------------------------------------------------------------------------------------


def unread_count(user_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


@dataclass
class Group:
    """The notices of one thread, newest first: "3 new on §4 Identification"."""

    thread: str
    title: str
    notices: list[Notification] = field(default_factory=list)
    muted: bool = False

    @property
    def unread(self) -> int:
        return sum(1 for notice in self.notices if notice.read_at is None)

    @property
    def newest(self) -> datetime:
        return self.notices[0].created_at


def groups(user_id: int) -> tuple[list[Group], list[Group]]:
    """The member's newest notices by thread: the threads with something unread, then the rest."""
    notices = db.session.execute(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_LIMIT)
    ).scalars()
    muted = set(
        db.session.execute(
            select(Subscription.thread).where(Subscription.user_id == user_id, Subscription.state == "mute")
        ).scalars()
    )
    by_thread: dict[str, Group] = {}
    for notice in notices:
        group = by_thread.get(notice.thread)
        if group is None:
            group = by_thread[notice.thread] = Group(notice.thread, notice.thread_title, muted=notice.thread in muted)
        group.notices.append(notice)
    unread = [group for group in by_thread.values() if group.unread]
    read = [group for group in by_thread.values() if not group.unread]
    return unread, read


def open_notice(user_id: int, notice_id: int) -> str:
    """Mark one of the member's notices read and return where it points. LookupError: not theirs."""
    url = db.session.execute(
        select(Notification.url).where(Notification.id == notice_id, Notification.user_id == user_id)
    ).scalar_one_or_none()
    if url is None:
        raise LookupError(notice_id)
    db.session.execute(
        update(Notification)
        .where(Notification.id == notice_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return url


def mark_read(user_id: int, thread: str | None = None) -> int:
    """Mark the member's unread notices read (of one thread, or all). Returns how many."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if thread is not None:
        statement = statement.where(Notification.thread == thread)
    count = db.session.execute(statement.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


# What a member chooses -----------------------------------------------------------------------------------------


def settings_of(user_id: int) -> dict[str, str]:
    """Every kind the member may receive, with the delivery in force (their choice, or the default)."""
    chosen = dict(
        db.session.execute(
            select(NotificationSetting.kind, NotificationSetting.delivery).where(NotificationSetting.user_id == user_id)
        ).all()
    )
    return {kind: chosen.get(kind, spec.default) for kind, spec in KINDS.items()}


def kinds_for(user: Any) -> list[str]:
    rank = ROLES.index(user.role) if user.role in ROLES else -1
    return [kind for kind, spec in KINDS.items() if ROLES.index(spec.role) <= rank]


def save_settings(user: Any, deliveries: dict[str, str]) -> None:
    """Keep the member's choice for each kind they may receive (a default is stored as no row)."""
    allowed = set(kinds_for(user))
    for kind, delivery in deliveries.items():
        if kind not in allowed or delivery not in deliveries_for(kind):
            raise RuleViolation(gettext("Choose one of the offered ways for each kind of notice."), field=kind)
    db.session.execute(delete(NotificationSetting).where(NotificationSetting.user_id == user.id))
    rows = [
        {"user_id": user.id, "kind": kind, "delivery": delivery}
        for kind, delivery in deliveries.items()
        if delivery != KINDS[kind].default
    ]
    if rows:
        db.session.execute(insert(NotificationSetting), rows)
    for kind, delivery in deliveries.items():  # what waits for a mail goes the new way too
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.kind == kind, Notification.outbox_id.is_(None))
            .where(Notification.mail.is_not(None))
            .values(mail=None if delivery == "app" else delivery)
        )
    db.session.commit()


def deliveries_for(kind: str) -> tuple[str, ...]:
    """The ways a kind may reach a member: a private one (only its member may know it) never goes in a digest,
    where it would come late and make the digest private too."""
    return ("now", "app") if KINDS[kind].private else DELIVERIES


def stop_mail(user_id: int, kind: str) -> None:
    """The one-click unsubscribe: those kinds (comma-separated: every kind the mail carried), or every kind in
    that digest, only in the app from now on."""
    if db.session.get(User, user_id) is None:
        raise LookupError(user_id)
    settings = settings_of(user_id)
    if kind in ("daily", "weekly"):
        chosen = [k for k, delivery in settings.items() if delivery == kind]
    elif kind and all(k in KINDS for k in kind.split(",")):
        chosen = kind.split(",")
    else:
        raise LookupError(kind)
    for k in chosen:
        statement = dialect_insert(NotificationSetting).values(user_id=user_id, kind=k, delivery="app")
        db.session.execute(
            statement.on_conflict_do_update(index_elements=["user_id", "kind"], set_={"delivery": "app"})
        )
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.outbox_id.is_(None), Notification.kind.in_(chosen))
        .values(mail=None)
    )
    db.session.commit()


def subscriptions(user_id: int) -> list[Subscription]:
    return list(
        db.session.execute(
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(Subscription.state, Subscription.thread_title)
        ).scalars()
    )


def subscription_state(user_id: int, thread: str) -> str | None:
    return db.session.execute(
        select(Subscription.state).where(Subscription.user_id == user_id, Subscription.thread == thread)
    ).scalar_one_or_none()


def set_subscription(user_id: int, thread: str, state: str | None, *, title: str = "", url: str = "") -> None:
    """Follow a thread, mute it, or (None) go back to what the workspace decides."""
    if state not in ("follow", "mute", None):
        raise RuleViolation(gettext("Choose to follow or to mute."), status=422)
    db.session.execute(delete(Subscription).where(Subscription.user_id == user_id, Subscription.thread == thread))
    if state is not None:
        db.session.add(
            Subscription(user_id=user_id, thread=thread, state=state, thread_title=title[:TITLE_MAX], url=url)
        )
    db.session.commit()


# The outbox, as moderators read it ---------------------------------------------------------------------------

OUTBOX_PAGE = 100
OUTBOX_STATES = ("queued", "sending", "sent", "failed")
# Not shown on a mail's page: the unsubscribe link works for whoever holds it (one click stops a member's mail).
OUTBOX_HIDDEN_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post"})


def outbox(state: str | None) -> list[OutboxMail]:
    """The newest mails (of one status), with their members (named on the page; their addresses are not)."""
    query = (
        select(OutboxMail)
        .options(joinedload(OutboxMail.user))
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        .limit(OUTBOX_PAGE)
    )
    if state is not None:
        query = query.where(OutboxMail.status == state)
    return list(db.session.execute(query).scalars())


def outbox_mail(mail_id: int) -> OutboxMail:
    """One mail as moderators may read it; LookupError for none, and for a private one (its member's alone)."""
    mail = db.session.execute(
        select(OutboxMail).options(joinedload(OutboxMail.user)).where(OutboxMail.id == mail_id)
    ).scalar_one_or_none()
    if mail is None or mail.private:
        raise LookupError(mail_id)
    return mail
