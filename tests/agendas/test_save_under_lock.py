"""A save that has to wait for another change of the same agenda sees the item as that change left it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from protect import create_app
from protect.agendas import services
from protect.agendas.models import AgendaItem, TrainingEvent
from protect.core.database import writing
from protect.extensions import db
from tests.agendas.factories import item_form, make_event, make_item
from tests.conftest import TEST_CONFIG


def test_a_save_that_waited_for_the_lock_compares_with_the_item_as_it_is_now(app, client_for, expert):
    """Someone else holds the agenda's lock and renames the item; an unchanged form posted meanwhile waits,
    then must see the rename (409 with both texts), not the item as it was when the save began."""
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    form = item_form(item)  # the editor as opened: unchanged, at the item's version
    event_id, item_id, version = event.id, item.id, item.version
    db.session.commit()
    client = client_for(expert)  # signing in writes a session: before the other one takes the write lock
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    locked, release = threading.Event(), threading.Event()

    def someone_else_renames() -> None:
        with other.app_context(), writing():
            services.lock_event(event_id)
            db.session.execute(
                update(AgendaItem)
                .where(AgendaItem.id == item_id)
                .values(title="Interviewing the child", version=version + 1)
            )
            locked.set()
            release.wait(10)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    renaming = threading.Thread(target=someone_else_renames)
    renaming.start()
    assert locked.wait(10)
    answers = []
    saving = threading.Thread(
        target=lambda: answers.append(client.htmx("post", f"/events/{event_id}/items/{item_id}", data=form))
    )
    saving.start()
    time.sleep(0.5)  # the save is now waiting for the lock
    release.set()
    renaming.join(10)
    saving.join(10)
    answer = answers[0]
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409, body[:500]
    assert "Interviewing the child" in body


def test_a_save_takes_the_event_lock_before_the_items(app, expert):
    """Every agenda change locks the event first, then items: a save that has to wait for its item already
    holds the event, so it can never hold the item while waiting for the event (a deadlock)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock is one lock for the whole database")
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    event_id, item_id = event.id, item.id
    db.session.commit()
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    holder = db.engine.connect()  # holds the item only, as a row lock
    holder.execute(select(AgendaItem.id).where(AgendaItem.id == item_id).with_for_update())
    done = threading.Event()

    def save_begins() -> None:
        with other.app_context():
            services.lock_event_with_item(event_id, item_id)  # waits for the item
            done.set()
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()

    saving = threading.Thread(target=save_begins)
    saving.start()
    try:
        time.sleep(0.5)  # the save is now waiting for the item
        assert not done.is_set()
        with db.engine.connect() as third:
            with pytest.raises(OperationalError):  # the event is already the save's
                third.execute(select(TrainingEvent.id).where(TrainingEvent.id == event_id).with_for_update(nowait=True))
            third.rollback()
    finally:
        holder.rollback()
        holder.close()
        saving.join(10)
    assert done.is_set()


def test_the_locked_rows_are_in_the_session_as_loaded(expert):
    """The lock reads both rows as plain columns and puts them into the session as the ORM would: persistent,
    with the database's values and nothing pending; a change to them is written at the commit as usual."""
    event = make_event(expert, title="Riga training")
    item = make_item(event, expert, title="Hearing the child")
    event_id, item_id = event.id, item.id
    start, first_day, audiences = item.start, event.first_day, event.audiences
    db.session.commit()
    db.session.expunge_all()
    locked_event, locked_item = services.lock_event_with_item(event_id, item_id)
    assert (locked_event.id, locked_event.title, locked_item.id, locked_item.title) == (
        event_id,
        "Riga training",
        item_id,
        "Hearing the child",
    )
    assert locked_event in db.session and locked_item in db.session
    assert not db.session.dirty and not db.session.new
    assert (locked_item.start, locked_event.first_day) == (start, first_day)  # typed, not text (SQLite)
    assert locked_event.audiences == audiences
    locked_item.title = "Interviewing the child"
    db.session.commit()
    assert db.session.execute(select(AgendaItem.title).where(AgendaItem.id == item_id)).scalar_one() == (
        "Interviewing the child"
    )


def test_rows_already_in_the_session_are_refreshed_by_the_lock(expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    db.session.commit()
    with writing():
        set_committed_value(item, "title", "An old title")  # what this session last saw of it
        locked_event, locked_item = services.lock_event_with_item(event.id, item.id)
    assert locked_item is item and locked_event is event
    assert locked_item.title == "Hearing the child"
    db.session.rollback()


def test_the_lock_finds_no_item_of_another_event(expert):
    event, other = make_event(expert), make_event(expert)
    item = make_item(other, expert)
    event_id, item_id = event.id, item.id
    db.session.commit()
    db.session.expunge_all()
    locked_event, locked_item = services.lock_event_with_item(event_id, item_id)
    assert locked_event.id == event_id and locked_item is None
    db.session.rollback()
    with pytest.raises(LookupError):
        services.lock_event_with_item(-1, item_id)
