"""nginx in front (deploy/nginx/protect.conf): the public pages' cache, HTTPS, failover, static files, health."""

from __future__ import annotations

import re
import threading
import time
import urllib.request as plain

import pytest
from sqlalchemy import text

from deploy.topology import BROTLI_MODULE
from tests.topology.conftest import form_of, wait_for

# A change made through one server reaches anonymous visitors through the proxy within a second: the proxy keeps
# a page until the end of the second the app made it in. No request sent more than a second after the change
# (give or take the clocks' granularity) may get the old page, however long the requests take to answer.
WITHIN = 1.0 + 0.05


def last_old_answer(is_new, started: float, seconds: float = 3) -> float:
    """Ask through the proxy until three answers in a row are new; how long after ``started`` the last request
    that got the old page was sent (0 if none did)."""
    last_old, new_in_a_row = started, 0
    deadline = time.monotonic() + seconds
    while new_in_a_row < 3:
        assert time.monotonic() < deadline, "the proxy still serves the old page"
        sent = time.monotonic()
        if is_new():
            new_in_a_row += 1
        else:
            last_old, new_in_a_row = sent, 0
        time.sleep(0.02)
    return last_old - started


def _log_lines(topology, name: str) -> int:
    return len(topology.servers[name].log.read_text(errors="replace").splitlines())


def test_each_app_server_answers_its_health_check_and_nginx_passes_it(browser, topology):
    visitor = browser()
    for name in ("a", "b"):
        answer = visitor.get("/healthz", server=name)
        assert answer.status == 200 and '"database":"ok"' in answer.text.replace(" ", "")
    assert visitor.get("/healthz").status == 200


def test_requests_through_nginx_are_spread_over_both_servers(browser, topology):
    before = {name: _log_lines(topology, name) for name in ("a", "b")}
    visitor = browser()
    for _ in range(10):
        assert visitor.get("/healthz").status == 200
    time.sleep(0.2)
    assert all(_log_lines(topology, name) > before[name] for name in ("a", "b"))


def _page(database, slug: str) -> int:
    with database.connect() as conn:
        return conn.execute(text("SELECT id FROM programme_page WHERE slug = :s"), {"s": slug}).scalar_one()


def _moderator(browser):
    moderator = browser()
    moderator.sign_in("moderator@example.org", server="a")
    return moderator


def _cached(visitor, path: str) -> str:
    """Ask twice: the second answer comes from the proxy's cache (or is revalidated by it)."""
    visitor.get(path)
    answer = visitor.get(path)
    assert answer.header("X-Cache-Status") in ("HIT", "REVALIDATED"), answer.header("X-Cache-Status")
    return answer.text


def test_a_withdrawal_on_a_reaches_anonymous_visitors_through_the_proxy_within_a_second(browser, database):
    slug = "riga-2016-training"
    anonymous = browser()
    assert "Riga" in _cached(anonymous, f"/programme/{slug}")
    moderator = _moderator(browser)
    page_id = _page(database, slug)
    moderator.get(f"/publishing/{page_id}", server="a")
    done = moderator.post(f"/publishing/{page_id}/withdraw", {"reason": "Dates under review"}, server="a")
    assert done.status in (200, 303), done.text[:300]
    started = time.monotonic()
    stale = last_old_answer(lambda: anonymous.get(f"/programme/{slug}").status == 410, started)
    assert stale <= WITHIN, f"the withdrawn page was served {stale:.2f} s after the withdrawal"
    assert "Dates under review" in anonymous.get(f"/programme/{slug}").text
    assert slug not in _cached(anonymous, "/programme/")


