"""Every edit of a decision is in its history, facts included (owner, due date, meeting, training event, tags),
shown before | after by name, never by id; and the owner of a decision edits it, without handing it on."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from protect.agendas.models import TrainingEvent
from protect.decisions import services
from protect.decisions.models import Decision, DecisionVersion
from protect.extensions import db
from tests.decisions.factories import decision_form, make_decision, make_meeting
from tests.factories import make_user


def _event(title: str) -> TrainingEvent:
    event = TrainingEvent(
        title=title, slug="riga", city="Riga", country="LV", time_zone="Europe/Riga", first_day=date(2016, 5, 10)
    )
    db.session.add(event)
    db.session.commit()
    return event


def _cells(page: str) -> list[list[str]]:
    """The rows of the history's before | after tables, as plain text."""
    rows = []
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page, re.S):
        cells = re.split(r"</th>|</td>", row)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells if cell.strip()])
    return rows


def test_a_change_of_the_facts_alone_is_kept_and_shown_by_name(moderator_client, moderator, expert):
    first = make_meeting(moderator, title="Launch meeting")
    second = make_meeting(moderator, title="Riga meeting")
    decision = make_decision(
        moderator, title="Host cities", owner_id=expert.id, due_on=date(2016, 3, 1), meeting_id=first.id, tags="a"
    )
    other = make_user("expert", display_name="Ilze Bērziņa")
    event = _event("Training in Riga")
    data = decision_form(
        decision, owner_id=other.id, due_on="2016-04-15", meeting_id=second.id, event_id=event.id, tags="a, riga"
    )
    response = moderator_client.post(f"/decisions/{decision.id}/edit", data=data)
    assert response.status_code == 303
    kept = db.session.execute(select(DecisionVersion).order_by(DecisionVersion.number)).scalars().all()
    assert [v.number for v in kept] == [1, 2]  # an edit of the facts alone makes a version now
    assert (kept[1].owner_id, kept[1].due_on, kept[1].meeting_id, kept[1].event_id) == (
        other.id, date(2016, 4, 15), second.id, event.id,
    )  # fmt: skip
    assert (kept[0].owner_id, kept[0].meeting_id, kept[0].facts_known) == (expert.id, first.id, True)

    page = moderator_client.get(f"/decisions/{decision.id}/history").get_data(as_text=True)
    rows = _cells(page)
    assert ["Tags", "a", "a, riga"] in rows
    assert ["Owner", expert.display_name, "Ilze Bērziņa"] in rows
    assert ["Due date", "1 Mar 2016", "15 Apr 2016"] in rows or any(r[0] == "Due date" for r in rows)
    due = next(r for r in rows if r[0] == "Due date")
    assert "2016" in due[1] and "Mar" in due[1] and "Apr" in due[2]
    meeting = next(r for r in rows if r[0] == "Meeting")
    assert meeting[1].startswith("Launch meeting") and meeting[2].startswith("Riga meeting")
    assert ["Training event", "No training event", "Training in Riga"] in rows
    assert "changed the tags, owner, due date, meeting, training event" in page
    # Ids never stand in for names.
    assert f">{other.id}<" not in page and f">{second.id}<" not in page


def test_an_edit_that_changes_nothing_makes_no_version(moderator_client, moderator):
    decision = make_decision(moderator, due_on=date(2016, 3, 1))
    response = moderator_client.post(f"/decisions/{decision.id}/edit", data=decision_form(decision))
    assert response.status_code == 303
    assert db.session.execute(select(DecisionVersion.number)).scalars().all() == [1]


def test_versions_from_before_the_facts_were_recorded_say_so(moderator_client, moderator, expert):
    decision = make_decision(moderator, owner_id=expert.id)
    db.session.execute(
        DecisionVersion.__table__.update().values(facts_known=False, owner_id=None)  # as the migration leaves them
    )
    db.session.commit()
    data = decision_form(decision, owner_id=moderator.id, text="A new text.")
    assert moderator_client.post(f"/decisions/{decision.id}/edit", data=data).status_code == 303
    page = moderator_client.get(f"/decisions/{decision.id}/history").get_data(as_text=True)
    assert "were not recorded with the version before" in page
    assert not any(row[0] == "Owner" for row in _cells(page))  # not a guessed "Nobody → Mads"


