"""The notifications in a real browser: the header's count that updates by itself, the page, marking read."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from protect.core.database import writing
from protect.core.i18n import N_
from protect.extensions import db
from protect.notifications import services
from tests.browser.conftest import assert_accessible
from tests.factories import make_user

PHONE = {"width": 390, "height": 844}


def tell(user, thread: str = "revision:1", title: str = "§4 Identification") -> None:
    db.session.rollback()  # the test's session may hold a read snapshot from before the browser's requests
    with writing():
        _notify(user, thread, title)
        db.session.commit()


def _notify(user, thread: str, title: str) -> None:
    services.notify(
        "reply",
        [user.id],
        thread=thread,
        title=title,
        summary=N_("%(name)s commented on “%(title)s”"),
        params={"name": "Bo Berg", "title": title},
        url="/dashboard",
    )


def test_the_header_count_appears_updates_and_leads_to_the_notices(signed_in, expert):
    tell(expert)
    page = signed_in(expert)
    link = page.locator("#notices-badge a")
    expect(link).to_have_accessible_name(re.compile(r"Notifications\s*1 unread"))
    # A notice that arrives while the page is open shows in the count without a reload (the 30 s poll, sped up).
    tell(expert, thread="revision:2", title="§5 Guardianship")
    page.evaluate("htmx.trigger(document.body, 'notifications:changed')")
    expect(link).to_have_accessible_name(re.compile(r"Notifications\s*2 unread"))
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_role("heading", name=re.compile("§4 Identification"))).to_be_visible()
    assert_accessible(page, "notifications page")


def test_marking_read_empties_the_new_list_and_the_count(signed_in, expert):
    tell(expert)
    tell(expert)
    page = signed_in(expert)
    page.goto("/notifications")
    expect(page.get_by_text("2 new")).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Nothing new.")).to_be_visible()
    expect(page.locator("#notices-badge a")).to_have_accessible_name("Notifications")
    db.session.rollback()
    assert services.unread_count(expert.id) == 0


def test_following_a_notice_marks_it_read(signed_in, expert):
    tell(expert)
    page = signed_in(expert)
    page.goto("/notifications")
    page.get_by_role("link", name="Bo Berg commented on “§4 Identification”").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    db.session.rollback()
    assert services.unread_count(expert.id) == 0


def test_the_notifications_pages_on_a_phone(signed_in, expert):
    tell(expert, title="A very long section title that has to wrap on a small screen " * 2)
    moderator = make_user("moderator")
    page = signed_in(expert)
    page.set_viewport_size(PHONE)
    page.goto("/notifications")
    assert_accessible(page, "notifications at 390 px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/notifications/settings")
    assert_accessible(page, "notification settings at 390 px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    mod = signed_in(moderator)
    mod.set_viewport_size(PHONE)
    mod.goto("/notifications/outbox")
    assert_accessible(mod, "outbox at 390 px")
    assert mod.evaluate("document.documentElement.scrollWidth") <= 390


def test_settings_are_kept_without_javascript(browser, live_server, expert):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.goto("/notifications/settings")
        page.get_by_role("group", name="Someone mentions me with @").get_by_label("In the weekly digest").check()
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
        db.session.rollback()
        assert services.settings_of(expert.id)["mention"] == "weekly"
    finally:
        context.close()


def test_following_and_muting_an_agenda_in_place(signed_in, expert, moderator):
    from tests.agendas.factories import make_event

    event = make_event(moderator, title="Riga 2016")
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text="You follow this now.")).to_be_visible()
    db.session.rollback()
    assert services.subscription_state(expert.id, f"agenda:{event.id}") == "follow"
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.get_by_role("button", name="Muted: unmute")).to_be_visible()
    db.session.rollback()
    assert services.subscription_state(expert.id, f"agenda:{event.id}") == "mute"
    assert_accessible(page, "agenda with its follow control")
    page.reload()  # the page (cached per member) shows the choice after a reload too
    expect(page.get_by_role("button", name="Muted: unmute")).to_be_visible()


def test_the_unsubscribe_link_asks_before_it_stops_the_mail(page, expert):
    from protect.notifications.mailer import unsubscribe_token

    page.goto(f"/notifications/unsubscribe/{unsubscribe_token(expert.id, 'mention')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop these e-mails")
    assert services.settings_of(expert.id)["mention"] == "now"  # opening the link changes nothing
    assert_accessible(page, "unsubscribe page")
    page.get_by_role("button", name="Stop these e-mails").click()
    expect(page.get_by_text("you get no more e-mails about")).to_be_visible()
    db.session.rollback()
    assert services.settings_of(expert.id)["mention"] == "app"
