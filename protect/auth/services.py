"""Sign-in, invitations, password resets, profiles and role administration: the rules, without HTTP."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import NamedTuple

from flask import current_app, has_request_context, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from protect.auth import security
from protect.auth.models import (
    Invitation,
    PasswordReset,
    User,
    UserSession,
    describe_browser,
    hash_token,
    new_session_token,
)
from protect.core import audit, changes
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.lru import app_cache
from protect.core.mail import mail_configured
from protect.core.permissions import ROLES
from protect.core.urls import path_for
from protect.extensions import db

COMMON_PASSWORDS = frozenset(
    {"password", "password1", "password123", "1234567890", "qwertyuiop", "letmein123", "welcome123", "protect123"}
)


# The audit summaries of an invitation and of a change of role: one whole message for each role.
INVITED_AS = {
    "expert": N_("invited %(email)s as expert"),
    "moderator": N_("invited %(email)s as moderator"),
    "admin": N_("invited %(email)s as administrator"),
}
MADE_ROLE = {
    "expert": N_("made %(name)s expert"),
    "moderator": N_("made %(name)s moderator"),
    "admin": N_("made %(name)s administrator"),
}


class LinkUnavailable(RuleViolation):
    """An invitation or reset link that is unknown (404), or used, revoked or expired (410)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problems(password: str, email: str = "") -> list[str]:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", minimum))
    if len(password) > 200:
        problems.append(gettext("Use at most %(num)d characters.", num=200))
    if password.lower() in COMMON_PASSWORDS or (email and password.lower() == email.lower()):
        problems.append(gettext("This password is too easy to guess."))
    return problems


class Member(NamedTuple):
    id: int
    display_name: str


def active_members() -> tuple[Member, ...]:
    """The active members (id and name, by name): whom to choose as responsible, owner or attendee. The same
    tuple until the members change (their area's change token, read at the start of the request, before
    them): a list of thousands is not read again for every form shown, and its options are written once."""
    token = changes.current().get(changes.area_of(User.__table__))
    if token is None:
        return _read_active_members()
    return app_cache("auth.members", 2).get_or_compute(token, _read_active_members)


def _read_active_members() -> tuple[Member, ...]:
    rows = db.session.execute(
        select(User.id, User.display_name).where(User.active.is_(True)).order_by(User.display_name, User.id)
    )
    return tuple(Member(member_id, name) for member_id, name in rows)


_dummy_hash: str | None = None


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None. Takes as long for an unknown email as for a wrong password."""
    global _dummy_hash
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None:
        if _dummy_hash is None:
            _dummy_hash = generate_password_hash(secrets.token_hex(8), current_app.config["PASSWORD_HASH_METHOD"])
        check_password_hash(_dummy_hash, password)
        return None
    return user if user.check_password(password) else None


SIGNED_IN_WITH = {
    "password": N_("signed in"),
    "totp": N_("signed in with a password and an authenticator code"),
    "recovery": N_("signed in with a password and a recovery code"),
    "passkey": N_("signed in with a passkey"),
    "password+passkey": N_("signed in with a password and a passkey"),
}


def record_login(user: User, ip_address: str = "", user_agent: str = "", method: str = "password") -> str:
    """Sign ``user`` in: a new session (a new random token, so a token planted before the sign-in is worth
    nothing) and the audit record; a browser the member never signed in with before is noted on their security
    page. Returns the session's plain token for the cookie."""
    user.last_login_at = utcnow()
    agent = (user_agent or "")[:300]
    known = db.session.execute(
        select(UserSession.id).where(UserSession.user_id == user.id, UserSession.user_agent == agent).limit(1)
    ).first()
    token = start_session(user, ip_address, user_agent)
    audit.record(user, "user.signed_in", user, summary=SIGNED_IN_WITH[method], audience="admin")
    if known is None:
        audit.record(
            user,
            "user.signed_in_new_browser",
            user,
            summary=N_("signed in from a new browser (%(browser)s)"),
            params={"browser": describe_browser(agent)},
            details={"ip_address": (ip_address or "")[:45]},
            audience="admin",
        )
    db.session.commit()
    return token


# Sessions ---------------------------------------------------------------------------------------------------


