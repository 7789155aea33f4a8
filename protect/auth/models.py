"""People in the closed group, and the single-use links that let them in."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.regions import country_name, sector_name
from protect.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


SESSION_END_REASONS = {
    "signed_out": "signed out",
    "ended": "ended from the profile",
    "signed_out_everywhere": "signed out everywhere",
    "password_changed": "password changed",
    "password_reset": "password reset",
    "email_changed": "e-mail address changed",
    "deactivated": "account deactivated",
    "replaced": "signed in again in the same browser",
    "second_factors_removed": "second factors removed by an administrator",
}


def hash_token(token: str) -> str:
    """Links are stored only as hashes: a copy of the database lets nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="expert")
    country: Mapped[str] = mapped_column(String(2), default="XX")
    sector: Mapped[str] = mapped_column(String(32), default="other")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    language: Mapped[str | None] = mapped_column(String(8))  # the interface's; None: the browser's (core.i18n)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(info={"quiet_change": True})  # on no cached page
    # A confirmed TOTP app or at least one passkey (kept by auth.security so that the sign-in policy needs no
    # query of its own on every request: this row is read with the session already).
    second_factor: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    # The plain token of the session this request runs in (never stored: the table keeps its hash). Set by
    # auth.views.load_user for the signed-in member, and by auth.services.start_session at sign-in.
    session_token = None  # type: str | None
    session_id = None  # type: int | None

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        if not self.session_token:
            raise RuntimeError("no session was started for this user (auth.services.start_session)")
        return self.session_token

    # Flask-Login's UserMixin compares users by get_id(), which is a session here: compare by account.
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, User):
            return self.id is not None and self.id == other.id
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def sector_name(self) -> str:
        return sector_name(self.sector)


class UserSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, so a copy of the
    database opens no session. A session ends by ``ended_at`` (sign-out, ended from the profile, password
    change, deactivation) or by time: idle for ``SESSION_IDLE_DAYS`` or older than ``SESSION_MAX_DAYS``."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most every SESSION_TOUCH_SECONDS, so that a page view is not a write each time.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info={"quiet_change": True})  # auth.views._touch
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    # When the member last proved who they are in this session (sign-in, or the password asked again): changing
    # the e-mail address, the password or the second factors needs it within REAUTH_MINUTES.
    authenticated_at: Mapped[datetime | None]

    @property
    def browser(self) -> str:
        return describe_browser(self.user_agent)

    @property
    def ended_reason_text(self) -> str:
        return SESSION_END_REASONS.get(self.ended_reason or "", self.ended_reason or "")


_BROWSERS = (  # the order matters: Edge and Opera say "Chrome" too, Chrome says "Safari"
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("FxiOS/", "Firefox"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_browser(user_agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header; "Unknown browser" when it says nothing we know."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(32))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    # Whom it is for and what the administrator wrote to them (both go into the mail), when the mail with the
    # current link was sent (a resend replaces the link: only the newest works) and when a link was first opened.
    name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]

    invited_by = relationship("User", foreign_keys=[invited_by_id], lazy="joined")

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class PasswordReset(db.Model):
    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class TotpCredential(db.Model):
    """A member's authenticator app (RFC 6238: 30-second steps, 6 digits). ``confirmed_at`` is None until the
    member typed one code from it; ``last_step`` is the newest step used, so that a code works once."""

    __tablename__ = "totp_credential"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The shared secret must be read back to check a code, so it cannot be a hash (like the password hashes,
    # it is only as safe as the database; it is never shown again after the set-up or written to the log).
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """One of the member's single-use recovery codes, stored as a hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Passkey(db.Model):
    """A WebAuthn credential of a member: its id and public key (nothing secret), named by the member."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(700), unique=True)  # base64url, as browsers send it
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str] | None] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class WebAuthnChallenge(db.Model):
    """A passkey ceremony's challenge, waiting on the server (the browser's session holds only ``id``): taken
    once by an atomic DELETE ... RETURNING, for its purpose and member, before ``expires_at`` (5 minutes)."""

    __tablename__ = "webauthn_challenge"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, kept in the browser's session
    challenge: Mapped[str] = mapped_column(String(128))  # base64url
    purpose: Mapped[str] = mapped_column(String(16))  # "register" or "sign_in"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SiteSetting(db.Model):
    """A setting administrators change in the app (``auth.security.policy``); a key without a row has its
    default from the configuration."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
area("auth", User, Invitation, PasswordReset, SiteSetting)
# A member's second factors are on no cached page (the security page reads them afresh).
area(None, TotpCredential, RecoveryCode, Passkey, WebAuthnChallenge)
area("sessions", UserSession, apart=True)
