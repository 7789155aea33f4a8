"""A small in-process cache of rendered agenda days.

Each worker process has its own; nothing in it can be stale, because every key holds everything the cached
HTML depends on that can change (the event's versions and fields, each item's version, the responsible
people's names, who else is editing what, the viewer's right to edit). A key that no longer matches the
database is simply never asked for again and falls out of the cache, oldest first.

The HTML is cached with a placeholder where each form's CSRF token goes (tokens belong to a session); the
placeholder holds a random part made when the process starts, so no text a member types can match it.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

TOKEN_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"


class RenderCache:
    """A thread-safe least-recently-used map of keys to rendered HTML, at most ``size`` entries."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return html
        # Rendered outside the lock: two requests may render the same key at once; both results are equal.
        html = render()
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
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)
