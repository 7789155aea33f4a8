"""HTTP caching of the public programme pages, and a cache of what is rendered from immutable snapshots.

Validators: the ETag is made from what the response shows (the snapshot's digest, the date where "upcoming"
depends on it, the language and its compiled catalogue, and a fingerprint of the templates, so a new release or
a new translation changes it too); Last-Modified is when the public content last changed. A visitor who is not
signed in gets ``Cache-Control: public`` and ``Vary: Accept-Language, Cookie`` (the language comes from those
too); signed-in members keep the foundation's ``no-store`` and never get a 304 (their pages carry their name).

Each request reads what is live from the database, so a publication or a withdrawal shows at the very next
request in every worker. What is rendered from a published snapshot is kept in each process (``render_cache``),
keyed by the snapshot's id and digest (sha256 of its content) and the language it is rendered in: a snapshot
never changes, so an entry is never stale; one that is no longer live just stops being asked for and ages out.
Whole responses are not kept here: that is the job of HTTP caches and a reverse proxy, which the validators
above let revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import time as clock
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Flask, Response, current_app, make_response, request
from flask_babel import get_locale
from flask_login import current_user

from protect.core.i18n import TRANSLATIONS, current_language
from protect.core.lru import LRU

# Shared caches may keep a public page, but must ask again every time (a 304 when nothing changed): a page
# withdrawn for what it said must not go on being served from a browser or a proxy for minutes.
PUBLIC_CACHE_CONTROL = "public, no-cache"
# The language of a public page is chosen by ?lang= (in the URL), the lang cookie or Accept-Language.
VARY = "Accept-Language, Cookie"
# For nginx in front (deploy/nginx/protect.conf): it may keep an anonymous visitor's public page until the end of
# the current second ("@" and a Unix time), then asks again with the ETag. Browsers never see the header (nginx
# takes it out) and other proxies ignore it; nginx stores nothing the app does not mark with it.
PROXY_EXPIRES = "X-Accel-Expires"
TEMPLATES = (
    "base.html",
    "_macros.html",
    "programme/_training.html",
    "programme/_list_item.html",
    "programme/page.html",
    "programme/print.html",
    "programme/index.html",
    "programme/withdrawn.html",
)


def render_cache(app: Flask | None = None) -> LRU[Any]:
    """What is rendered from snapshots (a list entry, a page's parts): keys name an immutable snapshot, so entries
    never go stale."""
    app = app or current_app
    if "programme_render_cache" not in app.extensions:
        app.extensions["programme_render_cache"] = LRU(size=256, max_weight=16 * 1024 * 1024, weigh=_characters)
    return app.extensions["programme_render_cache"]


def _characters(value: str | tuple[str, ...]) -> int:
    """An entry's weight: the characters of a fragment, or of all the parts of a tuple of them."""
    return len(value) if isinstance(value, str) else sum(len(part) for part in value)


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


def catalogue_fingerprint(code: str | None = None) -> str:
    """The compiled catalogue of the language (``code``, this request's by default) as its size and time: a new
    translation gives new ETags. The source language has no catalogue of its own to speak of ("-")."""
    path = TRANSLATIONS / (code or current_language()) / "LC_MESSAGES" / "messages.mo"
    try:
        stat = path.stat()
    except OSError:
        return "-"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def catalogue_changed(code: str | None = None) -> datetime | None:
    """When the language's compiled catalogue was written (aware UTC, whole seconds): a new translation makes
    every public page newer for date-based revalidation too, as its ETag already is."""
    path = TRANSLATIONS / (code or current_language()) / "LC_MESSAGES" / "messages.mo"
    try:
        return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    except OSError:
        return None


def make_etag(*parts: object) -> str:
    """An ETag of what a response shows: ``parts``, the language it is in (and its catalogue), the templates."""
    language = (str(get_locale()), catalogue_fingerprint())
    return hashlib.sha256("|".join(str(part) for part in (*parts, language, fingerprint())).encode()).hexdigest()[:32]


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
    last_modified = latest(last_modified, catalogue_changed())
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    response.headers[PROXY_EXPIRES] = f"@{int(clock.time())}"
    response.vary.update(VARY.split(", "))
    return response


def not_modified(etag: str, last_modified: datetime | None) -> Response | None:
    """A 304 when an anonymous visitor's cached copy is still current (If-None-Match wins over the date)."""
    if not is_anonymous():
        return None
    if request.if_none_match:
        fresh = request.if_none_match.contains(etag)
    elif request.if_modified_since and (last_modified := latest(last_modified, catalogue_changed())) is not None:
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
