"""Response headers that every page carries, and who may reach which view."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_login import current_user

from protect.extensions import login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
_SECURITY_HEADER_NAMES = frozenset(name.lower() for name, _value in SECURITY_HEADERS)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    if any(name.lower() in _SECURITY_HEADER_NAMES for name, _value in headers.items()):  # a view set one
        for name, value in SECURITY_HEADERS:
            headers.setdefault(name, value)
    else:  # the usual case, in one go
        headers.extend(SECURITY_HEADERS)
    if current_app.config.get("HTTPS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages for signed-in members hold personal data: keep them out of shared and browser caches.
    if "Cache-Control" not in headers and request.endpoint != "static" and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response


def _require_sign_in() -> Response | None:
    """Deny by default: a view is open to visitors only when marked ``@public``."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "protect_public", False):
        return None
    if current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host, a scheme, or a protocol-relative URL. Whitespace and
    control characters are refused outright: browsers drop them, so ``/\t/evil.example`` becomes ``//evil…``."""
    if not target or not target.startswith("/") or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("//"):
        return None
    return target


def init_app(app: Flask) -> None:
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)
