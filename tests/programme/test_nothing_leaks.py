"""Nothing that is not published appears anywhere public: not in a page, the list, a search, the iCalendar
files, the sitemap, the registration form or an error message — in every state but published."""

from __future__ import annotations

import pytest

from protect.extensions import db
from protect.programme import services
from tests.programme.factories import (
    add_item,
    approve,
    edit,
    make_event,
    page_in_state,
    published_page,
    registration_form,
    submit,
)

MARKER = "Quokkamarker"
HIDDEN_STATES = ["draft", "in_review", "approved", "withdrawn"]


def secret_page(state: str, expert, moderator):
    """A page in ``state`` whose every public-facing field and agenda item carries the marker."""
    event = make_event(title=f"{MARKER} event", slug=f"{MARKER.lower()}-2027-training", city="Reykjavik", country="IS")
    add_item(event, 1, "09:00", "10:00", title=f"{MARKER} session", speakers=f"{MARKER} speaker")
    return page_in_state(
        state,
        expert,
        moderator,
        event,
        title=f"{MARKER} training",
        summary=f"{MARKER} summary",
        description=f"{MARKER} description",
        how_to_take_part=f"{MARKER} how to take part",
        venue=f"{MARKER} venue",
        audiences=["ngo"],
    )


def public_urls(slug: str) -> list[str]:
    return [
        "/programme/",
        f"/programme/?q={MARKER}",
        f"/programme/?q={MARKER.lower()}",
        "/programme/?country=IS",
        "/programme/?audience=ngo",
        "/programme/calendar.ics",
        "/sitemap.xml",
        f"/programme/{slug}",
        f"/programme/{slug}/print",
        f"/programme/{slug}/calendar.ics",
        f"/programme/{slug}/register",
        f"/programme/{slug}/registered",
    ]


def without_echoed_query(body: str, url: str) -> str:
    """The list repeats what was searched for (in the search box and the count), and the language switch links
    back to the address asked for (``next=<path>``): that is the visitor's own input, not a leak."""
    if "?q=" in url:
        query = url.split("?q=", 1)[1]
        body = body.replace(f'value="{query}"', "").replace(f"“{query}”", "")
    return body.replace(f"?next={url.split('?', 1)[0]}", "?next=")


@pytest.fixture
def visitors(client, moderator_client):
    """The public site as an anonymous visitor and as a signed-in moderator: neither sees unpublished pages."""
    return {"anonymous": client, "moderator": moderator_client}


@pytest.mark.parametrize("state", HIDDEN_STATES)
@pytest.mark.parametrize("who", ["anonymous", "moderator"])
def test_no_public_address_shows_anything_of_a_page_that_is_not_published(state, who, visitors, expert, moderator):
    control = published_page(expert, moderator, title="Published control training")
    page = secret_page(state, expert, moderator)
    client = visitors[who]
    for url in public_urls(page.slug):
        response = client.get(url)
        body = without_echoed_query(response.get_data(as_text=True), url)
        assert response.status_code < 500, url
        assert MARKER not in body, f"{url} shows the {state} page"
        assert MARKER.lower() not in body, f"{url} shows the {state} page's address"
    # The control proves the list, the feed and the sitemap would show a published page.
    assert "Published control training" in client.get("/programme/").get_data(as_text=True)
    assert "Published control training" in client.get("/programme/calendar.ics").get_data(as_text=True)
    assert f"/programme/{control.slug}" in client.get("/sitemap.xml").get_data(as_text=True)
    # Searching for the marker finds nothing; the count says so.
    assert "0 trainings match" in client.get(f"/programme/?q={MARKER}").get_data(as_text=True)


@pytest.mark.parametrize("state", ["draft", "in_review", "approved"])
def test_a_never_published_page_answers_exactly_like_an_address_that_does_not_exist(state, client, expert, moderator):
    page = secret_page(state, expert, moderator)
    for suffix in ("", "/print", "/calendar.ics", "/register"):
        unknown = client.get(f"/programme/no-such-training{suffix}")
        hidden = client.get(f"/programme/{page.slug}{suffix}")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.get_data() == unknown.get_data()
    posted = client.post(f"/programme/{page.slug}/register", data=registration_form())
    assert posted.status_code == 404
    assert MARKER not in posted.get_data(as_text=True)


def test_a_withdrawn_page_answers_410_with_the_reason_but_none_of_its_text(client, expert, moderator):
    page = secret_page("withdrawn", expert, moderator)
    for suffix in ("", "/print", "/calendar.ics", "/register"):
        response = client.get(f"/programme/{page.slug}{suffix}")
        assert response.status_code == 410
        body = response.get_data(as_text=True)
        assert "was withdrawn" in body and "The host had to cancel the training." in body
        assert MARKER not in body


def test_a_draft_edit_after_publishing_changes_nothing_public(client, expert, moderator):
    event = make_event(country="EE", city="Tallinn")
    opening = add_item(event, 1, "09:00", "10:00", title="Opening as published")
    page = published_page(expert, moderator, event, title="Training in Tallinn", description="As published.")
    urls = [
        f"/programme/{page.slug}",
        f"/programme/{page.slug}/print",
        f"/programme/{page.slug}/calendar.ics",
        "/programme/",
        "/programme/?q=tallinn",
        "/programme/calendar.ics",
        "/sitemap.xml",
    ]
    before = {url: client.get(url) for url in urls}
    assert "Opening as published" in before[f"/programme/{page.slug}"].get_data(as_text=True)

    # The working copy and the agenda change, go through review and are approved — but not published.
    page = edit(page, expert, title=f"{MARKER} title", description=f"{MARKER} description", venue=f"{MARKER} hall")
    opening.title = f"{MARKER} opening"
    db.session.commit()
    add_item(event, 2, "09:00", "10:00", title=f"{MARKER} new session")
    page = approve(submit(page, expert), moderator)

    for url in urls:
        after = client.get(url)
        assert after.status_code == 200
        assert after.get_data() == before[url].get_data(), f"{url} changed before publishing"
        assert after.headers["ETag"] == before[url].headers["ETag"], url
        assert MARKER not in after.get_data(as_text=True)

    services.publish(moderator, page.id, page.version)
    db.session.commit()
    published = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert f"{MARKER} title" in published and f"{MARKER} new session" in published
    assert "Opening as published" not in published
