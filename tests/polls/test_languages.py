"""Polls in the reader's language: the pages answer in the language asked for, numbers are written the
locale's way, the messages that code writes (flashes, refusals, the CSV's headings, audit summaries, round
notes) are in the catalogue template, and the question, written in the group's working language, says so
inside an interface in another language."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.core.timefmt import iso_utc
from protect.extensions import db
from protect.polls.cache import tallies
from tests.factories import make_user
from tests.i18n import tr
from tests.polls.factories import cast, close_now, make_poll
from tests.polls.test_views import new_poll_form

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\xa0"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _html_lang(body: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', body)
    assert found, "no <html lang>"
    return found.group(1)


# Pages in the language asked for ------------------------------------------------------------------------------


def test_poll_pages_answer_in_the_language_asked_for(client_for, moderator, expert):
    poll = make_poll(moderator, secret=False)
    cast(poll, make_user("expert"), "Riga", "Tallinn")
    close_now(poll)
    client = client_for(expert)
    for url in ("/polls", f"/polls/{poll.id}", f"/polls/{poll.id}/results"):
        assert _html_lang(_text(client.get(f"{url}?lang=de"))) == "de", url
        assert _html_lang(_text(client.get(url, headers={"Accept-Language": "ru"}))) == "ru", url
        assert _html_lang(_text(client.get(url))) == "en", url


def test_a_refused_poll_form_answers_in_the_language_asked_for(moderator_client):
    response = moderator_client.post("/polls/new?lang=de", data=new_poll_form(question=""))
    assert response.status_code == 422
    body = _text(response)
    assert _html_lang(body) == "de"
    assert 'aria-invalid="true"' in body or "field--error" in body


def test_a_refused_ballot_answers_in_the_language_asked_for(client_for, moderator, expert):
    poll = make_poll(moderator, method="single")
    response = client_for(expert).post(f"/polls/{poll.id}/ballot?lang=ru", data={})
    assert response.status_code == 422
    assert _html_lang(_text(response)) == "ru"


def test_percentages_are_written_the_locales_way(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", secret=False)
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn")
    close_now(poll)
    client = client_for(expert)
    english = _text(client.get(f"/polls/{poll.id}/results"))
    german = _text(client.get(f"/polls/{poll.id}/results?lang=de"))
    assert "66.7%" in english and f"66,7{NBSP}%" in german  # the table and the chart
    assert re.search(r"\(\d+%\)", _text(client.get(f"/polls/{poll.id}")))  # the turnout
    assert re.search(rf"\(\d+{NBSP}%\)", _text(client.get(f"/polls/{poll.id}?lang=de")))


def test_the_tally_cache_keeps_a_count_per_language(client_for, moderator, expert):
    """The round notes and column names of a count are written in the request's language: a count made for
    a German page is never served to an English one."""
    poll = make_poll(moderator, secret=False)
    cast(poll, make_user("expert"), "Riga", "Tallinn")
    close_now(poll)
    client = client_for(expert)
    before = len(tallies())
    client.get(f"/polls/{poll.id}/results")
    client.get(f"/polls/{poll.id}/results?lang=de")
    assert len(tallies()) == before + 2


# Messages written by code go through gettext ------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        # flashes
        "The poll is saved.",
        "The poll is extended; the reason is shown on the poll page.",
        "Your ballot is cast.",
        # RuleViolation messages
        "The poll must close after it opens.",
        "Enter at least %(num)d candidate location.",
        "Voting has ended: the poll closed %(when)s.",
        "No ballot of this poll has this receipt code. Check the code; a ballot changed later has a new code.",
        "%(name)s moved to place %(place)d of %(total)d.",
        # the CSV export's headings
        "Eligible voters",
        "Cast at (UTC)",
        "Strongest path from the row to the column",
        # audit summaries (marked with N_, translated when shown)
        "voted in “%(question)s”",
        "closed the vote “%(question)s” early",
        # the count and the results page
        "%(name)s has the fewest votes (%(num)d votes): eliminated.",
        "%(ballots)d of %(num)d eligible voters (%(percent)s)",
        "Votes per location, as bars",
        "Ranked choice, Schulze (Condorcet)",
        "Keep this code. When the poll closes, your ballot is sealed: nothing links it to you any more, not even "
        "for the server, so this page will not show it again. With the code you can still check that it was "
        "counted as you cast it. A changed ballot gets a new code.",
    ],
)
def test_messages_written_by_code_are_in_the_catalogue_template(extracted, message):
    assert message in extracted


def test_audit_summaries_keep_the_english_message_and_its_values_apart(moderator, expert):
    poll = make_poll(moderator, question="Where in spring?")
    cast(poll, expert, "Riga")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ballot.cast")).scalar_one()
    assert event.summary == "voted in “%(question)s”"
    assert event.summary_params == {"question": "Where in spring?"}
    assert event.text == "voted in “Where in spring?”"


def test_the_csv_export_has_its_headings_and_machine_readable_figures(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", secret=False)
    cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    body = _text(client_for(expert).get(f"/polls/{poll.id}/results.csv?lang=de"))
    rows = list(csv.reader(body.lstrip("\ufeff").splitlines()))
    facts = {row[0]: row[1:] for row in rows if row}
    assert facts[tr("de", "Ballots cast")] == ["1"]
    assert facts[tr("de", "Eligible voters")][0].isdigit()
    assert "Eligible voters" not in body and "Ballots cast" not in body
    # The times and the share stay machine-readable in every language: ISO 8601, a decimal point.
    assert facts[tr("de", "Opens (UTC)")] == [iso_utc(poll.opens_at)]
    assert facts[tr("de", "Closes (UTC)")] == [iso_utc(poll.closes_at)]
    assert tr("de", "Location") in facts and "Location" not in facts
    [riga] = [row for row in rows if row[1:2] == ["Riga"]]
    assert riga[-2:] == ["1", "100.0"]


# The working language ----------------------------------------------------------------------------------------


def test_the_question_is_marked_as_working_language_in_another_interface(client_for, moderator, expert):
    poll = make_poll(moderator, question="Where in autumn?", secret=False)
    cast(poll, make_user("expert"), "Riga")
    client = client_for(expert)
    russian = _text(client.get(f"/polls/{poll.id}?lang=ru"))
    assert '<h1 lang="en">Where in autumn?</h1>' in russian
    listing = _text(client.get("/polls?lang=ru"))
    assert re.search(r'<a href="/polls/\d+" lang="en">Where in autumn\?</a>', listing)
    english = _text(client.get(f"/polls/{poll.id}"))
    assert "<h1>Where in autumn?</h1>" in english  # no lang attribute where the interface is English too
    close_now(poll)
    results = _text(client.get(f"/polls/{poll.id}/results?lang=ru"))
    assert '<span lang="en">Where in autumn?</span>' in results
