"""Location votes in a real browser: creating a ranked poll, ranking by keyboard, changing a ballot,
closing early, the results with their rounds, the same without JavaScript, and accessibility."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import select

from protect.extensions import db
from protect.polls import services
from protect.polls.models import Ballot, Poll, PollParticipation
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD, make_user
from tests.polls.factories import cast, close_now, make_poll, option_ids

QUESTION = "Where should the spring training take place?"


def _local(delta: timedelta, zone: str = "Europe/Copenhagen") -> str:
    return (datetime.now(ZoneInfo(zone)) + delta).strftime("%Y-%m-%dT%H:%M")


def _press(page: Page, button_name: str, url_part: str = "/arrange") -> None:
    """Focus a button and press Enter, as a keyboard user does, then wait for the server's answer."""
    page.get_by_role("button", name=button_name, exact=True).focus()
    with page.expect_response(re.compile(re.escape(url_part) + "$")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200


def _create_ranked_poll(page: Page) -> int:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Votes").click()
    assert_accessible(page, "list of votes")
    page.get_by_role("link", name="Create a poll").click()
    assert_accessible(page, "new poll form")
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_label("Counting method").select_option("irv")
    page.get_by_label("Opens").fill(_local(timedelta(hours=-1)))
    page.get_by_label("Closes").fill(_local(timedelta(days=2)))
    page.get_by_label("Time zone of these times").select_option("Europe/Copenhagen")
    for index, (city, country) in enumerate((("Riga", "LV"), ("Tallinn", "EE"), ("Vilnius", "LT"))):
        page.locator(f"#options-{index}-city").fill(city)
        page.locator(f"#options-{index}-country").select_option(country)
    page.locator("#options-0-venue_notes").fill("Direct flights from every capital of the region.")
    page.get_by_role("button", name="Create the poll").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    expect(page.locator("#standing")).to_contain_text("Open")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_ranked_poll_from_creation_to_results_by_keyboard(signed_in, moderator):
    alda = make_user("expert", email="alda@test.example", display_name="Alda Ozola", country="LV")
    birk = make_user("expert", email="birk@test.example", display_name="Birk Berg", country="SE")
    host = signed_in(moderator)
    poll_id = _create_ranked_poll(host)

    # Alda ranks Vilnius, then Tallinn, by keyboard only, and casts.
    voter = signed_in(alda)
    voter.goto(f"/polls/{poll_id}")
    expect(voter.get_by_text("A location with more than half of the ballots still counting wins")).to_be_visible()
    _press(voter, "Add Vilnius, Lithuania to your ranking")
    expect(voter.get_by_role("button", name="Add Riga, Latvia to your ranking")).to_be_focused()
    expect(voter.locator("#ballot-announce")).to_have_text("Vilnius, Lithuania added to your ranking at place 1 of 1.")
    voter.keyboard.press("Tab")
    expect(voter.get_by_role("button", name="Add Tallinn, Estonia to your ranking")).to_be_focused()
    with voter.expect_response(re.compile("/arrange$")):
        voter.keyboard.press("Enter")
    expect(voter.locator("ol.ranking li")).to_have_text([re.compile("Vilnius"), re.compile("Tallinn")])
    assert_accessible(voter, "ballot with a ranking in progress")
    voter.keyboard.press("Tab")
    expect(voter.get_by_role("button", name="Cast my ballot")).to_be_focused()
    with voter.expect_response(re.compile(r"/ballot$")):
        voter.keyboard.press("Enter")
    expect(voter.get_by_role("heading", name="Your ballot")).to_be_focused()
    expect(voter.locator("#ballot-announce")).to_have_text("Your ballot is cast.")
    expect(voter.locator(".receipt__choices li")).to_have_text(["Vilnius, Lithuania", "Tallinn, Estonia"])
    # the turnout line is updated with the receipt (out of band), not at the next poll of the live part
    expect(voter.locator("#standing .poll-standing__turnout")).to_contain_text(re.compile(r"Turnout: 1 of \d+"))
    expect(voter.locator(".receipt__code code")).to_have_text(re.compile(r"^([A-Z2-7]{4}-){4}[A-Z2-7]{4}$"))
    alda_receipt = voter.locator(".receipt__code code").inner_text()

    # Birk ranks Tallinn then Riga, casts, then changes his mind: Riga up to first place.
    other = signed_in(birk)
    other.goto(f"/polls/{poll_id}")
    _press(other, "Add Tallinn, Estonia to your ranking")
    _press(other, "Add Riga, Latvia to your ranking")
    _press(other, "Cast my ballot", "/ballot")
    expect(other.locator(".receipt__choices li")).to_have_text(["Tallinn, Estonia", "Riga, Latvia"])
    other.get_by_role("link", name="Change my ballot").focus()
    with other.expect_response(re.compile(r"/ballot$")):
        other.keyboard.press("Enter")
    expect(other.get_by_role("heading", name="Change your ballot")).to_be_focused()
    _press(other, "Move Riga, Latvia Up")
    expect(other.get_by_role("button", name="Move Riga, Latvia Up")).to_be_focused()
    expect(other.locator("#ballot-announce")).to_have_text("Riga, Latvia moved to place 1 of 2.")
    expect(other.locator("ol.ranking li")).to_have_text([re.compile("Riga"), re.compile("Tallinn")])
    _press(other, "Save my changed ballot", "/ballot")
    expect(other.locator("#ballot-announce")).to_have_text("Your ballot is changed.")
    expect(other.locator(".receipt__choices li")).to_have_text(["Riga, Latvia", "Tallinn, Estonia"])
    expect(other.locator(".receipt")).to_contain_text("last changed")

    db.session.rollback()
    voted = db.session.execute(select(PollParticipation).where(PollParticipation.poll_id == poll_id)).scalars()
    assert sorted(p.revision for p in voted) == [1, 2]
    ballots = db.session.execute(select(Ballot).where(Ballot.poll_id == poll_id)).scalars().all()
    assert len(ballots) == 2 and all(b.voter_id is None for b in ballots)  # a secret ballot names nobody

    # Three more members vote (outside the browser); then the moderator closes the poll early.
    poll = db.session.get(Poll, poll_id)
    cast(poll, make_user("expert"), "Tallinn")
    cast(poll, make_user("expert"), "Tallinn", "Riga")
    cast(poll, make_user("expert"), "Riga", "Vilnius")
    host.reload()
    host.get_by_label("Reason for closing early").fill("Every member who wanted to vote has voted")
    host.get_by_role("button", name="Close the poll now").click()
    expect(host.get_by_role("heading", level=1)).to_have_text(f"Results: {QUESTION}")
    # Round 1: Tallinn 2, Riga 2, Vilnius 1 -> Vilnius out, Alda's ballot to Tallinn -> Tallinn 3 of 5
    expect(host.locator(".poll-outcome__winner")).to_contain_text("Tallinn, Estonia won in round 2 with 3 of 5")
    rounds = host.locator("table.poll-rounds")
    expect(rounds.locator("thead th")).to_have_text(["Location", "Round 1", "Round 2"])
    expect(rounds.locator("tbody tr").filter(has_text="Vilnius")).to_contain_text("eliminated")
    expect(host.locator(".poll-chart .poll-bar__svg")).to_have_count(3)
    expect(host.locator(".poll-legend")).to_be_visible()
    expect(host.get_by_text("Alda Ozola")).to_have_count(0)  # a secret ballot names nobody
    assert_accessible(host, "results page")
    host.get_by_role("link", name=QUESTION).click()
    expect(host.get_by_text("Every member who wanted to vote has voted")).to_be_visible()

    # After the close Alda's ballot is sealed: her page says she voted, and her receipt code finds the ballot.
    voter.reload()
    expect(voter.locator("#ballot")).to_contain_text("the ballots were sealed")
    expect(voter.locator(".receipt__choices")).to_have_count(0)
    voter.get_by_label("Check a receipt code").fill(alda_receipt.lower())
    with voter.expect_response(re.compile(r"/receipt$")):
        voter.get_by_role("button", name="Check the receipt").click()
    expect(voter.locator("#receipt-checked li")).to_have_text(["Vilnius, Lithuania", "Tallinn, Estonia"])
    assert_accessible(voter, "a sealed ballot's receipt check")


def test_approval_ballot_and_results_are_accessible(signed_in, moderator, expert):
    poll = make_poll(moderator, method="approval", secret=False, live=True, cities=("Riga", "Tallinn", "Oslo"))
    page = signed_in(expert)
    page.goto(f"/polls/{poll.id}")
    assert_accessible(page, "approval ballot")
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick at least one acceptable location")
    page.get_by_label("Riga, Latvia").check()
    page.get_by_label("Oslo, Norway").check()
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.locator(".receipt__choices li")).to_have_text(["Riga, Latvia", "Oslo, Norway"])
    page.get_by_role("link", name="See the running results").click()
    expect(page.get_by_role("heading", name="Who chose what")).to_be_visible()
    expect(page.locator("table").last).to_contain_text("Eva Expert")
    assert_accessible(page, "running results of an open ballot")


