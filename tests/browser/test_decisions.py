"""The decision log in a real browser: record a meeting, take a decision there, add and tick off an action,
change the status inline, filter the log (the address bar follows), open the shared URL elsewhere; axe-core on
the pages; and the filters without JavaScript."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from protect.decisions.models import ActionItem, Decision, DecisionStatusChange, Meeting
from protect.extensions import db
from tests.browser.conftest import assert_accessible
from tests.decisions.factories import make_action, make_decision, make_meeting
from tests.factories import PASSWORD


def test_meeting_decision_action_status_filter_and_share(signed_in, moderator, expert):
    page = signed_in(moderator)
    page.get_by_role("link", name="Decisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision log")
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="Record a meeting").click()

    page.get_by_label("Title").fill("Launch meeting in Copenhagen")
    page.get_by_label("Date", exact=True).fill("2015-09-22")
    page.get_by_label("Starts at").fill("09:30")
    page.get_by_label("Time zone").select_option("Europe/Copenhagen")
    page.get_by_label("Place").fill("Nordic Council of Ministers, Copenhagen")
    page.get_by_label("Eva Expert").check()
    page.get_by_label("Guests").fill("Lena Holm, CBSS Secretariat")
    page.get_by_label("Minutes").fill("## Format\n\nTrainings of **two days** in Вильнюс, Rīga and Tallinn.")
    page.get_by_role("button", name="Record the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Launch meeting in Copenhagen")
    expect(page.locator(".prose strong")).to_have_text("two days")
    expect(page.get_by_text("Lena Holm")).to_be_visible()
    db.session.rollback()
    meeting = db.session.execute(select(Meeting)).scalar_one()
    assert meeting.time_zone == "Europe/Copenhagen" and meeting.starts_at.hour == 7  # 09:30 CEST in UTC

    page.get_by_role("link", name="Record a decision taken at this meeting").click()
    expect(page.get_by_label("Taken at the meeting")).to_have_value(str(meeting.id))
    page.get_by_label("Title").fill("Host cities: Vilnius first")
    page.get_by_label("What was decided").fill("The first training is held in Вильнюс (Vilnius).")
    page.get_by_label("Rationale").fill("The police department in Vilnius offered a venue.")
    page.get_by_label("Owner").select_option(label="Eva Expert")
    page.get_by_label("Due date").fill("2016-09-27")
    page.get_by_label("Tags").fill("host cities, Vilnius")
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Host cities: Vilnius first")
    db.session.rollback()
    decision = db.session.execute(select(Decision)).scalar_one()
    page.evaluate("window.notReloaded = true")  # gone if any of the steps below reloads the page

    # Add an action (htmx): the list grows, the form empties, the alert area says so.
    actions = page.locator("#actions")
    actions.get_by_label("What is to be done").fill("Ask the ministry in Vilnius to host")
    actions.get_by_label("Who").select_option(label="Eva Expert")
    actions.get_by_label("Due", exact=True).fill("2015-11-30")
    with page.expect_response(re.compile(r"/decisions/\d+/actions$")) as answer:
        actions.get_by_role("button", name="Add the action").click()
    assert answer.value.status == 200
    row = page.locator(".action", has_text="Ask the ministry in Vilnius to host")
    expect(row).to_contain_text("Overdue")  # due in 2015: it stands out, in words
    expect(actions.get_by_label("What is to be done")).to_have_value("")
    expect(page.locator("#alerts")).to_contain_text("Action added")

    # Tick it off in place.
    with page.expect_response(re.compile(r"/decisions/actions/\d+/done$")) as answer:
        row.get_by_role("button", name=re.compile("Mark done")).click()
    assert answer.value.status == 200
    expect(page.locator(".action", has_text="Ask the ministry in Vilnius to host")).to_contain_text("Done")
    db.session.rollback()
    assert db.session.execute(select(ActionItem.done_at)).scalar_one() is not None

    # Change the status inline; the timeline grows.
    status = page.locator("#decision-status")
    expect(status.get_by_label("Superseded by")).to_be_hidden()  # only for "superseded"
    status.get_by_label("New status").select_option("agreed")
    status.get_by_label("Note").fill("Agreed by all experts present.")
    with page.expect_response(re.compile(r"/status$")) as answer:
        status.get_by_role("button", name="Change the status").click()
    assert answer.value.status == 200
    expect(page.locator("#decision-status .status-now")).to_contain_text("Agreed")
    expect(page.locator("#decision-status .timeline li")).to_have_count(2)
    expect(page.locator("#decision-status .timeline")).to_contain_text("Agreed by all experts present.")
    expect(page.locator("#alerts")).to_contain_text("The decision is now agreed.")
    # A step the rules refuse is explained in the panel, the note kept.
    page.locator("#decision-status").get_by_label("New status").select_option("superseded")
    expect(page.locator("#decision-status").get_by_label("Superseded by")).to_be_visible()
    page.locator("#decision-status").get_by_label("Note").fill("Replaced by itself?")
    page.locator("#decision-status select[name=superseded_by_id]").evaluate(
        f"s => {{ s.add(new Option('itself', '{decision.id}')); s.value = '{decision.id}'; }}"
    )
    with page.expect_response(re.compile(r"/status$")) as answer:
        page.locator("#decision-status").get_by_role("button", name="Change the status").click()
    assert answer.value.status == 422
    expect(page.locator("#decision-status [role=alert]").first).to_contain_text("cannot supersede itself")
    expect(page.locator("#decision-status").get_by_label("Note")).to_have_value("Replaced by itself?")
    assert page.evaluate("window.notReloaded") is True
    db.session.rollback()
    assert db.session.get(Decision, decision.id).status == "agreed"
    assert len(db.session.execute(select(DecisionStatusChange)).all()) == 2

    # Filter the log: the results and the address bar follow each change.
    make_decision(moderator, title="Trainings last two days", tags="format")
    page.goto("/decisions/")
    expect(page.locator(".decision-card")).to_have_count(2)
    with page.expect_response(re.compile(r"/decisions/\?q=")) as answer:
        page.get_by_label("Search", exact=True).fill("ВИЛЬНЮС")
    assert answer.value.status == 200
    expect(page.locator(".decision-card")).to_have_count(1)
    expect(page.locator(".decision-card")).to_contain_text("Host cities: Vilnius first")
    expect(page).to_have_url(re.compile(r"/decisions/\?q=%D0%92%D0%98%D0%9B%D0%AC%D0%9D%D0%AE%D0%A1$"))
    with page.expect_response(re.compile(r"/decisions/\?")) as answer:
        page.get_by_label("Status").select_option("agreed")
    expect(page).to_have_url(re.compile(r"status=agreed"))
    expect(page.locator("#results-status")).to_have_text("1 decision matches the filters.")
    shared = page.url
    assert "q=" in shared and "owner=" not in shared  # only the filters in force
    with page.expect_response(re.compile(r"/decisions/\?")) as answer:
        page.get_by_label("Status").select_option("withdrawn")
    expect(page.locator(".decision-list")).to_have_count(0)
    expect(page.get_by_text("No decision matches these filters.")).to_be_visible()

    # Someone else opens the shared link: the same view, the form showing the filters.
    other = signed_in(expert)
    other.goto(shared)
    expect(other.locator(".decision-card")).to_have_count(1)
    expect(other.locator(".decision-card")).to_contain_text("Host cities: Vilnius first")
    expect(other.get_by_label("Search", exact=True)).to_have_value("ВИЛЬНЮС")
    expect(other.get_by_label("Status")).to_have_value("agreed")
    # Back in the first browser, the Back button returns to the earlier filtered view, whole.
    page.go_back()
    expect(page).to_have_url(shared)
    expect(page.locator(".decision-card")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision log")


def test_pages_through_a_long_log_with_htmx(signed_in, expert):
    from tests.decisions.factories import make_decisions

    make_decisions(expert, 23)
    page = signed_in(expert)
    page.goto("/decisions/")
    expect(page.locator(".decision-card")).to_have_count(20)
    with page.expect_response(re.compile(r"page=2")):
        page.get_by_role("link", name="Older decisions").click()
    expect(page.locator(".decision-card")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/decisions/\?page=2$"))


def test_the_decision_log_pages_are_accessible(signed_in, moderator, expert):
    meeting = make_meeting(moderator, title="Launch meeting", minutes="Trainings of **two days**.")
    decision = make_decision(
        moderator,
        title="Each training lasts two days",
        meeting_id=meeting.id,
        owner_id=expert.id,
        due_on=date(2015, 12, 15),
        tags="format",
    )
    make_action(moderator, decision=decision, what="Draft the agenda template", due_on=date(2015, 11, 15))
    make_action(moderator, decision=decision, what="Done already", done=True)
    page = signed_in(moderator)
    page.goto("/decisions/")
    assert_accessible(page, "decision log")
    page.goto("/decisions/?due_before=not-a-date")
    assert_accessible(page, "decision log with a refused filter")
    page.goto(f"/decisions/{decision.id}")
    assert_accessible(page, "decision page")
    page.goto(f"/decisions/{decision.id}/history")
    assert_accessible(page, "decision history")
    page.goto(f"/decisions/meetings/{meeting.id}")
    assert_accessible(page, "meeting page")
    page.goto("/decisions/meetings/new")
    assert_accessible(page, "meeting form")
    page.goto("/decisions/new")
    assert_accessible(page, "decision form")
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "decision form with errors")


def test_the_owner_filter_is_typed_and_follows_as_the_search_does(signed_in, moderator, expert):
    make_decision(moderator, title="Book the venue", owner_id=expert.id)
    make_decision(moderator, title="Hire interpreters", owner_id=moderator.id)
    page = signed_in(moderator)
    page.goto("/decisions/")
    expect(page.locator(".decision-card")).to_have_count(2)
    with page.expect_response(re.compile(r"owner=eva")) as answer:
        page.get_by_label("Owner").fill("eva")
    assert answer.value.status == 200
    expect(page.locator(".decision-card")).to_have_count(1)
    expect(page.locator(".decision-card")).to_contain_text("Book the venue")
    expect(page).to_have_url(re.compile(r"/decisions/\?owner=eva$"))
    expect(page.locator("#results-status")).to_have_text("1 decision matches the filters.")
    # A link by the owner's id opens with the name in the field; changing another filter keeps to that person.
    other = signed_in(expert)
    other.goto(f"/decisions/?owner={moderator.id}")
    expect(other.get_by_label("Owner")).to_have_value("Mads Moderator")
    with other.expect_response(re.compile(r"/decisions/\?")):
        other.get_by_label("Status").select_option("proposed")
    expect(other.locator(".decision-card")).to_have_count(1)
    expect(other.locator(".decision-card")).to_contain_text("Hire interpreters")


def test_the_filters_work_without_javascript(browser, live_server, expert, moderator):
    make_decision(expert, title="Crossing the Øresund bridge", text="Malmö and Copenhagen.", owner_id=moderator.id)
    make_decision(expert, title="Training in Tallinn")
    plain = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = plain.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/decisions/")
        expect(page.locator(".decision-card")).to_have_count(2)
        page.get_by_label("Search", exact=True).fill("ØRESUND")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"q=%C3%98RESUND"))
        expect(page.locator(".decision-card")).to_have_count(1)
        expect(page.locator(".decision-card")).to_contain_text("Crossing the Øresund bridge")
        page.goto("/decisions/")
        page.get_by_label("Owner").fill("MADS")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"owner=MADS"))
        expect(page.locator(".decision-card")).to_have_count(1)
        expect(page.locator(".decision-card")).to_contain_text("Crossing the Øresund bridge")
        expect(page.get_by_label("Owner")).to_have_value("MADS")
    finally:
        plain.close()


def test_the_owner_is_chosen_from_the_long_list_and_kept_on_a_refused_form(signed_in, moderator, expert):
    page = signed_in(moderator)
    page.goto("/decisions/new")
    page.get_by_label("Owner").select_option(label=expert.display_name)
    page.get_by_role("button", name="Propose the decision").click()  # no title, no text: refused
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Owner")).to_have_value(str(expert.id))  # what was chosen is kept
    page.get_by_label("Title").fill("Trainings last two days")
    page.get_by_label("What was decided").fill("Each training lasts two days.")
    page.get_by_role("button", name="Propose the decision").click()
    owner = page.locator("dt", has_text="Owner").locator("xpath=following-sibling::dd[1]")
    expect(owner).to_have_text(expert.display_name)
    db.session.rollback()
    decision = db.session.execute(select(Decision).where(Decision.title == "Trainings last two days")).scalar_one()
    assert decision.owner_id == expert.id


# The actions list, the owner's edit, and both pages on a phone ------------------------------------------------


def _actions_for_the_lists(moderator, expert):
    from datetime import timedelta

    from protect.decisions import services

    today = services.today_for(None)
    meeting = make_meeting(moderator, title="Launch meeting in Copenhagen")
    decision = make_decision(
        moderator,
        title="Each training lasts two days, in Vilnius, Riga and Tallinn, with interpretation into Russian",
        meeting_id=meeting.id,
        owner_id=expert.id,
        due_on=date(2015, 12, 15),
        tags="format, interpretation",
    )
    overdue = today - timedelta(days=2)
    make_action(moderator, decision=decision, what="Book the hall", owner_id=expert.id, due_on=overdue)
    make_action(moderator, decision=decision, what="Hire interpreters", owner_id=moderator.id, due_on=today)
    make_action(moderator, meeting=meeting, what="Send the minutes", owner_id=expert.id, done=True)
    return decision


def test_the_actions_list_is_filtered_by_keyboard(signed_in, moderator, expert):
    decision = _actions_for_the_lists(moderator, expert)
    page = signed_in(expert)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Actions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My actions")
    expect(page.locator(".action")).to_have_count(1)  # my one open action; the done one is left out
    expect(page.locator(".action").first).to_contain_text("Overdue")
    page.get_by_role("link", name="All actions").click()
    expect(page.locator(".action")).to_have_count(3)

    # Tab to the "Who" filter and choose with the keyboard alone: the results and the address follow.
    page.get_by_label("Who").focus()
    with page.expect_response(re.compile(r"/actions/\?owner=")) as answer:
        page.keyboard.press("End")  # the last member in the list
        page.keyboard.press("Home")
        page.keyboard.press("ArrowDown")  # the first member after "Anyone"
    assert answer.value.status == 200
    chosen = page.get_by_label("Who").input_value()
    expect(page).to_have_url(re.compile(rf"/actions/\?owner={chosen}$"))
    page.get_by_label("Who").select_option(str(expert.id))  # the expert, whoever is first in the list
    expect(page).to_have_url(re.compile(rf"owner={expert.id}"))
    expect(page.locator(".action")).to_have_count(2)

    page.keyboard.press("Tab")  # to "State"
    expect(page.get_by_label("State")).to_be_focused()
    page.keyboard.press("Tab")  # to "Meeting"
    page.keyboard.press("Tab")  # to "Only overdue"
    expect(page.get_by_label("Only overdue")).to_be_focused()
    with page.expect_response(re.compile(r"overdue=1")) as answer:
        page.keyboard.press("Space")
    assert answer.value.status == 200
    expect(page.locator(".action")).to_have_count(1)
    expect(page.locator(".action")).to_contain_text("Book the hall")
    expect(page.locator("#results-status")).to_have_text("1 action.")
    expect(page).to_have_url(re.compile(rf"/actions/\?owner={expert.id}&overdue=1$"))
    # The link leads to the action on its decision's page.
    page.locator(".action").get_by_role("link", name="Book the hall").click()
    expect(page).to_have_url(re.compile(rf"/decisions/{decision.id}#action-\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Each training lasts two days")
    # Back: the filtered list, whole; the form shows the filters.
    page.go_back()
    expect(page.locator(".action")).to_have_count(1)
    expect(page.get_by_label("Only overdue")).to_be_checked()


def test_the_actions_list_filters_without_javascript(browser, live_server, moderator, expert):
    _actions_for_the_lists(moderator, expert)
    plain = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = plain.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(expert.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/actions/")
        page.get_by_label("State").select_option("done")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"/actions/\?.*state=done"))
        expect(page.locator(".action")).to_have_count(1)
        expect(page.locator(".action")).to_contain_text("Send the minutes")
    finally:
        plain.close()


def _no_overflow(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} is {width} px wide at 390 px"


def test_the_actions_list_and_a_decision_on_a_phone_and_a_desktop(new_context, moderator, expert):
    decision = _actions_for_the_lists(moderator, expert)
    for width, height in ((390, 844), (1280, 900)):
        context = new_context()
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/login")
        page.get_by_label("Email").fill(moderator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        for url, what in (
            ("/actions/", "the actions list"),
            ("/actions/mine", "my actions"),
            (f"/decisions/{decision.id}", "a decision"),
            (f"/decisions/{decision.id}/history", "a decision's history"),
        ):
            page.goto(url)
            assert_accessible(page, f"{what} at {width} px")
            if width == 390:
                _no_overflow(page, what)


def test_the_owner_edits_the_decision_in_the_browser(signed_in, moderator, expert):
    decision = make_decision(moderator, title="Book the venue", owner_id=expert.id, due_on=date(2016, 3, 1))
    page = signed_in(expert)
    page.goto(f"/decisions/{decision.id}")
    page.get_by_role("link", name="Edit the decision").click()
    expect(page.get_by_text("Only the author of the decision or a moderator hands it to another")).to_be_visible()
    expect(page.locator("select[name=owner_id]")).to_have_count(0)
    page.get_by_label("Due date").fill("2016-04-15")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book the venue")
    page.get_by_role("link", name="history of the decision").click()
    row = page.locator(".change-table tr", has_text="Due date")
    expect(row).to_contain_text("1 Mar 2016")
    expect(row).to_contain_text("15 Apr 2016")
    assert_accessible(page, "the history with a change of the due date")
    db.session.rollback()
    assert db.session.get(Decision, decision.id).due_on == date(2016, 4, 15)
