"""The public list's finished responses, kept in front of Flask for visitors who send no cookie: served again
only while what they show is current, never to anyone else, and only what any visitor may be given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from protect.extensions import db
from protect.programme import services, views
from protect.programme.frontcache import FrontCache
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


def _front(status: str, headers: list[tuple[str, str]]) -> tuple[FrontCache, list[int]]:
    made: list[int] = []

    def page(environ, start_response):
        made.append(1)
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
    ],
    ids=["sets a cookie", "not public", "not a 200"],
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
