"""Published versions of a guideline document in a real browser: a moderator publishes, a member reads the
version at its permanent address with its hash, and the changelog. Accessible."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.guidelines.factories import make_guideline


def test_a_moderator_publishes_a_version_and_a_member_reads_it(signed_in, moderator, expert):
    guideline = make_guideline(moderator)
    page = signed_in(moderator)
    page.goto(f"/guidelines/{guideline.slug}")
    page.get_by_role("link", name="Published versions").click()
    expect(page.get_by_text("No version has been published yet.")).to_be_visible()
    assert_accessible(page, "guideline versions, none yet")
    page.get_by_role("button", name="Publish the document as it reads now").click()
    expect(page).to_have_url(re.compile(rf"/guidelines/{guideline.slug}/v1$"))
    expect(page.locator("[data-version-hash]")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))

    reader = signed_in(expert)
    reader.goto(f"/guidelines/{guideline.slug}/versions")
    expect(reader.get_by_role("link", name="Version 1", exact=True)).to_be_visible()
    expect(reader.get_by_text("The first published version.")).to_be_visible()
    assert_accessible(reader, "guideline versions")
    reader.get_by_role("link", name="Version 1", exact=True).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(guideline.title)
    assert_accessible(reader, "a guideline version")
