"""Actions have pages of their own: "My actions" (the member's open ones, overdue first) and every action with
filters held in the URL (owner, overdue, open/done, meeting), paged, with CSV and iCalendar of the filtered list."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from icalendar import Calendar

from protect.decisions import actions, services
from protect.decisions.models import ActionItem
from protect.extensions import db
from tests.conftest import count_queries
from tests.decisions.factories import make_action, make_decision, make_meeting
from tests.factories import make_user


def _whats(page: str) -> list[str]:
    return re.findall(r'<a class="action__text" href="[^"]*">([^<]*)</a>', page)


def _today():
    return services.today_for(None)


def test_my_actions_are_my_open_ones_overdue_first(client_for, moderator, expert):
    decision = make_decision(moderator, title="Host cities")
    meeting = make_meeting(moderator, title="Launch meeting")
    today = _today()
    make_action(moderator, decision=decision, what="Later", owner_id=expert.id, due_on=today + timedelta(days=9))
    make_action(moderator, decision=decision, what="Undated", owner_id=expert.id, due_on=None)
    make_action(moderator, meeting=meeting, what="Overdue", owner_id=expert.id, due_on=today - timedelta(days=3))
    make_action(moderator, decision=decision, what="Finished", owner_id=expert.id, done=True)
    make_action(moderator, decision=decision, what="Someone else's", owner_id=moderator.id)
    response = client_for(expert).get("/actions/mine")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _whats(page) == ["Overdue", "Later", "Undated"]
    assert "Overdue</span>" in page  # said in words, not only in colour
    # Each action links to its decision (or meeting), at the action itself.
    assert f'href="/decisions/{decision.id}#action-' in page
    assert f'Decision: <a href="/decisions/{decision.id}">Host cities</a>' in page
    assert f'Meeting: <a href="/decisions/meetings/{meeting.id}">Launch meeting</a>' in page
    # The filters "mine" and "open" are the page's own: a link cannot turn it into someone else's list.
    other = client_for(expert).get(f"/actions/mine?owner={moderator.id}&state=done").get_data(as_text=True)
    assert _whats(other) == ["Overdue", "Later", "Undated"]


def test_the_list_of_all_actions_filters_by_the_url(expert_client, moderator, expert):
    first = make_meeting(moderator, title="Launch meeting")
    second = make_meeting(moderator, title="Riga meeting")
    taken_at_first = make_decision(moderator, title="Host cities", meeting_id=first.id)
    elsewhere = make_decision(moderator, title="Elsewhere")
    today = _today()
    make_action(moderator, decision=taken_at_first, what="A", owner_id=expert.id, due_on=today - timedelta(days=1))
    make_action(moderator, meeting=first, what="B", owner_id=moderator.id, due_on=today + timedelta(days=1))
    make_action(moderator, meeting=second, what="C", owner_id=expert.id, done=True)
    make_action(moderator, decision=elsewhere, what="D", owner_id=moderator.id, due_on=today - timedelta(days=5))

    def whats(query: str) -> list[str]:
        response = expert_client.get(f"/actions/{query}")
        assert response.status_code == 200
        return _whats(response.get_data(as_text=True))

    assert whats("") == ["D", "A", "B", "C"]  # open first, soonest due first
    assert whats(f"?owner={expert.id}") == ["A", "C"]
    assert whats("?state=open") == ["D", "A", "B"]
    assert whats("?state=done") == ["C"]
    assert whats("?overdue=1") == ["D", "A"]
    assert whats(f"?meeting={first.id}") == ["A", "B"]  # its own action and its decision's
    assert whats(f"?meeting={first.id}&overdue=1&owner={expert.id}") == ["A"]
    assert whats("?owner=abc&state=nonsense&meeting=%C2%B2") == ["D", "A", "B", "C"]  # nonsense is left out
    page = expert_client.get(f"/actions/?owner={expert.id}&state=open").get_data(as_text=True)
    assert f'<option selected value="{expert.id}">' in page and '<option selected value="open">' in page
    assert f'href="/actions/export.csv?owner={expert.id}&amp;state=open"' in page


def test_htmx_gets_the_results_and_the_address_of_the_view(expert_client, moderator, expert):
    decision = make_decision(moderator)
    make_action(moderator, decision=decision, what="Mine", owner_id=expert.id)
    response = expert_client.htmx("get", f"/actions/?owner={expert.id}&overdue=on")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" not in page and "data-results-summary" in page
    assert response.headers["HX-Push-Url"] == f"/actions/?owner={expert.id}&overdue=1"


def test_the_list_is_paged(expert_client, moderator):
    decision = make_decision(moderator)
    meeting = make_meeting(moderator)
    for n in range(actions.ACTIONS_PAGE_SIZE + 5):
        parent = {"decision": decision} if n % 2 else {"meeting": meeting}
        make_action(moderator, what=f"Action {n:02d}", due_on=date(2016, 1, 1) + timedelta(days=n), **parent)
    first = expert_client.get("/actions/").get_data(as_text=True)
    assert len(_whats(first)) == actions.ACTIONS_PAGE_SIZE and "Page 1 of 2" in first
    assert 'href="/actions/?page=2"' in first
    second = expert_client.get("/actions/?page=2").get_data(as_text=True)
    assert _whats(second) == [
        f"Action {n:02d}" for n in range(actions.ACTIONS_PAGE_SIZE, actions.ACTIONS_PAGE_SIZE + 5)
    ]


def test_the_csv_is_the_filtered_list_with_a_byte_order_mark(expert_client, moderator, expert):
    decision = make_decision(moderator, title="Gdańsk hosts")
    make_action(moderator, decision=decision, what="Book the hall in Gdańsk", owner_id=expert.id,
                due_on=date(2015, 11, 30))  # fmt: skip
    make_action(moderator, decision=decision, what="=HYPERLINK(1)", owner_id=moderator.id)
    response = expert_client.get(f"/actions/export.csv?owner={expert.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "what", "who", "due", "state"]
    assert len(rows) == 2
    assert rows[1][1:6] == ["Book the hall in Gdańsk", expert.display_name, "2015-11-30", "open", "yes"]
    assert rows[1][7] == "Gdańsk hosts" and rows[1][-1].endswith(f"/decisions/{decision.id}#action-{rows[1][0]}")
    everything = expert_client.get("/actions/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in everything  # never run as a formula


def test_the_calendar_has_the_filtered_actions_due_dates(expert_client, moderator, expert):
    decision = make_decision(moderator, title="Host cities")
    make_action(moderator, decision=decision, what="Open one", owner_id=expert.id, due_on=date(2016, 2, 1))
    make_action(moderator, decision=decision, what="Done one", owner_id=expert.id, due_on=date(2016, 1, 1), done=True)
    make_action(moderator, decision=decision, what="No date", owner_id=expert.id, due_on=None)
    make_action(moderator, decision=decision, what="Not mine", owner_id=moderator.id, due_on=date(2016, 2, 2))
    response = expert_client.get(f"/actions/calendar.ics?owner={expert.id}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    todos = {str(t["summary"]): t for t in calendar.walk("VTODO")}
    assert set(todos) == {f"Open one ({expert.display_name})", f"Done one ({expert.display_name})"}
    open_one = todos[f"Open one ({expert.display_name})"]
    assert open_one.decoded("due") == date(2016, 2, 1) and str(open_one["status"]) == "NEEDS-ACTION"
    done_one = todos[f"Done one ({expert.display_name})"]
    assert str(done_one["status"]) == "COMPLETED"
    assert done_one.decoded("completed").utcoffset().total_seconds() == 0  # times in UTC
    assert "Decision: Host cities" in str(open_one["description"])
    open_only = Calendar.from_ical(expert_client.get(f"/actions/calendar.ics?owner={expert.id}&state=open").get_data())
    assert [str(t["summary"]) for t in open_only.walk("VTODO")] == [f"Open one ({expert.display_name})"]


def test_the_actions_pages_are_for_members_only(client, moderator):
    for url in ("/actions/", "/actions/mine", "/actions/export.csv", "/actions/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_navigation_and_dashboard_link_to_the_actions(expert_client, moderator, expert):
    decision = make_decision(moderator)
    make_action(moderator, decision=decision, what="Something", owner_id=expert.id)
    dashboard = expert_client.get("/dashboard").get_data(as_text=True)
    assert 'href="/actions/mine">All my open actions</a>' in dashboard
    assert 'href="/actions/"' in dashboard
    nav = re.search(r'<nav class="main-nav".*?</nav>', dashboard, re.S).group(0)
    assert '<a href="/actions/mine">Actions</a>' in nav
    page = expert_client.get("/actions/mine").get_data(as_text=True)
    nav = re.search(r'<nav class="main-nav".*?</nav>', page, re.S).group(0)
    assert '<a href="/actions/mine" aria-current="page">Actions</a>' in nav
    assert 'aria-current="page">Decisions' not in nav


def test_a_page_of_actions_runs_a_fixed_number_of_queries(expert_client, moderator, expert):
    decision = make_decision(moderator)
    for n in range(3):
        make_action(moderator, decision=decision, what=f"A{n}", owner_id=expert.id)
    with count_queries() as few:
        assert expert_client.get("/actions/").status_code == 200
    for n in range(20):
        make_action(moderator, decision=make_decision(moderator), what=f"B{n}", owner_id=make_user("expert").id)
    with count_queries() as many:
        assert expert_client.get("/actions/").status_code == 200
    assert len(many) == len(few)
    assert db.session.query(ActionItem).count() == 23


def test_the_calendar_takes_the_first_dated_actions_only(expert_client, moderator, monkeypatch):
    monkeypatch.setattr(actions, "ACTIONS_CALENDAR_MAX", 2)
    decision = make_decision(moderator)
    for n in range(4):
        make_action(moderator, decision=decision, what=f"Step {n}", owner_id=None, due_on=date(2016, 1, 4 - n))
    make_action(moderator, decision=decision, what="Undated", owner_id=None, due_on=None)
    calendar = Calendar.from_ical(expert_client.get("/actions/calendar.ics").get_data())
    assert [str(t["summary"]) for t in calendar.walk("VTODO")] == ["Step 3", "Step 2"]  # soonest due first
    page = expert_client.get("/actions/").get_data(as_text=True)
    assert "Due dates (iCalendar: the first 2)" in page
