"""A decision keeps a frozen copy of what it was based on (a poll's tally, a Guidelines revision, an agenda)
with its content hash, shows it, and says when the source has changed since, linking the difference."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from protect.decisions import basis
from protect.decisions.models import DecisionBasis
from protect.extensions import db
from protect.guidelines import services as guidelines
from protect.polls.models import Poll
from tests.agendas.factories import make_event, make_item
from tests.decisions.factories import decision_form, make_decision
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose
from tests.polls.factories import cast, close_now, make_poll


def _bases(decision_id: int) -> dict[str, DecisionBasis]:
    db.session.rollback()
    rows = db.session.execute(select(DecisionBasis).where(DecisionBasis.decision_id == decision_id)).scalars()
    return {row.kind: row for row in rows}


def _closed_poll(moderator):
    poll = make_poll(moderator, method="single", question="Where is the autumn training?")
    for cities in (("Riga",), ("Riga",), ("Tallinn",)):
        cast(poll, make_user("expert"), *cities)
    close_now(poll)
    return poll


def test_a_recorded_poll_result_is_frozen_with_its_hash(client_for, moderator, expert):
    poll = _closed_poll(moderator)
    decision = make_decision(moderator, poll_id=poll.id)
    kept = _bases(decision.id)["poll"]
    snapshot = kept.snapshot
    assert snapshot["method"] == "single" and snapshot["ballots"] == 3 and snapshot["closes_at"]
    assert snapshot["eligible"] >= 3
    riga = next(option["id"] for option in snapshot["options"] if option["label"] == "Riga (LV)")
    assert snapshot["counts"][str(riga)] == 2 and snapshot["winners"] == [riga]
    assert kept.content_hash == basis.content_hash(snapshot)
    page = client_for(expert).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "Based on" in page and kept.content_hash in page
    assert "the result of the poll “Where is the autumn training?”" in page
    # the copy, not a live link: it stays when the poll is gone
    db.session.execute(delete(Poll).where(Poll.id == poll.id))
    db.session.commit()
    page = client_for(expert).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert kept.content_hash in page and "Riga (LV): 2" in page


def test_a_copy_changed_in_the_database_no_longer_matches_its_hash(client_for, moderator, expert):
    decision = make_decision(moderator, poll_id=_closed_poll(moderator).id)
    kept = _bases(decision.id)["poll"]
    db.session.execute(
        update(DecisionBasis).where(DecisionBasis.id == kept.id).values(snapshot={**kept.snapshot, "ballots": 99})
    )
    db.session.commit()
    page = client_for(expert).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "The kept copy no longer matches its hash." in page


def test_a_guideline_revision_that_changed_since_links_the_word_diff(client_for, moderator, expert):
    guideline = make_guideline(moderator)
    section = first_section(guideline)
    revision = current(section)
    decision = make_decision(moderator, revision_id=revision.id)
    kept = _bases(decision.id)["revision"]
    assert (kept.version, kept.snapshot["body"]) == (revision.number, revision.body)
    client = client_for(expert)
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f"as of revision {revision.number}" in page and "has changed since this decision" not in page
    newer = propose(expert, section, edited(section, "child", "young person"))
    guidelines.accept_revision(moderator, newer.id, "Agreed.")
    db.session.commit()
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert f"§{section.position} has changed since this decision." in page
    link = f"/guidelines/sections/{section.id}/compare?from={revision.id}&amp;to={newer.id}"
    assert link in page
    diff = client.get(link.replace("&amp;", "&"))
    assert diff.status_code == 200 and "young person" in diff.get_data(as_text=True)


def test_an_agenda_that_changed_since_links_its_history(client_for, moderator, expert):
    event = make_event(moderator)
    make_item(event, moderator, title="Opening")
    decision = make_decision(moderator, event_id=event.id)
    kept = _bases(decision.id)["agenda"]
    assert [item["title"] for item in kept.snapshot["items"]] == ["Opening"]
    client = client_for(expert)
    assert "The agenda has changed since this decision." not in client.get(f"/decisions/{decision.id}").get_data(
        as_text=True
    )
    make_item(event, moderator, start="10:30", end="11:00", title="Hearing the child")
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "The agenda has changed since this decision." in page
    assert f'href="/events/{event.id}/history"' in page
    assert [item["title"] for item in _bases(decision.id)["agenda"].snapshot["items"]] == ["Opening"]  # frozen


def test_an_edit_keeps_the_copy_unless_the_link_changes(client_for, moderator):
    first, second = _closed_poll(moderator), _closed_poll(moderator)
    decision = make_decision(moderator, poll_id=first.id)
    kept = _bases(decision.id)["poll"]
    client = client_for(moderator)
    url = f"/decisions/{decision.id}/edit"
    response = client.post(url, data=decision_form(decision, text="Reworded.", poll_id=first.id))
    assert response.status_code == 303
    again = _bases(decision.id)["poll"]
    assert (again.id, again.content_hash) == (kept.id, kept.content_hash)
    db.session.refresh(decision)
    response = client.post(url, data=decision_form(decision, poll_id=second.id, record_again="1"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    moved = _bases(decision.id)["poll"]
    assert moved.ref_id == second.id and moved.snapshot["poll_id"] == second.id
    db.session.refresh(decision)
    assert client.post(url, data=decision_form(decision, poll_id="")).status_code == 303
    assert "poll" not in _bases(decision.id)
