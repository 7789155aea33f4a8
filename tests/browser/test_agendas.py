"""The live agenda in real browsers: two experts on one agenda, conflicts, keyboard-only editing, axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from protect.agendas.models import AgendaChange, AgendaItem
from protect.extensions import db
from tests.agendas.factories import make_day, make_event, make_item
from tests.browser.conftest import assert_accessible
from tests.factories import make_user

LIVE = 8_000  # the page polls every 5 s: a change shows within this


def item_entry(page: Page, item: AgendaItem):
    return page.locator(f"#item-{item.id}")


def saved(item: AgendaItem) -> AgendaItem:
    db.session.rollback()
    return db.session.get(AgendaItem, item.id)


def test_one_edits_and_the_other_sees_it_live(signed_in, expert):
    event = make_event(expert, title="Training in Riga")
    item = make_item(event, expert, title="Hearing the child")
    aino = make_user("expert", display_name="Aino Virtanen", email="aino@test.example")
    erik = make_user("expert", display_name="Erik Lindqvist", email="erik@test.example")
    first, second = signed_in(aino), signed_in(erik)
    for page in (first, second):
        page.goto(f"/events/{event.id}")

    first.get_by_role("link", name="Edit “Hearing the child”").click()
    title = first.get_by_label("Title")
    expect(title).to_be_focused()
    # the other sees who is editing, without reloading
    expect(item_entry(second, item)).to_contain_text("Being edited by Aino Virtanen", timeout=LIVE)

    title.fill("Hearing the child: child-friendly interviews")
    with first.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        first.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(item_entry(first, item)).to_contain_text("Hearing the child: child-friendly interviews")
    expect(first.get_by_role("link", name="Edit “Hearing the child: child-friendly interviews”")).to_be_focused()
    assert saved(item).title == "Hearing the child: child-friendly interviews"

    expect(item_entry(second, item)).to_contain_text("child-friendly interviews", timeout=LIVE)
    expect(item_entry(second, item)).not_to_contain_text("Being edited by")


def test_an_open_editor_survives_the_refresh_and_a_conflict_keeps_my_text(signed_in, expert):
    event = make_event(expert)
    item, other = make_day(event, expert, slots=[("09:00", "10:30"), ("11:00", "12:00")])
    aino = make_user("expert", display_name="Aino Virtanen", email="aino@test.example")
    erik = make_user("expert", display_name="Erik Lindqvist", email="erik@test.example")
    first, second = signed_in(aino), signed_in(erik)
    for page in (first, second):
        page.goto(f"/events/{event.id}")

    # Erik begins to edit the item and types
    second.get_by_role("link", name=f"Edit “{item.title}”").click()
    notes = second.get_by_label("Notes")
    notes.fill("Erik's notes: a role play on interviews with an interpreter.")
    notes.focus()

    # meanwhile Aino changes another item: Erik's page refreshes around his editor
    first.get_by_role("link", name=f"Edit “{other.title}”").click()
    first.get_by_label("Title").fill("Interagency cooperation")
    first.get_by_role("button", name="Save").click()
    expect(item_entry(second, other)).to_contain_text("Interagency cooperation", timeout=LIVE)
    expect(notes).to_have_value("Erik's notes: a role play on interviews with an interpreter.")
    expect(notes).to_be_focused()

    # then Aino saves the very item Erik is editing
    first.get_by_role("link", name=f"Edit “{item.title}”").click()
    first.get_by_label("Title").fill("The child's best interests")
    first.get_by_role("button", name="Save").click()
    expect(item_entry(first, item)).to_contain_text("The child's best interests")
    # Erik's editor stays, and he is told
    expect(item_entry(second, item)).to_contain_text("Changed while you edit", timeout=LIVE)
    expect(notes).to_have_value("Erik's notes: a role play on interviews with an interpreter.")

    with second.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        second.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 409
    conflict = item_entry(second, item)
    expect(conflict.get_by_role("alert")).to_contain_text("Aino Virtanen saved a newer version")
    expect(conflict.get_by_role("table")).to_contain_text("Erik's notes")
    expect(conflict.get_by_role("table")).to_contain_text("The child's best interests")
    assert_accessible(second, "conflict view")
    with second.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        conflict.get_by_role("button", name="Keep mine").click()
    assert answer.value.status == 200
    expect(item_entry(second, item)).not_to_contain_text("Saved now")
    current = saved(item)
    assert current.notes == "Erik's notes: a role play on interviews with an interpreter."
    assert current.version == 3
    # "keep mine" keeps Erik's whole version; Aino's is not lost either: it is in the history
    titles = [
        change.after["title"]
        for change in db.session.execute(
            select(AgendaChange).where(AgendaChange.item_id == item.id, AgendaChange.action == "item.updated")
        ).scalars()
    ]
    assert "The child's best interests" in titles
    expect(item_entry(first, item)).to_contain_text("role play", timeout=LIVE)


def test_the_merge_of_a_conflict_takes_both_changes(signed_in, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child", notes="Interviews.")
    aino = make_user("expert", display_name="Aino Virtanen", email="aino@test.example")
    erik = make_user("expert", display_name="Erik Lindqvist", email="erik@test.example")
    first, second = signed_in(aino), signed_in(erik)
    for page in (first, second):
        page.goto(f"/events/{event.id}")
    second.get_by_role("link", name="Edit “Hearing the child”").click()
    second.get_by_label("Notes").fill("Interviews, with an interpreter.")
    first.get_by_role("link", name="Edit “Hearing the child”").click()
    first.get_by_label("Title").fill("Hearing the child in practice")
    first.get_by_role("button", name="Save").click()
    expect(item_entry(first, item)).to_contain_text("in practice")

    second.get_by_role("button", name="Save", exact=True).click()
    conflict = item_entry(second, item)
    conflict.get_by_text("Edit a merge", exact=True).click()
    expect(conflict.get_by_label("Title")).to_have_value("Hearing the child in practice")
    expect(conflict.get_by_label("Notes")).to_have_value("Interviews, with an interpreter.")
    conflict.get_by_role("button", name="Save the merge").click()
    expect(item_entry(second, item)).to_contain_text("Hearing the child in practice")
    current = saved(item)
    assert (current.title, current.notes) == ("Hearing the child in practice", "Interviews, with an interpreter.")


def test_add_move_delete_and_undo_by_keyboard(signed_in, expert):
    event = make_event(expert)
    first, second = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00")])
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")

    # add an item at the end of day 1
    page.get_by_role("link", name="Add an item at the end of day 1").focus()
    page.keyboard.press("Enter")
    title = page.get_by_label("Title")
    expect(title).to_be_focused()
    expect(page.locator("#new-1").get_by_label("Start")).to_have_value("11:00")
    page.keyboard.type("Identification of victims")
    page.locator("#new-1").get_by_label("Kind").select_option("workshop")
    page.locator("#new-1").get_by_role("button", name="Add the item").focus()
    with page.expect_response(re.compile(r"/items$")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    added = page.locator(".item", has_text="Identification of victims")
    expect(added.locator(".item__time")).to_contain_text("11:00–12:00")
    db.session.rollback()
    new = db.session.execute(select(AgendaItem).where(AgendaItem.title == "Identification of victims")).scalar_one()

    # move it earlier twice, by keyboard; focus stays on the button
    page.get_by_role("button", name="Move “Identification of victims” earlier").focus()
    with page.expect_response(re.compile(r"/move$")):
        page.keyboard.press("Enter")
    expect(page.locator("#agenda-notice")).to_contain_text("now 10:00–11:00")
    expect(page.get_by_role("button", name="Move “Identification of victims” earlier")).to_be_focused()
    with page.expect_response(re.compile(r"/move$")):
        page.keyboard.press("Enter")
    items = page.locator("#day-1-items > li.item h4")
    expect(items).to_have_text(["Identification of victims", first.title, second.title])
    # the first item has no "Earlier"; focus went to the other move button, not to the page
    expect(page.get_by_role("button", name="Move “Identification of victims” earlier")).to_have_count(0)
    expect(page.get_by_role("button", name="Move “Identification of victims” later")).to_be_focused()

    # to the other day, from the item's "More" menu (a disclosure: opened by keyboard)
    page.keyboard.press("Tab")
    expect(page.get_by_text("More actions for “Identification of victims”")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move “Identification of victims” to day 2")).to_be_focused()
    with page.expect_response(re.compile(r"/move$")):
        page.keyboard.press("Enter")
    expect(page.locator("#day-2-items")).to_contain_text("Identification of victims")
    expect(page.locator("#agenda-notice")).to_contain_text("at the same time (09:00–10:00), which was free there")
    expect(page.get_by_role("link", name="Edit “Identification of victims”")).to_be_focused()
    assert saved(new).day == 2

    # delete, then undo: the undo button has the focus
    page.locator(f"#item-{new.id}-more > summary").click()
    page.get_by_role("button", name="Delete “Identification of victims”").focus()
    with page.expect_response(re.compile(r"/delete$")):
        page.keyboard.press("Enter")
    expect(page.locator("#day-2-items")).not_to_contain_text("Identification of victims")
    undo = page.get_by_role("button", name="Undo deleting “Identification of victims”")
    expect(undo).to_be_focused()
    assert saved(new).deleted_at is not None
    with page.expect_response(re.compile(r"/undo$")):
        page.keyboard.press("Enter")
    expect(page.locator("#day-2-items")).to_contain_text("Identification of victims")
    expect(page.get_by_role("link", name="Edit “Identification of victims”")).to_be_focused()
    assert saved(new).deleted_at is None

    # Escape closes an editor without saving
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type(" (draft)")
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Edit “Identification of victims”")).to_be_visible()
    assert saved(new).title == "Identification of victims"


def test_validation_errors_appear_beside_the_field_in_place(signed_in, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Lunch", kind="meal", start="12:00", end="13:00")
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.get_by_role("link", name="Edit “Lunch”").click()
    page.get_by_label("End").fill("11:00")
    page.get_by_label("Title").fill("Lunch together")
    with page.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    end = item_entry(page, item).get_by_label("End")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(item_entry(page, item)).to_contain_text("must be after the start")
    expect(item_entry(page, item).get_by_label("Title")).to_have_value("Lunch together")
    assert saved(item).title == "Lunch"


def test_editing_works_without_javascript(browser, live_server, expert):
    from tests.factories import PASSWORD

    event = make_event(expert)
    item = make_item(event, expert, title="Opening")
    make_item(event, expert, 1, "10:00", "11:00", title="Second")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/events/{event.id}")
        page.get_by_role("link", name="Edit “Opening”").click()
        page.get_by_label("Title").fill("Opening and welcome")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Opening and welcome")).to_be_visible()
        assert saved(item).title == "Opening and welcome"
        page.get_by_role("button", name="Move “Opening and welcome” later").click()
        expect(page.locator("#alerts")).to_contain_text("now 10:00–11:00")
        page.get_by_text("More actions for “Opening and welcome”").click()
        page.get_by_role("button", name="Delete “Opening and welcome”").click()
        page.get_by_role("button", name="Undo deleting “Opening and welcome”").click()
        expect(page.get_by_role("heading", name="Opening and welcome")).to_be_visible()
        page.get_by_role("link", name="Add an item at the end of day 2").click()
        page.get_by_label("Title").fill("Closing")
        page.get_by_role("button", name="Add the item").click()
        expect(page.locator("#day-2-items")).to_contain_text("Closing")
    finally:
        context.close()
    assert saved(item).deleted_at is None and saved(item).start.hour == 10


def test_the_agenda_pages_are_accessible(signed_in, expert, moderator):
    event = make_event(expert)
    item, _other = make_day(event, expert, slots=[("09:00", "10:30"), ("10:15", "11:00")])
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    assert_accessible(page, "agenda page")
    page.get_by_role("link", name=f"Edit “{item.title}”").click()
    expect(page.get_by_label("Title")).to_be_visible()
    assert_accessible(page, "agenda page with an editor open")
    page.goto("/events/")
    assert_accessible(page, "list of trainings")
    page.goto(f"/events/{event.id}/history")
    assert_accessible(page, "history")
    page.goto(f"/events/{event.id}/print")
    assert_accessible(page, "print view")
    page.goto(f"/events/{event.id}/edit")
    assert_accessible(page, "event form")


def test_a_new_item_form_survives_the_refresh_and_clicking_an_item_opens_it(signed_in, expert):
    event = make_event(expert)
    opening, closing = make_day(event, expert, slots=[("09:00", "10:00"), ("15:00", "16:00")])
    kadri = make_user("expert", display_name="Kadri Tamm", email="kadri@test.example")
    first, second = signed_in(expert), signed_in(kadri)
    for page in (first, second):
        page.goto(f"/events/{event.id}")

    # Kadri starts adding an item after the opening and types a title
    second.get_by_text(f"More actions for “{opening.title}”").click()
    second.get_by_role("link", name=f"Add after “{opening.title}”").click()
    title = second.locator(f"#new-after-{opening.id}").get_by_label("Title")
    expect(title).to_be_focused()
    expect(second.locator(f"#new-after-{opening.id}").get_by_label("Start")).to_have_value("10:00")
    title.fill("Hearing the child")
    # typing in an editor of an item keeps "being edited by" alive: clicking an item opens its editor
    second.locator(f"#item-{closing.id} .item__title").click()
    closing_title = second.locator(f"#item-{closing.id}").get_by_label("Title")
    expect(closing_title).to_be_focused()
    # (opening the editor told the server; the next beat is due after 30 s of typing: make it due now)
    second.locator(f"#item-{closing.id}-editor").evaluate("editor => { editor.dataset.presenceEvery = '0'; }")
    with second.expect_request(re.compile(rf"/items/{closing.id}/presence$")) as beat:
        closing_title.press("End")
        closing_title.type(" and evaluation")
    assert beat.value.method == "POST"

    # meanwhile the other expert changes the opening: Kadri's page refreshes around both her forms
    first.get_by_role("link", name=f"Edit “{opening.title}”").click()
    first.get_by_label("Title").fill("Opening of the training")
    first.get_by_role("button", name="Save").click()
    expect(item_entry(second, opening)).to_contain_text("Opening of the training", timeout=LIVE)
    expect(title).to_have_value("Hearing the child")
    expect(closing_title).to_have_value(f"{closing.title} and evaluation")
    expect(second.locator(f"#new-after-{opening.id} form")).to_have_count(1)  # the same form, moved in place
    expect(second.locator(".item-editor-slot")).to_have_count(0)  # no empty placeholder left behind

    second.locator(f"#new-after-{opening.id}").get_by_role("button", name="Add the item").click()
    expect(second.locator("#day-1-items > li.item h4")).to_contain_text(
        ["Opening of the training", "Hearing the child"]
    )
    db.session.rollback()
    assert (
        db.session.execute(select(AgendaItem.start).where(AgendaItem.title == "Hearing the child")).scalar_one().hour
        == 10
    )


def test_choosing_the_responsible_member_from_the_long_list(signed_in, expert):
    event = make_event(expert, title="Training in Vilnius")
    item = make_item(event, expert, title="Interviewing children")
    kadri = make_user("expert", display_name="Kadri Tamm")
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.get_by_role("link", name="Edit “Interviewing children”").click()
    responsible = page.get_by_label("Responsible expert")
    expect(responsible).to_have_value("")  # nobody yet
    responsible.select_option(label="Kadri Tamm")
    with page.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(item_entry(page, item)).to_contain_text("Responsible: Kadri Tamm")
    assert saved(item).responsible_id == kadri.id
    # Opened again, the editor shows the choice; "Nobody yet" takes it back.
    page.get_by_role("link", name="Edit “Interviewing children”").click()
    expect(page.get_by_label("Responsible expert")).to_have_value(str(kadri.id))
    page.get_by_label("Responsible expert").select_option(label="Nobody yet")
    with page.expect_response(re.compile(rf"/items/{item.id}$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    expect(page.get_by_role("link", name="Edit “Interviewing children”")).to_be_visible()
    expect(item_entry(page, item)).not_to_contain_text("Responsible:")
    assert saved(item).responsible_id is None


def test_moving_later_until_last_keeps_the_focus_on_a_move_button(signed_in, expert):
    event = make_event(expert)
    first, _second, _third = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")])
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.get_by_role("button", name=f"Move “{first.title}” later").focus()
    for _ in range(2):
        with page.expect_response(re.compile(r"/move$")):
            page.keyboard.press("Enter")
        expect(page.locator("#agenda-notice")).to_contain_text("Moved")
    expect(page.locator("#day-1-items > li.item h4").last).to_have_text(first.title)
    # last now: "Later" is gone and the keyboard is on "Earlier", not on the page
    expect(page.get_by_role("button", name=f"Move “{first.title}” later")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Move “{first.title}” earlier")).to_be_focused()
    with page.expect_response(re.compile(r"/move$")):
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Move “{first.title}” earlier")).to_be_focused()


def test_a_skip_link_reaches_the_agenda_in_three_key_presses(signed_in, expert):
    event = make_event(expert)
    first, _ = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00")])
    page = signed_in(expert)
    page.goto(f"/events/{event.id}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the agenda")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while it has the focus
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Agenda", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=f"Edit “{first.title}”")).to_be_focused()


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.columnNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${where} ${e.target?.id || e.target?.nodeName}`);
});
"""
# What a resized text box or a browser extension does: an inline style given through the CSSOM (which the CSP
# allows). htmx's settle used to copy such styles onto the swapped-in elements with setAttribute (which it
# forbids): one error per element and swap.
STYLE_THE_PAGE = "document.querySelectorAll('main [id]').forEach((e) => { e.style.outline = '1px solid transparent'; })"


