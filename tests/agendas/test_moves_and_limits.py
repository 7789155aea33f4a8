"""Moving to another day without silent overlaps, focus after moves, new items' defaults, the skip link, and the
limit of items per agenda day."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import func, select

from protect.agendas.models import ITEMS_PER_DAY_MAX, AgendaChange, AgendaItem
from protect.extensions import db
from tests.agendas.factories import item_form, make_day, make_event, make_item


def fresh(item: AgendaItem) -> AgendaItem:
    db.session.rollback()
    return db.session.get(AgendaItem, item.id)


def count_on(event, day: int) -> int:
    db.session.rollback()
    return db.session.execute(
        select(func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.event_id == event.id, AgendaItem.day == day, AgendaItem.deleted_at.is_(None))
    ).scalar_one()


# To another day ---------------------------------------------------------------------------------------------


def test_to_another_day_keeps_the_time_when_it_is_free_there_and_says_so(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, 1, "14:00", "15:30", title="Interagency cooperation")
    make_item(event, expert, 2, "09:00", "10:00", title="Opening")
    response = client_for(expert).htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"to_day": "2"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Moved “Interagency cooperation” to day 2, at the same time (14:00–15:30), which was free there." in body
    assert (fresh(item).day, fresh(item).start, fresh(item).end) == (2, time(14), time(15, 30))


def test_to_another_day_where_the_time_is_taken_follows_its_last_item_and_says_so(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, 1, "09:30", "10:15", title="Hearing the child")
    make_day(event, expert, 2, [("09:00", "10:00"), ("10:00", "12:30")])
    response = client_for(expert).htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"to_day": "2"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert (
        "Moved “Hearing the child” to day 2. 09:30–10:15 was taken there by “Day 2 slot 1”, so it now follows "
        "the day&#39;s last item: 12:30–13:15." in body
    )
    moved = fresh(item)
    assert (moved.day, moved.start, moved.end) == (2, time(12, 30), time(13, 15))
    change = db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.moved")).scalar_one()
    assert set(change.fields) == {"day", "start", "end"}
    # the day has no overlap now: nothing on it is flagged
    page = client_for(expert).get(f"/events/{event.id}").get_data(as_text=True)
    assert "Overlaps" not in page


def test_a_move_to_a_day_that_would_end_after_midnight_is_refused_with_the_reason(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, 1, "14:00", "16:00", title="Long workshop")
    make_item(event, expert, 2, "14:30", "15:00", title="Panel")
    make_item(event, expert, 2, "22:30", "23:00", title="Night walk")
    response = client_for(expert).htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"to_day": "2"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "“Long workshop” was not moved" in body and "taken by “Panel”" in body and "past midnight" in body
    assert fresh(item).day == 1 and fresh(item).version == 1


def test_a_move_without_javascript_tells_what_happened(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert, 1, "09:00", "10:00", title="Opening")
    make_item(event, expert, 2, "09:00", "11:00", title="Plenary")
    response = expert_client.post(
        f"/events/{event.id}/items/{item.id}/move", data={"to_day": "2"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "so it now follows the day&#39;s last item: 11:00–12:00." in response.get_data(as_text=True)


# Focus after a move ------------------------------------------------------------------------------------------


def test_focus_goes_to_the_other_move_button_when_the_item_reaches_the_first_or_last_place(client_for, expert):
    event = make_event(expert)
    a, b, c = make_day(event, expert, 1, [("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")])
    client = client_for(expert)
    body = client.htmx("post", f"/events/{event.id}/items/{b.id}/move", data={"direction": "earlier"}).get_data(
        as_text=True
    )
    assert f'id="item-{b.id}-earlier"' not in body  # first now: no "earlier"
    assert re.search(rf'id="item-{b.id}-later" [^>]*data-autofocus', body)
    assert body.count("data-autofocus") == 1
    body = client.htmx("post", f"/events/{event.id}/items/{b.id}/move", data={"direction": "later"}).get_data(
        as_text=True
    )
    assert re.search(rf'id="item-{b.id}-later" [^>]*data-autofocus', body)  # still in the middle: the same button
    body = client.htmx("post", f"/events/{event.id}/items/{b.id}/move", data={"direction": "later"}).get_data(
        as_text=True
    )
    assert f'id="item-{b.id}-later"' not in body  # last now
    assert re.search(rf'id="item-{b.id}-earlier" [^>]*data-autofocus', body)
    assert [item.start for item in (fresh(a), fresh(c), fresh(b))] == [time(9), time(10), time(11)]


# New items ----------------------------------------------------------------------------------------------------


def test_a_new_item_has_nobody_responsible_by_default(client_for, expert):
    event = make_event(expert)
    opening = make_item(event, expert, title="Opening")
    client = client_for(expert)
    for url in (f"/events/{event.id}/items/new?day=1", f"/events/{event.id}/items/new?after={opening.id}"):
        form = client.htmx("get", url).get_data(as_text=True)
        select_html = re.search(r'<select id="new-[-a-z0-9]*responsible_id".*?</select>', form, re.S).group(0)
        assert re.findall(r"<option[^>]*selected[^>]*>([^<]*)<", select_html) == ["Nobody yet"]
    coffee_break = item_form(None, title="Coffee", kind="break", start="10:00", end="10:30")
    assert client.post(f"/events/{event.id}/items", data=coffee_break).status_code == 303
    coffee = db.session.execute(select(AgendaItem).where(AgendaItem.title == "Coffee")).scalar_one()
    assert coffee.responsible_id is None


# The skip link --------------------------------------------------------------------------------------------------


def test_the_agenda_page_has_a_skip_link_to_the_agenda(expert_client, expert):
    event = make_event(expert)
    page = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert page.index('href="#agenda-title">Skip to the agenda</a>') < page.index('<header class="site-header">')
    assert '<h2 id="agenda-title" tabindex="-1">Agenda</h2>' in page


# The limit of items per day ------------------------------------------------------------------------------------


def fill_day(event, author, day: int = 1, count: int = ITEMS_PER_DAY_MAX) -> list[AgendaItem]:
    return [
        make_item(event, author, day, f"{8 + n // 4:02d}:{n % 4 * 15:02d}", f"{8 + n // 4:02d}:{n % 4 * 15 + 14:02d}")
        for n in range(count)
    ]


def test_a_full_day_refuses_another_item_with_htmx_and_keeps_what_was_typed(client_for, expert):
    event = make_event(expert)
    fill_day(event, expert)
    data = item_form(None, title="One too many", start="19:00", end="19:30", key="new-1")
    response = client_for(expert).htmx("post", f"/events/{event.id}/items", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<li id="new-1"')
    assert f"Day 1 has {ITEMS_PER_DAY_MAX} items already, the most one agenda day can hold" in body
    assert 'value="One too many"' in body and 'aria-invalid="true"' in body
    assert count_on(event, 1) == ITEMS_PER_DAY_MAX
    # the other day still takes items
    data = item_form(None, title="On day 2", day="2", key="new-2")
    assert client_for(expert).htmx("post", f"/events/{event.id}/items", data=data).status_code == 200


def test_a_full_day_refuses_another_item_without_javascript(expert_client, expert):
    event = make_event(expert)
    fill_day(event, expert)
    response = expert_client.post(f"/events/{event.id}/items", data=item_form(None, title="One too many"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "the most one agenda day can hold" in body and 'value="One too many"' in body and "<h1>" in body
    assert count_on(event, 1) == ITEMS_PER_DAY_MAX


def test_no_move_edit_undo_or_restore_fills_a_day_past_the_limit(client_for, expert):
    event = make_event(expert)
    full = fill_day(event, expert)
    other = make_item(event, expert, 2, "09:00", "10:00", title="Visitor")
    client = client_for(expert)
    # moving to the full day
    response = client.htmx("post", f"/events/{event.id}/items/{other.id}/move", data={"to_day": "1"})
    assert response.status_code == 422 and "the most one agenda day can hold" in response.get_data(as_text=True)
    # editing its day to the full day: refused beside the field, the typed text kept
    response = client.htmx(
        "post", f"/events/{event.id}/items/{other.id}", data=item_form(other, day="1", title="Visitor (moved)")
    )
    assert response.status_code == 422
    assert "the most one agenda day can hold" in response.get_data(as_text=True)
    assert 'value="Visitor (moved)"' in response.get_data(as_text=True)
    assert fresh(other).day == 2
    # a deleted item of day 1 comes back only when there is room
    client.post(f"/events/{event.id}/items/{full[0].id}/delete")
    assert client.post(f"/events/{event.id}/items/{other.id}/move", data={"to_day": "1"}).status_code == 303
    response = client.htmx("post", f"/events/{event.id}/items/{full[0].id}/undo")
    assert response.status_code == 422 and fresh(full[0]).deleted_at is not None
    deleted = db.session.execute(
        select(AgendaChange.id).where(AgendaChange.item_id == full[0].id, AgendaChange.action == "item.deleted")
    ).scalar_one()
    response = client.post(f"/events/{event.id}/history/{deleted}/restore", follow_redirects=True)
    assert "the most one agenda day can hold" in response.get_data(as_text=True)
    assert fresh(full[0]).deleted_at is not None and count_on(event, 1) == ITEMS_PER_DAY_MAX


# The list of trainings is paged ---------------------------------------------------------------------------------


def test_the_list_of_trainings_is_paged(expert_client, expert, monkeypatch):
    from protect.agendas import services

    monkeypatch.setattr(services, "EVENTS_PAGE_SIZE", 3)
    events = [make_event(expert, title=f"Training number {n}") for n in range(7)]
    make_item(events[-1], expert)
    first = expert_client.get("/events/").get_data(as_text=True)
    assert "7 events, latest first: page 1 of 3." in first
    assert first.count('<th scope="row"><a href="/events/') == 3
    assert 'href="/events/?page=2" rel="next">Earlier events' in first
    last = expert_client.get("/events/?page=3&country=LV").get_data(as_text=True)
    assert last.count('<th scope="row"><a href="/events/') == 1 and "page 3 of 3" in last
    assert 'href="/events/?country=LV&amp;page=2" rel="prev">Later events' in last
    assert expert_client.get("/events/?page=abc").status_code == 200