def start_session(user: User, ip_address: str = "", user_agent: str = "") -> str:
    """A new session for ``user`` in the current transaction (the caller commits). Only the token's hash is
    stored; the plain token goes into the cookie (``user.get_id()`` gives it from now on)."""
    token = new_session_token()
    now = utcnow()
    row = UserSession(
        token_hash=hash_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        ip_address=(ip_address or "")[:45],
        user_agent=(user_agent or "")[:300],
        authenticated_at=now,
    )
    db.session.add(row)
    db.session.flush()
    user.session_token, user.session_id = token, row.id
    return token


def session_limits(now=None) -> tuple:
    """The oldest last-seen and the oldest start a live session may have now (idle and absolute timeouts)."""
    now = now or utcnow()
    config = current_app.config
    return now - timedelta(days=config["SESSION_IDLE_DAYS"]), now - timedelta(days=config["SESSION_MAX_DAYS"])


def is_live(row: UserSession, now=None) -> bool:
    idle_since, started_since = session_limits(now)
    return row.ended_at is None and row.last_seen_at > idle_since and row.created_at > started_since


def active_sessions(user: User) -> list[UserSession]:
    """The member's live sessions, the most recently seen first."""
    idle_since, started_since = session_limits()
    return list(
        db.session.execute(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at > idle_since,
                UserSession.created_at > started_since,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        ).scalars()
    )


def end_session(user: User, session_id: int, reason: str = "ended") -> UserSession:
    """End one of ``user``'s own live sessions. Another member's session, or one already ended, is "not
    found" (404): ids of other members' sessions tell nothing."""
    row = db.session.execute(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    ).scalar_one_or_none()
    if row is None or not is_live(row):
        raise RuleViolation(gettext("There is no such session: it may have ended already."), status=404)
    row.ended_at, row.ended_reason = utcnow(), reason
    if reason == "ended":
        audit.record(
            user,
            "user.session_ended",
            user,
            summary=N_("ended one of their sessions"),
            details={"browser": row.browser, "ip_address": row.ip_address},
            audience="admin",
        )
    db.session.commit()
    return row


def end_current_session(user: User, reason: str = "signed_out") -> None:
    """Sign-out: this session ends on the server, so a copy of its cookie opens nothing afterwards."""
    if user.session_id is None:
        return
    db.session.commit()  # end a read begun earlier in the request: this write takes SQLite's lock at its start
    with writing():
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == user.session_id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )
        db.session.commit()


def end_all_sessions(user: User, reason: str, *, keep_id: int | None = None) -> int:
    """End every live session of ``user`` (but ``keep_id``), in the current transaction. Returns how many."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    if keep_id is not None:
        statement = statement.where(UserSession.id != keep_id)
    return db.session.execute(statement).rowcount


def purge_sessions(*, keep_days: int = 30, dry_run: bool = False) -> int:
    """Delete the rows of sessions that ended, or timed out, more than ``keep_days`` ago (the profile and the
    audit log never show them). Returns how many."""
    now = utcnow()
    idle_since, started_since = session_limits(now)
    cutoff = timedelta(days=keep_days)
    condition = (
        (UserSession.ended_at < now - cutoff)
        | (UserSession.last_seen_at < idle_since - cutoff)
        | (UserSession.created_at < started_since - cutoff)
    )
    if dry_run:
        return db.session.execute(select(func.count()).select_from(UserSession).where(condition)).scalar_one()
    with writing():
        count = db.session.execute(delete(UserSession).where(condition)).rowcount
        db.session.commit()
    return count


def create_user(
    email: str,
    display_name: str,
    password: str,
    role: str = "expert",
    country: str = "XX",
    sector: str = "other",
    organisation: str = "",
    time_zone: str = "Europe/Copenhagen",
) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise RuleViolation(gettext("Unknown role “%(role)s”.", role=role), field="role", status=422)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise RuleViolation(gettext("An account with this email address exists already."), field="email", status=409)
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=role,
        country=country,
        sector=sector,
        organisation=organisation.strip(),
        time_zone=time_zone,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def external_url(endpoint: str, **values: str) -> str:
    """A link for a mail or to copy: on PROTECT_BASE_URL, else on the address the request came in on."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + path_for(endpoint, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return "http://127.0.0.1:5000" + path_for(endpoint, **values)  # the command line without a BASE_URL


# Invitations ------------------------------------------------------------------------------------------------