def watch_csp(page: Page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.add_init_script(CSP_WATCH)
    return messages


def csp_violations(page: Page, messages: list[str]) -> list[str]:
    return messages + page.evaluate("window.__cspViolations")


def test_htmx_swaps_raise_no_content_security_policy_error(signed_in, expert, moderator):
    from protect.guidelines import services as guideline_services
    from tests.guidelines.factories import current, first_section, make_guideline

    event = make_event(expert)
    first, second = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00")])
    revision = current(first_section(make_guideline(moderator)))
    guideline_services.add_comment(expert, revision.id, "Mine", paragraph=1)
    guideline_services.add_comment(moderator, revision.id, "Theirs")
    db.session.rollback()
    page = signed_in(expert)
    messages = watch_csp(page)

    page.goto(f"/events/{event.id}")
    page.evaluate(STYLE_THE_PAGE)
    with page.expect_response(re.compile(r"/move$")):
        page.get_by_role("button", name=f"Move “{first.title}” later").click()
    expect(page.locator("#agenda-notice")).to_contain_text("Moved")
    assert csp_violations(page, messages) == []
    page.evaluate(STYLE_THE_PAGE)
    page.get_by_role("link", name=f"Edit “{second.title}”").click()
    page.get_by_label("End").fill("08:00")
    page.evaluate(STYLE_THE_PAGE)
    with page.expect_response(re.compile(rf"/items/{second.id}$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    # The answer is swapped in after the response arrives: Escape means something once the error shows.
    expect(page.get_by_label("End")).to_have_attribute("aria-invalid", "true")
    page.wait_for_function("document.activeElement?.closest('.item-editor') != null")
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name=f"Edit “{second.title}”")).to_be_visible()
    page.evaluate(STYLE_THE_PAGE)
    page.locator(f"#item-{second.id}-more > summary").click()
    with page.expect_response(re.compile(r"/delete$")):
        page.get_by_role("button", name=f"Delete “{second.title}”").click()
    page.evaluate(STYLE_THE_PAGE)
    with page.expect_response(re.compile(r"/undo$")):
        page.get_by_role("button", name=f"Undo deleting “{second.title}”").click()
    expect(page.get_by_role("link", name=f"Edit “{second.title}”")).to_be_visible()
    assert csp_violations(page, messages) == []

    page.goto(f"/guidelines/revisions/{revision.id}")
    page.evaluate(STYLE_THE_PAGE)
    for name in ("Mine", "All"):
        with page.expect_response(re.compile(r"/guidelines/revisions/")):
            page.locator(".comment-filter").get_by_role("link", name=name, exact=True).click()
        expect(page.locator(".comment-filter [aria-current]")).to_have_text(name)
        page.evaluate(STYLE_THE_PAGE)
    assert csp_violations(page, messages) == []


def test_the_agenda_on_a_phone_has_one_row_of_actions_per_item(new_context, live_server, expert):
    from tests.factories import PASSWORD

    event = make_event(expert, days=3)
    items = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")])
    make_item(event, expert, 2, "09:00", "10:00", title="Interviewing children", notes="Role play.")
    context = new_context()
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("Email").fill(expert.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/events/{event.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the agenda at 390 px")
    middle = items[1]
    controls = page.locator(f"#item-{middle.id} .item__actions").locator("a:visible, button:visible, summary:visible")
    tops = {round(box["y"]) for box in (control.bounding_box() for control in controls.all())}
    assert controls.count() == 4 and len(tops) == 1, tops  # Edit, Earlier, Later, More: one row
    # the rarer actions open by keyboard, each with its own name
    page.locator(f"#item-{middle.id}-more > summary").focus()
    page.keyboard.press("Enter")
    for name in ("to day 2", "to day 3"):
        expect(page.get_by_role("button", name=f"Move “{middle.title}” {name}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Add after “{middle.title}”")).to_be_visible()
    expect(page.get_by_role("button", name=f"Delete “{middle.title}”")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the agenda at 390 px with an item's menu open")
    page.goto(f"/events/{event.id}/history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the history at 390 px")


def test_the_history_filters_work_without_javascript(browser, live_server, expert):
    from tests.factories import PASSWORD

    event = make_event(expert)
    opening, closing = make_day(event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00")])
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/events/{event.id}/history")
        expect(page.locator(".history__entry")).to_have_count(3)
        page.get_by_label("Item").select_option(label=f"Day 1, 10:00: {closing.title}")
        page.get_by_label("Changed by").select_option(label=expert.display_name)
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(rf"item={closing.id}&person={expert.id}"))
        expect(page.locator(".history__entry")).to_have_count(1)
        expect(page.locator(".history__entry")).to_contain_text(f"Added “{closing.title}”")
    finally:
        context.close()
