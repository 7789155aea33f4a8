"""One small in-process cache for derived data: a thread-safe least-recently-used map, and ``app_cache()``, where
every cache of the application lives.

Every worker process has its own, and every application object its own (``app.extensions``), so two apps in one
process (the tests' "other worker") never share an entry. The features key their entries on everything the
value depends on (a content digest, version columns, a fingerprint read from the database in the same
request), so an entry can never be served for data it was not made from; old keys are simply never asked for
again and age out.
Bounded by the number of entries and, optionally, by their total weight (e.g. bytes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, has_app_context

V = TypeVar("V")


class LRU(Generic[V]):
    def __init__(
        self, size: int = 256, *, max_weight: int | None = None, weigh: Callable[[V], int] | None = None
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self._weigh = weigh or (lambda _value: 1)
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: V) -> None:
        weight = self._weigh(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._entries[key] = (value, weight)
            self._weight += weight
            while self._entries and (
                len(self._entries) > self.size or (self.max_weight is not None and self._weight > self.max_weight)
            ):
                self._weight -= self._entries.popitem(last=False)[1][1]

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()`` stored under ``key``. Computed outside the lock: two requests may
        compute the same key at once, and both results are equal."""
        found = self.get(key)
        if found is None:
            found = compute()
            self.put(key, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0
            self.hits = self.misses = 0

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self._entries)


_HOME = "protect_caches"


def init_app(app: Flask) -> None:
    app.extensions[_HOME] = {}


def app_cache(
    name: str,
    size: int = 256,
    *,
    max_weight: int | None = None,
    weigh: Callable[[Any], int] | None = None,
    app: Flask | None = None,
) -> LRU:
    """The application's cache ``name`` (of the current app, or of ``app``), made with these bounds at its
    first use. Outside an application nothing is kept (a script or a unit test of a pure function computes
    every time)."""
    if app is None:
        if not has_app_context():
            return LRU(size=0)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    caches = app.extensions[_HOME]
    found = caches.get(name)
    if found is None:
        found = caches.setdefault(name, LRU(size, max_weight=max_weight, weigh=weigh))
    return found
