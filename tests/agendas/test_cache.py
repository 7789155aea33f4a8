"""The rendered agenda days are cached (agendas.cache); nothing a viewer sees may come from a state that has
moved on. Each test shows the page once (filling the cache), changes something, and shows it again."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import delete, select, update

from protect.agendas import services
from protect.agendas.cache import days_cache
from protect.agendas.models import AgendaItem, TrainingEvent
from protect.auth.models import User
from protect.core.pagecache import page_cache
from protect.extensions import db
from tests.agendas.factories import item_form, make_event, make_item
from tests.factories import make_user


def page(client, event) -> str:
    response = client.get(f"/events/{event.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_token(html: str) -> str:
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    return html.replace(token, "TOKEN")


def test_the_second_view_of_an_unchanged_agenda_comes_from_the_cache(client_for, expert):
    event = make_event(expert)
    make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    days_cache().clear()
    first = page(client, event)
    page_cache().clear()  # the whole page is cached too (core.pagecache): here the days must be rendered again
    second = page(client, event)
    assert (days_cache().misses, days_cache().hits) == (1, 1)
    # The same page, but for the form token: it carries the second it was signed in.
    assert without_token(second) == without_token(first) and "Hearing the child" in second


def test_an_edit_shows_at_once(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    assert "Hearing the child" in page(client, event)
    client.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Interviewing the child"))
    shown = page(client, event)
    assert "Interviewing the child" in shown and "Hearing the child" not in shown


def test_adding_moving_and_deleting_show_at_once(client_for, expert):
    event = make_event(expert)
    first = make_item(event, expert, 1, "09:00", "10:00", title="First session")
    client = client_for(expert)
    page(client, event)
    second = make_item(event, expert, 1, "10:00", "11:00", title="Second session")
    shown = page(client, event)
    assert shown.index("First session") < shown.index("Second session")
    client.post(f"/events/{event.id}/items/{second.id}/move", data={"direction": "earlier"})
    shown = page(client, event)
    assert shown.index("Second session") < shown.index("First session")
    client.post(f"/events/{event.id}/items/{first.id}/delete")
    assert "First session" not in page(client, event)


def test_a_renamed_responsible_person_shows_at_once(client_for, expert):
    """A name is no part of the agenda's version: the cache key holds the names themselves."""
    person = make_user("expert", display_name="Olga Smirnova")
    event = make_event(expert)
    make_item(event, expert, responsible_id=person.id)
    client = client_for(expert)
    assert "Responsible: Olga Smirnova" in page(client, event)
    db.session.execute(update(User).where(User.id == person.id).values(display_name="Olga Petrova"))
    db.session.commit()
    shown = page(client, event)
    assert "Responsible: Olga Petrova" in shown and "Smirnova" not in shown
    db.session.execute(update(AgendaItem).where(AgendaItem.event_id == event.id).values(responsible_id=None))
    db.session.commit()
    assert "Responsible:" not in page(client, event)


def test_changes_to_the_event_show_at_once(client_for, moderator):
    event = make_event(moderator)
    make_item(event, moderator, 1, "08:30", "09:30", title="Early start")
    client = client_for(moderator)
    assert "Outside the day's hours (09:00–17:00)" in page(client, event)
    values = {name: getattr(event, name) for name in services.EVENT_FIELDS}
    services.update_event(moderator, event.id, event.version, {**values, "day_start": time(8, 0), "days": 3})
    shown = page(client, event)
    assert "Outside the day's hours" not in shown
    assert "Day 3" in shown and "To day 3" in shown


