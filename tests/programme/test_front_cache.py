"""The public list's finished responses, kept in front of Flask for visitors who send no cookie: served again
only while what they show is current, never to anyone else, and only what any visitor may be given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from protect.extensions import db
from protect.programme import services, views
from protect.programme.frontcache import GENERATION, FrontCache
from tests.programme.factories import add_item, make_event, published_page, today

LIST = "/programme/"


@pytest.fixture
def entered(app: Flask):
    """How many requests reached Flask's own handling (its before-request hooks)."""
    app.extensions["programme_front_cache"].kept.clear()
    calls: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append("flask") and None)
    yield calls
    app.before_request_funcs[None].pop(0)


@pytest.fixture
def riga(expert, moderator):
    event = make_event(slug="riga-2027-training", city="Riga", country="LV")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child")
    return published_page(expert, moderator, event, title="Training in Riga")


def test_the_second_visit_does_not_enter_flask_and_is_the_same_response(app, riga, entered):
    client = app.test_client(use_cookies=False)
    first, second = client.get(LIST), client.get(LIST)
    assert len(entered) == 1
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data() and "Training in Riga" in second.get_data(as_text=True)
    assert list(first.headers) == list(second.headers)
    assert second.headers["Cache-Control"] == "public, no-cache" and second.headers["ETag"]
    assert "default-src 'self'" in second.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "session=anything"},
        {"Authorization": "Basic eDp5"},
        {"HX-Request": "true"},
        {"If-Modified-Since": "Sun, 29 Nov 2026 00:00:00 GMT"},
    ],
    ids=["cookie", "authorization", "htmx", "conditional"],
)
def test_any_other_request_goes_to_flask(app, riga, entered, headers):
    client = app.test_client(use_cookies=False)
    client.get(LIST)  # kept
    client.get(LIST, headers=headers)
    client.get(LIST, headers=headers)
    assert len(entered) == 3


def test_a_conditional_request_still_gets_its_304(app, riga, entered):
    client = app.test_client(use_cookies=False)
    etag = client.get(LIST).headers["ETag"]
    assert client.get(LIST, headers={"If-None-Match": etag}).status_code == 304


def test_a_signed_in_member_is_never_given_the_visitors_list(app, riga, client_for, expert, entered):
    app.test_client(use_cookies=False).get(LIST)  # a visitor's list, kept
    member = client_for(expert).get(LIST)
    assert member.headers["Cache-Control"] == "no-store"
    assert expert.display_name in member.get_data(as_text=True)


def test_a_withdrawal_reaches_the_very_next_visit(app, riga, moderator, entered):
    client = app.test_client(use_cookies=False)
    assert "Training in Riga" in client.get(LIST).get_data(as_text=True)
    services.withdraw(moderator, riga.id, "Cancelled by the host.")
    db.session.commit()
    assert "Training in Riga" not in client.get(LIST).get_data(as_text=True)
    assert len(entered) == 2


def test_a_new_day_makes_the_list_again(app, riga, entered, monkeypatch):
    client = app.test_client(use_cookies=False)
    client.get(LIST)
    monkeypatch.setattr(views, "_today", lambda: today() + timedelta(days=1))
    client.get(LIST)
    assert len(entered) == 2


def test_each_address_is_kept_apart(app, riga, entered):
    """The page's absolute links come from the host and scheme it is reached at, and a search is another list."""
    client = app.test_client(use_cookies=False)
    for _ in range(2):
        client.get(LIST)
        client.get(LIST, base_url="https://programme.example.org")
        client.get(LIST, headers={"X-Forwarded-Proto": "https"})
        client.get(LIST + "?q=riga")
    assert len(entered) == 4


def test_it_can_be_turned_off(app, riga, entered):
    app.config["PUBLIC_FRONT_CACHE"] = False
    try:
        client = app.test_client(use_cookies=False)
        client.get(LIST)
        client.get(LIST)
    finally:
        app.config["PUBLIC_FRONT_CACHE"] = True
    assert len(entered) == 2


def _front(status: str, headers: list[tuple[str, str]], made_for: str = "now") -> tuple[FrontCache, list[int]]:
    """A front cache before a stand-in for the list, made for generation ``made_for`` (the current one: "now")."""
    made: list[int] = []

    def page(environ, start_response):
        made.append(1)
        if made_for != "now":
            environ[GENERATION] = made_for
        start_response(status, headers)
        return [b"<p>the list</p>"]

    app = Flask(__name__)
    app.config["PUBLIC_FRONT_CACHE"] = True
    front = FrontCache(app, page)
    front._generation = lambda: "now"  # type: ignore[method-assign]
    return front, made


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("Cache-Control", "public, no-cache"), ("Set-Cookie", "session=abc")]),
        ("200 OK", [("Cache-Control", "no-store")]),
        ("404 NOT FOUND", [("Cache-Control", "public, no-cache")]),
        ("200 OK", [("Cache-Control", "public, no-cache"), ("X-RateLimit-Remaining", "4")]),
    ],
    ids=["sets a cookie", "not public", "not a 200", "one client's rate limit"],
)
def test_only_a_public_200_without_a_cookie_is_kept(status, headers):
    front, made = _front(status, headers)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": LIST, "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}
    for _ in range(2):
        assert b"".join(front(dict(environ), lambda *_args: None)) == b"<p>the list</p>"
    assert len(made) == 2


def test_a_public_200_is_kept():
    front, made = _front("200 OK", [("Cache-Control", "public, no-cache")])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": LIST, "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}
    for _ in range(2):
        assert b"".join(front(dict(environ), lambda *_args: None)) == b"<p>the list</p>"
    assert len(made) == 1


def test_a_list_made_for_another_generation_is_not_kept():
    """Should the view ever make the list for another generation than the one the front cache handed it, that
    list is sent, but not kept as the current one."""
    front, made = _front("200 OK", [("Cache-Control", "public, no-cache")], made_for="a moment ago")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": LIST, "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}
    for _ in range(2):
        assert b"".join(front(dict(environ), lambda *_args: None)) == b"<p>the list</p>"
    assert len(made) == 2


def test_the_visitors_address_is_not_part_of_the_key(app, riga, entered):
    client = app.test_client(use_cookies=False)
    for address in ("192.0.2.1", "198.51.100.7", "203.0.113.9"):
        client.get(LIST, headers={"X-Forwarded-For": address})
    assert len(entered) == 1


def test_a_read_begun_earlier_never_replaces_a_later_one_in_the_memo(app, riga, monkeypatch):
    """Two threads read what is live; the one that began first finishes last: the memo keeps the later read."""
    app.config["PUBLIC_RECHECK_SECONDS"] = 60
    try:
        with app.test_request_context(LIST):
            services.recently_read("race", lambda: "newer")
            clock = iter([0.0])  # the slow read began before the memo's entry was made
            monkeypatch.setattr(services.time, "monotonic", lambda: next(clock, 0.0))
            services.recently_read("race", lambda: "older")
            monkeypatch.undo()
            assert services.recently_read("race", lambda: "read again") == "newer"
    finally:
        app.config["PUBLIC_RECHECK_SECONDS"] = 0
