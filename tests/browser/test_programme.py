"""Programme pages in a real browser: an expert drafts and submits, a moderator sends back, the expert fixes,
the moderator approves and publishes, a visitor finds the training and registers interest; accessibility of
the public list, the training page and the registration form."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import expect
from sqlalchemy import select

from protect.core.database import utcnow
from protect.extensions import db
from protect.programme.models import InterestRegistration, ProgrammePage
from tests.browser.conftest import assert_accessible
from tests.programme.factories import add_item, make_event, page_in_state, published_page, registration_form


def test_from_draft_through_review_to_the_public_and_a_registration(signed_in, new_context, expert, moderator):
    event = make_event(
        title="Protecting children on the move: training in Gdańsk",
        slug="gdansk-2027-training",
        city="Gdańsk",
        country="PL",
        time_zone="Europe/Warsaw",
        first_day=utcnow().date() + timedelta(days=90),
        audiences=["law_enforcement", "ngo"],
    )
    add_item(event, 1, "09:00", "10:30", title="Identification of victims", speakers="Tomasz Nowak", kind="workshop")
    add_item(event, 2, "09:00", "10:00", title="Cross-border case management")

    # The expert starts the page and completes it.
    author = signed_in(expert)
    author.get_by_role("link", name="Publishing").click()
    author.get_by_role("button", name=f"Start a programme page for {event.title}").click()
    expect(author.get_by_role("heading", name="Edit the programme page")).to_be_visible()
    assert_accessible(author, "the page editor")
    author.get_by_label("Summary").fill("Two days for the professionals of Poland's coast.")
    author.get_by_label("Description").fill("Based on the **PROTECT Guidelines**.")
    author.get_by_label("How to take part").fill("Register your interest on this page.")
    author.get_by_role("button", name="Save the page").click()
    expect(author.locator("#alerts")).to_contain_text("The page is saved.")

    # ... and submits it (htmx swaps the workspace).
    with author.expect_response(re.compile(r"/submit$")) as answer:
        author.get_by_role("button", name="Submit for review").click()
    assert answer.value.status == 200
    expect(author.locator("#workspace")).to_contain_text("is submitted. A moderator reviews it next.")
    expect(author.locator("#workspace .workflow__state")).to_contain_text("In review")
    db.session.rollback()
    page = db.session.execute(select(ProgrammePage)).scalar_one()
    assert page.state == "in_review"

    # The moderator sends it back: first without a comment (refused beside the field), then with one.
    reviewer = signed_in(moderator)
    reviewer.goto(f"/publishing/{page.id}")
    with reviewer.expect_response(re.compile(r"/send-back$")) as answer:
        reviewer.get_by_role("button", name="Send back with comments").click()
    assert answer.value.status == 422
    comment = reviewer.get_by_label("What needs to change")
    expect(comment).to_have_attribute("aria-invalid", "true")
    expect(reviewer.locator("#send-back-comment-error")).to_contain_text("Say what needs to change")
    expect(comment).to_be_focused()
    comment.fill("Please add the venue.")
    with reviewer.expect_response(re.compile(r"/send-back$")) as answer:
        reviewer.get_by_role("button", name="Send back with comments").click()
    assert answer.value.status == 200
    expect(reviewer.locator("#workspace .workflow__state")).to_contain_text("Draft")

    # The expert reads the comment, fixes the page and submits again.
    author.goto(f"/publishing/{page.id}")
    expect(author.locator(".transition__comment").first).to_have_text("Please add the venue.")
    author.get_by_role("link", name="Edit the page").click()
    author.get_by_label("Venue").fill("Gdańsk City Hall")
    author.get_by_role("button", name="Save the page").click()
    with author.expect_response(re.compile(r"/submit$")):
        author.get_by_role("button", name="Submit for review").click()
    expect(author.locator("#workspace .workflow__state")).to_contain_text("In review")

    # The moderator sees what is new, approves and publishes.
    reviewer.goto(f"/publishing/{page.id}")
    expect(reviewer.get_by_role("heading", name=re.compile("compared with nothing published yet"))).to_be_visible()
    expect(reviewer.locator(".diff-table")).to_contain_text("Gdańsk City Hall")
    assert_accessible(reviewer, "the moderation page")
    with reviewer.expect_response(re.compile(r"/approve$")):
        reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator("#workspace .workflow__state")).to_contain_text("Approved")
    with reviewer.expect_response(re.compile(r"/publish$")) as answer:
        reviewer.get_by_role("button", name="Publish").click()
    assert answer.value.status == 200
    expect(reviewer.locator("#workspace")).to_contain_text("Version 1 of")
    expect(reviewer.locator("#workspace .workflow__state")).to_contain_text("Public: version 1")

    # A visitor without an account finds the training and registers interest.
    visitor = new_context().new_page()
    visitor.goto("/")
    visitor.get_by_role("link", name="See the trainings and how to take part").click()
    visitor.get_by_label("Search", exact=True).fill("gdansk")
    visitor.get_by_role("button", name="Show trainings").click()
    expect(visitor.locator(".programme-count")).to_contain_text("1 training matches")
    visitor.get_by_role("link", name=event.title).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(event.title)
    expect(visitor.locator(".programme-day")).to_have_count(2)
    expect(visitor.get_by_text("Gdańsk City Hall, Gdańsk, Poland")).to_be_visible()
    visitor.get_by_role("link", name=re.compile("Register your interest")).first.click()
    values = registration_form(name="Agnieszka Wiśniewska", email="agnieszka@example.pl", country="PL")
    visitor.get_by_label("Your name").fill(values["name"])
    visitor.get_by_label("Email address").fill("not an address")
    visitor.get_by_label("Organisation").fill(values["organisation"])
    visitor.get_by_label("Country where you work").select_option("PL")
    visitor.get_by_label("Sector").select_option("ngo")
    visitor.get_by_role("button", name="Send my registration").click()
    expect(visitor.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
    expect(visitor.get_by_label("Your name")).to_have_value("Agnieszka Wiśniewska")
    expect(visitor.locator("#email-error")).to_have_text("Enter a valid email address.")
    expect(visitor.locator("#consent-error")).to_be_visible()
    visitor.get_by_label("Email address").fill(values["email"])
    visitor.get_by_label("I agree that my details are stored for this purpose").check()
    visitor.get_by_role("button", name="Send my registration").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you: your registration is received")
    reference = visitor.locator(".reference").inner_text()
    db.session.rollback()
    saved = db.session.execute(select(InterestRegistration)).scalar_one()
    assert (saved.reference, saved.name, saved.country, saved.sector) == (
        reference,
        "Agnieszka Wiśniewska",
        "PL",
        "ngo",
    )

    # The moderator sees the registration and deletes it (htmx, after confirming).
    reviewer.goto(f"/publishing/{page.id}/registrations")
    expect(reviewer.get_by_role("row", name=re.compile("Agnieszka Wiśniewska"))).to_be_visible()
    assert_accessible(reviewer, "the registrations")
    reviewer.once("dialog", lambda dialog: dialog.accept())
    with reviewer.expect_response(re.compile(r"/delete$")) as answer:
        reviewer.get_by_role("button", name="Delete the registration of Agnieszka Wiśniewska").click()
    assert answer.value.status == 200
    expect(reviewer.locator(f"#registration-{saved.id}")).to_contain_text(f"The registration {reference} is deleted.")
    expect(reviewer.locator("#alerts")).to_contain_text(f"The registration {reference} is deleted.")
    db.session.rollback()
    assert db.session.execute(select(InterestRegistration)).first() is None


def test_a_declined_confirmation_deletes_nothing(signed_in, client, expert, moderator):
    event = make_event(first_day=utcnow().date() + timedelta(days=30), slug="oslo-2027-training")
    page = published_page(expert, moderator, event)
    client.post(f"/programme/{page.slug}/register", data=registration_form())
    reviewer = signed_in(moderator)
    reviewer.goto(f"/publishing/{page.id}/registrations")
    reviewer.once("dialog", lambda dialog: dialog.dismiss())
    reviewer.get_by_role("button", name=re.compile("Delete the registration of")).click()
    expect(reviewer.get_by_role("row", name=re.compile("Ieva Kalniņa"))).to_be_visible()
    db.session.rollback()
    assert db.session.execute(select(InterestRegistration)).first() is not None


def test_the_public_pages_are_accessible(page, expert, moderator):
    event = make_event(
        title="Protecting children on the move: training in Tallinn",
        slug="tallinn-2027-training",
        city="Tallinn",
        country="EE",
        time_zone="Europe/Tallinn",
        first_day=utcnow().date() + timedelta(days=45),
    )
    add_item(event, 1, "09:00", "10:00", title="Opening", speakers="Kadri Tamm")
    add_item(event, 1, "10:00", "10:15", title="Coffee break", kind="break")
    add_item(event, 2, "09:00", "12:00", title="Case study", kind="case_study", notes="A **case** in groups.")
    published_page(expert, moderator, event, title=event.title)
    published_page(expert, moderator, make_event(slug="riga-2016", first_day=utcnow().date() - timedelta(days=400)))

    page.goto("/programme/")
    expect(page.get_by_role("heading", name="Trainings programme")).to_be_visible()
    assert_accessible(page, "the public list")
    page.get_by_label("Country").select_option("EE")
    page.get_by_role("button", name="Show trainings").click()
    expect(page.locator(".programme-count")).to_contain_text("1 training matches")
    assert_accessible(page, "the filtered list")

    page.get_by_role("link", name=event.title).click()
    expect(page.locator(".programme-day")).to_have_count(2)
    assert_accessible(page, "the training page")

    page.get_by_role("link", name="Printable version").click()
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    assert_accessible(page, "the printable version")

    page.go_back()
    page.get_by_role("link", name=re.compile("Register your interest")).first.click()
    expect(page.get_by_role("heading", name="Register your interest")).to_be_visible()
    assert_accessible(page, "the registration form")
    page.get_by_role("button", name="Send my registration").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the registration form with errors")


PHONE = {"width": 390, "height": 844}


def assert_fits_the_phone(page, what: str) -> None:
    header = page.locator(".site-header").bounding_box()["height"]
    assert header < 0.15 * PHONE["height"], f"the header of {what} is {header} px tall"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide on a {PHONE['width']} px phone"


def test_the_public_pages_fit_a_phone_and_its_menu_works_by_keyboard(new_context, expert, moderator):
    event = make_event(
        title="Protecting children on the move: training in Klaipėda",
        slug="klaipeda-2027-training",
        city="Klaipėda",
        country="LT",
        first_day=utcnow().date() + timedelta(days=60),
    )
    add_item(event, 1, "09:00", "10:30", title="Identification of victims of trafficking", speakers="Rūta Jonaitienė")
    published_page(expert, moderator, event, title=event.title)
    page = new_context().new_page()
    page.set_viewport_size(PHONE)

    page.goto("/programme/")
    expect(page.get_by_role("heading", name="Trainings programme")).to_be_visible()
    assert_fits_the_phone(page, "the public list")
    assert_accessible(page, "the public list on a phone")

    page.get_by_role("link", name=event.title).click()
    expect(page.locator(".programme-day")).to_have_count(2)
    assert_fits_the_phone(page, "the training page")
    assert_accessible(page, "the training page on a phone")
    toggle = page.get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Programme")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_accessible(page, "the training page on a phone, menu open")


def test_the_publishing_list_fits_a_phone_with_its_states_readable(signed_in, expert, moderator, client):
    pages = {
        state: page_in_state(state, expert, moderator, make_event(title=f"Training in state {state}"))
        for state in ("draft", "in_review", "approved", "published", "withdrawn")
    }
    client.post(f"/programme/{pages['published'].slug}/register", data=registration_form())
    reviewer = signed_in(moderator)
    reviewer.set_viewport_size(PHONE)
    reviewer.goto("/publishing/")
    expect(reviewer.get_by_role("heading", name="Publishing the programme")).to_be_visible()
    assert_fits_the_phone(reviewer, "the publishing list")
    table = reviewer.locator(".table-wrap")
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth"), "the list scrolls sideways inside its box"
    for state, label in (
        ("draft", "Draft"),
        ("in_review", "In review"),
        ("approved", "Approved"),
        ("published", "Published"),
        ("withdrawn", "Withdrawn"),
    ):
        row = reviewer.get_by_role("row", name=re.compile(f"Training in state {state}"))
        badge = row.locator(".badge").first
        expect(badge).to_have_text(label)
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"the state {label} is cut off"
        expect(row.get_by_role("cell", name=f"State {label}", exact=True)).to_be_visible()  # says what it is
    assert_accessible(reviewer, "the publishing list on a phone")

    reviewer.goto(f"/publishing/{pages['published'].id}/registrations")
    expect(reviewer.get_by_role("row", name=re.compile("Ieva Kalniņa"))).to_be_visible()
    assert_fits_the_phone(reviewer, "the registrations")
    assert_accessible(reviewer, "the registrations on a phone")


def test_a_page_left_open_too_long_says_reload_and_keeps_what_was_typed(app, signed_in, expert, moderator):
    """The CSRF token of a page loaded 25 hours ago has expired: the htmx send-back is refused with an alert in
    the alert area, and the form with the moderator's comment stays as typed (nothing is swapped over it)."""
    page = page_in_state("in_review", expert, moderator, make_event(slug="tartu-2027-training"))
    reviewer = signed_in(moderator)
    reviewer.goto(f"/publishing/{page.id}")
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    raw = serializer.loads(reviewer.locator('meta[name="csrf-token"]').get_attribute("content"))
    then = int(time.time()) - 25 * 3600

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return then

    expired = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=Then).dumps(raw)
    reviewer.evaluate(
        """token => {
            document.querySelector('meta[name="csrf-token"]').content = token;
            document.querySelectorAll('input[name="csrf_token"]').forEach((field) => { field.value = token; });
        }""",
        expired,
    )
    comment = reviewer.get_by_label("What needs to change")
    comment.fill("Please add the venue and the second day's speakers.")
    with reviewer.expect_response(re.compile(r"/send-back$")) as answer:
        reviewer.get_by_role("button", name="Send back with comments").click()
    assert answer.value.status == 400
    expect(reviewer.locator("#alerts")).to_contain_text("This page has expired: reload it")
    expect(reviewer.locator("#alerts")).to_contain_text("What you typed is still in the form")
    expect(comment).to_have_value("Please add the venue and the second day's speakers.")
    expect(reviewer.locator("#workspace .workflow__state")).to_contain_text("In review")
    assert_accessible(reviewer, "the expired-page alert")
    db.session.rollback()
    assert db.session.get(ProgrammePage, page.id).state == "in_review"