def test_voting_works_without_javascript(browser, live_server, moderator, expert):
    poll = make_poll(moderator, cities=("Riga", "Tallinn", "Vilnius"))
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/polls/{poll.id}")
        page.get_by_role("button", name="Add Vilnius, Lithuania to your ranking").click()
        expect(page.locator("ol.ranking li")).to_have_text([re.compile("Vilnius")])
        page.get_by_role("button", name="Add Riga, Latvia to your ranking").click()
        page.get_by_role("button", name="Move Riga, Latvia Up").click()
        expect(page.locator("ol.ranking li")).to_have_text([re.compile("Riga"), re.compile("Vilnius")])
        page.get_by_role("button", name="Cast my ballot").click()
        expect(page.get_by_text("Your ballot is cast.")).to_be_visible()
        expect(page.locator(".receipt__choices li")).to_have_text(["Riga, Latvia", "Vilnius, Lithuania"])
    finally:
        context.close()
    db.session.rollback()
    ballot = services.own_ballot(poll, expert)
    assert ballot is not None and ballot.choice() == tuple(option_ids(poll, "Riga", "Vilnius"))


def _lot_decided_poll(moderator) -> Poll:
    """Riga 2, Tallinn 1, Vilnius 1 of 4: Tallinn and Vilnius equal in every round, the lot draws, and the draw
    decides between Riga winning and a declared tie."""
    poll = make_poll(moderator, method="irv", cities=("Riga", "Tallinn", "Vilnius"))
    for cities in (("Riga",), ("Riga",), ("Tallinn", "Riga"), ("Vilnius", "Tallinn")):
        cast(poll, make_user("expert"), *cities)
    close_now(poll)
    return poll


