"""The public pages read what is live at most every PUBLIC_RECHECK_SECONDS per worker (0.1 s in production;
the rest of the suite sets 0): a change made through this process shows at once, one made by another worker
within that time, and never later."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from protect.extensions import db
from protect.programme import caching, services
from tests.programme.factories import add_item, make_event, published_page


@pytest.fixture
def recheck(app, monkeypatch):
    caching.page_cache(app).clear()
    app.extensions.pop("programme_recently_read", None)
    monkeypatch.setitem(app.config, "PUBLIC_RECHECK_SECONDS", 0.5)
    yield
    app.extensions.pop("programme_recently_read", None)


def riga(expert, moderator):
    event = make_event(slug="riga-2027-training", city="Riga", country="LV")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child")
    return published_page(expert, moderator, event, title="Training in Riga")


def assert_listed(client, url: str, listed: bool) -> None:
    """The page answers (200) and the public list names it; or it is gone (410) and the list does not."""
    assert client.get(url).status_code == (200 if listed else 410)
    assert ("Training in Riga" in client.get("/programme/").get_data(as_text=True)) is listed


def withdraw_elsewhere(app, page_id: int) -> None:
    """As another worker would: its own connection, commit, and nothing this process would notice."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:
            conn.execute(
                text("UPDATE programme_page SET live_version = NULL, withdrawn_at = CURRENT_TIMESTAMP, "
                     "public_changed_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"id": page_id},
            )  # fmt: skip
    finally:
        other.dispose()


def test_another_workers_withdrawal_shows_within_the_recheck_time(app, client, expert, moderator, recheck):
    page = riga(expert, moderator)
    url = f"/programme/{page.slug}"
    assert_listed(client, url, True)
    withdraw_elsewhere(app, page.id)
    time.sleep(0.6)  # within the recheck time this worker may still answer from what it read, never after it
    assert_listed(client, url, False)


def test_a_withdrawal_made_in_this_worker_shows_at_once(app, client, expert, moderator, recheck):
    app.config["PUBLIC_RECHECK_SECONDS"] = 3600
    page = riga(expert, moderator)
    url = f"/programme/{page.slug}"
    assert client.get(url).status_code == 200  # read once more than the helper does: the memo holds it
    assert_listed(client, url, True)
    services.withdraw(moderator, page.id, "Cancelled by the host.")
    db.session.commit()
    assert_listed(client, url, False)


def test_without_recheck_time_every_request_reads_the_database(app, client, expert, moderator, recheck):
    app.config["PUBLIC_RECHECK_SECONDS"] = 0
    page = riga(expert, moderator)
    url = f"/programme/{page.slug}"
    assert client.get(url).status_code == 200
    withdraw_elsewhere(app, page.id)
    assert client.get(url).status_code == 410
