"""The polls pages through the test client: creating, voting with and without htmx, bad input, results."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from protect.core.audit import AuditEvent
from protect.core.database import utcnow, writing
from protect.extensions import db
from protect.polls import services
from protect.polls.models import Ballot, Poll, PollParticipation, PollScheduleChange
from tests.conftest import count_queries
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll, option_ids


def _ballots() -> int:
    return db.session.execute(select(func.count()).select_from(Ballot)).scalar_one()


def _text(response) -> str:
    return response.get_data(as_text=True)


def new_poll_form(**overrides) -> dict:
    data = {
        "question": "Where should the autumn training take place?",
        "description": "We meet for two days.",
        "method": "irv",
        "opens_local": "2030-05-01T09:00",
        "closes_local": "2030-05-15T17:00",
        "time_zone": "Europe/Riga",
        "secret": "y",
        "options-0-city": "Riga",
        "options-0-country": "LV",
        "options-0-venue_notes": "Old town",
        "options-0-proposed_from": "2030-09-01",
        "options-0-proposed_to": "2030-09-02",
        "options-1-city": "Tallinn",
        "options-1-country": "EE",
        "options-2-city": "",
        "options-2-country": "LT",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# Creating and editing ---------------------------------------------------------------------------------------


def test_a_moderator_creates_a_poll_with_times_in_a_named_zone(moderator_client):
    page = moderator_client.get("/polls/new")
    assert page.status_code == 200
    assert 'name="options-3-city"' in _text(page)  # four empty location rows to start with
    response = moderator_client.post("/polls/new", data=new_poll_form())
    assert response.status_code == 303
    poll = db.session.execute(select(Poll)).scalar_one()
    assert response.headers["Location"] == f"/polls/{poll.id}"
    assert poll.opens_at == datetime(2030, 5, 1, 6, 0)  # 09:00 in Riga (UTC+3 in summer) is 06:00 UTC
    assert poll.closes_at == datetime(2030, 5, 15, 14, 0)
    assert poll.time_zone == "Europe/Riga" and poll.secret and poll.method == "irv"
    options = db.session.get(Poll, poll.id)
    page = _text(moderator_client.get(f"/polls/{poll.id}"))
    assert "Riga, Latvia" in page and "Tallinn, Estonia" in page
    assert "1\u2009–\u20092 Sept 2030" in page  # Babel's interval, thin spaces around the dash
    assert "(Copenhagen)" in page  # shown in the viewer's own zone, named
    assert "Voting opens" in page
    assert options.question in page


def test_bad_poll_input_is_shown_beside_the_field_and_kept(moderator_client):
    response = moderator_client.post(
        "/polls/new", data=new_poll_form(closes_local="2030-04-01T09:00", question="Keep this question")
    )
    assert response.status_code == 422
    body = _text(response)
    assert "The poll must close after it opens." in body
    assert 'value="Keep this question"' in body
    one = moderator_client.post("/polls/new", data=new_poll_form(**{"options-1-city": ""}))
    assert one.status_code == 422
    assert "at least 2 candidate locations" in _text(one)
    secret_live = moderator_client.post("/polls/new", data=new_poll_form(live_results="y"))
    assert secret_live.status_code == 422
    assert "Running results cannot be shown for a secret ballot" in _text(secret_live)
    missing = moderator_client.post("/polls/new", data=new_poll_form(opens_local=""))
    assert missing.status_code == 422
    assert "Enter when voting opens." in _text(missing)
    assert db.session.execute(select(func.count()).select_from(Poll)).scalar_one() == 0


def test_another_location_row_can_be_added_without_saving(moderator_client):
    response = moderator_client.post("/polls/new", data=new_poll_form(add_row="1"))
    assert response.status_code == 200
    body = _text(response)
    assert 'name="options-3-city"' in body and 'value="Tallinn"' in body
    assert db.session.execute(select(func.count()).select_from(Poll)).scalar_one() == 0


def _rows(cities) -> dict:
    """Location rows 0.. for ``cities`` (None: a row with its city left empty)."""
    rows = {}
    for index, city in enumerate(cities):
        rows[f"options-{index}-city"] = city or ""
        rows[f"options-{index}-country"] = "LV"
    return rows


def _polls() -> int:
    return db.session.execute(select(func.count()).select_from(Poll)).scalar_one()


def test_more_locations_than_the_limit_are_refused_beside_the_list_and_kept(moderator_client):
    cities = [f"Town {n}" for n in range(15)]
    response = moderator_client.post("/polls/new", data=new_poll_form(**_rows(cities)))
    assert response.status_code == 422  # not saved with the first twelve
    body = _text(response)
    message = "Enter at most 12 candidate locations; you entered 15. Empty the city of a row to leave it out."
    assert f'<p class="field__error" id="options-error">{message}</p>' in body  # beside the locations
    assert 'aria-describedby="options-error"' in body
    assert '<a href="#options">Candidate locations</a>: ' + message in body  # and in the summary above
    assert all(f'value="{city}"' in body for city in cities)  # every row shown back as typed
    assert 'name="add_row"' not in body  # no row to add past the limit
    assert _polls() == 0
    # other mistakes are shown with it, at once
    both = moderator_client.post("/polls/new", data=new_poll_form(**_rows(cities), question=""))
    assert both.status_code == 422
    assert "Enter the question voters answer." in _text(both) and message in _text(both)
    # a row left empty is left out: fifteen rows with twelve cities are fine
    response = moderator_client.post("/polls/new", data=new_poll_form(**_rows([*cities[:12], None, None, None])))
    assert response.status_code == 303
    assert [o.city for o in _options(_poll_id(response))] == cities[:12]


def _poll_id(response) -> int:
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_hostile_location_rows_are_refused_or_ignored_never_cut_or_a_500(moderator_client):
    # rows past the list's ceiling (100, far above any page's) are not made into subforms: refused, not cut
    rows = _rows(["Riga", "Tallinn", *[None] * 98])
    response = moderator_client.post("/polls/new", data=new_poll_form(**rows, **{"options-4000-city": "Oslo"}))
    assert response.status_code == 422
    body = _text(response)
    assert "This list takes at most 100 rows; the form sent 101." in body
    assert 'name="options-99-city"' in body and 'name="options-100-city"' not in body
    assert _polls() == 0
    # a row "number" that is not ASCII digits is no row (it was int("²"): a 500)
    for key in ("options-²-city", "options-٣-city", "options-" + "9" * 5000 + "-city"):
        response = moderator_client.post("/polls/new", data=new_poll_form(**{key: "Oslo"}))
        assert response.status_code == 303
        assert [o.city for o in _options(_poll_id(response))] == ["Riga", "Tallinn"]


def test_a_locations_row_error_is_beside_the_row_and_summarised_in_words(moderator_client):
    response = moderator_client.post("/polls/new", data=new_poll_form(**{"options-1-city": "x" * 121}))
    assert response.status_code == 422
    body = _text(response)
    assert '<a href="#options">Candidate locations</a>: Correct the marked rows.' in body
    assert "{" not in body.split('class="alert alert--error"', 1)[1].split("</div>", 1)[0]  # no dict of errors
    assert 'id="options-1-city-error"' in body
    assert _polls() == 0


def test_a_poll_with_twelve_locations_can_be_edited_and_not_given_more(moderator_client, moderator):
    cities = [f"Town {n}" for n in range(12)]
    poll = make_poll(moderator, cities=tuple(cities))
    page = moderator_client.get(f"/polls/{poll.id}/edit")
    assert page.status_code == 200  # was a 500: a blank row past max_entries
    body = _text(page)
    assert 'name="options-11-city"' in body and 'name="options-12-city"' not in body
    assert 'name="add_row"' not in body
    form = _edit_form(moderator_client, poll.id)
    form.update(_rows([*cities, "Riga", "Tallinn", "Vilnius"]))
    response = moderator_client.post(f"/polls/{poll.id}/edit", data=form)
    assert response.status_code == 422
    body = _text(response)
    assert "Enter at most 12 candidate locations; you entered 15." in body
    assert 'value="Vilnius"' in body and 'value="Town 0"' in body
    assert [o.city for o in _options(poll.id)] == cities
    form["options-0-city"] = ""  # Town 0 out, Riga in: twelve again
    del form["options-13-city"], form["options-14-city"]
    assert moderator_client.post(f"/polls/{poll.id}/edit", data=form).status_code == 303
    assert [o.city for o in _options(poll.id)] == [*cities[1:], "Riga"]


def test_experts_cannot_create_edit_extend_or_close(expert_client, moderator):
    poll = make_poll(moderator)
    for method, url in (
        ("get", "/polls/new"),
        ("post", "/polls/new"),
        ("get", f"/polls/{poll.id}/edit"),
        ("post", f"/polls/{poll.id}/edit"),
        ("post", f"/polls/{poll.id}/extend"),
        ("post", f"/polls/{poll.id}/close"),
    ):
        response = getattr(expert_client, method)(url, data={"close-reason": "because", "question": "Mine now"})
        assert response.status_code == 403, f"{method} {url}"
    body = _text(expert_client.get(f"/polls/{poll.id}"))
    assert "Moderate this poll" not in body and "/edit" not in body
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).question == poll.question
    assert db.session.get(Poll, poll.id).is_open()


class _FormValues(HTMLParser):
    """What a browser would send for the first form with ``method="post"`` on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            elif kind != "submit":
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.values.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n") if not self.values[self._textarea] else data


