"""Configuration: defaults here, then ``instance/config.py``, then ``PROTECT_*`` environment variables.

Every setting a deployment may change is listed in ``ENV_SETTINGS`` with the environment variable that
overrides it; the README documents the same list.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# name in app.config -> (environment variable, type)
ENV_SETTINGS: dict[str, tuple[str, type]] = {
    "SQLALCHEMY_DATABASE_URI": ("PROTECT_DATABASE_URL", str),
    "SECRET_KEY": ("PROTECT_SECRET_KEY", str),
    "HTTPS": ("PROTECT_HTTPS", bool),
    "RATELIMIT_STORAGE_URI": ("PROTECT_RATELIMIT_STORAGE_URI", str),
    "RATELIMIT_ENABLED": ("PROTECT_RATELIMIT_ENABLED", bool),
    "PROXY_FIX": ("PROTECT_PROXY_FIX", int),
    "BASE_URL": ("PROTECT_BASE_URL", str),
    "MAIL_SERVER": ("PROTECT_MAIL_SERVER", str),
    "MAIL_PORT": ("PROTECT_MAIL_PORT", int),
    "MAIL_USERNAME": ("PROTECT_MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("PROTECT_MAIL_PASSWORD", str),
    "MAIL_USE_TLS": ("PROTECT_MAIL_USE_TLS", bool),
    "MAIL_SENDER": ("PROTECT_MAIL_SENDER", str),
    "MAIL_CLAIM_SECONDS": ("PROTECT_MAIL_CLAIM_SECONDS", int),
    "REGISTRATION_RETENTION_DAYS": ("PROTECT_REGISTRATION_RETENTION_DAYS", int),
    "LOGIN_LIMIT": ("PROTECT_LOGIN_LIMIT", str),
    "LOGIN_ADDRESS_LIMIT": ("PROTECT_LOGIN_ADDRESS_LIMIT", str),
    "SECOND_FACTOR_LIMIT": ("PROTECT_SECOND_FACTOR_LIMIT", str),
    "PASSWORD_CHECK_LIMIT": ("PROTECT_PASSWORD_CHECK_LIMIT", str),
    "FORGOT_PASSWORD_LIMIT": ("PROTECT_FORGOT_PASSWORD_LIMIT", str),
    "FORGOT_PASSWORD_ADDRESS_LIMIT": ("PROTECT_FORGOT_PASSWORD_ADDRESS_LIMIT", str),
    "REQUIRE_SECOND_FACTOR": ("PROTECT_REQUIRE_SECOND_FACTOR", bool),
    "SESSION_IDLE_DAYS": ("PROTECT_SESSION_IDLE_DAYS", float),
    "SESSION_MAX_DAYS": ("PROTECT_SESSION_MAX_DAYS", float),
    "PROGRAMME_REGISTRATION_LIMIT": ("PROTECT_REGISTRATION_LIMIT", str),
    "PROGRAMME_REGISTRATION_ATTEMPT_LIMIT": ("PROTECT_REGISTRATION_ATTEMPT_LIMIT", str),
    "LOG_LEVEL": ("PROTECT_LOG_LEVEL", str),
    "PAGE_CACHE_MB": ("PROTECT_PAGE_CACHE_MB", int),
}


class Defaults:
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: instance/protect.sqlite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False
    HTTPS = False
    # Behind N reverse proxies, trust N X-Forwarded-* hops (0: none, the app faces clients directly).
    PROXY_FIX = 0
    BASE_URL = ""  # used in mailed links; empty: the address the request came in on
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins: per account (whatever the address), and per address (all accounts together). The address
    # limit is much higher: the experts of one police department or ministry often share one public address.
    LOGIN_LIMIT = "5 per minute"
    LOGIN_ADDRESS_LIMIT = "50 per minute"
    # Server-side sessions (auth.models.UserSession): one ends after this many days without a request, and
    # in any case this many days after the sign-in. Its "last seen" is written at most every SESSION_TOUCH_SECONDS.
    SESSION_IDLE_DAYS = 14.0
    SESSION_MAX_DAYS = 90.0
    SESSION_TOUCH_SECONDS = 300
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method, not a password
    PASSWORD_MIN_LENGTH = 10
    INVITATION_DAYS = 7
    PASSWORD_RESET_HOURS = 24  # a link an administrator makes and hands over (mailed ones: FORGOT_PASSWORD_MINUTES)
    FORGOT_PASSWORD_MINUTES = 60  # a link a member asks for by e-mail ("Forgot your password?")
    # "Forgot your password?": requests per account (whatever the address) and per address (all accounts).
    FORGOT_PASSWORD_LIMIT = "3 per hour"  # noqa: S105 - a rate limit, not a password
    FORGOT_PASSWORD_ADDRESS_LIMIT = "20 per hour"  # noqa: S105 - a rate limit
    # Wrong second-factor codes per account in sign-in (the address's limit is LOGIN_ADDRESS_LIMIT).
    SECOND_FACTOR_LIMIT = "5 per 5 minutes"
    # The password asked again by a signed-in member (re-authentication, e-mail address, app off, new recovery
    # codes): every attempt per account, all four together, so a stolen session cannot guess it.
    PASSWORD_CHECK_LIMIT = "5 per 15 minutes"  # noqa: S105 - a rate limit, not a password
    PENDING_SIGN_IN_MINUTES = 5  # between the password and the second factor
    REAUTH_MINUTES = 10  # changing the e-mail address, the password or a second factor needs a proof this recent
    # Moderators and administrators need a second factor (TOTP or passkey) unless an administrator turned the
    # policy off on the People page; this is its value until they touch it.
    REQUIRE_SECOND_FACTOR = True
    WEBAUTHN_RP_NAME = "PROTECT Workspace"
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = True
    MAIL_SENDER = "PROTECT Workspace <no-reply@localhost>"
    MAIL_TIMEOUT = 30
    # A sender that claimed a mail and then died holds it this long; afterwards another sender sends it.
    MAIL_CLAIM_SECONDS = 300
    REGISTRATION_RETENTION_DAYS = 180
    PROGRAMME_REGISTRATION_LIMIT = "5 per hour"  # accepted registrations of interest per address
    PROGRAMME_REGISTRATION_ATTEMPT_LIMIT = "30 per hour"  # any posts of the form per address
    LOG_LEVEL = "INFO"
    # A form's CSRF token is accepted for 24 hours after its page was loaded: a member who opens an agenda in the
    # morning and keeps it open all day (or until the same time the next morning) can still save from it, and a
    # token that leaked with a page (a saved copy, a proxy log) stops working a day later. htmx requests refused
    # for an expired token say "reload" in the page's alert area and leave the form as typed (core/errors.py).
    WTF_CSRF_TIME_LIMIT = 24 * 3600
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    TEMPLATES_AUTO_RELOAD = False
    # Members' pages kept per worker (core/pagecache.py), in megabytes; PAGE_CACHE = False keeps none.
    PAGE_CACHE = True
    PAGE_CACHE_MB = 64


def _parse(value: str, kind: type):
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(value)
    if kind is float:
        return float(value)
    return value


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` in the documented order; ``overrides`` (tests) come last."""
    app.config.from_object(Defaults)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile(str(instance / "config.py"), silent=True)
    for name, (env, kind) in ENV_SETTINGS.items():
        if env in os.environ and os.environ[env] != "":
            app.config[name] = _parse(os.environ[env], kind)
    if overrides:
        app.config.update(overrides)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'protect.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
        # "__Host-": browsers accept the cookie only if Secure, for this host alone (no Domain) and for every
        # path, so no other site under the same domain, and no page over plain HTTP, can set or overwrite it.
        whole_host = not app.config.get("SESSION_COOKIE_DOMAIN") and app.config.get("APPLICATION_ROOT", "/") == "/"
        if app.config.get("SESSION_COOKIE_NAME", "session") == "session" and whole_host:
            app.config["SESSION_COOKIE_NAME"] = "__Host-session"


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(path: Path) -> str:
    """Read the secret key, creating it on first run (mode 0600, never in the repository)."""
    if not path.exists():
        key = secrets.token_hex(32)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        try:
            # link() fails if another process won the race; everyone then reads the winner's key
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
