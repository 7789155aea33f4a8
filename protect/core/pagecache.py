"""Whole pages of a signed-in member, kept per member and per state of the data they show.

``@cached_page("polls")`` on a GET view: the response is kept in the worker (an LRU bounded by bytes) under a
key of everything it can depend on, and a request with the same key gets the same bytes without running the
view. The key holds:

- the change tokens (``core.changes``) of the areas the page shows, and always of ``auth`` (names, roles): any
  commit that touches them, in any process, makes a new key. ``"*"`` means every area but those apart
  (presence, visits, sessions: the dashboard shows none of them);
- the member (a page is only ever served to the member it was made for, in any of their live sessions: the
  session itself is checked before, in auth.views.load_user), the address asked for with its query string,
  the site's address and every ``HX-`` request header;
- the current period of ``seconds`` (default 60): what a page shows that moves with the clock alone (a poll
  that closes on time, "overdue", who is editing now) is at most that old.

Not cached: anything but a 200 HTML response, a response that sets a cookie, and a request or response with a
flashed message. Permission checks stay outside (the decorator goes under ``role_required``), so they run on
every request. CSRF tokens are rendered as a per-process random placeholder and each request's own token is put
in; the placeholder is also replaced on responses that are not kept.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from protect.core import changes
from protect.core.lru import LRU, app_cache

# A form's CSRF token while a page is rendered for a cache; random per process, so no text a member types can
# match it. Whoever renders with it replaces it with ``generate_csrf()`` (this request's token) before the page
# leaves: here for whole pages, in agendas/views.py for the agenda's days.
TOKEN_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
_PLACEHOLDER_BYTES = TOKEN_PLACEHOLDER.encode()
_SKIPPED_HEADERS = frozenset({"set-cookie", "content-length", "date"})


class Entry:
    __slots__ = ("body", "headers")

    def __init__(self, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.body, self.headers = body, headers


def page_cache(app: Flask | None = None) -> LRU[Entry]:
    megabytes = (app or current_app).config["PAGE_CACHE_MB"]
    return app_cache("pages", 4096, max_weight=megabytes * 1024 * 1024, weigh=_weigh, app=app)


def _weigh(entry: Entry) -> int:
    return len(entry.body)


def cached_page(*scopes: str, seconds: int = 60) -> Callable:
    wanted: tuple[str, ...] = ()

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            nonlocal wanted
            if not _may_cache():
                return view(*args, **kwargs)
            if not wanted:  # at the first request, when every feature has declared its areas
                everyday = changes.everyday_areas() if "*" in scopes else ()
                wanted = tuple(sorted({"auth", *everyday, *scopes} - {"*"}))
            stamps = changes.current()
            state = tuple(stamps.get(s) for s in wanted)
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            key = (
                request.endpoint,
                request.full_path,
                request.host_url,
                tuple(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-"))),
                user.id,
                str(get_locale()),  # set in the profile (an auth change) or by ?lang=, the cookie, the browser
                str(get_timezone()),
                state,
                int(time.time() // seconds),
            )
            cache = page_cache()
            entry = cache.get(key)
            if entry is None:
                response = _render(view, args, kwargs)
                if not _keep(response):
                    return _with_token(response)
                entry = Entry(
                    response.get_data(),
                    [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIPPED_HEADERS],
                )
                cache.put(key, entry)
            return Response(entry.body.replace(_PLACEHOLDER_BYTES, generate_csrf().encode()), headers=entry.headers)

        return wrapped

    return decorate


def _may_cache() -> bool:
    return (
        request.method == "GET"
        and current_user.is_authenticated
        and not session.get("_flashes")
        and current_app.config["PAGE_CACHE"]
    )


def _render(view: Callable, args: tuple, kwargs: dict) -> Response:
    # Flask-WTF's generate_csrf() gives the token it finds in g under the field's name (its documented cache
    # for the request): the placeholder, while the view renders the page that is kept.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    setattr(g, field, TOKEN_PLACEHOLDER)  # what generate_csrf() gives for the rest of the view
    try:
        return current_app.make_response(view(*args, **kwargs))
    finally:
        if token is None:
            g.pop(field, None)
        else:
            setattr(g, field, token)


def _keep(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        # A message flashed before or during the view: the layout took it out of the session when it showed it.
        and not session.get("_flashes")
        and not request_ctx.flashes
        and not any(TOKEN_PLACEHOLDER in value for value in response.headers.values())
    )


def _with_token(response: Response) -> Response:
    """The placeholder replaced by this session's token, in the body and the headers of any response."""
    token = None
    for name, value in list(response.headers.items()):
        if TOKEN_PLACEHOLDER in value:
            token = token or generate_csrf()
            response.headers[name] = value.replace(TOKEN_PLACEHOLDER, token)
    if not response.is_streamed:
        body = response.get_data()
        if _PLACEHOLDER_BYTES in body:
            response.set_data(body.replace(_PLACEHOLDER_BYTES, (token or generate_csrf()).encode()))
    return response