def test_a_publication_on_a_reaches_anonymous_visitors_through_the_proxy_within_a_second(browser, database):
    slug = "helsinki-2027-training"  # a draft in the demo data, never published
    anonymous = browser()
    list_before = _cached(anonymous, "/programme/")
    assert f"/programme/{slug}" not in list_before
    assert anonymous.get(f"/programme/{slug}").status == 404
    moderator = _moderator(browser)
    page_id = _page(database, slug)
    page = moderator.get(f"/publishing/{page_id}", server="b").text
    submit, _ = form_of(page, f"/publishing/{page_id}/submit")
    assert moderator.post(f"/publishing/{page_id}/submit", submit, server="b").status in (200, 303)
    page = moderator.get(f"/publishing/{page_id}", server="a").text
    approve, _ = form_of(page, f"/publishing/{page_id}/approve")
    assert moderator.post(f"/publishing/{page_id}/approve", approve, server="a").status in (200, 303)
    page = moderator.get(f"/publishing/{page_id}", server="b").text
    publish, _ = form_of(page, f"/publishing/{page_id}/publish")
    done = moderator.post(f"/publishing/{page_id}/publish", publish, server="a")
    assert done.status in (200, 303), done.text[:300]
    started = time.monotonic()
    stale = last_old_answer(lambda: f"/programme/{slug}" in anonymous.get("/programme/").text, started)
    assert stale <= WITHIN, f"the list without the new page was served {stale:.2f} s after the publication"
    assert anonymous.get(f"/programme/{slug}").status == 200


def test_the_proxy_never_gives_a_members_page_or_a_cookie_to_anyone_else(browser):
    member = browser()
    member.sign_in("expert@example.org")
    mine = member.get("/programme/")
    assert mine.header("X-Cache-Status") == "BYPASS"  # a request with a cookie neither uses nor fills the cache
    assert "Jonas Petrauskas" in mine.text
    dashboard = member.get("/dashboard")
    assert dashboard.status == 200 and dashboard.header("X-Cache-Status") == "BYPASS"

    anonymous = browser()
    for _ in range(2):
        public = anonymous.get("/programme/", send_cookies=False)
        assert "Jonas Petrauskas" not in public.text and not public.all("Set-Cookie")
        assert public.header("X-Accel-Expires") is None  # nginx's instruction from the app, not for browsers
        assert anonymous.get("/dashboard", send_cookies=False).status == 302
    # A response that sets a cookie is never stored: each visitor of the sign-in form gets a session of their own.
    first, second = browser().get("/login"), browser().get("/login")
    assert first.header("X-Cache-Status") != "HIT" and second.header("X-Cache-Status") != "HIT"
    assert first.all("Set-Cookie") and first.all("Set-Cookie") != second.all("Set-Cookie")
    # A visitor with only a language cookie is not served from the cache either.
    assert anonymous.get("/programme/", headers={"Cookie": "lang=lv"}).header("X-Cache-Status") == "BYPASS"


