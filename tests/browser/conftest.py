"""Real-browser tests: Playwright drives Chromium against the app served on 127.0.0.1.

Chromium is Playwright's own when installed, else the system's (Debian package ``chromium``), else the one
named by ``PROTECT_CHROMIUM``. Without a browser these tests skip, unless ``PROTECT_REQUIRE_BROWSER=1``
(CI sets it): then they fail.

The server runs in this process, on the test database. To check what the browser's requests wrote, wait for
the response (``page.expect_response``) and call ``db.session.rollback()`` first: the test's own session may
still hold a read snapshot from before.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from protect.auth.models import User
from tests.factories import PASSWORD

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect.set_options(timeout=7_000)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _chromium() -> str | None:
    for candidate in (os.environ.get("PROTECT_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _closed_before_sending(app: Flask):
    """The response read whole and closed before Werkzeug's server sends it.

    When the browser drops a connection (it cancels a favicon or a superseded htmx request),
    Werkzeug's development server skips closing the response, and a static file's handle is
    then left to the garbage collector: a ResourceWarning that `filterwarnings = error` turns
    into a failure in whichever test happens to run. The app streams nothing, so nothing is lost.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app under test, served by a threaded server on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        executable = None
        try:
            launched = playwright.chromium.launch(args=CHROMIUM_FLAGS)
        except Exception:  # noqa: BLE001 - Playwright's own browser is usually not downloaded
            executable = _chromium()
            if executable is None:
                message = "no Chromium found (apt-get install chromium, or set PROTECT_CHROMIUM)"
                if os.environ.get("PROTECT_REQUIRE_BROWSER") == "1":
                    pytest.fail(message)
                pytest.skip(message)
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Browser, live_server: str) -> Iterator[Callable[[], BrowserContext]]:
    """``new_context()``: a fresh browser profile (cookies of its own) on the live server."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id="Europe/Copenhagen")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A page for a visitor who is not signed in."""
    return new_context().new_page()


@pytest.fixture
def signed_in(new_context) -> Callable[[User], Page]:
    """``signed_in(user)``: a page in a new browser profile, signed in through the sign-in form."""

    def sign_in(user: User, password: str = PASSWORD) -> Page:
        page = new_context().new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        return page

    return sign_in


def assert_accessible(page: Page, context: str = "") -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in bad
    )
    assert not bad, f"axe-core violations on {context or page.url}:\n{report}"
