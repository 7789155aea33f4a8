"""CSRF protection: Flask-WTF's, with its two costly steps done once per token in each process.

Flask-WTF signs a fresh token for every request that renders a form, and checks the signature of the token on
every unsafe request: each derives a key and computes HMACs, about 0.1 ms apiece, a tenth of what saving an
agenda item costs. With no time limit (``WTF_CSRF_TIME_LIMIT = None``, see config) both have the same answer
every time for the same inputs, so:

- the session's secret is signed once per process: a request starts with the signed token in ``g``, where
  Flask-WTF's ``generate_csrf()`` (``csrf_token()`` in templates, the forms) looks first, and a token signed
  during a request is remembered for the next;
- ``CSRFProtect`` remembers each signed token it verified and the secret it carries. A later request with the
  same signed token is valid exactly when its session holds that secret (compared in constant time). Every
  other request, and every failure with its message, goes through Flask-WTF's own check. The referrer check
  on HTTPS runs on every request either way.

With a time limit set, none of this applies and Flask-WTF does all of it.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect as _CSRFProtect
from flask_wtf.csrf import same_origin

from protect.core.lru import LRU

# A form's CSRF token while a page is rendered for a cache; random per process, so no text a member types can
# match it. Whoever renders with it replaces it with ``generate_csrf()`` before the page leaves.
TOKEN_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"


def token_field() -> str:
    """Where Flask-WTF keeps the token: in the session (the raw secret) and in ``g`` (this request's signed one)."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _reusable() -> bool:
    return current_app.config.get("WTF_CSRF_TIME_LIMIT") is None


def _memo(name: str) -> LRU[str]:
    """A per-process memo that holds only for the current signing key (a new key starts an empty one)."""
    key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    held = current_app.extensions.get(name)
    if held is None or held[0] != key:
        held = current_app.extensions[name] = (key, LRU(size=8192))
    return held[1]


def _session_secret() -> str | None:
    """The session's raw CSRF secret, if it has a session cookie at all (looking into an empty session would
    mark the response as varying by cookie); static files have no forms."""
    if (
        not _reusable()
        or request.endpoint == "static"
        or current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
    ):
        return None
    raw = session.get(token_field())
    return raw if isinstance(raw, str) else None


class CSRFProtect(_CSRFProtect):
    def init_app(self, app: Flask) -> None:
        super().init_app(app)

        @app.before_request
        def _known_token() -> None:
            # Before any view asks: a form this request renders uses the token without signing it again.
            raw = g.protect_csrf_secret = _session_secret()
            token = raw and _memo("protect_csrf_signed").get(raw)
            if token:
                setattr(g, token_field(), token)

        @app.after_request
        def _remember_token(response):
            token = g.get(token_field())
            if not token or token == TOKEN_PLACEHOLDER:
                return response
            raw = _session_secret()
            # Only a token made for the secret the request began with, or for the one it made (none replaces a
            # secret today; if one ever did, the new secret must not be paired with a token signed for the old).
            if raw and g.get("protect_csrf_secret") in (None, raw):
                signed = _memo("protect_csrf_signed")
                if signed.get(raw) is None:
                    signed.put(raw, token)
            return response

    def protect(self, apply_exemptions: bool = False) -> None:
        if apply_exemptions and (not request.endpoint or self._is_exempt()):  # as Flask-WTF's check does
            return None
        if request.method not in current_app.config["WTF_CSRF_METHODS"] or not _reusable():
            return super().protect()
        data = self._get_csrf_token()
        raw = session.get(token_field())
        verified = _memo("protect_csrf_verified")
        carried = verified.get(data) if data else None
        if not (carried and isinstance(raw, str) and hmac.compare_digest(carried, raw)):
            super().protect()  # the full check: raises with its message when the token is not valid
            if data and isinstance(raw, str):
                verified.put(data, raw)
            return
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:  # as Flask-WTF's check does
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True
