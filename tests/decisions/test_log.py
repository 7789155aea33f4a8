"""The log: newest first, filters, full-text search in every alphabet of the region, pages, shareable URLs,
exports, and a number of queries that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from protect.decisions import log, meetings, services
from protect.decisions.log import PAGE_SIZE
from tests.conftest import count_queries
from tests.decisions.factories import make_action, make_decision, make_decisions, make_meeting
from tests.factories import make_user


def titles(page: str, names: list[str]) -> list[str]:
    """Which of ``names`` the page shows, in the order it shows them."""
    found = [(page.find(f">{name}</a>"), name) for name in names]
    return [name for position, name in sorted(found) if position >= 0]


def test_the_log_lists_decisions_newest_first(expert_client, expert):
    make_decision(expert, title="Oldest", created_at=datetime(2015, 9, 22, 12))
    make_decision(expert, title="Newest", created_at=datetime(2016, 3, 1, 12))
    make_decision(expert, title="Middle", created_at=datetime(2015, 11, 3, 12))
    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert titles(page, ["Oldest", "Middle", "Newest"]) == ["Newest", "Middle", "Oldest"]
    assert "<strong>3</strong> decisions" in page


def test_filters_by_status_owner_meeting_tag_and_due_date(expert_client, expert, moderator):
    launch = make_meeting(moderator, title="Launch meeting")
    make_decision(expert, title="Two days", status="agreed", owner_id=moderator.id, meeting_id=launch.id, tags="format")
    make_decision(expert, title="Riga first", owner_id=expert.id, tags="host cities, Riga", due_on=date(2016, 1, 10))
    make_decision(expert, title="Handbook", status="withdrawn", due_on=date(2016, 3, 1), tags="materials")
    names = ["Two days", "Riga first", "Handbook"]

    def shown(query: str) -> list[str]:
        response = expert_client.get("/decisions/" + query)
        assert response.status_code == 200
        return sorted(titles(response.get_data(as_text=True), names))

    assert shown("?status=agreed") == ["Two days"]
    assert shown(f"?owner={expert.id}") == ["Riga first"]
    assert shown(f"?meeting={launch.id}") == ["Two days"]
    assert shown("?tag=riga") == ["Riga first"]  # tags compare whatever the case
    assert shown("?tag=Host+cities") == ["Riga first"]
    assert shown("?due_before=2016-02-01") == ["Riga first"]
    assert shown("?due_before=2016-06-01") == ["Handbook", "Riga first"]
    assert shown(f"?status=agreed&owner={expert.id}") == []
    assert shown("?status=nonsense&owner=0&meeting=-4") == sorted(names)  # nonsense is ignored
    page = expert_client.get("/decisions/?tag=riga").get_data(as_text=True)
    assert '<option selected value="Riga">Riga</option>' in page  # the form shows the filter in force
    page = expert_client.get(f"/decisions/?owner={expert.id}").get_data(as_text=True)
    assert 'name="owner"' in page and 'value="Eva Expert"' in page  # a link's owner id shows as the name


def test_the_owner_filter_is_a_name_not_a_list_of_every_member(expert_client, expert, moderator):
    for n in range(30):
        make_user("expert", display_name=f"Member {n}")  # people who own nothing are not offered anywhere
    åsa = make_user("expert", display_name="Åsa Ørsted")
    berg = make_user("expert", display_name="Jonas Berg")
    bergmane = make_user("expert", display_name="Ilze Bergmane")
    make_decision(expert, title="Venue", owner_id=åsa.id)
    make_decision(expert, title="Budget", owner_id=berg.id)
    make_decision(expert, title="Interpreters", owner_id=bergmane.id)
    make_decision(expert, title="Handbook", owner_id=moderator.id)
    make_decision(expert, title="Nobody's", owner_id=None)
    names = ["Venue", "Budget", "Interpreters", "Handbook", "Nobody's"]

    def shown(query: str) -> list[str]:
        response = expert_client.get("/decisions/" + query)
        assert response.status_code == 200
        return sorted(titles(response.get_data(as_text=True), names))

    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert "Member 7" not in page and "<select" in page  # no select of members; the other filters still are
    owner = '<label class="field__label" for="owner">Owner</label><p class="field__help" id="owner-help">'
    assert owner in page  # labelled, with its hint read out
    field = 'aria-describedby="owner-help" autocomplete="off" id="owner" maxlength="120" name="owner" type="search"'
    assert f'<input {field} value="">' in page
    assert shown("?owner=ÅSA") == ["Venue"]  # folded beyond ASCII, on SQLite too
    assert shown("?owner=ØRSTED+åsa") == ["Venue"]  # every word, in any order
    assert shown("?owner=asa+orsted") == ["Venue"]  # typed without the accents
    assert shown("?owner=berg") == ["Budget", "Interpreters"]  # part of a name
    assert shown("?owner=jonas++BERG") == ["Budget"]  # an exact name keeps to that person
    assert shown("?owner=Mads+Moderator&status=proposed") == ["Handbook"]
    assert shown("?owner=nobody+here") == []
    response = expert_client.htmx("get", "/decisions/?owner=berg&q=")
    assert response.headers["HX-Push-Url"] == "/decisions/?owner=berg"
    assert "Jonas Berg" in response.get_data(as_text=True)
    page = expert_client.get("/decisions/?owner=berg").get_data(as_text=True)
    assert 'value="berg"' in page  # the form shows what was typed
    csv_rows = list(csv.DictReader(io.StringIO(expert_client.get("/decisions/export.csv?owner=berg").text)))
    assert sorted(row["title"] for row in csv_rows) == ["Budget", "Interpreters"]
    markdown = expert_client.get("/decisions/export.md?owner=berg").text
    assert "owned by “berg”" in markdown


def test_the_log_lists_only_what_it_shows(expert_client, expert, moderator):
    meeting = make_meeting(moderator, title="Launch meeting")
    make_decision(
        expert,
        title="Two days",
        text="Trainings last **two days**, [in Riga][riga].\n\n[riga]: https://example.org/riga",
        rationale="A SECRET-LOOKING RATIONALE",
        owner_id=moderator.id,
        meeting_id=meeting.id,
        tags="format, St Petersburg",
    )
    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert "Trainings last two days, in Riga." in page  # the excerpt, plain text
    assert "A SECRET-LOOKING RATIONALE" not in page
    assert ">Mads Moderator<" in page and ">Launch meeting</a>" in page
    assert 'href="/decisions/?tag=St+Petersburg"' in page and 'href="/decisions/?tag=format"' in page


def test_an_edited_text_shows_its_new_excerpt_at_once(expert_client, expert, moderator):
    decision = make_decision(expert, title="Venue", text="The venue is **Riga**.")
    assert "The venue is Riga." in expert_client.get("/decisions/").get_data(as_text=True)
    values = {name: getattr(decision, name) for name in services.DECISION_FIELDS if name != "tags"}
    services.edit_decision(moderator, decision.id, decision.version, {**values, "tags": "", "text": "Now **Tallinn**."})
    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert "Now Tallinn." in page and "The venue is Riga." not in page
    # The cache is keyed by the text itself: the same text, whatever its decision, has one excerpt.
    assert log.excerpt("Now **Tallinn**.") == "Now Tallinn."
    assert log.excerpt("Now **Tallinn**!") == "Now Tallinn!"


def test_a_due_date_filter_that_is_not_a_date_is_refused_beside_the_field(expert_client, expert):
    make_decision(expert, title="Riga first", due_on=date(2016, 1, 10))
    response = expert_client.get("/decisions/?due_before=31.02.2016")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“31.02.2016” is not a date." in page
    assert 'value="31.02.2016"' in page  # kept in the field
    assert ">Riga first</a>" in page  # the other filters (none here) still apply
    htmx = expert_client.htmx("get", "/decisions/?due_before=soon")
    assert htmx.status_code == 422 and "is not a date" in htmx.get_data(as_text=True)


SEARCHABLE = [
    ("Training in Vilnius", "Hosted in Вильнюс by the police department.", ""),
    ("Crossing the Øresund bridge", "Children travelling between Malmö and Copenhagen.", ""),
    ("First training in Rīga", "The ministry in Rīga hosts.", "Šiauliai was considered too."),
    ("Interpretation", "Sessions interpreted into Russian.", "Санкт-Петербург asked for it."),
    ("Ombudsman", "Guðrún Jónsdóttir reports on Iceland.", ""),
    ("Discount", "Costs cut by 50% for NGOs.", "snake_case is not a wildcard"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("вильнюс", ["Training in Vilnius"]),
        ("ВИЛЬНЮС", ["Training in Vilnius"]),
        ("øresund", ["Crossing the Øresund bridge"]),
        ("ØRESUND", ["Crossing the Øresund bridge"]),
        ("MALMÖ", ["Crossing the Øresund bridge"]),
        ("RĪGA", ["First training in Rīga"]),
        ("šiauliai", ["First training in Rīga"]),  # in the rationale
        ("санкт-петербург", ["Interpretation"]),
        ("GUÐRÚN", ["Ombudsman"]),
        ("training ministry", ["First training in Rīga"]),  # every word must occur
        ("50%", ["Discount"]),
        ("%", [t for t, _, _ in SEARCHABLE]),  # no word to search for: the text filters nothing
        ("costs -ngos", []),  # the search engine's syntax, as in the header's search box
        ('"cut by 50"', ["Discount"]),
        ("nowhere", []),
    ],
)
def test_search_folds_case_in_every_alphabet(expert_client, expert, query, expected):
    for title, text, rationale in SEARCHABLE:
        make_decision(expert, title=title, text=text, rationale=rationale)
    response = expert_client.get("/decisions/", query_string={"q": query})
    assert response.status_code == 200
    assert sorted(titles(response.get_data(as_text=True), [t for t, _, _ in SEARCHABLE])) == sorted(expected)


def test_search_finds_tags_and_text_edited_later(client_for, expert):
    from tests.decisions.factories import decision_form

    decision = make_decision(expert, title="Hosts", text="To be settled.", tags="Tallinn")
    client = client_for(expert)
    assert ">Hosts</a>" in client.get("/decisions/?q=TALLINN").get_data(as_text=True)
    client.post(f"/decisions/{decision.id}/edit", data=decision_form(decision, text="Settled: Klaipėda."))
    assert ">Hosts</a>" in client.get("/decisions/?q=KLAIPĖDA").get_data(as_text=True)
    assert ">Hosts</a>" not in client.get("/decisions/?q=settled+riga").get_data(as_text=True)


def test_long_logs_are_paginated(expert_client, expert):
    decisions = make_decisions(expert, PAGE_SIZE + 5)
    first = expert_client.get("/decisions/").get_data(as_text=True)
    assert f">{decisions[-1].title}</a>" in first and f">{decisions[4].title}</a>" not in first
    assert "Page 1 of 2" in first and 'rel="next" href="/decisions/?page=2"' in first
    second = expert_client.get("/decisions/?page=2").get_data(as_text=True)
    assert f">{decisions[4].title}</a>" in second and f">{decisions[0].title}</a>" in second
    assert f">{decisions[-1].title}</a>" not in second
    assert 'rel="prev" href="/decisions/"' in second
    # a page beyond the last shows the last
    assert f">{decisions[0].title}</a>" in expert_client.get("/decisions/?page=99").get_data(as_text=True)


def test_htmx_gets_only_the_results_and_the_canonical_url_to_share(expert_client, expert, moderator):
    make_decision(expert, title="Riga first", owner_id=moderator.id, tags="Riga")
    make_decision(expert, title="Tallinn next")
    full = expert_client.get(f"/decisions/?q=riga&owner={moderator.id}&status=&meeting=&tag=&due_before=")
    response = expert_client.htmx("get", f"/decisions/?q=riga&owner={moderator.id}&status=&meeting=&tag=&due_before=")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert ">Riga first</a>" in fragment and ">Tallinn next</a>" not in fragment
    assert "<html" not in fragment and 'role="search"' not in fragment
    assert response.headers["HX-Push-Url"] == f"/decisions/?q=riga&owner={moderator.id}"
    assert "HX-Request" in response.headers["Vary"]
    assert len(fragment) < len(full.get_data(as_text=True)) / 3
    # the shared URL opens the same view as a full page
    shared = expert_client.get(response.headers["HX-Push-Url"]).get_data(as_text=True)
    assert ">Riga first</a>" in shared and ">Tallinn next</a>" not in shared
    assert 'value="riga"' in shared and 'name="owner" type="search" value="Mads Moderator"' in shared


def test_a_history_restore_gets_the_whole_page(expert_client, expert):
    make_decision(expert, title="Riga first")
    response = expert_client.htmx("get", "/decisions/?q=riga", headers={"HX-History-Restore-Request": "true"})
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)


def test_the_exports_follow_the_filters(expert_client, expert, moderator):
    make_decision(
        expert,
        title="Riga first",
        text="The first training is in Rīga.",
        rationale="Hosts offered.",
        owner_id=moderator.id,
        due_on=date(2016, 3, 15),
        tags="Riga, host cities",
    )
    make_decision(expert, title='=HYPERLINK("http://evil")', text="-1+1", tags="materials")
    response = expert_client.get("/decisions/export.csv?tag=riga")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["title"] for row in rows] == ["Riga first"]
    assert rows[0]["owner"] == "Mads Moderator" and rows[0]["due"] == "2016-03-15"
    assert rows[0]["tags"] == "Riga; host cities" and rows[0]["decision"] == "The first training is in Rīga."
    assert rows[0]["url"].endswith(f"/decisions/{rows[0]['id']}")
    everything = list(
        csv.DictReader(io.StringIO(expert_client.get("/decisions/export.csv").get_data(as_text=True).lstrip("\ufeff")))
    )
    assert len(everything) == 2
    formula = next(row for row in everything if "HYPERLINK" in row["title"])
    assert formula["title"].startswith("'=") and formula["decision"] == "'-1+1"  # no spreadsheet formula runs

    markdown = expert_client.get("/decisions/export.md?tag=riga")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    text = markdown.get_data(as_text=True)
    assert text.startswith("# Decision log")
    assert "1 decision tagged “riga”, newest first." in text
    assert "## Riga first (#" in text and "**Owner:** Mads Moderator" in text and "### Rationale" in text
    assert "HYPERLINK" not in text


def test_the_calendar_has_the_due_dates_of_open_decisions_and_actions(expert_client, expert):
    open_one = make_decision(expert, title="Riga first", due_on=date(2016, 3, 15))
    make_decision(expert, title="Done already", due_on=date(2016, 2, 1), status="implemented")
    make_decision(expert, title="No date")
    make_action(expert, decision=open_one, what="Book the venue", due_on=date(2016, 1, 15))
    make_action(expert, decision=open_one, what="Finished", due_on=date(2016, 1, 10), done=True)
    meeting = make_meeting(expert)
    make_action(expert, meeting=meeting, what="Circulate the minutes", due_on=date(2015, 9, 30))
    response = expert_client.get("/decisions/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    entries = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(entries) == {
        "Decision due: Riga first",
        "Action due: Book the venue (Eva Expert)",
        "Action due: Circulate the minutes (Eva Expert)",
    }
    assert entries["Decision due: Riga first"].decoded("dtstart") == date(2016, 3, 15)
    filtered = Calendar.from_ical(expert_client.get("/decisions/calendar.ics?q=riga").get_data())
    assert {str(e["summary"]) for e in filtered.walk("VEVENT")} == {
        "Decision due: Riga first",
        "Action due: Book the venue (Eva Expert)",
    }


def test_an_export_with_a_bad_date_filter_is_refused(expert_client):
    response = expert_client.get("/decisions/export.csv?due_before=tomorrow")
    assert response.status_code == 422
    assert "is not a date" in response.get_data(as_text=True)


def _fill(author, moderator, meetings: int, per_meeting: int) -> None:
    owners = [make_user("expert") for _ in range(3)]
    for m in range(meetings):
        meeting = make_meeting(moderator, title=f"Meeting {m}", attendee_ids=[moderator.id, owners[0].id])
        for i in range(per_meeting):
            decision = make_decision(
                author,
                meeting_id=meeting.id,
                owner_id=owners[i % 3].id,
                tags=f"tag{i % 4}, Riga",
                due_on=date(2016, 1, 1) + timedelta(days=i),
                created_at=datetime(2016, 1, 1) + timedelta(days=m * per_meeting + i),
            )
            make_action(author, decision=decision, owner_id=owners[(i + 1) % 3].id)


@pytest.mark.parametrize("url", ["/decisions/", "/decisions/?q=riga&tag=riga", "/decisions/?page=2"])
def test_the_log_runs_the_same_few_queries_whatever_the_size(client_for, expert, moderator, url):
    client = client_for(expert)
    _fill(expert, moderator, 1, 3)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _fill(expert, moderator, 3, 12)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large) <= 12, large
    with count_queries() as fragment:
        assert client.htmx("get", url).status_code == 200
    assert len(fragment) <= 6


def test_exports_run_a_fixed_number_of_queries(client_for, expert, moderator):
    client = client_for(expert)
    _fill(expert, moderator, 1, 3)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            _fill(expert, moderator, 2, 10)
        counts[size] = []
        for url in ("/decisions/export.csv", "/decisions/export.md", "/decisions/calendar.ics"):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts[size].append(len(queries))
    assert counts["small"] == counts["large"]
    assert max(counts["large"]) <= 6


def test_the_quick_selects_write_what_wtforms_writes(app):
    from flask_wtf import FlaskForm
    from wtforms import SelectField

    from protect.core.forms import WrittenSelect, choices, int_or_none, written_options
    from protect.decisions.forms import QuickSelect

    pairs = [("None", "Nobody yet"), ("7", "Ø <b>\"Bold\"</b> & 'co'"), ("12", "")]

    class Form(FlaskForm):
        class Meta:
            csrf = False

        plain = SelectField("Plain", coerce=int_or_none, validate_choice=False)
        quick = SelectField("Quick", coerce=int_or_none, validate_choice=False, widget=QuickSelect())
        written = SelectField("Written", widget=WrittenSelect())

    with app.test_request_context():
        for chosen in (None, 7, 12):
            form = Form(formdata=None)
            form.plain.choices = choices(pairs)
            form.quick.choices = choices(pairs)
            form.written.options = written_options(("test", tuple(pairs)), lambda: pairs)
            form.plain.data = form.quick.data = chosen
            form.written.data = "None" if chosen is None else str(chosen)
            plain = str(form.plain(**{"aria-describedby": "x"}))
            assert str(form.quick(**{"aria-describedby": "x"})) == plain.replace("plain", "quick")
            assert str(form.written(**{"aria-describedby": "x"})) == plain.replace("plain", "written")
        assert "&lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; &#39;co&#39;" in plain


def test_a_renamed_or_new_meeting_is_in_the_filter_at_once(expert_client, expert, moderator):
    launch = make_meeting(moderator, title="Launch meeting")
    page = expert_client.get(f"/decisions/?meeting={launch.id}").get_data(as_text=True)
    assert f'<option selected value="{launch.id}">Launch meeting (' in page
    values = {
        "title": "Kick-off meeting",
        "starts_at": launch.starts_at,
        "time_zone": launch.time_zone,
        "place": launch.place,
        "online": launch.online,
        "minutes": launch.minutes,
        "attendee_ids": [],
        "guests": [],
    }
    meetings.edit_meeting(moderator, launch.id, launch.version, values)
    second = make_meeting(moderator, title="Second meeting")
    page = expert_client.get("/decisions/").get_data(as_text=True)
    assert f'<option value="{launch.id}">Kick-off meeting (' in page and "Launch meeting (" not in page
    assert f'<option value="{second.id}">Second meeting (' in page


def test_urls_by_id_are_the_urls_url_for_builds(app):
    from flask import url_for

    from protect.decisions.views import urls_by_id

    for root in ("", "/workspace"):
        with app.test_request_context("/decisions/", base_url=f"http://localhost{root}/"):
            decision_url = urls_by_id("decisions.show_decision", "decision_id")
            meeting_url = urls_by_id("decisions.show_meeting", "meeting_id")
            for number in (1, 7, 987_654_321, 10**12):
                assert decision_url(number) == url_for("decisions.show_decision", decision_id=number)
                assert meeting_url(number) == url_for("decisions.show_meeting", meeting_id=number)
            assert decision_url(5).startswith(f"{root}/decisions/")
