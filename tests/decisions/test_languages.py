"""The decision log in the interface's languages: pages and form errors say which language they are in, the
messages of the code (flashes, refusals, export headers, audit summaries) are extracted for translation, and
the group's record (written in its working language) says so inside an interface in another language."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from flask_babel import refresh
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.decisions import rules
from protect.decisions.exports import CSV_COLUMNS
from protect.extensions import db
from tests.decisions.factories import make_action, make_decision, make_meeting
from tests.i18n import ntr, tr

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", ["/decisions/", "/decisions/meetings/", "/actions/", "/actions/mine"])
def test_the_pages_say_their_language(expert_client, expert, url):
    make_decision(expert, title="Riga first")
    page = expert_client.get(f"{url}?lang=de")
    assert page.status_code == 200
    assert '<html lang="de"' in page.get_data(as_text=True)


def test_a_decision_and_its_history_say_their_language(expert_client, expert):
    decision = make_decision(expert)
    for url in (f"/decisions/{decision.id}", f"/decisions/{decision.id}/history"):
        assert '<html lang="de"' in expert_client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_a_refused_form_says_its_language(expert_client):
    refused = expert_client.post("/decisions/new?lang=de", data={"title": "", "text": ""})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert '<html lang="de"' in page and tr("de", "Enter a title.") in page
    assert "Enter a title." not in page
    # The form posts back in the same language.
    assert 'action="/decisions/new?lang=de"' in page


def test_a_refused_meeting_says_its_language(expert_client):
    refused = expert_client.post("/decisions/meetings/new", data={"title": ""}, headers={"Accept-Language": "de"})
    assert refused.status_code == 422
    assert '<html lang="de"' in refused.get_data(as_text=True)


def test_english_stays_the_default(expert_client, expert):
    decision = make_decision(expert, title="Riga first")
    page = expert_client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert '<html lang="en"' in page and "What was decided" in page
    assert 'lang="en">Riga first</h1>' not in page  # no lang of its own where it is the interface's language


def test_the_groups_record_is_marked_as_the_working_language(expert_client, expert, moderator):
    meeting = make_meeting(expert, minutes="We met in Riga.")
    decision = make_decision(expert, title="Riga first", text="The first training is in Rīga.", rationale="Hosts.")
    page = expert_client.get(f"/decisions/{decision.id}?lang=ru").get_data(as_text=True)
    assert '<html lang="ru"' in page
    assert '<h1 lang="en">Riga first</h1>' in page
    assert page.count('class="prose" lang="en"') == 2  # what was decided, and why
    minutes = expert_client.get(f"/decisions/meetings/{meeting.id}?lang=ru").get_data(as_text=True)
    assert '<div class="prose" lang="en"><p>We met in Riga.</p>' in minutes
    log = expert_client.get("/decisions/?lang=ru").get_data(as_text=True)
    assert '<h2 class="decision-card__title" lang="en">' in log
    history = expert_client.get(f"/decisions/{decision.id}/history?lang=ru").get_data(as_text=True)
    assert '<h3 lang="en">Riga first</h3>' in history


def test_the_messages_of_the_code_are_extracted(extracted):
    wanted = {
        # flashes and htmx notices
        "The decision “%(title)s” is proposed.",
        "The decision is now %(status)s.",
        "Action added: %(what)s",
        "Done: %(what)s",
        "Reopened: %(what)s",
        "Removed the action “%(what)s”.",
        "The meeting “%(title)s” is recorded.",
        # refusals (RuleViolation), from the services and the status rules
        "Only moderators and administrators set the status of a decision.",
        "A decision that is %(status)s cannot become %(new)s.",
        "From %(status)s it can become %(options)s.",
        "At most %(max)s characters.",
        "Say where the meeting is, or tick “Online”.",
        "“%(value)s” is not a date. Enter it as YYYY-MM-DD, for example 2016-03-15.",
        # export headers and headings
        "proposed at (UTC)",
        "done at (UTC)",
        "Decision log — PROTECT Children on the Move",
        "%(num)d decisions, newest first.",
        "**%(label)s:** %(value)s",
        "Decision due: %(title)s",
        # audit summaries (N_), status labels and the navigation
        "proposed the decision “%(title)s”",
        "marked the decision “%(title)s” implemented",
        "added the action “%(what)s” to “%(parent)s”",
        "recorded the meeting “%(title)s”",
        "Superseded",
        "Decisions",
        # the templates: "Overdue", "Due today" and a plural
        "Overdue",
        "Due today",
        "<strong>%(num)d</strong> decisions match the filters, newest first.",
    }
    assert sorted(wanted - extracted) == []


def test_audit_summaries_are_messages_with_their_values_apart(app, expert, moderator):
    decision = make_decision(expert, title="Riga first")
    make_action(expert, decision=decision, what="Book the hall")
    events = {
        event.action: event
        for event in db.session.execute(select(AuditEvent).where(AuditEvent.action.like("decisions.%"))).scalars()
    }
    proposed = events["decisions.proposed"]
    assert proposed.summary == "proposed the decision “%(title)s”"
    assert proposed.summary_params == {"title": "Riga first"}
    added = events["decisions.action_added"]
    assert added.summary == "added the action “%(what)s” to “%(parent)s”"
    with app.test_request_context("/?lang=de"):
        refresh()  # the tests' application context outlives a request: forget the language it last had
        assert proposed.text == tr("de", "proposed the decision “%(title)s”", title="Riga first")
        assert added.text == tr(
            "de", "added the action “%(what)s” to “%(parent)s”", what="Book the hall", parent="Riga first"
        )
    refresh()


def test_status_codes_stay_english_and_their_labels_are_translated_when_shown(app, expert):
    decision = make_decision(expert, due_on=date(2016, 3, 15))
    assert decision.status == "proposed"
    assert not isinstance(rules.STATUSES["proposed"], str)  # lazy: written in the reader's language
    with app.test_request_context("/?lang=de"):
        refresh()  # the tests' application context outlives a request: forget the language it last had
        assert str(rules.STATUSES["proposed"]) == tr("de", "Proposed")
        assert rules.status_word("agreed") == tr("de", "Agreed").lower()
    refresh()
    assert decision.status == "proposed"  # the stored code is unchanged


def test_the_export_headers_are_written_in_the_requesters_language(expert_client, expert):
    decision = make_decision(expert, title="Riga first", due_on=date(2016, 3, 15))
    body = expert_client.get("/decisions/export.csv?lang=de").get_data(as_text=True)
    assert body.startswith("\ufeff")
    header, row = csv.reader(body.lstrip("\ufeff").splitlines())
    assert header == [tr("de", column) for column in CSV_COLUMNS]
    assert "title" not in header and "proposed at (UTC)" not in header
    record = dict(zip(CSV_COLUMNS, row, strict=True))
    assert record["status"] == tr("de", "Proposed")
    # The values a program reads stay as they are in every language.
    assert record["id"] == str(decision.id) and record["due"] == "2016-03-15"
    assert record["url"].endswith(f"/decisions/{decision.id}")
    assert record["proposed at (UTC)"] == decision.created_at.strftime("%Y-%m-%d %H:%M")
    markdown = expert_client.get("/decisions/export.md?lang=de").get_data(as_text=True)
    assert markdown.startswith("# " + tr("de", "Decision log — PROTECT Children on the Move"))
    assert ntr("de", "%(num)d decision, newest first.", "%(num)d decisions, newest first.", 1) in markdown
    assert "Decision log" not in markdown and "1 decision, newest first." not in markdown
