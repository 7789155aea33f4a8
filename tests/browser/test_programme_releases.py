"""Programme releases in a real browser: from the public page to its releases and changes (the word diff), to a
permanent address of an earlier release with its content hash. Accessible."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.programme.factories import approve, edit, publish, published_page, submit


def test_a_visitor_reads_the_changelog_and_an_earlier_release(page, expert, moderator):
    programme = published_page(expert, moderator, summary="Two days on protecting children on the move.")
    programme = edit(programme, expert, summary="Three days on protecting children on the move from trafficking.")
    programme = publish(approve(submit(programme, expert), moderator), moderator)

    page.goto(f"/programme/{programme.slug}")
    page.get_by_role("link", name="Releases and changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Releases and changes")
    expect(page.locator("ins").filter(has_text="trafficking").first).to_be_visible()
    assert_accessible(page, "programme changelog")
    page.get_by_role("link", name="Release 1").click()
    expect(page).to_have_url(re.compile(rf"/programme/{programme.slug}/v1$"))
    expect(page.get_by_text("Two days on protecting children on the move.")).to_be_visible()
    expect(page.locator(".release-note code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    assert_accessible(page, "an earlier release")
    page.get_by_role("link", name="See the current version (release 2)").click()
    expect(page.get_by_text("Three days on protecting children on the move from trafficking.")).to_be_visible()
