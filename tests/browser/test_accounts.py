"""Two-factor sign-in and passkeys in a real browser: setting up an authenticator app from the QR page, and
adding a passkey and signing in with it (alone, and as the second factor) with Chromium's virtual authenticator."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from protect.auth.models import Passkey
from protect.extensions import db
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD


def sign_in_form(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.locator(".account__toggle").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_setting_up_an_authenticator_app_and_signing_in_with_it(signed_in, expert):
    page = signed_in(expert)
    page.goto("/profile/security")
    assert_accessible(page, "the security page")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert_accessible(page, "the authenticator set-up")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    expect(page.get_by_role("button", name="Print the codes")).to_be_visible()
    assert_accessible(page, "the recovery codes")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the codes").click()
    assert download.value.suggested_filename == "protect-recovery-codes.txt"

    page.goto("/dashboard")
    sign_out(page)
    sign_in_form(page, expert.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step of signing in")
    assert_accessible(page, "the second step")
    page.get_by_label("Code").fill(totp.at(time.time() + 30))  # the next step: the set-up's code is used
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


@pytest.fixture
def on_localhost(app, live_server, browser, monkeypatch):
    """A browser profile on http://localhost:<port> (a passkey's relying party is a domain, never an address),
    with PROTECT_BASE_URL saying so, and a page with Chromium's virtual authenticator (CDP's WebAuthn domain)."""
    base = live_server.replace("127.0.0.1", "localhost")
    monkeypatch.setitem(app.config, "BASE_URL", base)
    context = browser.new_context(base_url=base, locale="en-GB", timezone_id="Europe/Copenhagen")
    context.set_default_timeout(10_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield page
    context.close()


def test_adding_a_passkey_and_signing_in_with_it_alone_and_as_the_second_factor(on_localhost, moderator):
    page = on_localhost
    sign_in_form(page, moderator.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto("/profile/security")
    page.get_by_label("Name of the passkey").fill("Work laptop")
    with page.expect_response(lambda r: r.url.endswith("/profile/security/passkeys")) as added:
        page.get_by_role("button", name="Add a passkey").click()
    assert added.value.status == 200
    expect(page.locator("#passkey-list")).to_contain_text("Work laptop")
    expect(page.locator("#passkey-list")).to_contain_text("not used yet")
    assert_accessible(page, "the security page with a passkey")
    db.session.rollback()
    [passkey] = db.session.execute(db.select(Passkey)).scalars().all()
    assert passkey.user_id == moderator.id and passkey.name == "Work laptop"

    # The passkey alone.
    page.goto("/dashboard")
    sign_out(page)
    with page.expect_response(lambda r: r.url.endswith("/login/passkey")) as signed:
        page.get_by_role("button", name="Use a passkey").click()
    assert signed.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto("/profile/security")
    expect(page.locator("#passkey-list")).to_contain_text("last used")
    expect(page.locator("#events-title + ul")).to_contain_text("signed in with a passkey")

    # After the password, as the second factor.
    page.goto("/dashboard")
    sign_out(page)
    sign_in_form(page, moderator.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step of signing in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_a_passkey_answer_for_another_site_is_refused(on_localhost, app, moderator, monkeypatch):
    page = on_localhost
    sign_in_form(page, moderator.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto("/profile/security")
    # The server now expects another relying party: the browser's answer (for localhost) must not be accepted.
    monkeypatch.setitem(app.config, "BASE_URL", "https://elsewhere.example")
    page.get_by_label("Name of the passkey").fill("Wrong site")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("[data-passkey-error]").first).not_to_be_empty()
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count()).select_from(Passkey)).scalar_one() == 0
    assert re.search(r"/profile/security$", page.url)
