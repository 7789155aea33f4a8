"""What members add to a meeting or a decision is bounded, each limit answered with a clear 422 that keeps what
was typed; and no page of the decision log grows without bound (meetings, a meeting's decisions, the lists of
meetings to choose from)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from protect.decisions import log, meetings
from protect.decisions.models import ACTIONS_MAX, GUESTS_MAX, TAGS_MAX, ActionItem, Decision, Meeting
from protect.extensions import db
from tests.decisions.factories import decision_form, make_action, make_decision, make_meeting
from tests.decisions.test_actions_meetings import NEW_MEETING
from tests.factories import make_user


def _actions(**where) -> int:
    query = select(func.count()).select_from(ActionItem)
    for name, value in where.items():
        query = query.where(getattr(ActionItem, name) == value)
    return db.session.execute(query).scalar_one()


def test_a_decision_holds_a_bounded_number_of_actions(expert_client, moderator, expert):
    decision = make_decision(moderator)
    for n in range(ACTIONS_MAX):
        make_action(moderator, decision=decision, what=f"Step {n}")
    data = {"what": "One step too many", "owner_id": str(expert.id), "due_on": "2016-02-01"}
    response = expert_client.post(f"/decisions/{decision.id}/actions", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"This decision has {ACTIONS_MAX} actions already, the most one can hold." in page
    assert 'value="One step too many"' in page and 'value="2016-02-01"' in page  # kept
    # The same with htmx: the actions panel again, with the message and the input.
    response = expert_client.htmx("post", f"/decisions/{decision.id}/actions", data=data)
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert "the most one can hold" in fragment and 'value="One step too many"' in fragment
    assert _actions(decision_id=decision.id) == ACTIONS_MAX


def test_a_meeting_holds_a_bounded_number_of_actions(expert_client, moderator):
    meeting = make_meeting(moderator)
    for n in range(ACTIONS_MAX):
        make_action(moderator, meeting=meeting, what=f"Step {n}")
    response = expert_client.post(f"/decisions/meetings/{meeting.id}/actions", data={"what": "Another"})
    assert response.status_code == 422
    assert f"This meeting has {ACTIONS_MAX} actions already" in response.get_data(as_text=True)
    assert _actions(meeting_id=meeting.id) == ACTIONS_MAX


def test_attendees_are_bounded_and_the_form_kept(expert_client, expert, moderator, monkeypatch):
    monkeypatch.setattr(meetings, "ATTENDEES_MAX", 2)
    third = make_user("expert")
    data = {**NEW_MEETING, "attendee_ids": [str(expert.id), str(moderator.id), str(third.id)]}
    response = expert_client.post("/decisions/meetings/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "At most 2 members can be listed as attending (you ticked 3)." in page
    assert 'value="Launch meeting of the expert group"' in page and "Lena Holm, CBSS Secretariat" in page
    assert page.count("checked") >= 3  # the ticks are kept
    assert db.session.execute(select(Meeting)).first() is None


def test_guests_are_bounded(expert_client):
    guests = "\n".join(f"Guest {n}, Somewhere" for n in range(GUESTS_MAX + 1))
    response = expert_client.post("/decisions/meetings/new", data={**NEW_MEETING, "guests": guests})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"At most {GUESTS_MAX} guests, one a line (you wrote {GUESTS_MAX + 1})." in page
    assert f"Guest {GUESTS_MAX}, Somewhere" in page


def test_tags_are_bounded_and_kept(expert_client):
    tags = ", ".join(f"tag {n}" for n in range(TAGS_MAX + 3))
    response = expert_client.post("/decisions/new", data=decision_form(tags=tags))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"At most {TAGS_MAX} tags (you wrote {TAGS_MAX + 3}). Remove some, or combine them." in page
    assert f'value="{tags}"' in page
    assert db.session.execute(select(Decision)).first() is None


def test_the_meetings_list_is_paged(expert_client, moderator, monkeypatch):
    monkeypatch.setattr(meetings, "MEETINGS_PAGE_SIZE", 3)
    for n in range(7):
        make_meeting(moderator, title=f"Meeting no. {n}", starts_at=datetime(2016, 1, 1) + timedelta(days=n))
    first = expert_client.get("/decisions/meetings/").get_data(as_text=True)
    assert "7 meetings, latest first; page 1 of 3." in first
    assert "Meeting no. 6" in first and "Meeting no. 3" not in first
    last = expert_client.get("/decisions/meetings/?page=3").get_data(as_text=True)
    assert "Meeting no. 0" in last and "Meeting no. 1" not in last


def test_a_meeting_page_lists_a_bounded_number_of_decisions(expert_client, moderator, monkeypatch):
    monkeypatch.setattr(meetings, "MEETING_DECISIONS_SHOWN", 2)
    meeting = make_meeting(moderator)
    for n in range(4):
        make_decision(moderator, title=f"Taken there {n}", meeting_id=meeting.id)
    page = expert_client.get(f"/decisions/meetings/{meeting.id}").get_data(as_text=True)
    assert "Taken there 1" in page and "Taken there 2" not in page
    assert f'href="/decisions/?meeting={meeting.id}">All 4 decisions taken at this meeting, in the log</a>' in page


def test_the_meetings_to_choose_from_are_bounded_and_keep_the_chosen_one(
    expert_client, moderator_client, moderator, monkeypatch
):
    monkeypatch.setattr(meetings, "MEETING_CHOICES_MAX", 2)
    oldest = make_meeting(moderator, title="Oldest meeting", starts_at=datetime(2015, 1, 1))
    for n in range(3):
        make_meeting(moderator, title=f"Recent {n}", starts_at=datetime(2016, 1, 1) + timedelta(days=n))
    form = expert_client.get("/decisions/new").get_data(as_text=True)
    assert "Recent 2" in form and "Recent 1" in form and "Recent 0" not in form and "Oldest meeting" not in form
    linked = expert_client.get(f"/decisions/new?meeting_id={oldest.id}").get_data(as_text=True)
    assert f'<option selected value="{oldest.id}">Oldest meeting' in linked
    decision = make_decision(moderator, meeting_id=oldest.id)
    edit = moderator_client.get(f"/decisions/{decision.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{oldest.id}">Oldest meeting' in edit
    page = expert_client.get(f"/decisions/?meeting={oldest.id}").get_data(as_text=True)
    assert f'<option selected value="{oldest.id}">Oldest meeting' in page


def test_the_tags_to_filter_by_are_bounded_and_keep_the_chosen_one(expert_client, expert, monkeypatch):
    monkeypatch.setattr(log, "TAG_CHOICES_MAX", 2)
    make_decision(expert, tags="alpha, beta, gamma")
    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert '<option value="alpha">' in page and '<option value="beta">' in page and ">gamma</option>" not in page
    chosen = expert_client.get("/decisions/?tag=gamma").get_data(as_text=True)
    assert '<option selected value="gamma">gamma</option>' in chosen
