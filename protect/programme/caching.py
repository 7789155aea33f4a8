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
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user
from markupsafe import Markup

from protect.core.lru import LRU

# Shared caches may keep a public page, but must ask again every time (a 304 when nothing changed): a page
# withdrawn for what it said must not go on being served from a browser or a proxy for minutes.
PUBLIC_CACHE_CONTROL = "public, no-cache"
TEMPLATES = (
    "base.html",
    "_macros.html",
    "programme/_training.html",
    "programme/page.html",
    "programme/print.html",
    "programme/index.html",
    "programme/withdrawn.html",
)


def render_cache(app: Flask | None = None) -> LRU[Markup]:
    """Rendered snapshot bodies: keys name an immutable snapshot, so entries never go stale."""
    app = app or current_app
    if "programme_render_cache" not in app.extensions:
        app.extensions["programme_render_cache"] = LRU(size=256, max_weight=16 * 1024 * 1024, weigh=len)
    return app.extensions["programme_render_cache"]


def page_cache(app: Flask | None = None) -> LRU[bytes]:
    """Whole public pages as UTF-8 bytes, at most 16 MB of them."""
    app = app or current_app
    if "programme_page_cache" not in app.extensions:
        app.extensions["programme_page_cache"] = LRU(size=4096, max_weight=16 * 1024 * 1024, weigh=len)
    return app.extensions["programme_page_cache"]


def shared_page(kind: str, etag: str, render: Callable[[], str]) -> Response:
    """The page as a visitor who is not signed in gets it, rendered once per process for its ETag.

    Only for anonymous requests without a flashed message: then nothing in the page depends on who asks (no
    name, no CSRF token, no message) — only on what the ETag names and on the address the site is reached at
    (absolute links: the request's and BASE_URL), which are part of the key with the query string (the filter
    form shows it as typed). Members' pages are always rendered."""
    if not is_anonymous() or session.get("_flashes"):
        return make_response(render())
    key = (kind, etag, request.url_root, current_app.config.get("BASE_URL"), request.query_string)
    return make_response(page_cache().get_or_compute(key, lambda: render().encode()))


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
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
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
