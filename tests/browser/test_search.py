"""Searching in a real browser, from the keyboard: the header's box offers suggestions as one types (a
combobox: the arrow keys choose, Enter opens the chosen one, or the full results with none chosen), the results
page filters by kind and pages through with the URL holding the query, and axe-core finds nothing serious on
either, on a desktop and at 390 pixels wide. Visitors find the published programme pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from protect.guidelines import services as guidelines
from tests.browser.conftest import assert_accessible
from tests.decisions.factories import make_decision
from tests.guidelines.factories import current, make_guideline, make_section


@pytest.fixture
def content(moderator, expert):
    guideline = make_guideline(moderator, sections=0, title="PROTECT Guidelines")
    section = make_section(
        moderator, guideline, "Interviews with children", "Interpreters for child interviews are trained."
    )
    comment = guidelines.add_comment(expert, current(section).id, "Who pays the interpreters in Gdańsk?")
    for n in range(22):
        make_decision(expert, title=f"Interpreter budget {n}", text="Money for interpreters.")
    return {"section": section, "comment": comment}


def test_the_header_box_suggests_and_the_keyboard_chooses(signed_in, expert, content):
    page = signed_in(expert)
    page.goto("/dashboard")
    # On a wide screen the box opens from its button, by keyboard too, and takes the focus.
    toggle = page.get_by_role("button", name="Search the workspace")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    box = page.get_by_role("combobox", name="Search")
    expect(box).to_be_focused()
    page.keyboard.type("interv")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("Interviews with children")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#site-search-status")).to_contain_text("suggestion")
    assert_accessible(page, "the dashboard with the search suggestions open")

    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-1")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    page.keyboard.type("i")  # "intervi": the list opens again; the first suggestion is the section
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/guidelines/sections/{content['section'].id}$"))


def test_enter_opens_the_results_which_filter_and_page_through(signed_in, expert, content):
    page = signed_in(expert)
    page.goto("/dashboard")
    page.get_by_role("button", name="Search the workspace").click()
    box = page.get_by_role("combobox", name="Search")
    box.fill("interpreters")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=interpreters$"))
    expect(page.get_by_role("status").filter(has_text="results")).to_contain_text("25 results for “interpreters”")
    expect(page.locator(".search-hit__excerpt mark").first).to_have_text(re.compile("interpreters", re.IGNORECASE))
    assert_accessible(page, "the results page")

    # The kind filter: a link with its count; the URL holds it.
    page.get_by_role("link", name=re.compile(r"^Comments\s+1$")).click()
    expect(page).to_have_url(re.compile(r"kind=comments"))
    hits = page.locator(".search-hit__title a")
    expect(hits).to_have_count(1)
    expect(hits.first).to_have_attribute("href", re.compile(rf"#comment-{content['comment'].id}$"))

    # Paging through everything, by keyboard, with htmx (the address follows).
    page.goto("/search?q=interpreters")
    next_link = page.get_by_role("link", name="Next results")
    next_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".search-hit")).to_have_count(5)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()

    # The filters form from the keyboard: a kind from the select, then Search.
    page.get_by_label("Kind", exact=True).select_option("guidelines")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"kind=guidelines"))
    expect(page.locator(".search-hit")).to_have_count(1)

    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "the results page at 390 px")


def test_a_visitor_searches_the_published_pages_only(page, expert, moderator, content):
    from tests.agendas.factories import make_event
    from tests.programme.factories import published_page

    live = published_page(expert, moderator, make_event(expert), summary="Interpreters welcome at the seminar.")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone: in the menu, always open
    page.goto("/programme/")
    page.get_by_role("button", name="Menu").click()
    box = page.get_by_role("combobox", name="Search")
    box.fill("interpreters")
    box.press("Enter")
    hits = page.locator(".search-hit__title a")
    expect(hits).to_have_count(1)
    expect(hits.first).to_have_attribute("href", f"/programme/{live.slug}")
    assert_accessible(page, "the results page for a visitor")
