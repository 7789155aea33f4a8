"""Choosing a member with "@" in a real browser: on a guideline revision's comment box, typing "@" and part of a
name opens the list of members under the field, the arrow keys choose, Enter inserts the mention, the comment
posts and shows a link to the member's page; all from the keyboard, and axe-core finds nothing serious with the
list open, on a desktop and at 390 pixels wide. Escape closes the list and a click inserts too."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from protect.extensions import db
from protect.guidelines.models import Comment
from tests.agendas.factories import make_event, make_item
from tests.browser.conftest import assert_accessible
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline


@pytest.fixture
def revision(moderator):
    guideline = make_guideline(moderator, sections=2, title="PROTECT Guidelines")
    return current(first_section(guideline))


@pytest.fixture
def colleagues():
    return {
        "anna": make_user(display_name="Anna Berg"),
        "annika": make_user(display_name="Annika Holm"),
        "peter": make_user(display_name="Peter Sørensen"),
    }


def test_typing_at_and_a_name_offers_members_and_enter_inserts_the_mention(signed_in, expert, revision, colleagues):
    anna, annika = colleagues["anna"], colleagues["annika"]
    page = signed_in(expert)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/members/suggest" in request.url else None)
    page.goto(f"/guidelines/revisions/{revision.id}")
    box = page.get_by_label("Comment", exact=True)
    box.focus()
    page.keyboard.type("Could you check this, @ann")

    listbox = page.get_by_role("listbox", name="Members to mention")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options).to_have_text(["Anna Berg", "Annika Holm"])
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(box).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(page.get_by_role("status").filter(has_text="members found")).to_have_text(
        "2 members found: choose with the arrow keys, then Enter."
    )
    # Only the typed text goes to the server, never the rest of the comment.
    assert asked and all(set(parse_qs(urlsplit(url).query)) == {"q"} for url in asked)
    assert parse_qs(urlsplit(asked[-1]).query)["q"] == ["ann"]
    assert_accessible(page, "the revision page with the mention list open")

    # The arrow keys move the active option; the field says which one it is.
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", f"mention-option-{anna.id}")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    expect(box).to_have_attribute("aria-activedescendant", f"mention-option-{annika.id}")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", f"mention-option-{anna.id}")

    page.set_viewport_size({"width": 390, "height": 844})
    expect(listbox).to_be_visible()
    assert_accessible(page, "the revision page at 390 px with the mention list open")

    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value(f"Could you check this, [@Anna Berg](/members/{anna.id}) ")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(box).to_be_focused()
    page.keyboard.type("please?")

    # Out of the field with the keyboard to the button, and the comment posts.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post the comment")).to_be_focused()
    with page.expect_response(re.compile(r"/comments$")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    link = page.locator(".thread .comment__body a.mention")
    expect(link).to_have_text("@Anna Berg")
    expect(link).to_have_attribute("href", f"/members/{anna.id}")
    db.session.rollback()
    body = db.session.execute(db.select(Comment.body)).scalar_one()
    assert body == f"Could you check this, [@Anna Berg](/members/{anna.id}) please?"

    # The link leads to the member's page.
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Berg")
    expect(page.locator("main")).to_contain_text("Expert")


def test_escape_closes_the_list_a_click_inserts_and_no_match_says_so(signed_in, expert, revision, colleagues):
    peter = colleagues["peter"]
    page = signed_in(expert)
    page.goto(f"/guidelines/revisions/{revision.id}")
    box = page.get_by_label("Comment", exact=True)
    box.focus()
    listbox = page.get_by_role("listbox", name="Members to mention")

    # An e-mail address is no mention; "@" with a name nobody has finds nobody, and says so.
    page.keyboard.type("Write to anna@example.org or @zz")
    expect(page.get_by_role("status").filter(has_text="No member found.")).to_have_count(1)
    expect(listbox).to_be_hidden()

    # Escape closes the list for this "@" (typing on keeps it closed); the text stays as typed.
    box.fill("")
    page.keyboard.type("Ask @pet")
    expect(listbox.get_by_role("option")).to_have_text(["Peter Sørensen"])
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    page.keyboard.type("e")
    page.wait_for_timeout(400)
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Ask @pete")

    # A new "@" offers again, without accents too; a click on a member inserts them.
    page.keyboard.type(" and @SOREN")
    expect(listbox.get_by_role("option")).to_have_text(["Peter Sørensen"])
    listbox.get_by_role("option", name="Peter Sørensen").click()
    expect(box).to_have_value(f"Ask @pete and [@Peter Sørensen](/members/{peter.id}) ")
    expect(box).to_be_focused()
    expect(listbox).to_be_hidden()

    # Leaving the field closes the list.
    page.keyboard.type("@anna")
    expect(listbox).to_be_visible()
    page.keyboard.press("Tab")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value(f"Ask @pete and [@Peter Sørensen](/members/{peter.id}) @anna")


def test_in_an_agenda_items_notes_escape_closes_the_list_first_then_the_editor(signed_in, expert, colleagues):
    anna = colleagues["anna"]
    event = make_event(expert, title="Training in Riga")
    item = make_item(event, expert, title="Hearing the child")
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.get_by_role("link", name="Edit “Hearing the child”").click()
    notes = page.get_by_label("Notes")
    notes.focus()
    page.keyboard.type("Led by @anna b")
    listbox = page.get_by_role("listbox", name="Members to mention")
    expect(listbox.get_by_role("option")).to_have_text(["Anna Berg"])
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(notes).to_be_visible()  # the editor stays open
    expect(notes).to_have_value("Led by @anna b")

    page.keyboard.press("Backspace")
    page.keyboard.type(" ")
    expect(listbox).to_be_hidden()  # still the same "@": Escape keeps it closed
    page.keyboard.type("and @anna")
    expect(listbox.get_by_role("option")).to_have_text(["Anna Berg"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # Tab inserts the active member too
    expect(notes).to_have_value(f"Led by @anna  and [@Anna Berg](/members/{anna.id}) ")
    expect(notes).to_be_focused()
    with page.expect_response(re.compile(rf"/items/{item.id}$")):
        page.get_by_role("button", name="Save").click()
    entry = page.locator(f"#item-{item.id}")
    entry.locator("summary", has_text="Notes").click()
    expect(entry.locator("a.mention")).to_have_text("@Anna Berg")

    # With the list closed, Escape closes the editor as before.
    page.get_by_role("link", name="Edit “Hearing the child”").click()
    expect(page.get_by_label("Notes")).to_be_visible()
    page.get_by_label("Notes").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_label("Notes")).to_be_hidden()
