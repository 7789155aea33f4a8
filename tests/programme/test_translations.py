"""Translations of programme pages: added by experts, reviewed, approved and published by moderators like the page
itself; served to visitors in their language at the page's address; out of date the moment the page is published
again, with what changed; alternates in the head, the sitemap and the calendar."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.core.errors import RuleViolation
from protect.core.i18n import TRANSLATIONS
from protect.extensions import db
from protect.programme import caching, translations
from protect.programme.models import ProgrammeSnapshot, ProgrammeTranslation
from tests.programme.factories import add_item, approve, edit, make_event, make_page, publish, published_page, submit

LATVIAN = {
    "title": "Bērnu aizsardzība: apmācība Rīgā",
    "summary": "Divas dienas par bērnu aizsardzību.",
    "description": "Balstīts uz **PROTECT vadlīnijām**.",
    "how_to_take_part": "Reģistrējieties zemāk.",
}


@pytest.fixture(autouse=True)
def _cold_caches(app):
    caching.render_cache(app).clear()


def training(expert, moderator, **values):
    event = make_event(slug="riga-translated", city="Riga", country="LV")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child")
    values.setdefault("title", "Protecting children: training in Riga")
    values.setdefault("description", "Based on the PROTECT Guidelines: identification and hearing the child.")
    return published_page(expert, moderator, event, **values)


def translated(page, expert, moderator, language="lv", fields=None):
    """A published translation of ``page`` (through the services, as the HTTP tests below do it by hand)."""
    translation = translations.create(expert, page.id, language)
    db.session.commit()
    translation = translations.save(expert, page.id, language, translation.version, fields or LATVIAN)
    translation = translations.submit(expert, page.id, language, translation.version)
    translation = translations.approve(moderator, page.id, language, translation.version)
    translations.publish(moderator, page.id, language, translation.version)
    db.session.commit()
    return translations.load(page.id, language)


def republish(page, expert, moderator, **changes):
    return publish(approve(submit(edit(page, expert, **changes), expert), moderator), moderator)


def _version(client, url: str) -> int:
    body = client.get(url).get_data(as_text=True)
    return int(re.search(r'name="version" value="(\d+)"', body).group(1))


# Adding, reviewing, publishing ---------------------------------------------------------------------------------


def test_an_expert_adds_a_translation_and_a_moderator_reviews_approves_and_publishes_it(
    expert_client, moderator_client, expert, moderator, client
):
    page = training(expert, moderator)
    overview = expert_client.get(f"/publishing/{page.id}").get_data(as_text=True)
    assert 'id="translations"' in overview and '<option value="lv">' in overview

    added = expert_client.post(f"/publishing/{page.id}/translations", data={"language": "lv"})
    assert added.status_code == 303 and added.headers["Location"].endswith(f"/publishing/{page.id}/translations/lv")
    url = f"/publishing/{page.id}/translations/lv"
    workspace = expert_client.get(url).get_data(as_text=True)
    assert "Protecting children: training in Riga" in workspace  # the source beside the fields
    assert 'lang="lv"' in workspace  # the translation's fields are marked as Latvian

    saved = expert_client.post(
        f"{url}/edit", data={**LATVIAN, "version": _version(expert_client, url), "source_version": page.live_version}
    )
    assert saved.status_code == 303
    submitted = expert_client.post(f"{url}/submit", data={"version": _version(expert_client, url)})
    assert submitted.status_code == 303
    assert translations.load(page.id, "lv").state == "in_review"
    # Nothing public yet: a Latvian visitor still gets the English page, with the note.
    assert "Bērnu aizsardzība" not in client.get(f"/programme/{page.slug}?lang=lv").get_data(as_text=True)

    approved = moderator_client.post(f"{url}/approve", data={"version": _version(moderator_client, url)})
    assert approved.status_code == 303 and translations.load(page.id, "lv").state == "approved"
    published = moderator_client.post(f"{url}/publish", data={"version": _version(moderator_client, url)})
    assert published.status_code == 303
    translation = translations.load(page.id, "lv")
    assert (translation.state, translation.live_version, translation.source_version) == ("published", 1, 1)
    snapshot = db.session.execute(
        select(ProgrammeSnapshot).where(ProgrammeSnapshot.page_id == page.id, ProgrammeSnapshot.language == "lv")
    ).scalar_one()
    assert (snapshot.version, snapshot.source_version, snapshot.content["fields"]["title"]) == (1, 1, LATVIAN["title"])
    assert "Bērnu aizsardzība" in client.get(f"/programme/{page.slug}?lang=lv").get_data(as_text=True)
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"programme.translation_created", "programme.translation_published"} <= actions


def test_a_send_back_needs_a_comment_and_returns_the_translation_to_draft(moderator_client, expert, moderator):
    page = training(expert, moderator)
    translation = translations.create(expert, page.id, "lv")
    translation = translations.save(expert, page.id, "lv", translation.version, LATVIAN)
    translations.submit(expert, page.id, "lv", translation.version)
    db.session.commit()
    url = f"/publishing/{page.id}/translations/lv"
    refused = moderator_client.post(f"{url}/send-back", data={"version": _version(moderator_client, url)})
    assert refused.status_code == 422 and "the translator sees this comment" in refused.get_data(as_text=True)
    sent = moderator_client.post(
        f"{url}/send-back", data={"version": _version(moderator_client, url), "comment": "Check the title."}
    )
    assert sent.status_code == 303 and translations.load(page.id, "lv").state == "draft"


def test_a_page_that_is_not_published_gets_no_translation(expert, moderator):
    page = make_page(expert)
    with pytest.raises(RuleViolation) as refused:
        translations.create(expert, page.id, "lv")
    assert refused.value.status == 409
    published = training(expert, moderator)
    for language in ("en", "xx", ""):
        with pytest.raises(RuleViolation):
            translations.create(expert, published.id, language)
    translations.create(expert, published.id, "lv")
    with pytest.raises(RuleViolation) as twice:
        translations.create(expert, published.id, "lv")
    assert twice.value.status == 409


# Serving the visitor's language -------------------------------------------------------------------------------


def test_a_latvian_visitor_gets_the_translation_at_the_plain_address_and_at_lang(client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    url = f"/programme/{page.slug}"
    for response in (
        client.get(url, headers={"Accept-Language": "lv,en;q=0.5"}),
        client.get(f"{url}?lang=lv"),
    ):
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert '<html lang="lv"' in body
        assert f'<h1 id="training-title">{LATVIAN["title"]}</h1>' in body  # Latvian in a Latvian interface
        assert "Protecting children: training in Riga" not in body.split("<article", 1)[1]
        assert "data-language-note" not in body
        # The agenda stays in the working language, marked so.
        assert '<span lang="en">Hearing the child</span>' in body
    english = client.get(url).get_data(as_text=True)
    assert '<h1 id="training-title">Protecting children: training in Riga</h1>' in english
    assert LATVIAN["title"] not in english and "data-language-note" not in english
    # The Latvian page in another interface (the cookie chose German): its texts are marked as Latvian.
    client.set_cookie("lang", "de")
    german = client.get(url).get_data(as_text=True)
    assert 'data-language-note="missing"' in german


def opening(code: str, message: str) -> str:
    """What a reader of ``code`` sees of ``message`` before its first placeholder (from the catalogue)."""
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale=code)
    found = next(m for m in catalogue if m.id and not m.pluralizable and m.id.startswith(message))
    assert found.string and found.string != found.id
    return found.string.split("%(")[0].strip()


def test_where_no_translation_exists_the_source_is_shown_with_a_note_in_the_visitors_language(
    client, expert, moderator
):
    page = training(expert, moderator)
    body = client.get(f"/programme/{page.slug}?lang=de").get_data(as_text=True)
    assert '<html lang="de"' in body and 'data-language-note="missing"' in body
    missing = "This page is not available in %(language)s. It is shown in %(source)s."
    assert opening("de", missing) in body and "Deutsch" in body  # the note in German, naming German
    assert '<h1 id="training-title" lang="en">Protecting children: training in Riga</h1>' in body
    printed = client.get(f"/programme/{page.slug}/print?lang=de").get_data(as_text=True)
    assert 'data-language-note="missing"' in printed


def test_a_translation_is_out_of_date_as_soon_as_the_source_is_republished(client, expert_client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    url = f"/programme/{page.slug}?lang=lv"
    current = client.get(url)
    assert "data-language-note" not in current.get_data(as_text=True)

    page = republish(
        page,
        expert,
        moderator,
        description="Based on the PROTECT Guidelines: identification and interviewing the child.",
    )
    again = client.get(url)
    body = again.get_data(as_text=True)
    assert again.headers["ETag"] != current.headers["ETag"]
    assert 'data-language-note="out-of-date"' in body
    assert opening("lv", "This translation is of an earlier version; the %(language)s version changed on") in body
    assert f'href="/programme/{page.slug}?lang=en"' in body  # the link to the source
    assert LATVIAN["title"] in body  # still the translation, with the note

    overview = expert_client.get(f"/publishing/{page.id}").get_data(as_text=True)
    row = overview.split('data-translation="lv"', 1)[1].split("</li>", 1)[0]
    assert "data-out-of-date" in row
    workspace = expert_client.get(f"/publishing/{page.id}/translations/lv").get_data(as_text=True)
    assert "data-out-of-date" in workspace and "data-public-out-of-date" in workspace
    changes = workspace.split("data-source-changes", 1)[1].split("</section>", 1)[0]
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?hearing", changes)
    assert re.search(r"<ins>(<span[^>]*>[^<]*</span>)?interviewing", changes)
    assert "Description" in changes and "Public title" not in changes  # only what changed

    # The translator brings the change over: saved against the live version, then published, it is current.
    translation = translations.load(page.id, "lv")
    translation = translations.save(expert, page.id, "lv", translation.version, LATVIAN, page.live_version)
    assert translation.source_version == page.live_version
    assert "data-out-of-date" not in expert_client.get(f"/publishing/{page.id}/translations/lv").get_data(as_text=True)


def test_a_withdrawn_translation_leaves_the_source_with_the_note(client, moderator_client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    refused = moderator_client.post(f"/publishing/{page.id}/translations/lv/withdraw", data={"reason": ""})
    assert refused.status_code == 422
    withdrawn = moderator_client.post(
        f"/publishing/{page.id}/translations/lv/withdraw", data={"reason": "Mistranslated dates."}
    )
    assert withdrawn.status_code == 303
    body = client.get(f"/programme/{page.slug}?lang=lv").get_data(as_text=True)
    assert LATVIAN["title"] not in body and 'data-language-note="missing"' in body


# Alternates ---------------------------------------------------------------------------------------------------


def test_the_page_head_and_the_sitemap_name_every_language_version(client, expert, moderator):
    page = training(expert, moderator)
    before = client.get("/sitemap.xml")
    translated(page, expert, moderator)
    base = f"http://localhost/programme/{page.slug}"
    for url in (f"/programme/{page.slug}", f"/programme/{page.slug}?lang=lv"):
        head = client.get(url).get_data(as_text=True).split("</head>", 1)[0]
        assert f'<link rel="alternate" hreflang="en" href="{base}?lang=en">' in head
        assert f'<link rel="alternate" hreflang="lv" href="{base}?lang=lv">' in head
        assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in head
    assert f'<link rel="canonical" href="{base}?lang=lv">' in client.get(f"/programme/{page.slug}?lang=lv").get_data(
        as_text=True
    )
    sitemap = client.get("/sitemap.xml")
    assert sitemap.headers["ETag"] != before.headers["ETag"]
    text = sitemap.get_data(as_text=True)
    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in text
    assert f"<loc>{base}?lang=lv</loc>" in text and f"<loc>{base}</loc>" in text
    assert f'<xhtml:link rel="alternate" hreflang="lv" href="{base}?lang=lv"/>' in text
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)


def test_the_calendar_says_the_language_of_its_texts(client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    english = client.get(f"/programme/{page.slug}/calendar.ics").get_data(as_text=True)
    assert "SUMMARY;LANGUAGE=en:Protecting children: training in Riga" in english
    latvian = client.get(f"/programme/{page.slug}/calendar.ics?lang=lv").get_data(as_text=True)
    unfolded = latvian.replace("\r\n ", "")
    assert f"SUMMARY;LANGUAGE=lv:{LATVIAN['title']}" in unfolded
    assert "DESCRIPTION;LANGUAGE=lv:" in unfolded
    # The places and the sessions are in the working language (test_translation_review.py says more).
    assert "LOCATION;LANGUAGE=lv" not in unfolded
    assert "SUMMARY;LANGUAGE=en:Hearing the child" in english


# Permissions, from the forbidden side -------------------------------------------------------------------------


def test_a_visitor_cannot_add_see_or_edit_a_translation(client, expert, moderator):
    page = training(expert, moderator)
    translated(page, expert, moderator)
    for url, method in (
        (f"/publishing/{page.id}/translations", "post"),
        (f"/publishing/{page.id}/translations/lv", "get"),
        (f"/publishing/{page.id}/translations/lv/edit", "post"),
        (f"/publishing/{page.id}/translations/lv/preview", "get"),
    ):
        response = getattr(client, method)(url, data={"language": "de", **LATVIAN, "version": 1})
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], url
    assert db.session.execute(select(ProgrammeTranslation.language)).scalars().all() == ["lv"]
    assert translations.load(page.id, "lv").fields == LATVIAN


def test_an_expert_cannot_approve_publish_send_back_or_withdraw_a_translation(expert_client, expert, moderator):
    page = training(expert, moderator)
    translation = translations.create(expert, page.id, "lv")
    translation = translations.save(expert, page.id, "lv", translation.version, LATVIAN)
    translation = translations.submit(expert, page.id, "lv", translation.version)
    db.session.commit()
    url = f"/publishing/{page.id}/translations/lv"
    for step in ("approve", "publish", "send-back", "withdraw"):
        data = {"version": translation.version, "comment": "No.", "reason": "No."}
        assert expert_client.post(f"{url}/{step}", data=data).status_code == 403, step
    assert translations.load(page.id, "lv").state == "in_review"
    # The services refuse too, whoever calls them.
    for step in (translations.approve, translations.publish):
        with pytest.raises(RuleViolation) as refused:
            step(expert, page.id, "lv", translation.version)
        assert refused.value.status == 403
    with pytest.raises(RuleViolation) as refused:
        translations.withdraw(expert, page.id, "lv", "No.")
    assert refused.value.status == 403


# In the workspace ---------------------------------------------------------------------------------------------


def test_translation_steps_are_listed_with_the_translation_and_waiting_ones_on_the_dashboard(
    expert_client, moderator_client, expert, moderator
):
    from protect.programme import dashboard_panel

    page = training(expert, moderator)
    translation = translations.create(expert, page.id, "lv")
    translation = translations.save(expert, page.id, "lv", translation.version, LATVIAN)
    translations.submit(expert, page.id, "lv", translation.version)
    db.session.commit()
    history = expert_client.get(f"/publishing/{page.id}").get_data(as_text=True).split('id="history-title"', 1)[1]
    assert "Submitted for review" in history  # the page's own step
    assert history.count("Submitted for review") == 1  # not the translation's
    own = expert_client.get(f"/publishing/{page.id}/translations/lv").get_data(as_text=True)
    assert "Submitted for review" in own.split('id="translation-history-title"', 1)[1]
    panel = dashboard_panel(moderator)
    assert [(one.language, one.title) for one, _name in panel["translations"]] == [("lv", page.title)]
    dashboard = moderator_client.get("/dashboard").get_data(as_text=True)
    assert f'href="/publishing/{page.id}/translations/lv"' in dashboard


def test_the_list_shows_each_training_in_the_visitors_language_where_it_has_a_translation(client, expert, moderator):
    from tests.conftest import count_queries

    page = training(expert, moderator)
    other = published_page(expert, moderator, make_event(slug="tallinn-untranslated"), title="Training in Tallinn")
    before = client.get("/programme/?lang=lv")
    translated(page, expert, moderator)
    latvian = client.get("/programme/?lang=lv")
    body = latvian.get_data(as_text=True)
    assert latvian.headers["ETag"] != before.headers["ETag"]
    assert f">{LATVIAN['title']}</a>" in body
    assert f'href="/programme/{other.slug}" lang="en">Training in Tallinn</a>' in body  # no translation: English
    english = client.get("/programme/").get_data(as_text=True)
    assert LATVIAN["title"] not in english and ">Protecting children: training in Riga</a>" in english
    with count_queries() as statements:
        assert client.get("/programme/?lang=lv").get_data(as_text=True) == body
    assert len(statements) == 1
