"""The one in-process cache every feature keys its derived data in."""

from __future__ import annotations

import threading

from protect import create_app
from protect.core.lru import LRU, app_cache
from protect.core.text import plain_excerpt, render_markdown
from protect.extensions import db
from tests.conftest import TEST_CONFIG


def test_the_least_recently_used_entry_goes_first():
    cache: LRU[str] = LRU(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # "a" is now the most recent
    cache.put("c", "C")
    assert cache.get("b") is None and cache.get("a") == "A" and cache.get("c") == "C"
    assert (cache.hits, cache.misses) == (3, 1)


def test_the_total_weight_is_bounded_and_replacing_an_entry_does_not_count_it_twice():
    cache: LRU[bytes] = LRU(size=100, max_weight=10, weigh=len)
    cache.put("a", b"12345")
    cache.put("a", b"123")
    assert cache.weight == 3
    cache.put("b", b"1234567")
    assert cache.weight == 10 and len(cache) == 2
    cache.put("c", b"12")
    assert cache.get("a") is None and cache.weight == 9
    cache.put("huge", b"x" * 50)  # heavier than the whole budget: kept by nobody
    assert cache.weight <= 10 and cache.get("huge") is None


def test_get_or_compute_computes_once_per_key():
    cache: LRU[int] = LRU()
    calls = []
    for _ in range(3):
        assert cache.get_or_compute("k", lambda: calls.append(1) or 42) == 42
    assert calls == [1]
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0 and cache.get("k") is None


def test_threads_never_see_more_entries_than_the_size():
    cache: LRU[int] = LRU(size=8)

    def work(offset: int) -> None:
        for n in range(500):
            cache.put((offset, n), n)
            cache.get((offset, n - 3))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 8


def test_every_cache_belongs_to_one_application_and_none_to_a_module(app, database_url):
    """Each app has its own caches (``app.extensions``): what one app rendered, counted or listed is never
    served by another app in the same process."""
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    render_markdown("Kept by **this** app")
    plain_excerpt("Kept by **this** app")
    names = set(app.extensions["protect_caches"])
    assert {"markdown", "markdown.excerpts"} <= names
    with other.app_context():
        assert other.extensions["protect_caches"] == {}
        render_markdown("Kept by **this** app")
        assert app_cache("markdown") is not app_cache("markdown", app=app)
        assert (app_cache("markdown").misses, app_cache("markdown").hits) == (1, 0)
        db.engine.dispose()