def test_the_history_is_paged(moderator_client, moderator):
    decision = make_decision(moderator, title="Version 1")
    for n in range(2, 24):
        fresh = db.session.get(Decision, decision.id)
        services.edit_decision(moderator, decision.id, fresh.version, {**_values(fresh), "title": f"Version {n}"})
    first = moderator_client.get(f"/decisions/{decision.id}/history").get_data(as_text=True)
    assert first.count('<li class="card" id="version-') == services.HISTORY_PAGE_SIZE
    assert 'id="version-23"' in first and "Page 1 of 3" in first
    last = moderator_client.get(f"/decisions/{decision.id}/history?page=3").get_data(as_text=True)
    assert 'id="version-1"' in last and 'id="version-23"' not in last
    assert last.count('<li class="card" id="version-') == 3
    assert "Proposed by" in last  # the first version, with nothing before it


def _values(decision: Decision) -> dict:
    return {
        "title": decision.title, "text": decision.text, "rationale": decision.rationale, "tags": "",
        "meeting_id": decision.meeting_id, "owner_id": decision.owner_id, "due_on": decision.due_on,
        "event_id": decision.event_id, "revision_id": decision.revision_id, "poll_id": decision.poll_id,
    }  # fmt: skip


# The owner edits --------------------------------------------------------------------------------------------


def test_the_owner_edits_the_decision(client_for, moderator, expert):
    decision = make_decision(moderator, owner_id=expert.id, due_on=date(2016, 3, 1))
    owner = client_for(expert)
    page = owner.get(f"/decisions/{decision.id}")
    assert f'href="/decisions/{decision.id}/edit"' in page.get_data(as_text=True)
    form = owner.get(f"/decisions/{decision.id}/edit")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Only the author of the decision or a moderator hands it to another owner." in html
    assert f'name="owner_id" value="{expert.id}"' in html and '<select id="owner_id"' not in html
    data = decision_form(decision, text="The venue is booked.", due_on="2016-04-01")
    response = owner.post(f"/decisions/{decision.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Decision, decision.id)
    assert (saved.text, saved.due_on, saved.owner_id) == ("The venue is booked.", date(2016, 4, 1), expert.id)
    kept = db.session.execute(select(DecisionVersion).where(DecisionVersion.number == 2)).scalar_one()
    assert kept.edited_by_id == expert.id


def test_the_owner_cannot_hand_the_decision_on_nor_set_its_status(client_for, moderator, expert):
    decision = make_decision(moderator, owner_id=expert.id)
    other = make_user("expert")
    owner = client_for(expert)
    data = decision_form(decision, owner_id=other.id, text="Typed by the owner.")
    response = owner.post(f"/decisions/{decision.id}/edit", data=data)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Only the author of the decision or a moderator may hand it to another owner" in page
    assert "Typed by the owner." in page  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).owner_id == expert.id
    assert owner.post(f"/decisions/{decision.id}/status", data={"status": "agreed"}).status_code == 403
    assert db.session.get(Decision, decision.id).status == "proposed"


def test_the_author_hands_the_decision_on(client_for, expert):
    other = make_user("expert")
    decision = make_decision(expert, owner_id=expert.id)
    data = decision_form(decision, owner_id=other.id)
    response = client_for(expert).post(f"/decisions/{decision.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).owner_id == other.id


def test_another_expert_still_cannot_edit(client_for, moderator, expert):
    decision = make_decision(moderator, owner_id=expert.id)
    stranger = client_for(make_user("expert"))
    assert stranger.get(f"/decisions/{decision.id}/edit").status_code == 403
    response = stranger.post(f"/decisions/{decision.id}/edit", data=decision_form(decision, text="Hijacked."))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).text != "Hijacked."
    page = stranger.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f'href="/decisions/{decision.id}/edit"' not in page
    # A former owner loses the right with the ownership.
    services.edit_decision(moderator, decision.id, decision.version, {**_values(decision), "owner_id": moderator.id})
    assert client_for(expert).get(f"/decisions/{decision.id}/edit").status_code == 403
