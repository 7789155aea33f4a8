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

from protect.core.lru import LRU, app_cache
from protect.polls.tally import Tally


def tallies() -> LRU[Tally]:
    """The application's tally cache."""
    return app_cache("polls.tallies", 256)
