"""The foundation in a real browser: invitation to dashboard, sign-in errors, CSRF on htmx, accessibility."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from protect.auth.models import User
from protect.extensions import db
from tests.browser.conftest import assert_accessible


def test_invite_accept_sign_in_dashboard_sign_out(signed_in, new_context, admin):
    admin_page = signed_in(admin)
    admin_page.get_by_role("link", name="People").click()
    admin_page.get_by_role("link", name="Invite a person").click()
    admin_page.get_by_label("Email").fill("maija@test.example")
    admin_page.get_by_label("Role").select_option("expert")
    admin_page.get_by_label("Country").select_option("FI")
    admin_page.get_by_label("Sector").select_option("child_welfare")
    admin_page.get_by_role("button", name="Create invitation").click()
    expect(admin_page.get_by_role("heading", name="Invitation created")).to_be_visible()
    link = admin_page.get_by_label(re.compile("Invitation link")).input_value()
    assert "/invite/" in link

    invitee = new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_text("maija@test.example")).to_be_visible()
    invitee.get_by_label("Your name as others see it").fill("Maija Korhonen")
    invitee.get_by_label("Time zone").select_option("Europe/Helsinki")
    invitee.get_by_label("New password").fill("sauna by the lake 2015")
    invitee.get_by_label("Repeat the password").fill("sauna by the lake 2015")
    invitee.get_by_role("button", name="Create my account").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Welcome, Maija Korhonen")

    invitee.get_by_role("button", name="Sign out").click()
    expect(invitee.get_by_role("heading", name="Sign in")).to_be_visible()
    invitee.get_by_label("Email").fill("maija@test.example")
    invitee.get_by_label("Password").fill("sauna by the lake 2015")
    invitee.get_by_role("button", name="Sign in").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Welcome, Maija Korhonen")
    expect(invitee.get_by_role("link", name="People")).to_have_count(0)  # experts do not see user admin

    # the used link does not work a second time
    invitee.goto(link)
    expect(invitee.get_by_text("used already")).to_be_visible()


def test_a_wrong_password_is_refused_and_the_email_kept(page, expert):
    page.goto("/login")
    page.get_by_label("Email").fill(expert.email)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email address or the password is not correct.")
    expect(page.get_by_label("Email")).to_have_value(expert.email)
    expect(page.get_by_label("Password")).to_have_value("")


def test_htmx_requests_carry_the_csrf_token_and_are_refused_without_it(signed_in, admin, expert):
    page = signed_in(admin)
    page.goto("/admin/users")
    row = page.locator(f"#user-{expert.id}")
    row.get_by_label("Role of Eva Expert").select_option("moderator")
    with page.expect_response(re.compile("/role$")) as answer:
        row.get_by_role("button", name="Change role of Eva Expert").click()
    assert answer.value.status == 200
    expect(page.locator(f"#user-{expert.id}").get_by_label("Role of Eva Expert")).to_have_value("moderator")
    db.session.rollback()  # end the test's read snapshot: see what the server wrote
    assert db.session.get(User, expert.id).role == "moderator"

    # Without the token (removed from the page) the same htmx request is refused and says why.
    page.evaluate("document.querySelector('meta[name=csrf-token]').remove()")
    page.locator(f"#user-{expert.id} input[name=csrf_token]").evaluate_all("els => els.forEach(el => el.remove())")
    row = page.locator(f"#user-{expert.id}")
    row.get_by_label("Role of Eva Expert").select_option("admin")
    with page.expect_response(re.compile("/role$")) as answer:
        row.get_by_role("button", name="Change role of Eva Expert").click()
    assert answer.value.status == 400
    expect(page.locator("#alerts")).to_contain_text("Security check failed")
    db.session.rollback()
    assert db.session.get(User, expert.id).role == "moderator"


def test_last_admin_message_appears_in_place(signed_in, admin):
    page = signed_in(admin)
    page.goto("/admin/users")
    row = page.locator(f"#user-{admin.id}")
    row.get_by_label("Role of Anna Admin").select_option("expert")
    row.get_by_role("button", name="Change role of Anna Admin").click()
    # the refusal is shown in the row itself, beside the role that stays as it was
    expect(page.locator(f"#user-{admin.id}").get_by_role("alert")).to_contain_text("last active administrator")
    expect(page.get_by_role("heading", name="People")).to_be_visible()


def test_sign_in_and_dashboard_are_accessible(page, signed_in, admin):
    page.goto("/login")
    assert_accessible(page, "sign-in page")
    dashboard = signed_in(admin)
    assert_accessible(dashboard, "dashboard")
    dashboard.goto("/admin/users")
    assert_accessible(dashboard, "people page")
    dashboard.goto("/profile")
    assert_accessible(dashboard, "profile page")


def test_a_session_ended_from_the_profile_is_gone_and_a_copied_cookie_opens_nothing(signed_in, new_context, expert):
    laptop = signed_in(expert)
    phone = signed_in(expert)
    thief = new_context()  # a copy of the laptop's cookie, taken before it signs out
    thief.add_cookies(laptop.context.cookies())
    thief_page = thief.new_page()
    thief_page.goto("/dashboard")
    expect(thief_page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto("/profile")
    sessions = phone.locator("#sessions")
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(sessions.get_by_text("this session", exact=True)).to_have_count(1)
    assert_accessible(phone, "profile with its sessions at 390 px")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    other = sessions.get_by_role("listitem").filter(has_not_text="this session")
    with phone.expect_response(re.compile(r"/profile/sessions/\d+/end$")) as answer:
        other.get_by_role("button", name=re.compile("^End")).click()
    assert answer.value.status == 200
    expect(phone.locator("#sessions").get_by_role("status")).to_contain_text("has ended")
    expect(phone.locator("#sessions").get_by_role("listitem")).to_have_count(1)

    # the laptop's session (and so the thief's copy) ended: both are sent to sign in
    laptop.goto("/dashboard")
    expect(laptop.get_by_role("heading", name="Sign in")).to_be_visible()
    thief_page.goto("/dashboard")
    expect(thief_page.get_by_role("heading", name="Sign in")).to_be_visible()

    # a plain sign-out ends the phone's session on the server too
    phone_copy = new_context()
    phone_copy.add_cookies(phone.context.cookies())
    phone.get_by_role("button", name="Sign out", exact=True).first.click()
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    copy_page = phone_copy.new_page()
    copy_page.goto("/dashboard")
    expect(copy_page.get_by_role("heading", name="Sign in")).to_be_visible()
