"""HTTP caching of the public programme pages, and a cache of what is rendered from immutable snapshots.

Validators: the ETag is made from what the response shows (the snapshot's digest, the date where "upcoming"
depends on it, and a fingerprint of the templates, so a new release changes it too); Last-Modified is when the
public content last changed. A visitor who is not signed in gets ``Cache-Control: public``; signed-in members
keep the foundation's ``no-store`` and never get a 304 (their pages carry their name).

Rendered HTML is kept in each process (``render_cache``: a snapshot's body; ``page_cache``: a whole page as
every visitor who is not signed in gets it). Every key is computed from the database on each request — the
live snapshot's id and digest (sha256 of its content), or the digests of every live snapshot for the list —
so a publication or a withdrawal changes the key in every worker at once: nothing is ever invalidated, an old
entry just stops being asked for and ages out.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user
from markupsafe import Markup

PUBLIC_MAX_AGE = 300
TEMPLATES = (
    "base.html",
    "_macros.html",
    "programme/_training.html",
    "programme/page.html",
    "programme/print.html",
    "programme/index.html",
    "programme/withdrawn.html",
)


class RenderCache:
    """A small thread-safe LRU of rendered HTML. Keys name an immutable snapshot, so entries never go stale."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple, render: Callable[[], str]) -> Markup:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        html = Markup(render())  # noqa: S704 - the output of our own autoescaping template
        with self._lock:
            self.misses += 1
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def render_cache(app: Flask | None = None) -> RenderCache:
    app = app or current_app
    return app.extensions.setdefault("programme_render_cache", RenderCache())


class PageCache:
    """A thread-safe LRU of whole pages (UTF-8 bytes), bounded by their total size."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple, render: Callable[[], str]) -> bytes:
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return page
        page = render().encode()
        with self._lock:
            self.misses += 1
            if key not in self._entries:
                self._entries[key] = page
                self._bytes += len(page)
            while self._bytes > self.max_bytes and self._entries:
                self._bytes -= len(self._entries.popitem(last=False)[1])
        return page

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def page_cache(app: Flask | None = None) -> PageCache:
    app = app or current_app
    return app.extensions.setdefault("programme_page_cache", PageCache())


def shared_page(kind: str, etag: str, render: Callable[[], str]) -> Response:
    """The page as a visitor who is not signed in gets it, rendered once per process for its ETag.

    Only for anonymous requests without a flashed message: then nothing in the page depends on who asks (no
    name, no CSRF token, no message) — only on what the ETag names and on the address the site is reached at
    (absolute links: the request's and BASE_URL), which are part of the key with the query string (the filter
    form shows it as typed). Members' pages are always rendered."""
    if not is_anonymous() or session.get("_flashes"):
        return make_response(render())
    key = (kind, etag, request.url_root, current_app.config.get("BASE_URL"), request.query_string)
    return make_response(page_cache().get(key, render))


def fingerprint() -> str:
    """A hash of the templates the public pages are made of: a new release gives new ETags."""
    app = current_app
    cached = app.extensions.get("programme_fingerprint")
    if cached is None:
        digest = hashlib.sha256()
        for name in TEMPLATES:
            source, _filename, _uptodate = app.jinja_env.loader.get_source(app.jinja_env, name)  # type: ignore[union-attr]
            digest.update(source.encode())
        cached = app.extensions["programme_fingerprint"] = digest.hexdigest()[:12]
    return cached


def make_etag(*parts: object) -> str:
    return hashlib.sha256("|".join(str(part) for part in (*parts, fingerprint())).encode()).hexdigest()[:32]


def is_anonymous() -> bool:
    return not current_user.is_authenticated


def latest(*moments: datetime | date | None) -> datetime | None:
    """The latest of naive-UTC datetimes and dates (a date counts from its midnight, UTC), as aware UTC."""
    values = []
    for moment in moments:
        if moment is None:
            continue
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time())
        values.append(moment.replace(tzinfo=UTC, microsecond=0))
    return max(values) if values else None


def _validators(response: Response, etag: str, last_modified: datetime | None) -> Response:
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


def not_modified(etag: str, last_modified: datetime | None) -> Response | None:
    """A 304 when an anonymous visitor's cached copy is still current (If-None-Match wins over the date)."""
    if not is_anonymous():
        return None
    if request.if_none_match:
        fresh = request.if_none_match.contains(etag)
    elif request.if_modified_since and last_modified is not None:
        fresh = last_modified <= request.if_modified_since
    else:
        fresh = False
    if not fresh:
        return None
    return _validators(make_response("", 304), etag, last_modified)


def cacheable(response: Response, etag: str, last_modified: datetime | None) -> Response:
    """Add validators and public caching to an anonymous visitor's response (members keep no-store)."""
    if is_anonymous():
        _validators(response, etag, last_modified)
    return response
