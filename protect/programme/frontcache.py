"""The public programme list, kept whole in front of Flask for visitors who send no cookie.

The list is the page the public reads most, and it is the same for every visitor who is not signed in: it shows
the live snapshots (immutable), split by today's date, filtered by the query string. ``caching.shared_page``
already keeps its HTML; what was left per request was Flask's own work around it (the session, the sign-in
check, CSRF, the hooks: about 70% of the request's time in the app). Here the finished response (status,
headers, body) is kept per address and served again without entering Flask while the public generation it was
made for is still current:

- the generation is ``services.public_state()`` (a digest of every live page's id, version and content digest,
  and when anything public last changed; re-read at most every ``PUBLIC_RECHECK_SECONDS``, at once after a
  change made in this process), today's date and the templates' fingerprint: a publication or a withdrawal in
  any process makes every kept response stale, exactly as it changes the page's ETag. It is read once, before
  the page is made, and handed to the view in the WSGI environ: the page is made, and kept, for that one;
- only a plain GET of the list with no cookie at all (so no session, no sign-in, no flashed message), no
  ``Authorization``, no conditional headers (Flask answers those with a 304) and no htmx request is served from
  here; anything else goes to Flask as before;
- only a response Flask made for such a request is kept, and only if it is a 200 marked ``Cache-Control:
  public`` (``caching.cacheable`` marks only anonymous visitors' pages) that sets no cookie;
- the address is the whole key: path, query string, host, scheme, script root and the ``X-Forwarded-Proto``,
  ``-Host``, ``-Port`` and ``-Prefix`` headers (the page's absolute links come from them, through ProxyFix or
  not); and a response that carries a client's rate-limit counters is not kept.

Measured with ``make bench``: see the README's performance section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from protect.core.lru import LRU

PATHS = frozenset({"/programme/"})
# The generation a list is made for (``views.list_generation``): read here, handed to the view in the environ.
GENERATION = "protect.programme.generation"
_FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")
_NOT_PLAIN = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_HX_REQUEST")


@dataclass(frozen=True)
class Kept:
    generation: Any
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class FrontCache:
    def __init__(self, app: Flask, wsgi_app: Callable, size: int = 256, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.kept: LRU[Kept] = LRU(size=size, max_weight=max_bytes, weigh=lambda kept: len(kept.body))

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") not in PATHS
            or any(name in environ for name in _NOT_PLAIN)
            or not self.app.config["PUBLIC_FRONT_CACHE"]
        ):
            return self.wsgi_app(environ, start_response)
        key = _address(environ)
        generation = self._generation()
        kept = self.kept.get(key)
        if kept is not None and kept.generation == generation:
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        return self._make(environ, start_response, key, generation)

    def _generation(self) -> Any:
        from protect.programme import views

        with self.app.app_context():
            return views.list_generation(for_get=True)

    def _make(self, environ, start_response, key, generation) -> Iterable[bytes]:
        made: dict[str, Any] = {}

        def keep_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            made["status"], made["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        environ[GENERATION] = generation  # the list is made for it (not read again: the same, and one query less)
        answer = self.wsgi_app(environ, keep_start)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        # Kept only if the list was made for the generation read above (the view says so).
        if environ.get(GENERATION) is generation and _keepable(made):
            self.kept.put(key, Kept(generation, made["status"], tuple(made["headers"]), body))
        return [body]


def _address(environ: dict[str, Any]) -> tuple[str, ...]:
    # What ProxyFix may make the page's address from (not X-Forwarded-For: the list never shows the visitor's
    # address, and one entry per visitor would keep addresses for nothing).
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
        environ.get("SERVER_PORT", ""),
        environ.get("wsgi.url_scheme", ""),
        environ.get("SCRIPT_NAME", ""),
        *(f"{name}={environ[name]}" for name in _FORWARDED if name in environ),
    )


def _keepable(made: dict[str, Any]) -> bool:
    """A 200 for anyone: marked public, no cookie, nothing about one client (its rate-limit counters)."""
    if not made.get("status", "").startswith("200 "):
        return False
    names = {name.lower(): value for name, value in made["headers"]}
    if "set-cookie" in names or any(name.startswith("x-ratelimit") or name == "retry-after" for name in names):
        return False
    return "public" in names.get("cache-control", "")
