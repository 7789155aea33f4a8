"""What the decision log tells members: a decision or an action given to them (not when they take it
themselves), their open actions due in 2 days or overdue (a reminder, once per due date, by their own local
date; nothing for an action done), and an @mention newly written in a decision's text or a meeting's minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from protect.decisions import actions, meetings, notices, services
from protect.decisions.models import Decision, Meeting
from protect.extensions import db
from protect.notifications.kinds import KINDS
from protect.notifications.mailer import run_reminders
from protect.notifications.mentions import mention
from protect.notifications.models import NoticeOnce, Notification
from tests.decisions.factories import decision_form, make_action, make_decision, make_meeting
from tests.decisions.test_actions_meetings import NEW_MEETING
from tests.factories import make_user

NOW = datetime(2026, 12, 7, 12, 0)  # a Monday, noon UTC
TODAY = NOW.date()


@pytest.fixture
def boris():
    return make_user("expert", display_name="Boris Lind")


@pytest.fixture
def gone():
    return make_user("expert", display_name="Gone Away", active=False)


def _notices(kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.execute(query).scalars())


def _to(kind: str) -> list[int]:
    return [notice.user_id for notice in _notices(kind)]


def _remind(now: datetime = NOW) -> int:
    db.session.commit()  # the reminders begin write transactions of their own, as the sender does
    return run_reminders(now)


def test_paths_are_the_routes_url_for_builds(app):
    """Reminders run without a request: their paths come from the routes, as url_for makes them in one."""
    outside = (
        services.decision_url(3),
        services.action_url(5, decision_id=3),
        services.action_url(6, meeting_id=4),
        services.meeting_url(4, "minutes-title"),
    )
    with app.test_request_context("/"):
        assert outside == (
            url_for("decisions.show_decision", decision_id=3),
            url_for("decisions.show_decision", decision_id=3, _anchor="action-5"),
            url_for("decisions.show_meeting", meeting_id=4, _anchor="action-6"),
            url_for("decisions.show_meeting", meeting_id=4, _anchor="minutes-title"),
        )
    assert outside[1:3] == ("/decisions/3#action-5", "/decisions/meetings/4#action-6")


# Assigned ---------------------------------------------------------------------------------------------------


def test_a_decision_given_to_a_member_tells_them_and_not_who_gave_it(expert, expert_client, boris, client_for):
    response = expert_client.post(
        "/decisions/new", data=decision_form(title="Trainings last two days", owner_id=boris.id)
    )
    assert response.status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    [notice] = _notices("assigned")
    assert notice.user_id == boris.id and notice.actor_id == expert.id
    assert notice.summary == services.DECISION_ASSIGNED
    assert notice.summary_params == {"name": "Eva Expert", "title": "Trainings last two days"}
    assert notice.thread == f"decision:{decision.id}" and notice.url == f"/decisions/{decision.id}"
    assert notice.mail == "now"  # the kind's default
    page = client_for(boris).get("/notifications")
    assert "Eva Expert made you the owner of the decision “Trainings last two days”" in page.text
    # the place it points to is one Boris may see
    assert client_for(boris).get(notice.url).status_code == 200

    # taking a decision oneself tells nobody
    assert expert_client.post("/decisions/new", data=decision_form(title="Mine", owner_id=expert.id)).status_code == 303
    assert len(_notices("assigned")) == 1


def test_handing_a_decision_on_tells_the_new_owner_only(moderator, moderator_client, expert, boris, gone):
    decision = make_decision(moderator, title="Host cities", owner_id=expert.id)
    assert _to("assigned") == [expert.id]

    # an edit that leaves the owner tells nobody again
    data = decision_form(decision, text="Riga and Tallinn host the trainings.")
    assert moderator_client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    assert _to("assigned") == [expert.id]

    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    data = decision_form(decision, owner_id=boris.id)
    assert moderator_client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    assert _to("assigned") == [expert.id, boris.id]

    # nobody, or a deactivated member (refused by the form), gets nothing
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    assert (
        moderator_client.post(
            f"/decisions/{decision.id}/edit", data=decision_form(decision, owner_id=gone.id)
        ).status_code
        == 422
    )
    assert (
        moderator_client.post(
            f"/decisions/{decision.id}/edit", data=decision_form(decision, owner_id="None")
        ).status_code
        == 303
    )
    assert _to("assigned") == [expert.id, boris.id]


def test_an_action_given_to_a_member_tells_them_where_it_is(expert, expert_client, boris):
    decision = make_decision(expert, title="Host cities")
    meeting = make_meeting(expert, title="Launch meeting")
    data = {"what": "Book the venue", "owner_id": str(boris.id), "due_on": "2026-12-09"}
    assert expert_client.post(f"/decisions/{decision.id}/actions", data=data).status_code == 303
    data = {"what": "Send the minutes", "owner_id": str(boris.id), "due_on": ""}
    assert expert_client.post(f"/decisions/meetings/{meeting.id}/actions", data=data).status_code == 303
    data = {"what": "My own task", "owner_id": str(expert.id), "due_on": ""}
    assert expert_client.post(f"/decisions/{decision.id}/actions", data=data).status_code == 303

    venue, minutes = _notices("assigned")
    action_ids = sorted(a.id for a in actions.actions_of(decision_id=decision.id) if a.what == "Book the venue")
    minutes_id = actions.actions_of(meeting_id=meeting.id)[0].id
    assert venue.user_id == boris.id and venue.actor_id == expert.id
    assert venue.summary == actions.ACTION_ASSIGNED
    assert venue.summary_params == {"name": "Eva Expert", "what": "Book the venue", "parent": "Host cities"}
    assert venue.thread == f"action:{action_ids[0]}" and venue.thread_title == "Book the venue"
    assert venue.url == f"/decisions/{decision.id}#action-{action_ids[0]}"
    assert minutes.url == f"/decisions/meetings/{meeting.id}#action-{minutes_id}"
    assert minutes.summary_params["parent"] == "Launch meeting"
    assert venue.text == "Eva Expert gave you the action “Book the venue” for “Host cities”"


# Actions due --------------------------------------------------------------------------------------------------


def test_owners_are_told_of_actions_due_in_two_days_or_overdue_once(expert, boris, gone):
    decision = make_decision(expert, title="Host cities")
    meeting = make_meeting(expert, title="Launch meeting")
    due = {
        "today": make_action(expert, decision=decision, what="Due today", owner_id=boris.id, due_on=TODAY),
        "in 2 days": make_action(
            expert, meeting=meeting, what="Due in two days", owner_id=boris.id, due_on=TODAY + timedelta(days=2)
        ),
        "in 3 days": make_action(
            expert, decision=decision, what="Due in three", owner_id=boris.id, due_on=TODAY + timedelta(days=3)
        ),
        "yesterday": make_action(
            expert, decision=decision, what="Late", owner_id=boris.id, due_on=TODAY - timedelta(days=1)
        ),
        "a month ago": make_action(
            expert, decision=decision, what="Long late", owner_id=boris.id, due_on=TODAY - timedelta(days=30)
        ),
        "done": make_action(
            expert, decision=decision, what="Done", owner_id=boris.id, due_on=TODAY + timedelta(days=1), done=True
        ),
        "nobody's": make_action(expert, decision=decision, what="Unowned", owner_id=None, due_on=TODAY),
        "no date": make_action(expert, decision=decision, what="Whenever", owner_id=boris.id, due_on=None),
        "own": make_action(expert, decision=decision, what="Mine", owner_id=expert.id, due_on=TODAY),
    }
    # a deactivated member's action (given before they left)
    gone.active = True
    db.session.commit()
    left_behind = make_action(expert, decision=decision, what="Left", owner_id=gone.id, due_on=TODAY)
    gone.active = False
    db.session.commit()

    assert _remind() == 4
    told = {n.thread: n for n in _notices("action_due")}
    assert set(told) == {f"action:{due[k].id}" for k in ("today", "in 2 days", "yesterday", "own")}
    assert all(n.user_id == (expert.id if n.thread_title == "Mine" else boris.id) for n in told.values())
    assert f"action:{left_behind.id}" not in told

    today = told[f"action:{due['today'].id}"]
    assert today.summary == notices.ACTION_DUE
    assert today.summary_params == {"what": "Due today", "parent": "Host cities", "day": "7 Dec 2026"}
    assert today.url == f"/decisions/{decision.id}#action-{due['today'].id}"
    assert today.actor_id is None
    soon = told[f"action:{due['in 2 days'].id}"]
    assert soon.summary_params["parent"] == "Launch meeting"
    assert soon.url == f"/decisions/meetings/{meeting.id}#action-{due['in 2 days'].id}"
    late = told[f"action:{due['yesterday'].id}"]
    assert late.summary == notices.ACTION_OVERDUE
    assert late.text == "Your action “Late” for “Host cities” was due on 6 Dec 2026 and is still open"

    keys = set(db.session.execute(select(NoticeOnce.key)).scalars())
    assert f"action-due:{due['today'].id}:{TODAY.isoformat()}" in keys
    assert f"action-overdue:{due['yesterday'].id}:{(TODAY - timedelta(days=1)).isoformat()}" in keys

    # once: the same day and the next hour give nothing more
    assert _remind() == 0
    assert _remind(NOW + timedelta(hours=1)) == 0
    # the next day: "in three" is due in two now; "today" and "own" have become overdue; the rest were told
    assert _remind(NOW + timedelta(days=1)) == 3
    newest = _notices("action_due")[-3:]
    assert {(n.thread, n.summary) for n in newest} == {
        (f"action:{due['in 3 days'].id}", notices.ACTION_DUE),
        (f"action:{due['today'].id}", notices.ACTION_OVERDUE),
        (f"action:{due['own'].id}", notices.ACTION_OVERDUE),
    }
    # an action done after its reminder gets no overdue one
    actions.set_action_done(boris, due["in 2 days"].id, True)
    assert _remind(NOW + timedelta(days=4)) == 1  # "in three" overdue now; "in two" is done
    assert _notices("action_due")[-1].thread == f"action:{due['in 3 days'].id}"


def test_due_is_measured_by_the_owners_own_date_and_told_in_their_language(expert):
    decision = make_decision(expert, title="Host cities")
    # at noon UTC on the 7th it is already the 8th in Auckland, still the 7th in Copenhagen
    kiwi = make_user("expert", display_name="Kiri Ngata", time_zone="Pacific/Auckland")
    dane = make_user("expert", display_name="Dag Holm")
    german = make_user("expert", display_name="Greta Vogel")
    german.language = "de"
    db.session.commit()
    day = TODAY + timedelta(days=3)
    for owner in (kiwi, dane, german):
        make_action(expert, decision=decision, what=f"Task of {owner.display_name}", owner_id=owner.id, due_on=day)
    make_action(expert, decision=decision, what="German task", owner_id=german.id, due_on=TODAY + timedelta(days=1))

    assert _remind() == 2
    told = {n.thread_title: n for n in _notices("action_due")}
    assert set(told) == {"Task of Kiri Ngata", "German task"}  # 2 days left for Kiri, 3 for Dag and Greta
    assert told["Task of Kiri Ngata"].user_id == kiwi.id
    assert told["German task"].summary_params["day"] == "8. Dez. 2026"


# Mentions -----------------------------------------------------------------------------------------------------


def test_a_mention_in_a_decisions_text_tells_the_member_once(expert, expert_client, boris, gone, moderator):
    cara = make_user("expert", display_name="Cara Nilsen")
    text = (
        f"{mention(boris.id, 'Boris Lind')} and {mention(gone.id, 'Gone Away')} draft it; {mention(expert.id, 'Eva')}."
    )
    response = expert_client.post(
        "/decisions/new", data=decision_form(title="Host cities", text=text, rationale="Asked by the group.")
    )
    assert response.status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    # Boris; not the deactivated member, not the author mentioning herself
    [notice] = _notices("mention")
    assert notice.user_id == boris.id and notice.actor_id == expert.id
    assert notice.summary == services.MENTIONED_IN_DECISION
    assert notice.text == "Eva Expert mentioned you in the decision “Host cities”"
    assert notice.url == f"/decisions/{decision.id}#decided-title"
    assert notice.thread == f"decision:{decision.id}"

    # an edit that keeps Boris's mention and adds Cara's, in the rationale, tells Cara only, at the rationale
    rationale = f"Asked by the group; {mention(cara.id, 'Cara Nilsen')} agrees."
    data = decision_form(decision, rationale=rationale)
    assert expert_client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    assert _to("mention") == [boris.id, cara.id]
    assert _notices("mention")[-1].url == f"/decisions/{decision.id}#rationale-title"
    # saving it again mentions nobody new
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    data = decision_form(decision, title="Host cities 2027")
    assert expert_client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    assert _to("mention") == [boris.id, cara.id]


def test_a_mention_in_a_meetings_minutes_tells_the_member(expert, expert_client, boris, moderator, client_for):
    minutes = f"## Format\n\n{mention(boris.id, 'Boris Lind')} proposes two days."
    response = expert_client.post("/decisions/meetings/new", data={**NEW_MEETING, "minutes": minutes})
    assert response.status_code == 303
    meeting = db.session.execute(select(Meeting)).scalar_one()
    [notice] = _notices("mention")
    assert notice.user_id == boris.id
    assert notice.summary == meetings.MENTIONED_IN_MINUTES
    assert notice.text == "Eva Expert mentioned you in the minutes of “Launch meeting of the expert group”"
    assert notice.url == f"/decisions/meetings/{meeting.id}#minutes-title"
    assert notice.thread == f"meeting:{meeting.id}"
    assert client_for(boris).get(notice.url).status_code == 200

    # the moderator edits the minutes: Boris stays mentioned (nothing new for him), the moderator is added
    data = {
        **NEW_MEETING,
        "minutes": minutes + f"\n\n{mention(moderator.id, 'Mads')} and {mention(expert.id, 'Eva')} agree.",
        "version": str(meeting.version),
    }
    mads = client_for(moderator)
    assert mads.post(f"/decisions/meetings/{meeting.id}/edit", data=data).status_code == 303
    assert _to("mention") == [boris.id, expert.id]  # Eva, mentioned by the moderator; not the moderator himself
    assert _notices("mention")[-1].summary_params == {"name": "Mads Moderator", "title": NEW_MEETING["title"]}


def test_every_notice_of_the_decision_log_is_of_a_kind_every_member_may_receive(expert, boris):
    """The decision log has nothing only moderators may see: each of its notices reaches an expert, and points
    to a page that expert may open."""
    for kind in ("assigned", "action_due", "mention"):
        assert KINDS[kind].role == "expert"
    decision = make_decision(expert, title="Host cities", owner_id=boris.id, text=mention(boris.id, "Boris"))
    make_action(expert, decision=decision, owner_id=boris.id, due_on=TODAY)
    _remind()
    assert {n.kind for n in _notices()} == {"assigned", "mention", "action_due"}
    assert all(n.user_id == boris.id for n in _notices())