def _schulze_tie_poll(moderator) -> Poll:
    """An open ballot; Turku and Oslo are 3 to 3 head to head (paths of 0 both ways): tied below Riga."""
    poll = make_poll(
        moderator, method="schulze", secret=False, cities=("Riga", "Turku", "Oslo", "St Petersburg", "Reykjavík")
    )
    for n in range(3):
        cast(poll, make_user("expert", display_name=f"Voter Number {n} With A Long Name"), "Riga", "Turku", "Oslo")
        cast(poll, make_user("expert"), "Riga", "Oslo", "Turku")
    close_now(poll)
    return poll


def _check_results_page(page: Page, width: int, what: str) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    expect(page.locator(".poll-legend li").first).to_be_visible()
    assert page.locator(".poll-legend li").count() >= 2  # the colours the chart shows, named
    sizes = page.locator(".poll-bar__label, .poll-bar__value, .poll-legend__item").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 12, sizes  # text of the page's size, never a scaled-down drawing
    bars = page.locator(".poll-bar__svg").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert bars and min(bars) > width * 0.5, bars  # each bar has the row's width to grow in
    if width <= 390:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{what}: the page is {overflow} px wide at {width} px"
    assert_accessible(page, f"{what} at {width} px")


def test_results_read_on_a_phone_and_a_desktop(signed_in, moderator, expert):
    lot = _lot_decided_poll(moderator)
    tie = _schulze_tie_poll(moderator)
    page = signed_in(expert)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/polls/{lot.id}/results")
        expect(page.locator(".poll-outcome__lot")).to_contain_text("Decided by lot")
        expect(page.locator(".poll-round-notes")).to_contain_text(
            "Tallinn, Estonia and Vilnius, Lithuania are tied for the fewest votes (1 vote each)"
        )
        _check_results_page(page, width, "runoff decided by lot")
        page.goto(f"/polls/{tie.id}/results")
        expect(page.locator(".poll-order")).to_have_text(
            "Order: 1. Riga, Latvia; 2. Turku, Finland = Oslo, Norway (tied); 4. St Petersburg, Russia = "
            "Reykjavík, Iceland (tied)."
        )
        _check_results_page(page, width, "Schulze results with ties")
    # A table wider than the phone scrolls in a region the keyboard can reach (and scroll with the arrows).
    page.set_viewport_size({"width": 390, "height": 900})
    region = page.get_by_role("region", name="Strongest path strengths (Schulze)")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # it does scroll at 390 px
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    for _ in range(50):  # (wait_for_function evaluates a string: the CSP forbids it)
        if region.evaluate("e => e.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert region.evaluate("e => e.scrollLeft") > 0


def test_recording_a_result_once_then_the_poll_links_the_decision(signed_in, moderator):
    poll = make_poll(moderator, method="single", question="Where is the autumn meeting?")
    cast(poll, make_user("expert"), "Tallinn")
    close_now(poll)
    page = signed_in(moderator)
    page.goto(f"/polls/{poll.id}")
    page.get_by_role("link", name="Record as a decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a decision")
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Where is the autumn meeting?")
    page.goto(f"/polls/{poll.id}")
    panel = page.locator(".poll-decisions")
    expect(panel).to_contain_text("Recorded in the decision log")
    expect(page.get_by_role("link", name="Record as a decision")).to_have_count(0)
    assert_accessible(page, "closed poll recorded as a decision")
    panel.get_by_role("link", name="Record a second decision about this vote…").click()
    expect(page.locator("#poll-recorded")).to_contain_text("already recorded in the decision log")
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.locator("#poll_id")).to_contain_text("already recorded")  # refused (409), nothing saved
    page.get_by_label("Record it again anyway").check()
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Where is the autumn meeting?")
    db.session.rollback()
    from protect.decisions.models import Decision

    assert db.session.execute(select(Decision.id).where(Decision.poll_id == poll.id)).scalars().all().__len__() == 2
