"""One small in-process cache for derived data: a thread-safe least-recently-used map.

Every worker process has its own. The features key their entries on everything the value depends on (a
content digest, version columns, a fingerprint read from the database in the same request), so an entry can
never be served for data it was not made from; old keys are simply never asked for again and age out.
Bounded by the number of entries and, optionally, by their total weight (e.g. bytes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

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