def test_who_else_is_editing_shows_and_lapses(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    other = make_user("expert", display_name="Kadri Tamm")
    client = client_for(expert)
    assert "Being edited by" not in page(client, event)
    client_for(other).htmx("get", f"/events/{event.id}/items/{item.id}/edit")
    assert "Being edited by Kadri Tamm" in page(client, event)
    # the editor does not see themself, even right after the others' view was cached
    assert "Being edited by" not in page(client_for(other), event)
    client_for(other).post(f"/events/{event.id}/items/{item.id}/release")
    assert "Being edited by" not in page(client, event)


def test_viewers_who_may_not_edit_never_get_the_editing_buttons(client_for, expert, moderator):
    event = make_event(moderator, status="completed")
    item = make_item(event, moderator)
    # the moderator's view (with buttons) first, then the expert's, then the moderator's again
    assert f"/items/{item.id}/edit" in page(client_for(moderator), event)
    shown = page(client_for(expert), event)
    assert f"/items/{item.id}/edit" not in shown and "Add an item" not in shown
    assert f"/items/{item.id}/edit" in page(client_for(moderator), event)


def test_each_viewer_gets_their_own_form_token(client_for, expert):
    event = make_event(expert)
    make_item(event, expert)
    other = make_user("expert")
    pages = [page(client_for(expert), event), page(client_for(other), event)]
    tokens = []
    for shown in pages:
        meta = re.search(r'name="csrf-token" content="([^"]+)"', shown).group(1)
        in_forms = set(re.findall(r'name="csrf_token" value="([^"]+)"', shown))
        assert in_forms == {meta}  # every form carries this session's token, as the page's meta tag does
        assert "csrf-placeholder" not in shown
        tokens.append(meta)
    assert tokens[0] != tokens[1]
    # and the token works: a move posted from the cached page is accepted
    client = client_for(other)
    shown = page(client, event)
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1)
    item_id = re.search(r'action="/events/\d+/items/(\d+)/move"', shown).group(1)
    response = client.post(
        f"/events/{event.id}/items/{item_id}/move", data={"to_day": "2", "csrf_token": token}, csrf=False
    )
    assert response.status_code == 303


def test_the_placeholder_in_a_title_is_not_replaced(client_for, expert):
    from protect.core.pagecache import TOKEN_PLACEHOLDER

    event = make_event(expert)
    make_item(event, expert, title="csrf-placeholder-0123456789abcdef0123456789abcdef")
    shown = page(client_for(expert), event)
    assert "csrf-placeholder-0123456789abcdef0123456789abcdef" in shown
    assert TOKEN_PLACEHOLDER not in shown


def test_a_new_event_with_an_old_events_id_is_not_shown_the_old_agenda(client_for, expert):
    """A re-created database may give a new event the id and versions of one cached before; its creation time
    tells them apart. (A restored backup keeps creation times: restart the app after a restore, see README.)"""
    event = make_event(expert)
    make_item(event, expert, title="Old agenda item")
    client = client_for(expert)
    assert "Old agenda item" in page(client, event)
    event_id, first_day, days = event.id, event.first_day, event.days
    db.session.execute(delete(AgendaItem).where(AgendaItem.event_id == event_id))
    db.session.execute(delete(TrainingEvent).where(TrainingEvent.id == event_id))
    db.session.commit()
    reborn = TrainingEvent(
        id=event_id,
        title="Another training",
        slug="another-training",
        city="Tallinn",
        country="EE",
        time_zone="Europe/Tallinn",
        first_day=first_day,
        days=days,
        day_start=time(9, 0),
        day_end=time(17, 0),
        audiences=[],
        proposed_by_id=expert.id,
    )
    db.session.add(reborn)
    db.session.commit()
    shown = page(client, reborn)
    assert "Another training" in shown and "Old agenda item" not in shown
    assert "No items on this day yet." in shown


def test_an_open_editor_is_rendered_in_place_not_from_the_cache(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    page(client, event)
    response = client.get(f"/events/{event.id}/items/{item.id}/edit")  # no JavaScript: the page with the editor
    body = response.get_data(as_text=True)
    assert "Edit “Hearing the child”" in body and 'name="open_editor"' in body


def test_the_poll_after_a_change_sends_the_new_agenda(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    page(client, event)
    since = db.session.execute(select(TrainingEvent.agenda_version).where(TrainingEvent.id == event.id)).scalar_one()
    client_for(expert).post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Interviews"))
    response = client.htmx("get", f"/events/{event.id}/agenda/changes?since={since}&p=0")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Interviews" in body and "Hearing the child" not in body
    assert f'name="since" value="{since + 1}"' in body


def test_the_saved_item_fragment_shows_its_new_responsible_person_and_flags(client_for, expert):
    person = make_user("expert", display_name="Olga Smirnova")
    event = make_event(expert)
    item = make_item(event, expert, 1, "09:00", "10:00", title="Hearing the child")
    make_item(event, expert, 1, "09:30", "10:30", title="Overlapping workshop")
    version = item.version
    response = client_for(expert).htmx(
        "post", f"/events/{event.id}/items/{item.id}", data=item_form(item, responsible_id=person.id)
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Responsible: Olga Smirnova" in body
    assert "Overlaps “Overlapping workshop” (09:30–10:30)" in body
    assert f'data-version="{version + 1}"' in body
    # and back to nobody
    response = client_for(expert).htmx(
        "post",
        f"/events/{event.id}/items/{item.id}",
        data={**item_form(item, responsible_id="None"), "version": str(version + 1)},
    )
    assert response.status_code == 200 and "Responsible:" not in response.get_data(as_text=True)