def create_invitation(
    actor: User,
    email: str,
    role: str,
    country: str,
    sector: str,
    *,
    name: str = "",
    message: str = "",
    language: str = "en",
) -> tuple[Invitation, str]:
    """A single-use invitation, and its mail in the outbox (in ``language``, with the administrator's ``message``)
    when a mail server is set; returns it with the plain token (only its hash is stored)."""
    email = normalise_email(email)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise RuleViolation(gettext("This person already has an account."), field="email", status=409)
    now = utcnow()
    # A new invitation replaces any pending one for the same address: only the newest link works.
    db.session.execute(
        update(Invitation)
        .where(Invitation.email == email, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hash_token(token),
        email=email,
        role=role,
        country=country,
        sector=sector,
        name=name.strip(),
        message=message.strip(),
        language=security.mail_language(language),
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    audit.record(
        actor,
        "invitation.created",
        invitation,
        summary=INVITED_AS[role],
        params={"email": email},
        details={"email": email, "role": role, "country": country, "sector": sector, "name": invitation.name},
        audience="admin",
    )
    _mail_invitation(actor, invitation, token)
    db.session.commit()
    return invitation, token


def _mail_invitation(actor: User, invitation: Invitation, token: str) -> None:
    if not mail_configured():
        return
    invitation.sent_at = utcnow()  # queued now; the outbox sends it within the minute
    security.queue_mail(
        "invitation",
        to_address=invitation.email,
        user_id=None,
        language=invitation.language,
        invitation=invitation,
        inviter=actor.display_name,
        link=external_url("auth.accept_invitation", token=token),
        days=current_app.config["INVITATION_DAYS"],
    )


def resend_invitation(actor: User, invitation: Invitation) -> str:
    """A new link for a pending (or expired, never used) invitation, mailed again; the old link stops working
    at once (its hash is replaced). Returns the new plain token."""
    if invitation.used_at or invitation.revoked_at:
        raise RuleViolation(gettext("Only a pending invitation can be sent again."), status=409)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(
            token_hash=hash_token(token),
            expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
            opened_at=None,
        )
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise RuleViolation(gettext("Only a pending invitation can be sent again."), status=409)
    db.session.refresh(invitation)
    audit.record(
        actor,
        "invitation.resent",
        invitation,
        summary=N_("sent the invitation of %(email)s again"),
        params={"email": invitation.email},
        audience="admin",
    )
    _mail_invitation(actor, invitation, token)
    db.session.commit()
    return token


def mark_invitation_opened(invitation: Invitation) -> None:
    """The invited person opened the link (the People page says so). Once; in its own short write."""
    if invitation.opened_at is not None:
        return
    db.session.commit()
    with writing():
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.opened_at.is_(None))
            .values(opened_at=utcnow())
        )
        db.session.commit()


def invitation_for(token: str) -> Invitation:
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if invitation is None:
        raise LinkUnavailable(
            gettext("This invitation link is not valid. Check that you copied all of it."), status=404
        )
    state = invitation.state
    if state != "pending":
        messages = {
            "used": N_("This invitation has been used already. If it was you, sign in."),
            "revoked": N_("This invitation was withdrawn. Ask an administrator for a new one."),
            "expired": N_("This invitation has expired. Ask an administrator for a new one."),
        }
        raise LinkUnavailable(gettext(messages[state]), status=410)
    return invitation


def accept_invitation(
    token: str,
    display_name: str,
    password: str,
    time_zone: str,
    organisation: str = "",
    client: tuple[str, str] = ("", ""),
) -> User:
    """The new member, signed in: a session is begun for ``client`` (address, browser) in the same commit."""
    invitation = invitation_for(token)
    problems = password_problems(password, invitation.email)
    if problems:
        raise RuleViolation(" ".join(problems), field="password", status=422)
    now = utcnow()
    # Compare-and-set: of two simultaneous uses of one link, exactly one marks it used; and only while this link
    # is still the invitation's (a resend in between replaced its hash) and neither withdrawn nor expired.
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.token_hash == hash_token(token),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise LinkUnavailable(gettext("This invitation has been used already. If it was you, sign in."), status=410)
    user = create_user(
        invitation.email,
        display_name,
        password,
        role=invitation.role,
        country=invitation.country,
        sector=invitation.sector,
        organisation=organisation,
        time_zone=time_zone,
    )
    invitation.used_by_id = user.id
    start_session(user, *client)
    audit.record(user, "user.joined", user, summary=N_("joined the workspace"))
    db.session.commit()
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if invitation.state != "pending":
        raise RuleViolation(gettext("Only a pending invitation can be withdrawn."))
    # Compare-and-set: an invitation accepted (or withdrawn) since it was read stays as it is.
    withdrawn = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    if withdrawn != 1:
        db.session.rollback()
        raise RuleViolation(gettext("Only a pending invitation can be withdrawn."))
    db.session.refresh(invitation)
    audit.record(
        actor,
        "invitation.revoked",
        invitation,
        summary=N_("withdrew the invitation of %(email)s"),
        params={"email": invitation.email},
        audience="admin",
    )
    db.session.commit()


