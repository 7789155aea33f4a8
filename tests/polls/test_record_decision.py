"""Recording a poll's result in the decision log (issue 16): the poll's pages link the decision that records
it, and a second recording is never one click away: the pages warn and link the existing decision, and the
server answers a second attempt with 409 unless the moderator confirms. The polls feature shows the decision
log's part through core.registry (PagePanel) and never imports the decision log."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import func, select

from protect.decisions.models import Decision
from protect.extensions import db
from tests.decisions.factories import decision_form
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll


def _decisions() -> int:
    return db.session.execute(select(func.count()).select_from(Decision)).scalar_one()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _closed_poll(moderator):
    poll = make_poll(moderator, method="single", question="Where is the autumn training?")
    cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    return poll


def test_the_poll_pages_offer_recording_once_then_link_the_decision(client_for, moderator, expert):
    poll = _closed_poll(moderator)
    mod, exp = client_for(moderator), client_for(expert)
    for url in (f"/polls/{poll.id}", f"/polls/{poll.id}/results"):
        page = _text(mod.get(url))
        assert f'href="/decisions/new?poll_id={poll.id}">Record as a decision</a>' in page, url
        assert "Recorded in the decision log" not in page
        assert "Record as a decision" not in _text(exp.get(url))  # experts do not record results
    data = decision_form(title="Autumn training in Riga", text="Riga hosts.", poll_id=poll.id)
    assert mod.post(f"/decisions/new?poll_id={poll.id}", data=data).status_code == 303
    decision = db.session.execute(select(Decision)).scalar_one()
    link = f'<a href="/decisions/{decision.id}">Autumn training in Riga</a>'
    for url in (f"/polls/{poll.id}", f"/polls/{poll.id}/results"):
        page = _text(mod.get(url))
        assert link in page and "Recorded in the decision log" in page, url
        assert "Record as a decision</a>" not in page  # no one-click second recording
        assert "This result is recorded already" in page and "Record a second decision about this vote" in page
        seen = _text(exp.get(url))
        assert link in seen and "Record a second decision" not in seen


def test_an_open_poll_shows_no_decision_part(client_for, moderator):
    poll = make_poll(moderator, method="single")
    page = _text(client_for(moderator).get(f"/polls/{poll.id}"))
    assert "Record as a decision" not in page and "poll-decisions" not in page


def test_a_second_recording_is_refused_with_409_until_confirmed(client_for, moderator, admin):
    poll = _closed_poll(moderator)
    first = decision_form(title="Autumn training in Riga", text="Riga hosts.", poll_id=poll.id)
    assert client_for(moderator).post(f"/decisions/new?poll_id={poll.id}", data=first).status_code == 303
    existing = db.session.execute(select(Decision)).scalar_one()

    other = client_for(admin)
    form = other.get(f"/decisions/new?poll_id={poll.id}")
    assert form.status_code == 200  # the form opens, prefilled, with the warning and the link
    body = _text(form)
    assert "The result of this poll is already recorded in the decision log" in body
    assert f'href="/decisions/{existing.id}">Autumn training in Riga</a>' in body
    assert 'name="record_again" value="1">' in body  # not ticked beforehand

    second = decision_form(title="Riga again", text="Typed by the second moderator.", poll_id=poll.id)
    refused = other.post(f"/decisions/new?poll_id={poll.id}", data=second)
    assert refused.status_code == 409
    body = _text(refused)
    assert "already recorded in the decision log: “Autumn training in Riga”" in body
    assert "Typed by the second moderator." in body  # the form keeps what was typed
    assert _decisions() == 1

    confirmed = other.post(f"/decisions/new?poll_id={poll.id}", data={**second, "record_again": "1"})
    assert confirmed.status_code == 303
    assert _decisions() == 2
    titles = db.session.execute(select(Decision.title).where(Decision.poll_id == poll.id).order_by(Decision.id))
    assert titles.scalars().all() == ["Autumn training in Riga", "Riga again"]


def test_an_expert_is_refused_before_any_duplicate_question(client_for, moderator, expert):
    poll = _closed_poll(moderator)
    data = {**decision_form(poll_id=poll.id), "record_again": "1"}
    response = client_for(expert).post(f"/decisions/new?poll_id={poll.id}", data=data)
    assert response.status_code == 403
    assert _decisions() == 0


def test_the_polls_feature_never_imports_the_decision_log():
    package = Path(__file__).resolve().parents[2] / "protect" / "polls"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any(name.startswith("protect.decisions") for name in names), path.name
