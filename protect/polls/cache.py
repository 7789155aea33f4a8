"""A small per-process cache of computed tallies.

A tally is a pure function of the counting method, the candidate locations, the lot-order seed and the
ballots. The key names all of them: the method, the seed and every candidate (id and label) directly, and the
ballots by the poll's ``ballot_version`` (raised in the same transaction as every ballot cast or changed) and
the number of ballots (which also changes should a ballot ever disappear without a cast, e.g. a voter's row
deleted). The version and the ballots are read in one SQL statement, so an entry is always stored under the
state it was counted from. An entry can therefore never be served for data it was not computed from: a new,
changed or removed ballot, or any change of the options, gives a new key, and the old entry simply ages out.
Each worker process has its own cache and none needs to tell another about a change.

Entries are shared between requests: callers must treat a cached Tally as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app

from protect.polls.tally import Tally

SIZE = 256
EXTENSION = "polls.tallies"


class TallyCache:
    """A thread-safe LRU of tallies."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Tally] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Tally | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, tally: Tally) -> None:
        with self._lock:
            self._entries[key] = tally
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def tallies() -> TallyCache:
    """The application's tally cache (one per application object, so two apps never share entries)."""
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(EXTENSION, TallyCache())
    return cache