# Password resets --------------------------------------------------------------------------------------------


def _new_reset(user: User, actor: User | None, lifetime: timedelta) -> str:
    now = utcnow()
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            token_hash=hash_token(token),
            user_id=user.id,
            created_by_id=actor.id if actor else None,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def create_password_reset(actor: User, user: User) -> str:
    """A reset link an administrator makes for ``user`` (shown to them; mailed too when mail is set up). A mailed
    link lasts FORGOT_PASSWORD_MINUTES, as one the member asks for (a mailbox is read later, by others too); one
    only shown, for the administrator to hand over, PASSWORD_RESET_HOURS."""
    if mail_configured():
        minutes = current_app.config["FORGOT_PASSWORD_MINUTES"]
    else:
        minutes = current_app.config["PASSWORD_RESET_HOURS"] * 60
    token = _new_reset(user, actor, timedelta(minutes=minutes))
    audit.record(
        actor,
        "user.reset_link",
        user,
        summary=N_("made a password reset link for %(name)s"),
        params={"name": user.display_name},
        audience="admin",
    )
    _mail_reset(user, token, minutes, by_admin=True)
    db.session.commit()
    return token


def _mail_reset(user: User, token: str, minutes: int, *, by_admin: bool) -> None:
    security.queue_mail(
        "reset",
        to_address=user.email,
        user_id=user.id,
        language=security.mail_language(user.language),
        user=user,
        link=external_url("auth.reset_password", token=token),
        by_admin=by_admin,
        minutes=minutes,
    )


def request_password_reset(email: str, ip_address: str = "") -> None:
    """ "Forgot your password?": a reset link by e-mail to an active member with this address. Nothing tells the
    visitor whether the address is known (the page is the same; an unknown one gets nothing)."""
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None or not user.active:
        return
    minutes = current_app.config["FORGOT_PASSWORD_MINUTES"]
    token = _new_reset(user, None, timedelta(minutes=minutes))
    audit.record(
        user,
        "user.reset_requested",
        user,
        summary=N_("asked for a password reset link by e-mail"),
        details={"ip_address": (ip_address or "")[:45]},
        audience="admin",
    )
    _mail_reset(user, token, minutes, by_admin=False)
    db.session.commit()


def reset_for(token: str) -> PasswordReset:
    reset = db.session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if reset is None:
        raise LinkUnavailable(
            gettext("This password reset link is not valid. Check that you copied all of it."), status=404
        )
    if reset.used_at or reset.expires_at <= utcnow() or not reset.user.active:
        raise LinkUnavailable(
            gettext(
                "This password reset link has expired or been used. Ask for a new one on the sign-in page "
                "(“Forgot your password?”)."
            ),
            status=410,
        )
    return reset


def use_password_reset(token: str, password: str, client: tuple[str, str] = ("", "")) -> tuple[User, bool]:
    """Every session of the member ends; a new one is begun for ``client`` (address, browser) unless the member
    has a second factor: the link stands for the password only, so they then give the second factor at
    ``/login/verify`` (the view puts them in the pending state) before any session begins. Returns (the member,
    whether a session was begun)."""
    reset = reset_for(token)
    problems = password_problems(password, reset.user.email)
    if problems:
        raise RuleViolation(" ".join(problems), field="password", status=422)
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise LinkUnavailable(gettext("This password reset link has been used already."), status=410)
    user = reset.user
    user.set_password(password)
    end_all_sessions(user, "password_reset")
    signed_in = not user.second_factor
    if signed_in:
        start_session(user, *client)
    audit.record(
        user, "user.password_reset", user, summary=N_("set a new password with a reset link"), audience="admin"
    )
    security.send_notice(user, "password_reset")
    db.session.commit()
    return user, signed_in


# Profile ----------------------------------------------------------------------------------------------------


