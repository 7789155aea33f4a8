"""Actions under decisions and meetings, meetings with attendees and minutes, and the dashboard panel."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from protect.core.database import utcnow
from protect.decisions import log
from protect.decisions.log import dashboard_panel
from protect.decisions.models import ActionItem, Meeting, MeetingAttendee
from protect.extensions import db
from tests.conftest import count_queries
from tests.decisions.factories import make_action, make_decision, make_meeting
from tests.factories import make_user

# Actions ------------------------------------------------------------------------------------------------------


def test_an_expert_adds_an_action_to_a_decision(expert_client, expert, moderator):
    decision = make_decision(moderator)
    data = {"what": "Book the venue in Riga", "owner_id": str(moderator.id), "due_on": "2016-01-15"}
    response = expert_client.post(f"/decisions/{decision.id}/actions", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/decisions/{decision.id}#actions"
    action = db.session.execute(select(ActionItem)).scalar_one()
    assert (action.decision_id, action.owner_id, action.due_on, action.created_by_id) == (
        decision.id,
        moderator.id,
        date(2016, 1, 15),
        expert.id,
    )
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "Book the venue in Riga" in page


def test_adding_an_action_with_htmx_returns_the_actions_and_an_empty_form(expert_client, expert):
    decision = make_decision(expert)
    data = {"what": "Find interpreters", "owner_id": str(expert.id), "due_on": ""}
    response = expert_client.htmx("post", f"/decisions/{decision.id}/actions", data=data)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section id="actions"')
    assert "Find interpreters" in fragment and 'value="Find interpreters"' not in fragment  # the form is empty again
    assert "Action added: Find interpreters" in fragment  # announced in the alert area
    assert "<html" not in fragment


def test_bad_action_input_is_refused_beside_the_field_and_kept(expert_client, expert):
    decision = make_decision(expert)
    outsider = make_user("expert", active=False)
    response = expert_client.htmx(
        "post",
        f"/decisions/{decision.id}/actions",
        data={"what": "Call the ministry", "owner_id": "", "due_on": "soon"},
    )
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert (
        "Enter the date as a date" in fragment
        and 'value="Call the ministry"' in fragment
        and 'value="soon"' in fragment
    )
    response = expert_client.post(
        f"/decisions/{decision.id}/actions",
        data={"what": "Call the ministry", "owner_id": str(outsider.id), "due_on": "2016-01-01"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The person responsible must be a member of the workspace" in page
    assert 'value="Call the ministry"' in page and "<html" in page  # without JavaScript: the page again
    response = expert_client.post(f"/decisions/{decision.id}/actions", data={"what": " ", "owner_id": "", "due_on": ""})
    assert response.status_code == 422 and "Say what is to be done." in response.get_data(as_text=True)
    assert db.session.execute(select(ActionItem)).first() is None


def test_overdue_actions_stand_out_in_words(expert_client, expert):
    decision = make_decision(expert)
    yesterday = utcnow().date() - timedelta(days=2)
    make_action(expert, decision=decision, what="Late one", due_on=yesterday)
    make_action(expert, decision=decision, what="Done one", due_on=yesterday, done=True)
    make_action(expert, decision=decision, what="Future one", due_on=utcnow().date() + timedelta(days=30))
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    rows = dict(re.findall(r'<li id="action-\d+" class="action([^"]*)">.*?action__text">([^<]+)<', page, re.S))
    by_text = {text: classes for classes, text in rows.items()}
    assert by_text["Late one"].strip() == "action--overdue"
    assert by_text["Done one"].strip() == "action--done"
    assert by_text["Future one"].strip() == ""
    assert page.count(">Overdue</span>") == 1 and ">Done</span>" in page


def test_the_owner_ticks_an_action_off_and_others_may_not(client_for, expert, moderator):
    decision = make_decision(moderator)
    owner = make_user("expert")
    action = make_action(moderator, decision=decision, owner_id=owner.id, what="Map the chapters")
    stranger = client_for(make_user("expert"))
    assert stranger.post(f"/decisions/actions/{action.id}/done", data={"done": "1"}).status_code == 403
    assert stranger.post(f"/decisions/actions/{action.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(ActionItem, action.id).done_at is None
    page = stranger.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f"/decisions/actions/{action.id}/done" not in page  # no buttons either

    response = client_for(owner).htmx("post", f"/decisions/actions/{action.id}/done", data={"done": "1"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True).lstrip()
    assert fragment.startswith(f'<li id="action-{action.id}" class="action action--done">')
    assert "Reopen" in fragment and "Done: Map the chapters" in fragment
    db.session.expire_all()
    done = db.session.get(ActionItem, action.id)
    assert done.done_at is not None and done.done_by_id == owner.id

    response = client_for(owner).post(f"/decisions/actions/{action.id}/done", data={"done": "0"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#action-{action.id}")
    db.session.expire_all()
    assert db.session.get(ActionItem, action.id).done_at is None


def test_whoever_added_an_action_or_a_moderator_removes_it(client_for, expert, moderator):
    decision = make_decision(expert)
    first = make_action(expert, decision=decision, what="First").id
    second = make_action(expert, decision=decision, what="Second", owner_id=None).id
    response = client_for(expert).htmx("post", f"/decisions/actions/{first}/delete")
    assert response.status_code == 200
    assert "Removed the action “First”." in response.get_data(as_text=True)
    assert client_for(moderator).post(f"/decisions/actions/{second}/delete").status_code == 303
    assert db.session.execute(select(ActionItem)).first() is None
    assert client_for(moderator).post(f"/decisions/actions/{second}/delete").status_code == 404


def test_actions_under_a_meeting(expert_client, expert, moderator):
    meeting = make_meeting(moderator, title="Follow-up call")
    data = {"what": "Send the dates to the Children's Unit", "owner_id": str(expert.id), "due_on": "2015-11-10"}
    response = expert_client.post(f"/decisions/meetings/{meeting.id}/actions", data=data)
    assert response.status_code == 303 and response.headers["Location"] == f"/decisions/meetings/{meeting.id}#actions"
    action = db.session.execute(select(ActionItem)).scalar_one()
    assert action.meeting_id == meeting.id and action.decision_id is None
    page = expert_client.get(f"/decisions/meetings/{meeting.id}").get_data(as_text=True)
    assert "Send the dates to the Children&#39;s Unit" in page and ">Overdue</span>" in page


# Meetings -----------------------------------------------------------------------------------------------------

NEW_MEETING = {
    "title": "Launch meeting of the expert group",
    "starts_on": "2015-09-22",
    "starts_time": "09:30",
    "time_zone": "Europe/Copenhagen",
    "place": "Nordic Council of Ministers, Copenhagen",
    "minutes": "## Format\n\nTrainings of **two days**.",
    "guests": "Lena Holm, CBSS Secretariat\n\nAnders Berg",
}


def test_an_expert_records_a_meeting_in_its_own_time_zone(expert_client, expert, moderator):
    data = {**NEW_MEETING, "attendee_ids": [str(expert.id), str(moderator.id)]}
    response = expert_client.post("/decisions/meetings/new", data=data)
    assert response.status_code == 303
    meeting = db.session.execute(select(Meeting)).scalar_one()
    assert meeting.starts_at == datetime(2015, 9, 22, 7, 30)  # stored in UTC (Copenhagen is UTC+2 in September)
    assert meeting.created_by_id == expert.id and not meeting.online
    attendees = db.session.execute(select(MeetingAttendee).order_by(MeetingAttendee.id)).scalars().all()
    assert [(a.user_id, a.guest_name, a.guest_organisation) for a in attendees] == [
        (expert.id, "", ""),
        (moderator.id, "", ""),
        (None, "Lena Holm", "CBSS Secretariat"),
        (None, "Anders Berg", ""),
    ]
    page = expert_client.get(f"/decisions/meetings/{meeting.id}").get_data(as_text=True)
    assert "22 Sept 2015, 09:30 CEST (Copenhagen)" in page
    assert "<strong>two days</strong>" in page
    assert "Lena Holm" in page and "CBSS Secretariat" in page and "Mads Moderator" in page
    listing = expert_client.get("/decisions/meetings/").get_data(as_text=True)
    assert "Launch meeting of the expert group" in listing


def test_an_online_meeting_needs_no_place_but_an_in_person_one_does(expert_client):
    response = expert_client.post("/decisions/meetings/new", data={**NEW_MEETING, "place": ""})
    assert response.status_code == 422
    assert "Say where the meeting is, or tick “Online”." in response.get_data(as_text=True)
    response = expert_client.post("/decisions/meetings/new", data={**NEW_MEETING, "place": "", "online": "y"})
    assert response.status_code == 303
    assert db.session.execute(select(Meeting.online)).scalar_one() is True


def test_bad_meeting_input_is_refused_and_kept(expert_client):
    outsider = make_user("expert", active=False)
    bad = {**NEW_MEETING, "starts_on": "22/09/2015", "starts_time": "half past nine"}
    response = expert_client.post("/decisions/meetings/new", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the date as a date" in page and 'value="22/09/2015"' in page
    assert "Launch meeting of the expert group" in page
    response = expert_client.post("/decisions/meetings/new", data={**NEW_MEETING, "attendee_ids": [str(outsider.id)]})
    assert response.status_code == 422
    assert "Attendees must be members of the workspace" in response.get_data(as_text=True)
    assert db.session.execute(select(Meeting)).first() is None


def test_only_the_recorder_or_a_moderator_edits_a_meeting(client_for, expert, moderator):
    meeting = make_meeting(expert, title="Launch", minutes="Draft minutes.")
    other = client_for(make_user("expert"))
    form = client_for(expert).get(f"/decisions/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="2015-09-22"' in form and 'value="09:30"' in form  # shown in the meeting's own zone
    data = {**NEW_MEETING, "title": "Launch", "minutes": "Final minutes.", "version": str(meeting.version)}
    assert other.get(f"/decisions/meetings/{meeting.id}/edit").status_code == 403
    assert other.post(f"/decisions/meetings/{meeting.id}/edit", data=data).status_code == 403
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).minutes == "Draft minutes."
    assert client_for(moderator).post(f"/decisions/meetings/{meeting.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).minutes == "Final minutes."
    # a second save from the same (now stale) form is a conflict that keeps the text
    stale = client_for(expert).post(f"/decisions/meetings/{meeting.id}/edit", data={**data, "minutes": "My minutes."})
    assert stale.status_code == 409
    assert "My minutes." in stale.get_data(as_text=True) and "Final minutes." in stale.get_data(as_text=True)


def test_a_missing_meeting_is_404(expert_client):
    assert expert_client.get("/decisions/meetings/999").status_code == 404
    assert expert_client.post("/decisions/meetings/999/actions", data={"what": "x"}).status_code == 404


def test_the_meeting_page_runs_a_fixed_number_of_queries(client_for, expert, moderator):
    meeting = make_meeting(moderator)
    client = client_for(expert)
    client.get(f"/decisions/meetings/{meeting.id}")  # the members' list is read once, then kept until they change
    counts = []
    for extra in (1, 10):
        for _ in range(extra):
            decision = make_decision(expert, meeting_id=meeting.id)
            make_action(expert, meeting=meeting)
            make_action(expert, decision=decision)
        with count_queries() as queries:
            assert client.get(f"/decisions/meetings/{meeting.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_the_decision_page_runs_a_fixed_number_of_queries(client_for, expert, moderator):
    decision = make_decision(expert, tags="a, b, c")
    client = client_for(moderator)
    counts = []
    for extra in (1, 10):
        for i in range(extra):
            make_action(expert, decision=decision)
            make_decision(expert, title=f"Other {extra}-{i}")
            client.post(f"/decisions/{decision.id}/edit", data=_edit(decision, i))
        with count_queries() as queries:
            assert client.get(f"/decisions/{decision.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def _edit(decision, i):
    from tests.decisions.factories import decision_form

    db.session.expire_all()
    return decision_form(db.session.get(type(decision), decision.id), text=f"Version {i}")


# The dashboard ------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_my_open_actions_and_decisions_due_soon(client_for, expert, moderator):
    today = utcnow().date()
    decision = make_decision(moderator, title="Book interpreters", due_on=today + timedelta(days=5))
    make_decision(moderator, title="Far away", due_on=today + timedelta(days=90))
    make_decision(moderator, title="Late and agreed", due_on=today - timedelta(days=3), status="agreed")
    make_decision(moderator, title="Late but implemented", due_on=today - timedelta(days=3), status="implemented")
    make_action(
        moderator, decision=decision, what="Ask three agencies", owner_id=expert.id, due_on=today - timedelta(days=1)
    )
    make_action(moderator, decision=decision, what="Someone else's", owner_id=moderator.id)
    make_action(moderator, decision=decision, what="Already done", owner_id=expert.id, done=True)
    page = client_for(expert).get("/dashboard").get_data(as_text=True)
    panel = page[page.index('id="decisions-panel-title"') : page.index('id="activity-title"')]
    assert "Ask three agencies" in panel and "Someone else&#39;s" not in panel and "Already done" not in panel
    assert "Book interpreters" in panel and "Late and agreed" in panel
    assert "Far away" not in panel and "Late but implemented" not in panel
    assert panel.count(">Overdue</span>") == 2  # my late action and the late decision


def test_the_dashboard_panel_runs_at_most_two_queries(expert, moderator):
    for i in range(5):
        decision = make_decision(moderator, due_on=utcnow().date() + timedelta(days=i))
        make_action(moderator, decision=decision, owner_id=expert.id)
    db.session.refresh(expert)  # as the signed-in user is, before the dashboard builds its panels
    with count_queries() as queries:
        context = dashboard_panel(expert)
    assert len(queries) <= 2
    assert len(context["actions"]) == 5 and len(context["decisions"]) == 5


def test_the_dashboard_lists_the_soonest_first_those_without_a_date_last(expert, moderator):
    today = utcnow().date()
    decision = make_decision(moderator, title="Venue")
    dated = [5, -2, 9, 0, 3, 12, 1]
    for days in dated:
        make_action(moderator, decision=decision, what=f"In {days}", owner_id=expert.id, due_on=today + timedelta(days))
    for n in range(3):
        make_action(moderator, decision=decision, what=f"Someday {n}", owner_id=expert.id, due_on=None)
    make_action(moderator, decision=decision, what="Done", owner_id=expert.id, due_on=today - timedelta(9), done=True)
    make_action(moderator, decision=decision, what="Not mine", owner_id=moderator.id, due_on=today - timedelta(9))
    shown = [action.what for action in log.my_open_actions(expert, limit=8)]
    assert shown == [f"In {days}" for days in sorted(dated)] + ["Someday 0"]
    assert [a.what for a in log.my_open_actions(expert, limit=12)][-3:] == ["Someday 0", "Someday 1", "Someday 2"]
    assert log.my_open_actions(expert)[0].decision_title == "Venue"

    for days, status in [(4, "agreed"), (-7, "proposed"), (2, "proposed"), (-1, "agreed"), (8, "agreed")]:
        make_decision(moderator, title=f"Due {days}", status=status, due_on=today + timedelta(days))
    make_decision(moderator, title="Implemented", status="implemented", due_on=today - timedelta(20))
    make_decision(moderator, title="Later", status="proposed", due_on=today + timedelta(30))
    due = log.decisions_due_soon(today, limit=4)
    assert [d.title for d in due] == ["Due -7", "Due -1", "Due 2", "Due 4"]
    assert [d.title for d in log.decisions_due_soon(today)] == ["Due -7", "Due -1", "Due 2", "Due 4", "Due 8"]
