"""The public pages read what is live at every request and keep only what is rendered from immutable snapshots:
a withdrawal, a new published version or another worker's change reaches the very next request; nothing
unpublished ever shows; members and visitors with a message never get a page made for anyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from protect.extensions import db
from protect.programme import caching, services, views
from tests.programme.factories import add_item, approve, edit, make_event, publish, published_page, submit, today

URLS = ("/programme/", "/programme/{slug}", "/programme/{slug}/print", "/programme/?q=tallinn")


@pytest.fixture(autouse=True)
def _cold_caches(app):
    caching.render_cache(app).clear()


def tallinn(expert, moderator, **values):
    event = make_event(slug="tallinn-2027-training", city="Tallinn", country="EE")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child")
    return published_page(expert, moderator, event, title="Training in Tallinn", **values)


def visit(client, page) -> dict[str, tuple[int, str]]:
    """Every public URL twice (the second with the snapshot's body from the render cache): the same answers."""
    seen = {}
    for url in (u.format(slug=page.slug) for u in URLS):
        first, second = client.get(url), client.get(url)
        assert (first.status_code, first.get_data()) == (second.status_code, second.get_data()), url
        seen[url] = (first.status_code, first.get_data(as_text=True))
    return seen


def test_a_withdrawal_takes_the_cached_page_and_list_entry_off_at_once(client, expert, moderator):
    page = tallinn(expert, moderator)
    before = visit(client, page)
    assert all(status == 200 and "Training in Tallinn" in body for status, body in before.values())
    services.withdraw(moderator, page.id, "Cancelled by the host.")
    db.session.commit()
    after = visit(client, page)
    assert after[f"/programme/{page.slug}"][0] == 410 and after[f"/programme/{page.slug}/print"][0] == 410
    for url, (_status, body) in after.items():
        assert "Training in Tallinn" not in body and "Hearing the child" not in body, url
    assert "0 trainings published." in after["/programme/"][1]


def test_a_new_version_shows_only_once_it_is_published(client, expert, moderator):
    page = tallinn(expert, moderator)
    visit(client, page)
    page = edit(page, expert, title="Training in Tallinn, new dates", summary="Moved to the autumn.")
    page = approve(submit(page, expert), moderator)
    # Approved but not published: the cached public pages stay exactly the published version.
    for url, (status, body) in visit(client, page).items():
        assert status == 200 and "new dates" not in body and "Moved to the autumn" not in body, url
    publish(page, moderator)
    for url, (status, body) in visit(client, page).items():
        assert status == 200 and "Training in Tallinn, new dates" in body, url
        assert "<h1>Training in Tallinn</h1>" not in body, url


def test_another_workers_change_is_seen_without_any_signal_to_this_one(client, expert, moderator):
    """A change committed by another process (here: straight in the database) changes the key, not a flag."""
    page = tallinn(expert, moderator)
    other = published_page(expert, moderator, make_event(slug="oslo-2027-training"), title="Training in Oslo")
    visit(client, page)
    assert "Training in Oslo" in client.get("/programme/").get_data(as_text=True)
    db.session.execute(
        text(
            "UPDATE programme_page SET live_version = NULL, withdrawn_at = :now, public_changed_at = :now"
            " WHERE id = :id"
        ),
        {"now": services.utcnow(), "id": page.id},
    )
    db.session.commit()
    after = visit(client, page)
    assert after[f"/programme/{page.slug}"][0] == 410
    listing = after["/programme/"][1]
    assert "Training in Tallinn" not in listing and "Training in Oslo" in listing and "1 training published." in listing
    assert other.slug in listing


def test_another_workers_withdrawal_shows_at_the_next_request(app, client, expert, moderator):
    """Withdrawn through a connection of its own, committed, as another worker would: nothing here is told."""
    page = tallinn(expert, moderator)
    url = f"/programme/{page.slug}"
    visit(client, page)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:
            conn.execute(
                text("UPDATE programme_page SET live_version = NULL, withdrawn_at = CURRENT_TIMESTAMP, "
                     "public_changed_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"id": page.id},
            )  # fmt: skip
    finally:
        other.dispose()
    assert client.get(url).status_code == 410
    assert "Training in Tallinn" not in client.get("/programme/").get_data(as_text=True)


def test_the_day_a_training_ends_changes_the_cached_page_and_the_list(client, expert, moderator, monkeypatch):
    page = published_page(expert, moderator, make_event(first_day=today() + timedelta(days=1), days=1), title="Soon")
    url = f"/programme/{page.slug}"
    assert f'href="/programme/{page.slug}/register"' in client.get(url).get_data(as_text=True)
    assert 'id="upcoming-title"' in client.get("/programme/").get_data(as_text=True)
    monkeypatch.setattr(views, "_today", lambda: today() + timedelta(days=3))
    assert f'href="/programme/{page.slug}/register"' not in client.get(url).get_data(as_text=True)
    listing = client.get("/programme/").get_data(as_text=True)
    past = listing.split('id="past-title"', 1)[1]
    assert "Soon" in past


def test_members_are_never_served_the_shared_page_nor_leave_their_name_in_it(client, client_for, expert, moderator):
    page = tallinn(expert, moderator)
    member = client_for(moderator)
    visit(client, page)
    for url in (u.format(slug=page.slug) for u in URLS):
        mine = member.get(url)
        assert moderator.display_name in mine.get_data(as_text=True), url
        assert mine.headers["Cache-Control"] == "no-store", url
        shared = client.get(url).get_data(as_text=True)
        assert moderator.display_name not in shared and 'name="csrf-token"' not in shared, url


def test_a_visitors_message_is_shown_to_them_only(client, app, expert, moderator):
    page = tallinn(expert, moderator)
    visit(client, page)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_flashes"] = [("success", "Quokka message for this visitor")]
    assert "Quokka message for this visitor" in other.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert "Quokka message for this visitor" not in client.get(f"/programme/{page.slug}").get_data(as_text=True)


def test_the_search_box_shows_what_each_visitor_typed(client, expert, moderator):
    tallinn(expert, moderator)
    assert 'value="Tallinn"' in client.get("/programme/?q=Tallinn").get_data(as_text=True)
    assert 'value="tallinn"' in client.get("/programme/?q=tallinn").get_data(as_text=True)


def test_the_live_state_names_the_live_versions_and_nothing_else(expert, moderator):
    assert services.public_state().live == ""
    page = tallinn(expert, moderator)
    first = services.public_state()
    assert first.live and first.changed is not None
    assert services.public_state() == first
    page = approve(submit(edit(page, expert, title="Training in Tallinn, new dates"), expert), moderator)
    assert services.public_state() == first  # approved is not public
    publish(page, moderator)
    second = services.public_state()
    assert second.live not in ("", first.live) and second.changed >= first.changed
    services.withdraw(moderator, page.id, "Cancelled.")
    db.session.commit()
    third = services.public_state()
    assert third.live == "" and third.changed >= second.changed
