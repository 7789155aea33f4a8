"""Defects a review found in the programme pages' translations: a translator's texts kept when someone else
changed the translation meanwhile, search in the visitor's language, the calendar's LANGUAGE parameters, and the
lang= marks of the working language's texts."""

from __future__ import annotations

import html
import re

import pytest

from protect.extensions import db
from protect.programme import caching, translations
from tests.factories import make_user
from tests.programme.test_translations import LATVIAN, training, translated

B_TEXTS = {
    "title": "Bērnu aizsardzība Rīgā: B tulkojums",
    "summary": "B kopsavilkums.",
    "description": "B apraksts.",
    "how_to_take_part": "B: reģistrējieties.",
}


@pytest.fixture(autouse=True)
def _cold_caches(app):
    caching.render_cache(app).clear()


def _version(body: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', body).group(1))


def _draft(page, expert):
    translation = translations.create(expert, page.id, "lv")
    translation = translations.save(expert, page.id, "lv", translation.version, LATVIAN)
    db.session.commit()
    return translation


# 1. Two people, one translation --------------------------------------------------------------------------------


def test_a_translator_refused_by_a_colleagues_save_gets_the_form_back_with_their_texts(client_for, expert, moderator):
    page = training(expert, moderator)
    _draft(page, expert)
    colleague = make_user("expert", email="colleague@test.example", display_name="Cora Colleague", country="LV")
    a, b = client_for(expert), client_for(colleague)
    url = f"/publishing/{page.id}/translations/lv"
    opened = _version(b.get(url).get_data(as_text=True))
    theirs = {**LATVIAN, "title": "Bērnu aizsardzība: A labojums"}
    assert a.post(f"{url}/edit", data={**theirs, "version": opened}).status_code == 303

    refused = b.post(f"{url}/edit", data={**B_TEXTS, "version": opened})
    assert refused.status_code == 409
    body = html.unescape(refused.get_data(as_text=True))
    assert "data-conflict" in body and "Someone else saved this page while you were editing it." in body
    # B's texts in the fields, A's beside them, and the version saved now in the form.
    assert f'name="title" type="text" lang="lv" value="{B_TEXTS["title"]}"' in body
    assert f">{B_TEXTS['description']}</textarea>" in body
    assert f'<td class="conflict-table__text" lang="lv">{theirs["title"]}</td>' in body
    now = translations.load(page.id, "lv")
    assert _version(body) == now.version and now.fields["title"] == theirs["title"]

    # Saving again keeps B's, knowingly.
    assert b.post(f"{url}/edit", data={**B_TEXTS, "version": _version(body)}).status_code == 303
    assert translations.load(page.id, "lv").fields == B_TEXTS


def test_a_translator_refused_because_a_moderator_moved_it_on_keeps_their_texts(
    client_for, expert, moderator, expert_client
):
    page = training(expert, moderator)
    _draft(page, expert)
    url = f"/publishing/{page.id}/translations/lv"
    opened = _version(expert_client.get(url).get_data(as_text=True))
    # Meanwhile it is submitted and approved.
    translation = translations.submit(expert, page.id, "lv", opened)
    translations.approve(moderator, page.id, "lv", translation.version)
    db.session.commit()

    refused = expert_client.post(f"{url}/edit", data={**B_TEXTS, "version": opened})
    assert refused.status_code == 409
    body = html.unescape(refused.get_data(as_text=True))
    assert "so it cannot be changed now" in body
    assert f'value="{B_TEXTS["title"]}" readonly' in body
    assert f">{B_TEXTS['how_to_take_part']}</textarea>" in body
    assert f'<td class="conflict-table__text" lang="lv">{LATVIAN["title"]}</td>' in body
    assert "Save the translation" not in body  # nothing to save into while it is approved
    assert translations.load(page.id, "lv").fields == LATVIAN


# 2. Search in the visitor's language ---------------------------------------------------------------------------


def test_the_public_search_finds_a_training_by_the_words_of_its_translation(client, expert, moderator):
    from tests.conftest import count_queries

    page = training(expert, moderator)
    translated(page, expert, moderator)
    found = client.get("/programme/?lang=lv&q=apmācība").get_data(as_text=True)
    assert f">{LATVIAN['title']}</a>" in found
    assert f">{LATVIAN['title']}</a>" in client.get("/programme/?lang=lv&q=APMACIBA+riga").get_data(as_text=True)
    # The page's own words still find it; other languages' visitors do not search the Latvian text.
    assert f">{LATVIAN['title']}</a>" in client.get("/programme/?lang=lv&q=hearing").get_data(as_text=True)
    assert "Protecting children" not in client.get("/programme/?q=apmācība").get_data(as_text=True)
    assert "Protecting children" not in client.get("/programme/?lang=de&q=apmācība").get_data(as_text=True)
    assert LATVIAN["title"] not in client.get("/programme/?lang=lv&q=nowhere").get_data(as_text=True)
    caching.render_cache(client.application).clear()
    with count_queries() as statements:
        client.get("/programme/?lang=lv&q=apmācība")
    searches = [statement for statement in statements if "LIKE" in statement]
    assert len(searches) == 1 and "language" in searches[0]  # both texts searched in the list's one query


# 3. The calendar's LANGUAGE ------------------------------------------------------------------------------------


def _ical(client, url: str) -> list[str]:
    return client.get(url).get_data(as_text=True).replace("\r\n ", "").split("\r\n")


def _property(lines: list[str], name: str, text: str) -> str:
    """The name and parameters of the first property ``name`` whose value has ``text``."""
    return next(line.split(":", 1)[0] for line in lines if line.startswith(name) and text in line)


def test_each_calendar_text_says_the_language_it_is_written_in_or_none_when_it_mixes_two(client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    url = f"/programme/{page.slug}/calendar.ics"

    english = _ical(client, url)
    assert _property(english, "LOCATION", "Riga") == "LOCATION;LANGUAGE=en"
    assert _property(english, "SUMMARY", "Hearing the child") == "SUMMARY;LANGUAGE=en"
    assert _property(english, "DESCRIPTION", ", day 1") == "DESCRIPTION;LANGUAGE=en"
    assert _property(english, "CATEGORIES", "Training") == "CATEGORIES;LANGUAGE=en"

    latvian = _ical(client, f"{url}?lang=lv")
    assert _property(latvian, "SUMMARY", LATVIAN["title"]) == "SUMMARY;LANGUAGE=lv"
    assert _property(latvian, "DESCRIPTION", LATVIAN["summary"]) == "DESCRIPTION;LANGUAGE=lv"
    # The city as written (English) with the country's Latvian name: the one language neither.
    assert {_property(latvian, "LOCATION", "Riga")} == {"LOCATION"}
    assert "LOCATION;LANGUAGE=lv" not in "\n".join(latvian)
    # An English session title with a Latvian kind label: not marked Latvian, nor English.
    assert _property(latvian, "SUMMARY", "Hearing the child") == "SUMMARY"
    # The Latvian title in Latvian words ("<title>, day 1" in Latvian): Latvian.
    assert _property(latvian, "DESCRIPTION", f"{LATVIAN['title']}\\,") == "DESCRIPTION;LANGUAGE=lv"

    # A German visitor: no German translation, the English title in German words.
    german = _ical(client, f"{url}?lang=de")
    assert _property(german, "SUMMARY", "Protecting children") == "SUMMARY;LANGUAGE=en"
    assert _property(german, "DESCRIPTION", "Protecting children: training in Riga\\,") == "DESCRIPTION"
    assert _property(german, "CATEGORIES", "") == "CATEGORIES;LANGUAGE=de"


# 4. lang= on the working language's texts ---------------------------------------------------------------------


def test_places_and_the_withdrawal_reason_are_marked_as_the_working_language(client, expert, moderator):
    from protect.programme import services

    page = training(expert, moderator, venue="Radisson Blu")
    translated(page, expert, moderator)
    latvian = client.get(f"/programme/{page.slug}?lang=lv").get_data(as_text=True)
    assert '<span lang="en">Riga</span>, ' in latvian  # the kicker: the city, then the country in Latvian
    assert '<dd><span lang="en">Radisson Blu, Riga</span>, ' in latvian
    card = client.get("/programme/?lang=lv").get_data(as_text=True)
    assert '· <span lang="en">Riga</span>, ' in card
    english = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert "<dd>Radisson Blu, Riga, Latvia</dd>" in english and '<span lang="en">Riga' not in english

    services.withdraw(moderator, page.id, "The venue fell through.")
    db.session.commit()
    withdrawn = client.get(f"/programme/{page.slug}?lang=lv")
    assert withdrawn.status_code == 410
    assert '<span lang="en">The venue fell through.</span>' in withdrawn.get_data(as_text=True)
    english = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert "</strong> The venue fell through.</p>" in english