def test_over_https_cookies_are_secure_hsts_is_sent_and_redirects_stay_on_https(browser, topology):
    visitor = browser()
    login = visitor.get("/login")
    assert "max-age=31536000" in (login.header("Strict-Transport-Security") or "")
    cookies = login.all("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert any(cookie.startswith("__Host-session=") for cookie in cookies)
    signed_in = visitor.post("/login", {"email": "expert@example.org", "password": "protect-demo-2015", "next": ""})
    assert signed_in.status == 303
    for location in (signed_in.header("Location"), browser().get("/dashboard").header("Location")):
        assert location and (location.startswith("/") or location.startswith(topology.url)), location
        assert not location.startswith("http:")
    for cookie in signed_in.all("Set-Cookie"):
        assert "Secure" in cookie
    # Plain HTTP is sent to HTTPS, on the same host and path.
    request = plain.Request(f"{topology.http_url}/programme/?x=1", method="GET")  # noqa: S310 - http, ours

    class NoRedirect(plain.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        plain.build_opener(NoRedirect).open(request, timeout=5)
        raise AssertionError("plain HTTP was served")
    except plain.HTTPError as error:
        assert error.code == 301
        assert error.headers["Location"] == f"{topology.url}/programme/?x=1"


def test_the_app_sees_the_address_nginx_saw_never_one_the_client_claims(browser, database):
    member = browser()
    member.get("/login")
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
    answer = member.post(
        "/login", {"email": "olga@example.org", "password": "protect-demo-2015", "next": ""}, headers=spoofed
    )
    assert answer.status == 303  # the Referer matched: the host and scheme were nginx's, not the claimed ones
    assert any("Secure" in cookie for cookie in answer.all("Set-Cookie"))
    with database.connect() as conn:
        addresses = conn.execute(
            text(
                "SELECT s.ip_address FROM user_session s JOIN users u ON u.id = s.user_id "
                "WHERE u.email = 'olga@example.org' ORDER BY s.id DESC LIMIT 1"
            )
        ).scalar_one()
    assert addresses == "127.0.0.1"


def test_a_form_posted_from_another_site_is_refused(browser):
    visitor = browser()
    visitor.get("/login")
    foreign = {"Origin": "https://evil.example", "Referer": "https://evil.example/login"}
    answer = visitor.post(
        "/login", {"email": "expert@example.org", "password": "protect-demo-2015", "next": ""}, headers=foreign
    )
    assert answer.status == 400
    assert visitor.get("/dashboard").status == 302  # not signed in
    no_referer = visitor.post(
        "/login", {"email": "expert@example.org", "password": "protect-demo-2015"}, headers={"Referer": ""}
    )
    assert no_referer.status == 400
    same_site = visitor.post("/login", {"email": "expert@example.org", "password": "protect-demo-2015", "next": ""})
    assert same_site.status == 303


def test_static_files_come_from_nginx_compressed_with_long_lifetimes_for_fingerprinted_urls(browser, topology):
    visitor = browser()
    page = visitor.get("/login").text
    stylesheet = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page)
    assert stylesheet, "the page links its stylesheet with a fingerprint"
    before = {name: topology.servers[name].log.read_text(errors="replace") for name in ("a", "b")}
    answer = visitor.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert answer.status == 200 and answer.header("Content-Encoding") == "gzip"
    assert answer.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in (answer.header("Vary") or "")
    assert b"{" in answer.body  # CSS, decompressed
    plain = visitor.get("/static/css/app.css")
    assert plain.header("Cache-Control") == "public, max-age=3600"
    assert visitor.get("/static/js/app.js", headers={"Accept-Encoding": "gzip"}).header("Content-Encoding") == "gzip"
    time.sleep(0.2)
    for name in ("a", "b"):  # neither app server saw them
        after = topology.servers[name].log.read_text(errors="replace")
        assert "/static/" not in after[len(before[name]) :]
    pages = visitor.get("/programme/", headers={"Accept-Encoding": "gzip"})
    assert pages.header("Content-Encoding") == "gzip"  # pages from the app are compressed too


def test_brotli_where_debians_module_is_installed(browser):
    if not BROTLI_MODULE.exists():
        pytest.skip("libnginx-mod-http-brotli-filter is not installed: gzip only")
    visitor = browser()
    for path in ("/static/css/app.css", "/programme/"):
        answer = visitor.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert answer.status == 200 and answer.header("Content-Encoding") == "br", path


def test_one_app_server_killed_the_other_serves_and_the_first_takes_traffic_again_when_restarted(browser, topology):
    member = browser()
    member.sign_in("aino@example.org")
    failures: list[int] = []
    served = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal served
        while not stop.is_set():
            answer = member.get("/dashboard")
            if answer.status == 200:
                served += 1
            else:
                failures.append(answer.status)

    load = threading.Thread(target=keep_asking)
    load.start()
    try:
        time.sleep(0.5)
        topology.kill_server("a")
        before = served
        time.sleep(2)
        assert served > before + 5, "server B did not take the requests"
    finally:
        stop.set()
        load.join(20)
        if topology.servers["a"].process is None:
            topology.start_server("a")
    assert len(failures) <= 1, failures  # at most the one request in flight when A died

    # Restarted, A takes traffic again (nginx tries it again after fail_timeout, 5 s).
    lines = _log_lines(topology, "a")

    def a_serves() -> bool:
        assert member.get("/dashboard").status == 200
        return _log_lines(topology, "a") > lines

    assert wait_for(a_serves, 8, step=0.2), "server A took no request after its restart"
