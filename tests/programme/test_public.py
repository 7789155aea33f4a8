"""The public site: the list with its filters and search, a page per training, print, iCalendar, sitemap,
meta tags, and HTTP caching (ETag, Last-Modified, 304) for visitors — without a cookie."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

from icalendar import Calendar

from protect.core.database import utcnow
from protect.core.i18n import TRANSLATIONS
from protect.extensions import db
from protect.programme import caching, services
from tests.conftest import count_queries
from tests.programme.factories import (
    NEXT_MARCH_16,
    add_item,
    approve,
    edit,
    make_event,
    publish,
    published_page,
    submit,
)


def a_published_training(expert, moderator, **event_fields):
    fields = {"title": "Riga event", "city": "Riga", "country": "LV", "slug": "riga-2027-training"}
    fields.update(event_fields)
    event = make_event(**fields)
    add_item(event, 1, "09:00", "10:30", title="Identification of victims", speakers="Erik Lindqvist", kind="workshop")
    add_item(event, 1, "10:30", "10:45", title="Coffee break", kind="break")
    add_item(event, 2, "09:00", "10:00", title="Cross-border case work", notes="Contact points and **consent**.")
    return published_page(
        expert,
        moderator,
        event,
        title="Protecting children on the move: training in Riga",
        summary="Two days for the professionals of Latvia.",
        venue="Ministry of Welfare",
    )


def test_a_training_page_shows_the_published_programme_with_days_side_by_side(client, expert, moderator):
    page = a_published_training(expert, moderator)
    response = client.get(f"/programme/{page.slug}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<h1 id="training-title">Protecting children on the move: training in Riga</h1>' in body
    assert f"16\u2009–\u200917 Mar {NEXT_MARCH_16.year}" in body and "Ministry of Welfare, Riga, Latvia" in body
    assert "Law enforcement, Child welfare" in body and "English" in body
    assert body.count('class="programme-day"') == 2
    assert "Identification of victims" in body and "Erik Lindqvist" in body
    assert "Contact points and <strong>consent</strong>." in body  # notes are Markdown, sanitised
    assert "Times are local times in Riga (Europe/Riga)" in body
    assert "How to take part" in body and f'href="/programme/{page.slug}/register"' in body
    assert f'href="/programme/{page.slug}/calendar.ics"' in body and f'href="/programme/{page.slug}/print"' in body


def test_meta_tags_give_shared_links_a_title_and_a_summary(client, expert, moderator):
    page = a_published_training(expert, moderator)
    body = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert '<meta property="og:title" content="Protecting children on the move: training in Riga">' in body
    description = f"16\u2009–\u200917 Mar {NEXT_MARCH_16.year}, Riga, Latvia. Two days for the professionals of Latvia."
    assert f'<meta name="description" content="{description}">' in body
    assert f'<meta property="og:description" content="{description}">' in body
    assert f'<link rel="canonical" href="http://localhost/programme/{page.slug}">' in body


def test_public_pages_set_no_cookie_and_may_be_cached_by_anyone(client, expert, moderator):
    page = a_published_training(expert, moderator)
    for url in (
        "/programme/",
        f"/programme/{page.slug}",
        f"/programme/{page.slug}/print",
        f"/programme/{page.slug}/calendar.ics",
        "/programme/calendar.ics",
        "/sitemap.xml",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, no-cache", url  # revalidated: a withdrawal shows at once
        assert response.headers["ETag"] and response.headers["Last-Modified"], url


def test_nginx_may_keep_a_public_page_until_the_end_of_the_second_and_never_a_members(
    client, moderator_client, expert, moderator
):
    page = a_published_training(expert, moderator)
    url = f"/programme/{page.slug}"
    before = int(time.time())
    response = client.get(url)
    stamp = response.headers["X-Accel-Expires"]
    assert stamp.startswith("@") and before <= int(stamp[1:]) <= int(time.time())
    revalidated = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.headers["X-Accel-Expires"].startswith("@")
    assert "X-Accel-Expires" not in moderator_client.get(url).headers
    assert "X-Accel-Expires" not in client.get("/login").headers


def test_revalidation_answers_304_by_etag_and_by_date(client, expert, moderator):
    page = a_published_training(expert, moderator)
    url = f"/programme/{page.slug}"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"].startswith("public")
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    earlier = (utcnow() - timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    for other in ("/programme/", "/programme/calendar.ics", "/sitemap.xml", f"/programme/{page.slug}/calendar.ics"):
        tag = client.get(other).headers["ETag"]
        assert client.get(other, headers={"If-None-Match": tag}).status_code == 304, other


def test_publishing_a_new_version_changes_the_validators(client, expert, moderator):
    page = a_published_training(expert, moderator)
    url = f"/programme/{page.slug}"
    old = client.get(url)
    list_tag = client.get("/programme/").headers["ETag"]
    page = edit(page, expert, summary="New summary.")
    publish(approve(submit(page, expert), moderator), moderator)
    assert client.get(url, headers={"If-None-Match": old.headers["ETag"]}).status_code == 200
    assert client.get("/programme/", headers={"If-None-Match": list_tag}).status_code == 200


def test_members_get_the_page_uncached_and_never_a_304(moderator_client, expert, moderator):
    page = a_published_training(expert, moderator)
    url = f"/programme/{page.slug}"
    response = moderator_client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers
    tag = caching.make_etag("page", 1, "x", True)
    assert moderator_client.get(url, headers={"If-None-Match": tag}).status_code == 200
    assert moderator_client.get(url, headers={"If-None-Match": "*"}).status_code == 200


def test_the_rendered_snapshot_is_cached_per_version(client, app, expert, moderator):
    page = a_published_training(expert, moderator)
    bodies = caching.render_cache(app)
    bodies.clear()
    before = (bodies.misses, bodies.hits)
    first = client.get(f"/programme/{page.slug}").get_data()
    second = client.get(f"/programme/{page.slug}").get_data()
    assert first == second
    after = (bodies.misses, bodies.hits)
    # The first visit renders the snapshot's body; the second finds it rendered (the page around it is made again).
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (1, 1)


def test_rendered_pages_and_list_entries_are_served_without_reading_the_snapshots_content(
    client, app, expert, moderator
):
    page = a_published_training(expert, moderator)
    caching.render_cache(app).clear()
    for url in (f"/programme/{page.slug}", f"/programme/{page.slug}/print"):
        first = client.get(url).get_data(as_text=True)
        assert "<title>Protecting children on the move: training in Riga" in first, url
        with count_queries() as statements:
            assert client.get(url).get_data(as_text=True) == first
        assert len(statements) == 1 and "content" not in statements[0].lower(), (url, statements)
    first = client.get("/programme/").get_data(as_text=True)
    with count_queries() as statements:
        assert client.get("/programme/").get_data(as_text=True) == first
    assert len(statements) == 1 and "content" not in statements[0].lower(), statements


def test_the_lists_entries_are_rendered_once_per_version(client, app, expert, moderator):
    page = a_published_training(expert, moderator)
    cards = caching.render_cache(app)
    cards.clear()
    first = client.get("/programme/").get_data(as_text=True)
    misses = cards.misses
    assert client.get("/programme/?q=nothing+matches").status_code == 200
    assert client.get("/programme/").get_data(as_text=True) == first and cards.misses == misses
    page = approve(submit(edit(page, expert, title="Training in Riga, new dates"), expert), moderator)
    publish(page, moderator)
    assert "Training in Riga, new dates" in client.get("/programme/").get_data(as_text=True)
    assert cards.misses == misses + 1


def test_the_list_separates_upcoming_and_past_trainings(client, expert, moderator):
    today = utcnow().date()
    published_page(
        expert, moderator, make_event(first_day=today + timedelta(days=40), slug="soon"), title="Upcoming in Oslo"
    )
    published_page(expert, moderator, make_event(first_day=date(2016, 3, 15), slug="old"), title="Held in Riga 2016")
    body = client.get("/programme/").get_data(as_text=True)
    upcoming, past = body.split('id="past-title"')
    assert "Upcoming in Oslo" in upcoming and "Held in Riga 2016" not in upcoming
    assert "Held in Riga 2016" in past
    assert "2 trainings published." in body
    old = client.get("/programme/old").get_data(as_text=True)
    assert "This training has taken place; registrations are closed." in old
    assert 'href="/programme/old/register"' not in old


def test_the_list_filters_by_country_and_audience_and_searches_published_text(client, expert, moderator):
    published_page(expert, moderator, make_event(country="EE", city="Tallinn", slug="tallinn"), title="In Tallinn")
    published_page(
        expert,
        moderator,
        make_event(country="LT", city="Vilnius", slug="vilnius"),
        title="In Vilnius",
        audiences=["ngo"],
    )
    riga = make_event(country="LV", city="Rīga", slug="riga")
    add_item(riga, 1, "09:00", "10:00", title="Hearing the child", speakers="Aino Virtanen")
    published_page(expert, moderator, riga, title="In Riga")

    def titles(query: str) -> list[str]:
        body = client.get(f"/programme/{query}").get_data(as_text=True)
        return [title for title in ("In Tallinn", "In Vilnius", "In Riga") if f">{title}</a>" in body]

    assert titles("") == ["In Tallinn", "In Vilnius", "In Riga"]
    assert titles("?country=EE") == ["In Tallinn"]
    assert titles("?audience=ngo") == ["In Vilnius"]
    assert titles("?audience=child_welfare") == ["In Tallinn", "In Riga"]
    assert titles("?q=aino") == ["In Riga"]  # a speaker on the agenda
    assert titles("?q=RIGA") == ["In Riga"]  # without regard to case and accents ("Rīga")
    assert titles("?q=virtanen+hearing") == ["In Riga"]  # every word must match
    assert titles("?q=virtanen+tallinn") == []
    assert titles("?q=100%25") == []  # LIKE wildcards are searched for literally
    assert titles("?country=ZZ&audience=nonsense") == ["In Tallinn", "In Vilnius", "In Riga"]  # unknown: ignored
    assert "1 training matches “aino”." in client.get("/programme/?q=aino").get_data(as_text=True)


def test_the_print_version_has_the_programme_and_a_print_button(client, expert, moderator):
    page = a_published_training(expert, moderator)
    body = client.get(f"/programme/{page.slug}/print").get_data(as_text=True)
    assert "programme-days--stacked" in body and "Identification of victims" in body
    assert "data-print" in body and "js/programme.js" in body
    assert f'href="/programme/{page.slug}/register"' not in body


def test_the_icalendar_file_has_the_training_and_its_sessions_in_local_time(client, expert, moderator):
    page = a_published_training(expert, moderator)
    response = client.get(f"/programme/{page.slug}/calendar.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    events = calendar.walk("VEVENT")
    assert len(events) == 4  # the training itself and its three sessions
    whole = events[0]
    assert str(whole["summary"]) == "Protecting children on the move: training in Riga"
    assert whole.decoded("dtstart") == NEXT_MARCH_16
    assert whole.decoded("dtend") == NEXT_MARCH_16 + timedelta(days=2)
    assert "http://localhost/programme/" in str(whole["url"])
    session = events[1]
    assert str(session["summary"]) == "Identification of victims (Workshop)"
    start = session.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (9, 0, "Europe/Riga")


def test_the_feed_and_the_sitemap_list_every_published_training(client, expert, moderator):
    page = a_published_training(expert, moderator)
    other = published_page(expert, moderator, make_event(slug="tallinn-2027"), title="In Tallinn")
    feed = Calendar.from_ical(client.get("/programme/calendar.ics").get_data())
    assert sorted(str(event["summary"]) for event in feed.walk("VEVENT")) == [
        "In Tallinn",
        "Protecting children on the move: training in Riga",
    ]
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    text = sitemap.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    for slug in (page.slug, other.slug):
        assert f"<loc>http://localhost/programme/{slug}</loc>" in text
    assert "<loc>http://localhost/programme/</loc>" in text and "<loc>http://localhost/</loc>" in text


def test_the_public_base_url_is_used_for_absolute_links(app, client, expert, moderator):
    page = a_published_training(expert, moderator)
    app.config["BASE_URL"] = "https://protect.example.org"
    try:
        text = client.get("/sitemap.xml").get_data(as_text=True)
        body = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    finally:
        app.config["BASE_URL"] = ""
    assert f"<loc>https://protect.example.org/programme/{page.slug}</loc>" in text
    assert f'<link rel="canonical" href="https://protect.example.org/programme/{page.slug}">' in body


def test_an_unknown_address_is_404_and_the_list_links_work_without_data(client):
    response = client.get("/programme/no-such-training")
    assert response.status_code == 404
    assert "There is no published training at this address." in response.get_data(as_text=True)
    empty = client.get("/programme/").get_data(as_text=True)
    assert "No upcoming trainings are announced yet." in empty and "0 trainings published." in empty
    assert client.get("/programme/calendar.ics").status_code == 200
    assert client.get("/sitemap.xml").status_code == 200


def test_the_about_page_and_the_navigation_lead_to_the_programme(client):
    body = client.get("/").get_data(as_text=True)
    assert 'href="/programme/"' in body
    assert "See the trainings and how to take part" in body


def _queries(client, url: str) -> int:
    caching.render_cache(client.application).clear()  # the most a visit takes: nothing rendered yet
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_public_pages_run_a_few_queries_whatever_the_number_of_trainings(client, expert, moderator):
    page = a_published_training(expert, moderator)
    urls = ["/programme/", "/programme/?q=riga&country=LV", f"/programme/{page.slug}", f"/programme/{page.slug}/print"]
    urls += ["/programme/calendar.ics", "/sitemap.xml", f"/programme/{page.slug}/calendar.ics"]
    small = {url: _queries(client, url) for url in urls}
    for n in range(12):
        event = make_event(slug=f"more-{n}")
        add_item(event, 1, "09:00", "10:00", title=f"Session {n}")
        published_page(expert, moderator, event, title=f"More {n}")
    large = {url: _queries(client, url) for url in urls}
    assert small == large
    assert max(large.values()) <= 2


def test_a_withdrawal_makes_the_list_newer_for_date_based_revalidation(client, expert, moderator):
    page = a_published_training(expert, moderator)
    first = client.get("/programme/")
    modified = first.headers["Last-Modified"]
    assert client.get("/programme/", headers={"If-Modified-Since": modified}).status_code == 304
    services.withdraw(moderator, page.id, "Cancelled.", when=utcnow() + timedelta(seconds=5))
    db.session.commit()
    for url in ("/programme/", "/programme/calendar.ics", "/sitemap.xml"):
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200, url
    assert client.get("/programme/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    assert "0 trainings published." in client.get("/programme/").get_data(as_text=True)


def test_a_filtered_list_revalidates_on_what_it_shows(client, expert, moderator):
    """The list's ETag is made from the trainings it shows: another country's news leaves it valid (304), the
    withdrawal of one it shows does not, by ETag or by date, whichever it was and even when none is left."""
    riga = a_published_training(expert, moderator)
    jurmala = published_page(expert, moderator, make_event(slug="jurmala-2027", country="LV"), title="In Jurmala")
    url = "/programme/?country=LV"
    first = client.get(url)
    assert first.status_code == 200 and "2 trainings match." in first.get_data(as_text=True)
    published_page(expert, moderator, make_event(slug="tallinn-2027", country="EE"), title="In Tallinn")
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    for seconds, page, left in ((5, jurmala, "1 training matches."), (10, riga, "0 trainings match.")):
        before = client.get(url)
        etag, modified = before.headers["ETag"], before.headers["Last-Modified"]
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        services.withdraw(moderator, page.id, "Cancelled.", when=utcnow() + timedelta(seconds=seconds))
        db.session.commit()
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200
        assert left in client.get(url).get_data(as_text=True)


def test_a_new_catalogue_makes_the_public_pages_newer_for_date_based_revalidation(client, expert, moderator):
    """A translation deployed without any change to the page: a copy revalidated by its date is not confirmed."""
    page = a_published_training(expert, moderator)
    url = f"/programme/{page.slug}?lang=de"
    modified = client.get(url).headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    compiled = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"
    before = compiled.stat()
    # Newer than the page by an hour, whenever the catalogues were compiled (an hour after their compile time
    # could still be before the page was published: the test then depended on when `make translations` ran).
    os.utime(compiled, (before.st_atime, max(before.st_mtime, time.time()) + 3600))
    try:
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200
    finally:
        os.utime(compiled, (before.st_atime, before.st_mtime))
