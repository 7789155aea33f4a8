"""The in-process cache of rendered agenda days (a ``core.lru.LRU``).

Each app in each worker process has its own; nothing in it can be stale, because every key holds everything the cached
HTML depends on that can change (the event's versions and fields, each item's version, the responsible
people's names, who else is editing what, the viewer's right to edit). A key that no longer matches the
database is simply never asked for again and falls out of the cache, oldest first.

The HTML is cached with ``core.pagecache.TOKEN_PLACEHOLDER`` where each form's CSRF token goes (tokens belong to a
session), and each request puts its own in.
"""

from __future__ import annotations

from protect.core.lru import LRU, app_cache


def days_cache() -> LRU[str]:
    """The agenda's days as most requests render them (no editor open, nothing to focus; see views._days_html):
    at most 32 agenda states per process (about 3.5 MB), and never more than 16 MB of HTML (long notes)."""
    return app_cache("agendas.days", 32, max_weight=16 * 1024 * 1024, weigh=len)
