"""The programme in the visitor's language: the interface translated (its messages extracted for the
catalogues), the working-language content marked as English, and every cache keyed on the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from protect.programme import caching
from tests.programme.factories import add_item, make_event, make_page, published_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _cold_caches(app):
    caching.render_cache(app).clear()


def training(expert, moderator):
    event = make_event(slug="vilnius-2027", city="Vilnius", country="LT")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child", notes="Notes of the session.")
    return published_page(expert, moderator, event, title="Training in Vilnius")


def test_public_pages_answer_in_the_language_asked_for(client, expert, moderator):
    page = training(expert, moderator)
    for url in ("/programme/", f"/programme/{page.slug}", f"/programme/{page.slug}/print"):
        body = client.get(url + ("&" if "?" in url else "?") + "lang=de").get_data(as_text=True)
        assert '<html lang="de"' in body, url
    by_header = client.get(f"/programme/{page.slug}", headers={"Accept-Language": "de"})
    assert '<html lang="de"' in by_header.get_data(as_text=True)


def test_a_form_error_is_answered_in_the_language_asked_for(client, expert, moderator):
    page = training(expert, moderator)
    response = client.post(f"/programme/{page.slug}/register?lang=de", data={"name": ""})
    assert response.status_code == 422
    assert '<html lang="de"' in response.get_data(as_text=True)


def test_working_language_content_is_marked_english_in_another_interface(client, expert, moderator):
    page = training(expert, moderator)
    russian = client.get(f"/programme/{page.slug}?lang=ru").get_data(as_text=True)
    assert '<h1 id="training-title" lang="en">Training in Vilnius</h1>' in russian
    assert '<span lang="en">Hearing the child</span>' in russian
    assert '<div class="prose" lang="en">' in russian
    english = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert '<h1 id="training-title">Training in Vilnius</h1>' in english and 'lang="en">Hearing' not in english


def test_the_same_snapshot_is_rendered_and_validated_once_per_language(client, expert, moderator):
    page = training(expert, moderator)
    url = f"/programme/{page.slug}"
    english, german = client.get(url), client.get(url + "?lang=de")
    assert english.headers["ETag"] != german.headers["ETag"]
    for response in (english, german):
        assert {"Accept-Language", "Cookie"} <= set(response.vary)
    # A German ETag does not make an English visitor's copy fresh, nor the other way round.
    assert client.get(url, headers={"If-None-Match": german.headers["ETag"]}).status_code == 200
    assert client.get(url + "?lang=de", headers={"If-None-Match": german.headers["ETag"]}).status_code == 304
    # The body rendered from the snapshot is kept once per language: the German page is German the second time.
    again = client.get(url + "?lang=de").get_data(as_text=True)
    assert again == german.get_data(as_text=True) and client.get(url).get_data() == english.get_data()


def test_a_new_catalogue_changes_the_etag(app, client, expert, moderator, monkeypatch):
    page = training(expert, moderator)
    url = f"/programme/{page.slug}?lang=de"
    before = client.get(url).headers["ETag"]
    monkeypatch.setattr(caching, "catalogue_fingerprint", lambda code=None: "a new catalogue")
    assert client.get(url).headers["ETag"] != before


def test_the_lists_and_calendars_are_keyed_on_the_language(client, expert, moderator):
    page = training(expert, moderator)
    for url in ("/programme/", "/programme/calendar.ics", f"/programme/{page.slug}/calendar.ics", "/sitemap.xml"):
        assert client.get(url).headers["ETag"] != client.get(url + "?lang=lv").headers["ETag"], url


def test_the_workspace_answers_in_the_members_language(expert_client, expert):
    page = make_page(expert)
    body = expert_client.get(f"/publishing/{page.id}?lang=pl").get_data(as_text=True)
    assert '<html lang="pl"' in body
    assert '<html lang="pl"' in expert_client.get("/publishing/?lang=pl").get_data(as_text=True)


def test_the_programme_messages_are_extracted(extracted):
    wanted = {
        # a flash (moderation.py), RuleViolations (services.py), a CSV header, an iCalendar text
        "The programme page “%(title)s” is started as a draft. Complete it, then submit it for review.",
        "“%(title)s” changed since you opened it (it is now “%(state)s”). Reload the page, check it, then try again.",
        "Only moderators and administrators may publish programme pages.",
        "Received (UTC)",
        "Speakers: %(speakers)s",
        # an audit summary (N_), a state label (N_), a form label (lazy_gettext), templates
        "published version %(version)s of the programme page “%(title)s”",
        "In review",
        "Reason for withdrawing",
        "Register your interest",
        "%(num)d training published.",
        "This training page was withdrawn",
    }
    assert wanted - extracted == set()