def _edit_form(client, poll_id) -> dict:
    page = _text(client.get(f"/polls/{poll_id}/edit"))
    form = page[
        page.index('<form method="post" class="form card poll-form"') : page.index("</form>", page.index("poll-form"))
    ]
    parser = _FormValues()
    parser.feed(form)
    parser.values.pop("csrf_token", None)
    return parser.values


def test_a_moderator_edits_the_locations_until_the_first_ballot(moderator_client, moderator, expert):
    poll = make_poll(moderator, cities=("Riga", "Tallinn"))
    form = _edit_form(moderator_client, poll.id)
    assert form["options-0-city"] == "Riga" and form["version"] == "1"
    form["options-2-city"] = "Vilnius"
    form["options-2-country"] = "LT"
    response = moderator_client.post(f"/polls/{poll.id}/edit", data=form)
    assert response.status_code == 303
    assert [o.city for o in _options(poll.id)] == ["Riga", "Tallinn", "Vilnius"]

    stale = _edit_form(moderator_client, poll.id)
    cast(db.session.get(Poll, poll.id), expert, "Vilnius")
    # the form opened before the ballot tries to drop a location: refused, with the reason
    stale["options-2-city"] = ""
    refused = moderator_client.post(f"/polls/{poll.id}/edit", data=stale)
    assert refused.status_code == 409
    assert "cannot change once the first ballot is cast" in _text(refused)
    assert [o.city for o in _options(poll.id)] == ["Riga", "Tallinn", "Vilnius"]
    # the same old form changing only the wording is fine: the locked parts are as they were
    stale["options-2-city"] = "Vilnius"
    stale["question"] = "Where should we train?"
    assert moderator_client.post(f"/polls/{poll.id}/edit", data=stale).status_code == 303

    # after the first ballot the form offers only the wording, and explains why
    locked = moderator_client.get(f"/polls/{poll.id}/edit")
    body = _text(locked)
    assert "Ballots have been cast." in body and 'name="options-0-city"' not in body
    response = moderator_client.post(
        f"/polls/{poll.id}/edit",
        data={"locked": "1", "version": "3", "question": "Where in the Baltic States?", "description": "Updated"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Poll, poll.id)
    assert saved.question == "Where in the Baltic States?" and saved.secret and saved.method == "irv"
    assert _ballots() == 1


def _options(poll_id):
    from protect.polls.services import get_poll

    db.session.expire_all()
    return get_poll(poll_id).options


def test_extend_and_close_early_with_a_reason_shown_on_the_page(moderator_client, moderator, expert_client):
    poll = make_poll(moderator)
    no_reason = moderator_client.post(
        f"/polls/{poll.id}/extend",
        data={"extend-closes_local": "2040-01-01T12:00", "extend-time_zone": "Europe/Oslo", "extend-reason": ""},
    )
    assert no_reason.status_code == 422
    assert "Give the reason" in _text(no_reason)
    sooner = moderator_client.post(
        f"/polls/{poll.id}/extend",
        data={"extend-closes_local": "2020-01-01T12:00", "extend-time_zone": "Europe/Oslo", "extend-reason": "Oops"},
    )
    assert sooner.status_code == 422
    assert "Choose a closing time later than the current one" in _text(sooner)
    assert 'value="Oops"' in _text(sooner)  # what was typed is kept
    response = moderator_client.post(
        f"/polls/{poll.id}/extend",
        data={
            "extend-closes_local": "2040-01-01T12:00",
            "extend-time_zone": "Europe/Oslo",
            "extend-reason": "Waiting for the Icelandic members",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).closes_at == datetime(2040, 1, 1, 11, 0)
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert "Waiting for the Icelandic members" in page and "Extended to" in page

    closed = moderator_client.post(f"/polls/{poll.id}/close", data={"close-reason": "Everyone has voted"})
    assert closed.status_code == 303
    assert closed.headers["Location"] == f"/polls/{poll.id}/results"
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert "Closed early" in page and "Everyone has voted" in page
    assert len(db.session.execute(select(PollScheduleChange)).scalars().all()) == 2
    again = moderator_client.post(f"/polls/{poll.id}/close", data={"close-reason": "Again"})
    assert again.status_code == 409


# Voting -----------------------------------------------------------------------------------------------------


def test_ranking_step_by_step_with_htmx_returns_only_the_ballot(expert_client, moderator):
    poll = make_poll(moderator)
    riga, tallinn, vilnius = option_ids(poll, "Riga", "Tallinn", "Vilnius")
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert 'Add<span class="sr-only"> Riga, Latvia to your ranking' in page
    assert "How the votes are counted" in page and "more than half" in page  # the rule in plain words
    response = expert_client.htmx(
        "post", f"/polls/{poll.id}/ballot/arrange", data={"ranking": [str(tallinn)], "move": f"add:{vilnius}"}
    )
    assert response.status_code == 200
    body = _text(response)
    assert "<html" not in body and "<h2" in body
    assert re.findall(r'name="ranking" value="(\d+)"', body) == [str(tallinn), str(vilnius)]
    assert 'data-announce="Vilnius, Lithuania added to your ranking at place 2 of 2."' in body
    assert re.search(rf'value="add:{riga}"[^>]*data-autofocus', body)  # focus moves on to the next to add
    up = expert_client.htmx(
        "post",
        f"/polls/{poll.id}/ballot/arrange",
        data={"ranking": [str(tallinn), str(vilnius)], "move": f"up:{vilnius}"},
    )
    body = _text(up)
    assert re.findall(r'name="ranking" value="(\d+)"', body) == [str(vilnius), str(tallinn)]
    assert re.search(rf'value="up:{vilnius}"[^>]*data-autofocus', body)  # focus stays on the moved one
    assert _ballots() == 0  # arranging stores nothing


def test_arranging_without_javascript_returns_the_whole_page(expert_client, moderator):
    poll = make_poll(moderator)
    (riga,) = option_ids(poll, "Riga")
    response = expert_client.post(f"/polls/{poll.id}/ballot/arrange", data={"move": f"add:{riga}"})
    assert response.status_code == 200
    body = _text(response)
    assert "<html" in body and f'name="ranking" value="{riga}"' in body


def test_cast_with_htmx_shows_the_receipt_and_a_change_replaces_the_ballot(expert_client, expert, moderator):
    poll = make_poll(moderator)
    riga, tallinn = option_ids(poll, "Riga", "Tallinn")
    response = expert_client.htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": [str(tallinn), str(riga)]})
    assert response.status_code == 200
    body = _text(response)
    assert "<html" not in body
    assert "Your ballot is cast." in body and "Your ranking:" in body
    assert body.index("Tallinn, Estonia") < body.index("Riga, Latvia")
    assert "This receipt is shown only to you." in body and "Change my ballot" in body

    form = expert_client.htmx("get", f"/polls/{poll.id}/ballot")
    assert form.status_code == 200
    assert re.findall(r'name="ranking" value="(\d+)"', _text(form)) == [str(tallinn), str(riga)]
    assert "Save my changed ballot" in _text(form)
    plain = expert_client.get(f"/polls/{poll.id}/ballot")  # the same without JavaScript: the whole page
    assert plain.status_code == 200 and "<html" in _text(plain) and "Change your ballot" in _text(plain)
    changed = expert_client.htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": [str(riga)]})
    assert "Your ballot is changed." in _text(changed) and "last changed" in _text(changed)
    ballot = db.session.execute(select(Ballot)).scalar_one()
    assert ballot.voter_id is None and ballot.voter_tag is not None  # a secret ballot names nobody
    mine = db.session.execute(select(PollParticipation)).scalar_one()
    assert mine.voter_id == expert.id and mine.revision == 2
    assert _ballots() == 1


def test_cast_without_javascript_redirects_to_the_poll(expert_client, moderator):
    poll = make_poll(moderator, method="approval")
    riga, vilnius = option_ids(poll, "Riga", "Vilnius")
    response = expert_client.post(f"/polls/{poll.id}/ballot", data={"choice": [str(riga), str(vilnius)]})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/polls/{poll.id}#ballot"
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert "Your ballot is cast." in page and "You approved:" in page


def test_single_choice_form_and_cast(expert_client, moderator):
    poll = make_poll(moderator, method="single")
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert page.count('type="radio" name="choice"') == 3
    (tallinn,) = option_ids(poll, "Tallinn")
    response = expert_client.htmx("post", f"/polls/{poll.id}/ballot", data={"choice": str(tallinn)})
    assert "You chose:" in _text(response)


@pytest.mark.parametrize(
    ("method", "data", "status", "message"),
    [
        ("irv", lambda ids, other: {"ranking": [str(other)]}, 422, "not an option of this poll"),
        ("irv", lambda ids, other: {"ranking": [str(ids[0]), str(ids[1]), str(ids[0])]}, 422, "twice"),
        ("irv", lambda ids, other: {"ranking": [str(ids[0]), "", str(ids[1])]}, 422, "without gaps"),
        ("irv", lambda ids, other: {f"rank-{ids[0]}": "1", f"rank-{ids[1]}": "1"}, 422, "same rank"),
        ("irv", lambda ids, other: {f"rank-{ids[0]}": "1", f"rank-{ids[1]}": "3"}, 422, "without gaps"),
        ("irv", lambda ids, other: {f"rank-{ids[0]}": "first"}, 422, "whole numbers"),
        ("irv", lambda ids, other: {}, 422, "Add at least one location"),
        ("approval", lambda ids, other: {}, 422, "Tick at least one acceptable location"),
        ("approval", lambda ids, other: {"choice": ["riga"]}, 422, "not an option"),
        ("single", lambda ids, other: {"choice": [str(ids[0]), str(ids[1])]}, 422, "exactly one"),
        ("schulze", lambda ids, other: {"ranking": [str(other), str(ids[0])]}, 422, "not an option"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_ballots_get_a_clear_4xx_and_are_never_counted(
    expert_client, moderator, method, data, status, message, htmx
):
    poll = make_poll(moderator, method=method)
    other = make_poll(moderator, question="Another poll", cities=("Oslo", "Turku"))
    ids = option_ids(poll, "Riga", "Tallinn", "Vilnius")
    (foreign,) = option_ids(other, "Oslo")
    url = f"/polls/{poll.id}/ballot"
    if htmx:
        response = expert_client.htmx("post", url, data=data(ids, foreign))
    else:
        response = expert_client.post(url, data=data(ids, foreign))
    assert response.status_code == status
    body = _text(response)
    assert message in body
    assert ("<html" in body) is not htmx  # htmx gets the ballot with the message, a browser the page
    assert 'role="alert"' in body
    assert _ballots() == 0


def test_casting_before_the_opening_and_after_the_close_is_refused(expert_client, moderator):
    early = make_poll(moderator, opens_in=timedelta(days=2), closes_in=timedelta(days=4))
    response = expert_client.htmx("post", f"/polls/{early.id}/ballot", data={"ranking": option_ids(early, "Riga")})
    assert response.status_code == 409
    assert "Voting has not started" in _text(response)
    late = make_poll(moderator, question="Closed one")
    close_now(late)
    response = expert_client.post(f"/polls/{late.id}/ballot", data={"ranking": option_ids(late, "Riga")})
    assert response.status_code == 409
    assert "Voting has ended" in _text(response)
    assert _ballots() == 0


def test_unknown_poll_ids_are_not_found(expert_client):
    for url in ("/polls/999999", "/polls/999999/results", "/polls/999999/results.csv", "/polls/999999/ballot"):
        assert expert_client.get(url).status_code == 404, url
    response = expert_client.htmx("post", "/polls/999999/ballot", data={"ranking": ["1"]})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "There is no such poll" in _text(response)


def test_a_deactivated_member_cannot_cast(client_for, moderator):
    poll = make_poll(moderator)
    voter = make_user("expert")
    session = client_for(voter)
    voter.active = False
    db.session.commit()
    plain = session.post(f"/polls/{poll.id}/ballot", data={"ranking": option_ids(poll, "Riga")})
    assert plain.status_code == 302 and plain.headers["Location"].startswith("/login")
    htmx = session.htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": option_ids(poll, "Riga")})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    assert _ballots() == 0


def test_a_forged_csrf_token_is_refused(expert_client, moderator):
    poll = make_poll(moderator)
    data = {"ranking": option_ids(poll, "Riga")}
    forged = expert_client.post(f"/polls/{poll.id}/ballot", data=data, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    missing = expert_client.htmx("post", f"/polls/{poll.id}/ballot", data=data, csrf=False)
    assert missing.status_code == 400 and "Security check failed" in _text(missing)
    assert _ballots() == 0


def test_arranging_with_a_bad_ranking_is_refused(expert_client, moderator):
    poll = make_poll(moderator)
    (riga,) = option_ids(poll, "Riga")
    for data in ({"ranking": [str(riga), str(riga)], "move": f"up:{riga}"}, {"move": "swap:1"}, {"ranking": ["x"]}):
        response = expert_client.htmx("post", f"/polls/{poll.id}/ballot/arrange", data=data)
        assert response.status_code == 422
    single = make_poll(moderator, method="single", question="One")
    assert expert_client.post(f"/polls/{single.id}/ballot/arrange", data={"move": "add:1"}).status_code == 404


# Results and secrecy ----------------------------------------------------------------------------------------


def _closed_secret_poll(moderator):
    poll = make_poll(moderator, cities=("Riga", "Tallinn", "Vilnius", "St Petersburg"))
    alda = make_user("expert", display_name="Alda Voter")
    birk = make_user("expert", display_name="Birk Voter")
    cast(poll, alda, "St Petersburg", "Vilnius")
    cast(poll, birk, "Tallinn")
    return poll, alda, birk


def test_results_stay_hidden_until_the_close_from_every_role(client_for, moderator, admin, expert):
    poll, alda, _birk = _closed_secret_poll(moderator)
    for user in (expert, moderator, admin, alda):
        client = client_for(user)
        for url in (f"/polls/{poll.id}/results", f"/polls/{poll.id}/results.csv"):
            response = client.get(url)
            assert response.status_code == 403, (user.role, url)
            assert "shown after it closes" in _text(response)
        page = _text(client.get(f"/polls/{poll.id}"))
        assert "St Petersburg, Russia" in page  # the option is listed...
        assert "See the results" not in page  # ...but no count
    close_now(poll)
    assert client_for(expert).get(f"/polls/{poll.id}/results").status_code == 200


def test_secret_ballots_show_nobody_who_chose_what(client_for, moderator, admin, expert):
    poll, alda, birk = _closed_secret_poll(moderator)
    alda_receipt = services.own_ballot(poll, alda).receipt
    close_now(poll)
    pages = [f"/polls/{poll.id}", f"/polls/{poll.id}/results", f"/polls/{poll.id}/results.csv", "/polls"]
    for user in (expert, moderator, admin):
        client = client_for(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (user.role, url)
            body = _text(response)
            assert "Alda Voter" not in body and "Birk Voter" not in body, (user.role, url)
        # the activity list may tell moderators who voted, never what they chose
        dashboard = _text(client.get("/dashboard"))
        activity = dashboard[dashboard.index('id="activity-title"') :]
        assert ("Alda Voter" in activity) is (user.role != "expert")
        for label in ("Riga", "Tallinn", "Vilnius", "Petersburg"):
            assert label not in activity
        pulse = client.htmx("get", f"/polls/{poll.id}/pulse?v=0")
        assert "Alda Voter" not in _text(pulse)
    results = _text(client_for(admin).get(f"/polls/{poll.id}/results"))
    assert "Secret ballot: nobody, moderators and administrators included, can see who chose what." in results
    assert "Published ballots" in results and alda_receipt in results  # under its receipt code, nameless
    assert "Who chose what" not in results
    # after the close the ballots are sealed: a voter is told they voted, and their choice is shown to nobody,
    # themselves included (nothing links it to them any more); their receipt code still finds it
    alda_client = client_for(alda)
    alda_page = _text(alda_client.get(f"/polls/{poll.id}"))
    assert "You voted" in alda_page and "the ballots were sealed" in alda_page and "You did not cast" not in alda_page
    assert "Your ranking:" not in alda_page and "Check a receipt code" in alda_page
    checked = alda_client.post(f"/polls/{poll.id}/receipt", data={"receipt": alda_receipt.lower()})
    assert checked.status_code == 200
    found = _text(checked)[_text(checked).index("was counted as:") :]
    assert found.index("St Petersburg, Russia") < found.index("Vilnius, Lithuania") and "Tallinn" not in found[:300]
    other_page = _text(client_for(expert).get(f"/polls/{poll.id}"))
    assert "You did not cast a ballot" in other_page and "Your ranking:" not in other_page
    # the audit log knows that they voted, never what
    for event in db.session.execute(select(AuditEvent).where(AuditEvent.action.like("ballot.%"))).scalars():
        assert (
            "Petersburg" not in f"{event.summary}{event.details}" and "Tallinn" not in f"{event.summary}{event.details}"
        )


def test_open_ballots_show_who_chose_what(client_for, moderator, expert):
    poll = make_poll(moderator, method="approval", secret=False, live=True)
    voter = make_user("expert", display_name="Open Olga")
    cast(poll, voter, "Riga", "Vilnius")
    results = client_for(expert).get(f"/polls/{poll.id}/results")
    assert results.status_code == 200  # running results of an open ballot
    body = _text(results)
    assert "Running results" in body and "Who chose what" in body
    row = body[body.index("Open Olga") :]
    assert row.index("Riga, Latvia") < row.index("</tr>") and row.index("Vilnius, Lithuania") < row.index("</tr>")
    csv = _text(client_for(expert).get(f"/polls/{poll.id}/results.csv"))
    assert "Open Olga" in csv


def test_results_page_has_the_chart_table_rounds_and_turnout(client_for, moderator, expert):
    poll, _alda, _birk = _closed_secret_poll(moderator)
    cast_more = make_user("expert")
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    poll_id = poll.id
    close_now(poll)
    response = client_for(expert).get(f"/polls/{poll_id}/results")
    body = _text(response)
    assert response.status_code == 200
    assert body.count('<svg class="poll-bar__svg"') == 4  # one bar per location, the figures as text
    assert 'class="poll-legend"' in body and "poll-legend__swatch--tied" in body  # St Petersburg = Tallinn
    assert "style=" not in body  # the CSP forbids inline styles: the chart uses attributes and classes
    assert "Round by round" in body and "Round 2" in body and "eliminated" in body
    assert "Turnout:</strong> 2 of 5 eligible voters (40%)" in body
    assert "Lot order for the last tie-break" in body
    assert cast_more.display_name not in body


def test_schulze_results_show_the_pairwise_and_strongest_path_tables(client_for, moderator, expert):
    poll = make_poll(moderator, method="schulze", secret=False)
    cast(poll, make_user("expert"), "Riga", "Tallinn")
    cast(poll, make_user("expert"), "Tallinn", "Riga")
    cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    body = _text(client_for(expert).get(f"/polls/{poll.id}/results"))
    assert "Head to head" in body and "Strongest paths" in body
    assert "★</span> <strong>Riga, Latvia</strong> won" in body


def test_csv_export_of_a_secret_poll_has_counts_only_and_is_spreadsheet_safe(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", cities=("=HYPERLINK(1)", "Riga"))
    voter = make_user("expert", display_name="Csv Carla")
    cast(poll, voter, "Riga")
    close_now(poll)
    response = client_for(expert).get(f"/polls/{poll.id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="poll-{poll.id}-tally.csv"'
    body = _text(response)
    assert 'Riga, Latvia",Riga,Latvia,1,100.0' in body
    assert "'=HYPERLINK(1)" in body and ",=HYPERLINK" not in body
    assert 'Winner,"Riga, Latvia"' in body
    assert "Csv Carla" not in body and "Voter" not in body


def test_record_as_a_decision_link_for_moderators_on_closed_polls(app, client_for, moderator, expert):
    poll = make_poll(moderator, method="single")
    cast(poll, expert, "Riga")
    exists = "decisions.new_decision" in app.view_functions
    open_page = _text(client_for(moderator).get(f"/polls/{poll.id}"))
    assert "Record as a decision" not in open_page
    close_now(poll)
    moderator_results = _text(client_for(moderator).get(f"/polls/{poll.id}/results"))
    expert_results = _text(client_for(expert).get(f"/polls/{poll.id}/results"))
    assert ("Record as a decision" in moderator_results) is exists
    assert f"poll_id={poll.id}" in moderator_results or not exists
    assert "Record as a decision" not in expert_results
    if not exists:
        return
    prefilled = client_for(moderator).get(f"/decisions/new?poll_id={poll.id}")
    assert prefilled.status_code == 200
    assert "Riga, Latvia" in _text(prefilled)  # the decision log starts from result_summary()
    from protect.decisions.models import Decision

    db.session.add(Decision(title="Train in Riga", poll_id=poll.id, author_id=moderator.id))
    db.session.commit()
    linked = _text(client_for(expert).get(f"/polls/{poll.id}/results"))
    assert "Recorded in the decision log" in linked and "Train in Riga" in linked


# Live turnout, lists, dashboard, query counts ---------------------------------------------------------------


def test_the_live_part_answers_204_until_something_changes(expert_client, moderator):
    poll = make_poll(moderator)
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    token = re.search(r"/pulse\?v=([^\"&]+)", page).group(1)
    unchanged = expert_client.htmx("get", f"/polls/{poll.id}/pulse?v={token}")
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    cast(poll, make_user("expert"), "Riga")
    changed = expert_client.htmx("get", f"/polls/{poll.id}/pulse?v={token}")
    assert changed.status_code == 200
    body = _text(changed)
    assert body.lstrip().startswith('<section class="card poll-standing" id="standing"')
    assert "1 of 3 eligible voters" in body
    assert "<form" not in body  # never replaces the ballot someone is filling in


def test_the_list_groups_polls_and_says_where_you_voted(expert_client, expert, moderator):
    voted = make_poll(moderator, question="Voted in this one")
    cast(voted, expert, "Riga")
    make_poll(moderator, question="Not yet voted")
    make_poll(moderator, question="Coming soon", opens_in=timedelta(days=3), closes_in=timedelta(days=5))
    make_poll(moderator, question="Long closed", closed=True)
    body = _text(expert_client.get("/polls"))
    assert body.index("Open now") < body.index("Voted in this one") < body.index("Coming up")
    assert body.index("Coming up") < body.index("Coming soon") < body.index("Closed") < body.index("Long closed")
    assert "You voted" in body and "Not voted yet" in body
    assert "Create a poll" not in body


def test_the_list_is_paged_open_and_coming_polls_first(expert_client, moderator):
    for number in range(3):
        make_poll(moderator, question=f"Open {number}", closes_in=timedelta(days=10 - number))
    make_poll(moderator, question="Coming soon", opens_in=timedelta(days=3), closes_in=timedelta(days=5))
    closed = [make_poll(moderator, question=f"Closed {number}") for number in range(services.POLLS_PAGE_SIZE)]
    with writing():
        for number, poll in enumerate(closed):  # "Closed 0" closed the latest
            db.session.execute(
                update(Poll)
                .where(Poll.id == poll.id)
                .values(opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(days=number + 1))
            )
    first = expert_client.get("/polls")
    assert first.status_code == 200
    body = _text(first)
    assert body.count('class="list-row"') == services.POLLS_PAGE_SIZE == 20
    assert body.index("Open 2") < body.index("Open 1") < body.index("Open 0") < body.index("Coming soon")
    assert body.index("Coming soon") < body.index("Closed 0") < body.index("Closed 15")
    assert "Closed 16<" not in body
    assert "Page 1 of 2" in body and 'rel="next" href="/polls?page=2"' in body and 'rel="prev"' not in body

    second = expert_client.get("/polls?page=2")
    assert second.status_code == 200
    body = _text(second)
    assert body.count('class="list-row"') == 4
    assert body.index("Closed 16") < body.index("Closed 19")
    assert "Closed 15<" not in body and "Open 0" not in body and "Coming soon" not in body
    assert "Open now" not in body and "No vote is open right now." not in body  # not an empty group: on page 1
    assert "Page 2 of 2" in body and 'rel="prev" href="/polls"' in body and 'rel="next"' not in body
    # a page past the last shows the last; a page that is not a number, the first
    assert "Page 2 of 2" in _text(expert_client.get("/polls?page=999"))
    assert "Page 1 of 2" in _text(expert_client.get("/polls?page=²"))


def test_the_dashboard_panel_lists_open_votes_in_two_queries(app, expert, moderator, expert_client):
    from protect.polls.services import dashboard_panel

    voted = make_poll(moderator, question="Voted already")
    cast(voted, expert, "Riga")
    make_poll(moderator, question="Still to vote")
    make_poll(moderator, question="Over", closed=True)
    assert expert.id  # loaded before counting
    with count_queries() as statements:
        context = dashboard_panel(expert)
    assert len(statements) <= 2
    assert [(poll.question, flag) for poll, flag in context["polls"]] == [
        ("Voted already", True),
        ("Still to vote", False),
    ]
    body = _text(expert_client.get("/dashboard"))
    panel = body[body.index('id="open-votes-title"') : body.index("</section>", body.index('id="open-votes-title"'))]
    assert "Still to vote" in panel and "Not voted yet" in panel and "You voted" in panel
    assert "Over" not in panel


def _populate(moderator, polls: int, voters: int, secret: bool) -> Poll:
    target = None
    cities = ("Riga", "Tallinn", "Vilnius", "St Petersburg", "Helsinki", "Stockholm", "Gdańsk", "Oslo")
    for index in range(polls):
        last = index == polls - 1
        poll = make_poll(
            moderator,
            question=f"Poll {index}",
            cities=cities[: 3 + index % 5],
            secret=secret if last else index % 2 == 0,
        )
        people = [make_user("expert") for _ in range(voters)]
        for n, person in enumerate(people):
            cast(poll, person, cities[n % 3], cities[(n + 1) % 3])
        target = poll
    return target


def _queries(client, url) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("secret", [True, False])
def test_pages_run_a_bounded_number_of_queries(client_for, moderator, secret):
    measured = []
    for polls, voters in ((2, 2), (6, 12)):
        poll = _populate(moderator, polls, voters, secret)
        db.session.expire_all()
        poll = db.session.get(Poll, poll.id)
        viewer = make_user("expert")
        client = client_for(viewer)
        cast(poll, viewer, "Riga")
        close_now(poll)
        with writing():
            services.seal_poll(poll.id)  # once, at the close: measured are the pages read ever after
        measured.append(
            {
                "poll": _queries(client, f"/polls/{poll.id}"),
                "results": _queries(client, f"/polls/{poll.id}/results"),
                "csv": _queries(client, f"/polls/{poll.id}/results.csv"),
                "list": _queries(client, "/polls"),
                "edit": _queries(client_for(moderator), f"/polls/{poll.id}/edit"),
            }
        )
    small, large = measured
    assert small == large, measured  # no query per ballot, option or poll
    assert max(large.values()) <= 12, large


def test_fragments_are_much_smaller_than_the_page(expert_client, moderator):
    poll = make_poll(moderator)
    (riga,) = option_ids(poll, "Riga")
    page = expert_client.get(f"/polls/{poll.id}").get_data()
    fragment = expert_client.htmx("post", f"/polls/{poll.id}/ballot/arrange", data={"move": f"add:{riga}"}).get_data()
    receipt = expert_client.htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": [str(riga)]}).get_data()
    assert len(fragment) * 2 < len(page)
    assert len(receipt) * 4 < len(page)


def test_times_are_shown_in_the_viewers_zone(client_for, moderator):
    poll = make_poll(moderator)
    poll.closes_at = datetime(2040, 7, 1, 12, 0)
    db.session.commit()
    reykjavik = make_user("expert", time_zone="Atlantic/Reykjavik")
    moscow = make_user("expert", time_zone="Europe/Moscow")
    assert "1 Jul 2040, 12:00 GMT (Reykjavik)" in _text(client_for(reykjavik).get(f"/polls/{poll.id}"))
    assert "1 Jul 2040, 15:00 MSK (Moscow)" in _text(client_for(moscow).get(f"/polls/{poll.id}"))
    assert poll.closes_at > utcnow()
