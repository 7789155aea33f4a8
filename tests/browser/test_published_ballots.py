"""A closed secret poll in a real browser: the voter kept their receipt code and ballot secret, the results page
lists the anonymised ballots it counted (with the downloads and how to recount by hand), and the voter checks
their receipt on the poll page. Accessible, keyboard first."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from protect.extensions import db
from tests.browser.conftest import assert_accessible
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll


def test_a_voter_finds_their_ballot_among_the_published_ones(signed_in, moderator, expert):
    poll = make_poll(moderator, method="irv")
    others = [make_user("expert", display_name=f"Other voter {n}") for n in range(3)]
    for voter, cities in zip(others, [("Riga",), ("Tallinn", "Riga"), ("Vilnius", "Tallinn")], strict=True):
        cast(poll, voter, *cities)
    page = signed_in(expert)
    page.goto(f"/polls/{poll.id}")
    page.get_by_role("button", name="Add Tallinn, Estonia to your ranking").click()
    page.get_by_role("button", name="Add Vilnius, Lithuania to your ranking").click()
    with page.expect_response(f"**/polls/{poll.id}/ballot"):
        page.get_by_role("button", name="Cast my ballot").click()
    receipt = page.locator(".receipt__code code").first.inner_text()
    expect(page.get_by_text("Ballot secret:")).to_be_visible()
    assert_accessible(page, "a secret ballot with its receipt and secret")

    db.session.rollback()
    close_now(poll)
    page.goto(f"/polls/{poll.id}/results")
    published = page.get_by_role("region", name="4 ballots, in random order")
    expect(published).to_be_visible()
    expect(published.get_by_role("row", name=receipt)).to_contain_text("1. Tallinn, Estonia · 2. Vilnius, Lithuania")
    page.get_by_text("How to recount by hand").click()
    expect(page.get_by_text("Round 1: count each ballot for its first preference.")).to_be_visible()
    assert_accessible(page, "results with the published ballots")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the ballots (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert receipt in [ballot["receipt"] for ballot in data["ballots"]]

    page.get_by_role("link", name="Check my receipt code").click()
    page.get_by_label("Check a receipt code").fill(receipt.lower())
    page.get_by_role("button", name="Check the receipt").press("Enter")
    expect(page.get_by_text("Your ballot is among the counted ones, as you cast it")).to_be_visible()
    assert_accessible(page, "a receipt checked after the close")