def update_profile(user: User, **fields: str) -> None:
    changed = {}
    for name in ("display_name", "country", "sector", "organisation", "time_zone", "language"):
        if name in fields and fields[name] is not None:
            value = fields[name].strip() or None if name == "language" else fields[name].strip()
            if getattr(user, name) != value:
                changed[name] = [getattr(user, name), value]
                setattr(user, name, value)
    if changed:
        audit.record(
            user, "user.profile_updated", user, summary=N_("updated their profile"), details=changed, audience="admin"
        )
    db.session.commit()


def change_password(user: User, current: str, new: str, ip_address: str = "", user_agent: str = "") -> str:
    """Every session ends, this one too; this browser continues in a new session (its token is returned)."""
    if not user.check_password(current):
        raise RuleViolation(gettext("Your current password is not correct."), field="current_password", status=422)
    problems = password_problems(new, user.email)
    if problems:
        raise RuleViolation(" ".join(problems), field="new_password", status=422)
    user.set_password(new)
    end_all_sessions(user, "password_changed")
    token = start_session(user, ip_address, user_agent)
    audit.record(user, "user.password_changed", user, summary=N_("changed their password"), audience="admin")
    security.send_notice(user, "password_changed")
    db.session.commit()
    return token


def change_email(user: User, password: str, new_email: str) -> str:
    """A new address for the member; the old one is told (a change they did not make does not go unnoticed).
    Returns the old address."""
    security.check_password(user, password, field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise RuleViolation(gettext("This is your address already."), field="email", status=422)
    if db.session.execute(select(User.id).where(User.email == new_email)).first():
        raise RuleViolation(gettext("An account with this email address exists already."), field="email", status=409)
    old = user.email
    user.email = new_email
    # Whoever else is signed in, or holds a reset link mailed to the old address, loses it.
    end_all_sessions(user, "email_changed", keep_id=user.session_id)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    audit.record(
        user,
        "user.email_changed",
        user,
        summary=N_("changed their e-mail address"),
        details={"email": [old, new_email]},
        audience="admin",
    )
    security.send_notice(user, "email_changed", to_address=old, email=new_email)
    db.session.commit()
    return old


def sign_out_everywhere(user: User, *, keep_current: bool = False) -> int:
    """End the member's sessions: all of them, or all but the one this request runs in. Returns how many."""
    ended = end_all_sessions(user, "signed_out_everywhere", keep_id=user.session_id if keep_current else None)
    summary = N_("signed out on every other device") if keep_current else N_("signed out on every device")
    audit.record(user, "user.signed_out_everywhere", user, summary=summary, audience="admin")
    db.session.commit()
    return ended


# Administration ---------------------------------------------------------------------------------------------


def _other_active_admins(user: User) -> int:
    """Active admins other than ``user``, with their rows locked (PostgreSQL) so two admins cannot demote
    each other at the same moment and leave the group without one. SQLite serialises writers already."""
    rows = db.session.execute(
        select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id).with_for_update()
    ).all()
    return len(rows)


def change_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise RuleViolation(gettext("Choose expert, moderator or administrator."), field="role", status=422)
    if role == user.role:
        return
    if user.role == "admin" and user.active and _other_active_admins(user) == 0:
        raise RuleViolation(
            gettext(
                "%(name)s is the last active administrator. Make someone else an administrator first.",
                name=user.display_name,
            ),
            field="role",
        )
    before = user.role
    user.role = role
    audit.record(
        actor,
        "user.role_changed",
        user,
        summary=MADE_ROLE[role],
        params={"name": user.display_name},
        details={"role": [before, role]},
        audience="admin",
    )
    db.session.commit()


def set_active(actor: User, user: User, active: bool) -> None:
    if user.active == active:
        return
    if not active and user.role == "admin" and _other_active_admins(user) == 0:
        raise RuleViolation(
            gettext("%(name)s is the last active administrator and cannot be deactivated.", name=user.display_name)
        )
    user.active = active
    if not active:
        end_all_sessions(user, "deactivated")
    audit.record(
        actor,
        "user.reactivated" if active else "user.deactivated",
        user,
        summary=N_("reactivated the account of %(name)s") if active else N_("deactivated the account of %(name)s"),
        params={"name": user.display_name},
        audience="admin",
    )
    db.session.commit()


def count_active_admins() -> int:
    return db.session.execute(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    ).scalar_one()
