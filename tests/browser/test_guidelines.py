"""The Guidelines in a real browser: propose, comment on a paragraph, reply, resolve, accept; new comments
arriving by polling without touching a half-written one; edit in place; the compare view; the keyboard;
the pages without JavaScript; and axe-core on the document, revision and compare pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import Comment, SectionRevision
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD, make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose


@pytest.fixture
def guideline(moderator):
    return make_guideline(moderator, sections=3, title="PROTECT Guidelines")


def test_propose_comment_on_a_paragraph_reply_resolve_accept(signed_in, expert, moderator, guideline):
    section = first_section(guideline)
    page = signed_in(expert)
    page.goto(f"/guidelines/{guideline.slug}")
    assert_accessible(page, "the document")
    page.get_by_role("link", name="Propose a change to “Section 1”").click()
    body = page.get_by_label("Proposed text")
    body.fill(body.input_value().replace("first protective act", "first act of protection"))
    page.get_by_label("Why this change").fill("Plainer words for trainees.")
    page.get_by_role("button", name="Submit the proposal").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revision 2 of §1")
    changes = page.locator(".diff--inline")
    expect(changes.locator("del")).to_contain_text("protective act")
    expect(changes.locator("ins")).to_contain_text("act of protection")
    assert_accessible(page, "the revision page")

    # Clicking a paragraph chooses it for the comment and puts the cursor in the comment box.
    page.locator("#p-2 .para__text").click()
    expect(page.get_by_label("About")).to_have_value("2")
    expect(page.locator("#p-2")).to_have_class(re.compile("para--selected"))
    expect(page.get_by_label("Comment", exact=True)).to_be_focused()
    page.keyboard.type("Should *online recruitment* be named here?")
    with page.expect_response(re.compile(r"/comments$")) as answer:
        page.get_by_role("button", name="Post the comment").click()
    assert answer.value.status == 200
    thread = page.locator(".thread").first
    expect(thread).to_contain_text("On paragraph 2")
    expect(thread.locator("em")).to_have_text("online recruitment")
    expect(page.locator("#p-2-count .para__count")).to_have_text("1")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("")
    expect(page.locator("#comments-live")).to_have_text("Your comment is posted.")

    # The moderator replies on their own page; the expert sees it arrive while typing something else.
    page.get_by_label("Comment", exact=True).fill("Half-written thought that must survive")
    mod = signed_in(moderator)
    mod.goto(page.url)
    mod_thread = mod.locator(".thread").first
    mod_thread.locator("summary", has_text="Reply").click()
    mod_thread.get_by_label("Your reply").fill("Yes, Erik proposed the same for section 4.")
    with mod.expect_response(re.compile(r"/comments$")):
        mod_thread.get_by_role("button", name="Post the reply").click()
    expect(mod_thread.locator(".replies")).to_contain_text("Yes, Erik proposed the same")
    expect(thread.locator(".replies")).to_contain_text("Yes, Erik proposed the same", timeout=10_000)
    expect(page.locator("#comments-live")).to_contain_text("1 new comment by Mads Moderator")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("Half-written thought that must survive")

    # The expert started the thread: they resolve it in place.
    with page.expect_response(re.compile(r"/resolve$")):
        thread.get_by_role("button", name=re.compile("^Resolve")).click()
    expect(thread).to_contain_text("Resolved")
    expect(thread.get_by_role("button", name=re.compile("^Reopen"))).to_be_visible()
    db.session.rollback()
    assert db.session.execute(db.select(Comment).where(Comment.parent_id.is_(None))).scalar_one().resolved

    # The moderator accepts with a reason; the document now reads with the new text.
    mod.reload()
    mod.get_by_label("Reason").fill("Agreed at the October call.")
    mod.get_by_role("button", name="Accept revision 2").click()
    expect(mod.locator("#alerts")).to_contain_text("Revision 2 is accepted.")
    expect(mod.locator(".decision")).to_contain_text("Agreed at the October call.")
    mod.goto(f"/guidelines/{guideline.slug}")
    expect(mod.locator(f"#section-{section.id}")).to_contain_text("first act of protection")
    db.session.rollback()
    assert current(section).number == 2


def test_a_paragraph_is_chosen_with_the_keyboard(signed_in, expert, guideline):
    revision = current(first_section(guideline))
    page = signed_in(expert)
    page.goto(f"/guidelines/revisions/{revision.id}")
    link = page.locator("#p-3-count")
    link.focus()
    expect(page.locator("#p-3")).to_have_class(re.compile("para--focus"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("About")).to_have_value("3")
    expect(page.get_by_label("Comment", exact=True)).to_be_focused()


def test_edit_in_place_filter_and_hide(signed_in, expert, moderator, guideline):
    revision = current(first_section(guideline))
    mine = services.add_comment(expert, revision.id, "Typo hre", paragraph=1)
    theirs = services.add_comment(moderator, revision.id, "Names a child: Anna K.")
    services.add_comment(moderator, revision.id, "A reply with **Markdown**", parent_id=mine.id)
    page = signed_in(expert)
    page.goto(f"/guidelines/revisions/{revision.id}")
    assert_accessible(page, "a revision page with comment threads")
    comment = page.locator(f"#thread-{mine.id}")
    comment.get_by_role("link", name="Edit your comment").click()
    editor = page.get_by_label("Edit your comment")
    expect(editor).to_be_focused()
    editor.fill("Typo here")
    with page.expect_response(re.compile(r"/edit$")):
        comment.get_by_role("button", name="Save your comment").click()
    expect(comment).to_contain_text("Typo here")
    expect(comment.locator(".badge", has_text="edited")).to_be_visible()

    page.get_by_role("link", name="Mine").click()
    expect(page.locator(".thread")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"comments=mine"))
    page.get_by_role("link", name="All", exact=True).click()
    expect(page.locator(".thread")).to_have_count(2)

    mod = signed_in(moderator)
    mod.goto(f"/guidelines/revisions/{revision.id}")
    other = mod.locator(f"#thread-{theirs.id}")
    expect(other).to_contain_text("Anna K.")
    other.locator("summary", has_text="Hide").click()
    other.get_by_label("Why hide it").fill("It identified a child.")
    with mod.expect_response(re.compile(r"/hide$")):
        other.get_by_role("button", name="Hide the comment").click()
    expect(other).to_contain_text("A moderator hid this comment: It identified a child.")
    expect(other).not_to_contain_text("Anna K.")
    expect(page.locator(f"#thread-{theirs.id}")).to_contain_text("It identified a child.", timeout=10_000)
    expect(page.locator("body")).not_to_contain_text("Anna K.")


def test_compare_two_revisions_inline_and_side_by_side(signed_in, expert, moderator, guideline):
    section = first_section(guideline)
    base = current(section)
    revision = propose(
        make_user("expert"),
        section,
        edited(section, "No single indicator is proof.", "Один признак — не доказательство."),
    )
    other = propose(expert, section, edited(section, "first protective act", "first step of protection"))
    page = signed_in(expert)
    page.goto(f"/guidelines/sections/{section.id}")
    assert_accessible(page, "the section page")
    page.get_by_label("Older text").select_option(str(base.id))
    page.get_by_label("Newer text").select_option(str(revision.id))
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="From revision 1 to revision 2")).to_be_visible()
    expect(page.locator(".diff--inline ins")).to_contain_text("Один признак — не доказательство")
    assert_accessible(page, "the compare page, inline")

    page.get_by_label("side by side").check()
    page.get_by_label("Newer text").select_option(str(other.id))
    with page.expect_response(re.compile(r"/compare\?")) as answer:
        page.get_by_role("button", name="Compare").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_role("heading", name="From revision 1 to revision 3")).to_be_visible()
    table = page.locator("table.diff-table")
    expect(table.locator("tr.is-changed")).to_have_count(1)
    expect(table.locator("tr.is-changed td").nth(0).locator("del")).to_have_text(re.compile("protective act"))
    expect(table.locator("tr.is-changed td").nth(1).locator("ins")).to_have_text(re.compile("step of protection"))
    expect(page).to_have_url(re.compile(r"view=side"))
    assert_accessible(page, "the compare page, side by side")


def test_an_outdated_proposal_is_rebased_in_the_three_way_view(signed_in, expert, moderator, guideline):
    section = first_section(guideline)
    accepted = propose(make_user("expert"), section, edited(section, "first protective act", "first act of protection"))
    mine = propose(expert, section, edited(section, "No single indicator is proof.", "No indicator alone is proof."))
    services.accept_revision(moderator, accepted.id, "Yes.")
    page = signed_in(expert)
    page.goto(f"/guidelines/revisions/{mine.id}")
    page.get_by_role("link", name="Rebase onto the current text").click()
    expect(page.get_by_role("heading", name=re.compile("Old base"))).to_be_visible()
    expect(page.get_by_label("Proposed text")).to_have_value(
        re.compile("first act of protection.*No indicator alone", re.S)
    )
    assert_accessible(page, "the rebase page")
    page.get_by_role("button", name="Submit the updated proposal").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revision 4 of §1")
    db.session.rollback()
    new = db.session.execute(db.select(SectionRevision).where(SectionRevision.rebased_from_id == mine.id)).scalar_one()
    assert new.base_revision_id == accepted.id and new.status == "proposed"


def test_comments_work_without_javascript(browser, live_server, expert, guideline):
    revision = current(first_section(guideline))
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/guidelines/revisions/{revision.id}")
        page.locator("#p-2-count").click()
        expect(page.get_by_label("About")).to_have_value("2")
        page.get_by_label("Comment", exact=True).fill("Posted without JavaScript")
        page.get_by_role("button", name="Post the comment").click()
        expect(page.locator("#alerts")).to_contain_text("Your comment is posted.")
        expect(page.locator(".thread")).to_contain_text("Posted without JavaScript")
        expect(page.locator(".thread")).to_contain_text("On paragraph 2")
        page.get_by_role("button", name=re.compile("^Resolve")).click()
        expect(page.locator(".thread")).to_contain_text("Resolved")
    finally:
        context.close()


def test_the_document_prints_without_buttons_and_forms(signed_in, moderator, guideline):
    page = signed_in(moderator)
    page.goto(f"/guidelines/{guideline.slug}")
    expect(page.get_by_role("button", name=re.compile("Move down"))).to_have_count(2)
    page.emulate_media(media="print")
    expect(page.locator(".toc")).to_be_visible()
    expect(page.locator(".doc-section")).to_have_count(3)
    expect(page.locator(".doc-section").first).to_contain_text("Identification is the first protective act.")
    expect(page.locator(".doc-section__meta").first).to_contain_text("Revision 1")
    for hidden in (".site-header", ".toc__move", ".page-head .actions", ".doc-section__meta .no-print"):
        expect(page.locator(hidden).first).to_be_hidden()


def _no_horizontal_overflow(page, what: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{what} is {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_compare_page_side_by_side_inline_and_as_source(signed_in, expert, moderator, guideline, width):
    section = first_section(guideline)
    body = current(section).body.replace("first protective act", "**first** act of protection")
    body = body.replace(
        "No single indicator is proof.", "No single indicator is *ever* proof, see [annex](https://a.example)."
    )
    revision = propose(expert, section, body.replace("include: the child", "include:the child"))
    page = signed_in(expert)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/guidelines/revisions/{revision.id}")
    changes = page.locator("#changes .diff-rendered")
    expect(changes.locator("em ins")).to_have_text(re.compile("ever"))
    expect(changes.locator("del.diff-space")).to_have_count(1)
    if width == 390:
        _no_horizontal_overflow(page, "the revision page")
    assert_accessible(page, f"the revision page at {width} px")

    # The button says side by side, and opens side by side.
    page.get_by_role("link", name="Compare side by side").click()
    expect(page).to_have_url(re.compile(r"view=side"))
    expect(page.get_by_label("side by side")).to_be_checked()
    table = page.locator("table.diff-table")
    expect(table.locator("tr.is-changed")).to_have_count(3)
    expect(table.locator("tr.is-changed").first.locator("td").nth(0).locator("del")).to_contain_text("protective")
    expect(table.locator("tr.is-changed").first.locator("td").nth(1).locator("strong")).to_contain_text("first")
    expect(table.locator("tr.is-changed").first.locator("td").nth(1).locator("ins").last).to_contain_text(
        "of protection"
    )
    # Rendered, not Markdown: no asterisks, a real link.
    expect(table).not_to_contain_text("**")
    expect(table.locator("a[href='https://a.example']")).to_have_count(1)
    if width == 390:
        _no_horizontal_overflow(page, "the compare page, side by side")
    assert_accessible(page, f"the compare page, side by side, at {width} px")

    # The Markdown source is one click away; the mode stays in the URL.
    page.get_by_role("link", name="Markdown source").click()
    expect(page).to_have_url(re.compile(r"show=source"))
    expect(page.get_by_role("link", name="Markdown source")).to_have_attribute("aria-current", "true")
    expect(page.locator("table.diff-table .diff").first).to_be_visible()
    expect(page.locator("table.diff-table")).to_contain_text("**")
    if width == 390:
        _no_horizontal_overflow(page, "the compare page, source side by side")
    assert_accessible(page, f"the compare page, source side by side, at {width} px")

    # Inline, through the form (htmx): the source mode is kept, then back to the rendered text.
    page.get_by_label("in one text").check()
    with page.expect_response(re.compile(r"/compare\?")):
        page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"view=inline"))
    expect(page).to_have_url(re.compile(r"show=source"))
    expect(page.locator(".diff.diff--inline")).to_contain_text("**")
    assert_accessible(page, f"the compare page, source inline, at {width} px")
    page.get_by_role("link", name="Rendered text").click()
    expect(page).not_to_have_url(re.compile(r"show=source"))
    inline = page.locator(".diff-rendered.diff--inline")
    expect(inline.locator("del").first).to_contain_text("protective")
    expect(inline.locator(".diff-format").first).to_be_visible()
    expect(inline).not_to_contain_text("**")
    if width == 390:
        _no_horizontal_overflow(page, "the compare page, inline")
    assert_accessible(page, f"the compare page, inline, at {width} px")


def test_the_raw_toggle_works_without_javascript(browser, live_server, expert, guideline):
    section = first_section(guideline)
    revision = propose(expert, section, edited(section, "first protective act", "**first** act"))
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/guidelines/revisions/{revision.id}")
        expect(page.locator("#changes .diff-rendered strong")).to_contain_text("first")
        page.locator("#changes").get_by_role("link", name="Markdown source").click()
        expect(page).to_have_url(re.compile(r"changes=source"))
        expect(page.locator("#changes .diff ins").first).to_contain_text("**")
        page.locator("#changes").get_by_role("link", name="Rendered text").click()
        expect(page.locator("#changes .diff-rendered strong")).to_contain_text("first")
    finally:
        context.close()
