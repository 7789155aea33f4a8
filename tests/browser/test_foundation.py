"""The foundation in a real browser: invitation to dashboard, sign-in errors, CSRF on htmx, accessibility, and the
header on a phone (a menu button) and on a laptop (one line, a compact account menu)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from protect.auth.models import User
from protect.extensions import db
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD, make_user


def test_invite_accept_sign_in_dashboard_sign_out(signed_in, new_context, admin):
    admin_page = signed_in(admin)
    admin_page.get_by_role("link", name="People").click()
    admin_page.get_by_role("link", name="Invite a person").click()
    admin_page.get_by_label("Email").fill("maija@test.example")
    admin_page.get_by_label("Name", exact=True).fill("Maija Korhonen")
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

    invitee.get_by_role("button", name="Maija Korhonen (your account)").click()  # the account menu
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
    phone.get_by_role("button", name="Menu").click()  # on a phone, sign-out is in the folded menu
    phone.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    copy_page = phone_copy.new_page()
    copy_page.goto("/dashboard")
    expect(copy_page.get_by_role("heading", name="Sign in")).to_be_visible()


PHONE = {"width": 390, "height": 844}


def header_height(page: Page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


def assert_fits_the_phone(page: Page, what: str) -> None:
    """The header takes less than 15 % of the screen's height and nothing is wider than the screen."""
    assert header_height(page) < 0.15 * PHONE["height"], f"the header of {what} is {header_height(page)} px tall"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide on a {PHONE['width']} px phone"


def open_menu_by_keyboard(page: Page) -> None:
    """Tab from the top of the page to the menu button and open it with Enter."""
    toggle = page.get_by_role("button", name="Menu")
    for _ in range(4):  # the skip link, the brand, the button
        page.keyboard.press("Tab")
        if toggle.evaluate("el => el === document.activeElement"):
            break
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")


def test_on_a_phone_the_header_is_compact_and_the_menu_opens_by_keyboard(signed_in, admin):
    page = signed_in(admin)
    page.set_viewport_size(PHONE)
    page.goto("/dashboard")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    assert_fits_the_phone(page, "the dashboard")
    assert_accessible(page, "the dashboard on a phone, menu closed")

    open_menu_by_keyboard(page)
    nav = page.get_by_role("navigation", name="Main")
    for label in (
        "Dashboard", "Trainings", "Guidelines", "Votes", "Decisions", "Actions", "Programme", "Publishing", "People"
    ):  # fmt: skip
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Your profile")).to_be_visible()
    page.keyboard.press("Tab")  # the next stop is the first link of the opened menu
    expect(nav.get_by_role("link", name="Dashboard")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the dashboard on a phone, menu open")

    # Escape folds the menu and gives the focus back to its button; Enter on a link follows it.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(nav.get_by_role("link", name="Trainings")).to_be_hidden()
    page.keyboard.press("Enter")  # the button has the focus: open again, then Tab to "Votes" and follow it
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for _ in range(4):
        page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Votes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/polls"))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    assert_fits_the_phone(page, "the list of votes")


def test_without_javascript_the_navigation_stays_reachable_on_a_phone(browser, live_server, expert):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        # No button that could not work: the menu is simply open, and so is the account's sign-out.
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Trainings")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        context.close()


def test_on_a_laptop_an_administrators_header_is_one_line(signed_in, new_context):
    long_named = make_user("admin", display_name="Anna-Kristiina Vähämäki-Johansson")
    page = signed_in(long_named)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/publishing/")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links).to_have_count(9)  # Dashboard, Trainings, Guidelines, Votes, Decisions, Actions, Programme, ...
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(9))}
    assert len(tops) == 1, f"the navigation wraps to {len(tops)} lines"
    assert header_height(page) < 70, f"the header is {header_height(page)} px tall"
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()

    # The account menu: name, role, profile and sign-out behind one button; Escape closes it.
    account = page.get_by_role("button", name=re.compile(r"\(your account\)$"))
    expect(account).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    account.focus()
    page.keyboard.press("Enter")
    expect(account).to_have_attribute("aria-expanded", "true")
    menu = page.locator("#account-menu")
    expect(menu).to_contain_text("Anna-Kristiina Vähämäki-Johansson")
    expect(menu).to_contain_text("Administrator")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Your profile")).to_be_focused()
    assert_accessible(page, "the account menu")
    page.keyboard.press("Escape")
    expect(account).to_be_focused()
    expect(menu).to_be_hidden()
    # A click elsewhere closes it too.
    account.click()
    expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("heading", level=1).click()
    expect(menu).to_be_hidden()
    account.click()
    menu.get_by_role("link", name="Your profile").click()
    expect(page).to_have_url(re.compile("/profile$"))
