"""A decision's frozen basis in a real browser: the poll result and Guidelines revision it was taken on, with
their hashes; a section changed since is said so, and its word diff is one link away. Accessible."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from protect.extensions import db
from protect.guidelines import services as guidelines
from tests.browser.conftest import assert_accessible
from tests.decisions.factories import make_decision
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose
from tests.polls.factories import cast, close_now, make_poll


def test_a_decision_shows_its_basis_and_what_changed_since(signed_in, moderator, expert):
    poll = make_poll(moderator, method="single", question="Where is the autumn training?")
    cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    section = first_section(make_guideline(moderator))
    revision = current(section)
    decision = make_decision(moderator, poll_id=poll.id, revision_id=revision.id, title="Autumn training in Riga")
    newer = propose(expert, section, edited(section, "child", "young person"))
    guidelines.accept_revision(moderator, newer.id, "Agreed.")
    db.session.commit()

    page = signed_in(expert)
    page.goto(f"/decisions/{decision.id}")
    based_on = page.get_by_role("region", name="Based on")
    expect(based_on.locator("[data-basis=poll]")).to_contain_text("Riga (LV): 1")
    expect(based_on.locator("[data-basis=poll] code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(based_on.locator("[data-basis=revision]")).to_contain_text(f"as of revision {revision.number}")
    expect(based_on.get_by_text(f"§{section.position} has changed since this decision.")).to_be_visible()
    assert_accessible(page, "a decision with its basis")
    based_on.get_by_role("link", name="See what changed (word diff)").click()
    expect(page.locator("ins").filter(has_text="young person").first).to_be_visible()
