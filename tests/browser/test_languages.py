"""The main jobs in a real browser in Russian and in German: a visitor's switch, signing in, the agenda's htmx
editor, a comment on a revision, a ballot, the decision log, the profile; axe-core on each page at a desktop's
and a phone's width. Names are looked up in the compiled catalogues, so the test reads what a member reads."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from babel.support import Translations
from playwright.sync_api import Page, expect

from protect.core.i18n import TRANSLATIONS
from protect.extensions import db
from tests.agendas.factories import make_day, make_event
from tests.browser.conftest import assert_accessible
from tests.decisions.factories import make_decision
from tests.factories import PASSWORD
from tests.guidelines.factories import current, first_section, make_guideline
from tests.polls.factories import make_poll

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = {"ru": "ru-RU", "de": "de-DE"}
LANGUAGE_NAMES = {"ru": "Русский", "de": "Deutsch"}


def translator(code: str):
    catalogue = Translations.load(str(TRANSLATIONS), [code])

    def tr(message: str, **values) -> str:
        """What a reader of ``code`` sees of ``message``: translated, filled in, without markup."""
        text = catalogue.gettext(message)
        assert text != message or code == "en", f"{message!r} is not translated in {code}"
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text % values if values else text)).split())

    return tr


def check_both_widths(page: Page, what: str) -> None:
    assert_accessible(page, f"{what} (desktop)")
    page.set_viewport_size(PHONE)
    assert_accessible(page, f"{what} (phone)")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide on a phone"
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def in_language(browser, live_server):
    contexts = []

    def make(code: str) -> Page:
        context = browser.new_context(
            base_url=live_server, locale=LANGUAGES[code], timezone_id="Europe/Riga", viewport=DESKTOP
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_a_visitor_reads_in_their_browsers_language_and_switches(in_language, code):
    tr = translator(code)
    page = in_language(code)
    page.goto("/programme/")
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.get_by_role("link", name=tr("Sign in"))).to_be_visible()
    check_both_widths(page, "the public programme list")
    other = "de" if code == "ru" else "ru"
    switch = page.get_by_role("navigation", name=tr("Language"))
    switch.get_by_role("link", name=LANGUAGE_NAMES[other]).click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    assert page.url.endswith("/programme/")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", other)  # the switch is kept (a cookie)


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_a_member_does_the_main_jobs_in_their_language(in_language, code, expert, moderator):
    tr = translator(code)
    event = make_event(expert, title="Spring training in Riga")
    (item,) = make_day(event, expert, slots=[("09:00", "10:00")])
    guideline = make_guideline(moderator)
    revision = current(first_section(guideline))
    poll = make_poll(moderator, method="approval", secret=False, live=True, cities=("Riga", "Tallinn"))
    decision = make_decision(moderator, title="Each training lasts two days", due_on=date(2015, 12, 15))
    expert.language = code
    db.session.commit()

    page = in_language(code)
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", code)
    page.get_by_label(tr("Email")).fill(expert.email)
    page.get_by_label(tr("Password")).fill(PASSWORD)
    page.get_by_role("button", name=tr("Sign in")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Welcome, %(name)s", name=expert.display_name))
    check_both_widths(page, "the dashboard")

    # The agenda: the item's editor opens in place (htmx), saves, and the page stays in the language.
    page.goto(f"/events/{event.id}")
    expect(page.locator("html")).to_have_attribute("lang", code)
    check_both_widths(page, "the agenda")
    page.locator(f"#item-{item.id}-edit").click()
    page.get_by_label(tr("Title")).fill("Opening: who are the children on the move")
    with page.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        page.get_by_role("button", name=tr("Save"), exact=True).click()
    assert answer.value.status == 200
    expect(page.locator(f"#item-{item.id}")).to_contain_text("Opening: who are the children on the move")
    expect(page.locator(f"#item-{item.id} h4")).to_have_attribute("lang", "en")  # the group's text, in English

    # A comment on a revision of the Guidelines, posted with htmx.
    page.goto(f"/guidelines/revisions/{revision.id}")
    check_both_widths(page, "a revision")
    page.get_by_label(tr("Comment"), exact=True).fill("Wording for border guards?")
    with page.expect_response(re.compile(r"/comments$")) as answer:
        page.get_by_role("button", name=tr("Post the comment")).click()
    assert answer.value.status == 200
    expect(page.locator("#comments-live")).to_have_text(tr("Your comment is posted."))

    # A ballot: refused without a choice (the message in the language), then cast.
    page.goto(f"/polls/{poll.id}")
    check_both_widths(page, "a ballot")
    page.get_by_role("button", name=tr("Cast my ballot")).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", code)
    page.locator("input[type=checkbox]").first.check()
    page.get_by_role("button", name=tr("Cast my ballot")).click()
    expect(page.locator(".receipt__choices li")).to_have_count(1)
    check_both_widths(page, "a receipt")

    # The decision log and a decision.
    page.goto("/decisions/")
    expect(page.get_by_role("link", name=decision.title)).to_be_visible()
    check_both_widths(page, "the decision log")
    page.goto(f"/decisions/{decision.id}")
    check_both_widths(page, "a decision")

    # The profile: the member's language is chosen there and shown back in it.
    page.goto("/profile")
    check_both_widths(page, "the profile")
    page.get_by_label(tr("Language"), exact=True).select_option("de" if code == "ru" else "ru")
    page.get_by_role("button", name=tr("Save profile")).click()
    expect(page.locator("html")).to_have_attribute("lang", "de" if code == "ru" else "ru")
