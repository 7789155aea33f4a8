"""Candidate locations and the single transferable vote in a real browser: adding a location by keyboard,
its page with the travel burden (table and chart), editing it; an STV poll created from the records, ranked by
keyboard and without JavaScript, its results with every round; axe-core at desktop and 390 px."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from protect.extensions import db
from protect.polls import locations, services
from protect.polls.locations import Location, LocationData
from protect.polls.models import Poll
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD, make_user
from tests.polls.factories import cast, close_now, make_poll

CITIES = ("Riga", "Tallinn", "Vilnius", "Helsinki", "Stockholm", "Oslo", "Copenhagen", "Gdańsk")


def _check_width(page: Page, width: int, what: str) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    if width <= 390:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{what}: the page is {overflow} px wide at {width} px"
    assert_accessible(page, f"{what} at {width} px")


def test_adding_and_editing_a_location_by_keyboard(signed_in, expert):
    make_user(country="IS")
    make_user(country="LV")
    page = signed_in(expert)
    page.goto("/polls")
    page.get_by_role("link", name="Candidate locations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidate locations")
    page.get_by_role("link", name="Add a candidate location").click()
    for width in (1280, 390):
        _check_width(page, width, "the new location form")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("City").fill("Tartu")
    page.get_by_label("Country", exact=True).select_option("EE")
    page.get_by_label("Venue").fill("University of Tartu Delta Centre")
    page.get_by_label("Nearest airport or station").fill("Tartu railway station")
    page.get_by_label("Estimated cost per participant (euros)").fill("-3")
    page.get_by_label("Russia (North-West)").fill("Schengen visa: apply 6 weeks ahead.")
    page.get_by_label("Estimated cost per participant (euros)").focus()
    page.keyboard.press("Enter")  # submits the form, as a keyboard user does
    expect(page.locator(".field__error")).to_contain_text("0")
    expect(page.get_by_label("Venue")).to_have_value("University of Tartu Delta Centre")  # kept
    page.get_by_label("Estimated cost per participant (euros)").fill("290")
    page.get_by_role("button", name="Add the location").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tartu, Estonia")
    expect(page.get_by_role("table", name=re.compile("Travel from each country"))).to_contain_text("Iceland")
    expect(page.locator(".poll-bar__svg").first).to_be_visible()
    for width in (1280, 390):
        _check_width(page, width, "a location's page")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Edit Tartu, Estonia").click()
    page.get_by_label("Local partner organisation").fill("Tartu Child Advocacy Centre")
    page.get_by_role("button", name="Save the location").click()
    expect(page.get_by_text(re.compile("Version 2, .*: Local partner organisation"))).to_be_visible()
    db.session.rollback()
    saved = db.session.execute(select(Location)).scalar_one()
    assert saved.partner == "Tartu Child Advocacy Centre" and saved.cost_per_participant == 290


def test_an_stv_poll_from_the_records_by_keyboard_and_without_javascript(
    signed_in, browser, live_server, moderator, expert
):
    records = [
        locations.create_location(moderator, LocationData(city=city, country=country))
        for city, country in (("Riga", "LV"), ("Tallinn", "EE"), ("Vilnius", "LT"), ("Turku", "FI"))
    ]
    page = signed_in(moderator)
    page.goto("/polls/new")
    page.get_by_label("Question").fill("Where should the 2016 trainings take place?")
    page.get_by_label("Counting method").select_option("stv")
    page.get_by_label("Locations to choose").fill("2")
    for row, record in enumerate(records):
        page.locator(f"#options-{row}-location").select_option(str(record.id))
    assert_accessible(page, "the poll form with candidate locations")
    page.get_by_role("button", name="Create the poll").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2016 trainings")
    db.session.rollback()
    poll = db.session.execute(select(Poll)).scalar_one()
    assert poll.method == "stv" and poll.seats == 2
    poll.opens_at = poll.opens_at - timedelta(hours=2)  # the form's default opening is the next hour
    db.session.commit()

    # An expert ranks without JavaScript.
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    try:
        nojs = context.new_page()
        nojs.goto("/login")
        nojs.get_by_label("Email").fill(expert.email)
        nojs.get_by_label("Password").fill(PASSWORD)
        nojs.get_by_role("button", name="Sign in").click()
        nojs.goto(f"/polls/{poll.id}")
        nojs.get_by_role("button", name="Add Tallinn, Estonia to your ranking").click()
        nojs.get_by_role("button", name="Add Turku, Finland to your ranking").click()
        nojs.get_by_role("button", name="Cast my ballot").click()
        expect(nojs.get_by_text("Your ballot is cast.")).to_be_visible()
    finally:
        context.close()
    db.session.rollback()
    full = services.get_poll(poll.id)
    assert services.own_ballot(full, expert).linked
    for ranking in (("Riga", "Vilnius"), ("Riga", "Tallinn"), ("Riga",), ("Vilnius", "Riga")):
        cast(full, make_user(), *ranking)
    close_now(full)
    viewer = signed_in(make_user())
    viewer.goto(f"/polls/{poll.id}/results")
    expect(viewer.locator(".poll-outcome__winner")).to_contain_text("Elected, 2 seats")
    expect(viewer.get_by_role("table", name=re.compile("single transferable vote"))).to_contain_text("Round 1")
    expect(viewer.locator(".stv-chart__row")).to_have_count(4)
    expect(viewer.get_by_role("link", name="Riga, Latvia").first).to_have_attribute(
        "href", f"/locations/{records[0].id}"
    )
    for width in (1280, 390):
        _check_width(viewer, width, "STV results")


def test_stv_results_with_eight_cities_on_a_phone(signed_in, moderator, expert):
    poll = make_poll(moderator, method="stv", cities=CITIES)
    poll.seats = 3
    db.session.commit()
    for ranking in [("Riga", "Tallinn")] * 4 + [("Helsinki", "Stockholm")] * 3 + [("Gdańsk", "Vilnius")] * 2:
        cast(poll, make_user(), *ranking)
    close_now(poll)
    page = signed_in(expert)
    page.goto(f"/polls/{poll.id}/results")
    expect(page.locator(".poll-round-notes li").first).to_contain_text("reached the quota")
    for width in (390, 1280):
        _check_width(page, width, "STV results, 3 of 8")


def test_an_unmet_quorum_at_the_close_is_recorded_as_advisory_by_keyboard(signed_in, moderator, expert):
    poll = make_poll(moderator, cities=("Riga", "Tallinn", "Vilnius"))
    poll.quorum_percent, poll.quorum_countries = 50, 3
    db.session.commit()
    for country in ("LV", "EE", "IS"):
        make_user(country=country)
    cast(poll, expert, "Riga")
    voter_page = signed_in(make_user(country="LV"))
    voter_page.goto(f"/polls/{poll.id}")
    expect(voter_page.locator(".poll-quorum")).to_contain_text("Quorum not met yet")
    _check_width(voter_page, 390, "a poll with a quorum")
    db.session.rollback()
    close_now(db.session.get(Poll, poll.id))
    page = signed_in(moderator)
    page.goto(f"/polls/{poll.id}/results")
    expect(page.locator(".poll-quorum__unmet")).to_contain_text("The quorum was not met")
    for width in (1280, 390):
        _check_width(page, width, "results with an unmet quorum")
    page.get_by_role("button", name="Record the result as advisory").focus()
    with page.expect_response(re.compile(r"/advisory$")):
        page.keyboard.press("Enter")
    expect(page.locator(".poll-quorum__unmet")).to_contain_text("recorded this result as advisory")
    db.session.rollback()
    assert db.session.get(Poll, poll.id).advisory_at is not None
