"""The agenda through the test client: edit in place, add, move, delete and undo, with htmx and without."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from protect.agendas.models import AgendaChange, AgendaItem, AgendaPresence, TrainingEvent
from protect.extensions import db
from tests.agendas.factories import item_form, make_day, make_event, make_item
from tests.factories import make_user


def fresh(item: AgendaItem) -> AgendaItem:
    db.session.rollback()  # a new transaction: see what the requests and threads committed
    return db.session.get(AgendaItem, item.id)


def agenda_version(event: TrainingEvent) -> int:
    return db.session.execute(select(TrainingEvent.agenda_version).where(TrainingEvent.id == event.id)).scalar_one()


def test_the_agenda_shows_days_side_by_side_with_totals_and_flags(expert_client, expert):
    event = make_event(expert)
    make_item(event, expert, 1, "09:00", "10:30", title="The child's best interests")
    make_item(event, expert, 1, "10:30", "10:45", title="Coffee", kind="break")
    make_item(event, expert, 1, "10:15", "11:00", title="Overlapping workshop", kind="workshop")
    make_item(event, expert, 2, "16:30", "17:30", title="Late panel", kind="panel", notes="Bring *cases*")
    page = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert page.index("Day 1") < page.index("Day 2")
    assert "Tuesday, 16 March 2027" in page and "Wednesday, 17 March 2027" in page
    assert "Programme <strong>2 h 15 min</strong> · Breaks <strong>15 min</strong>" in page
    assert "Overlaps “Overlapping workshop” (10:15–11:00)" in page
    assert "Outside the day's hours (09:00–17:00)" in page
    assert "<em>cases</em>" in page  # notes are Markdown
    # in time order within the day
    assert page.index("The child&#39;s best interests") < page.index("Overlapping workshop") < page.index("Coffee")


def test_notes_are_sanitised(expert_client, expert):
    event = make_event(expert)
    make_item(event, expert, notes="<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    page = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    # After <script> the line is raw HTML (CommonMark): the link is shown as its text, inert, never as a link.
    assert "<script>alert" not in page and 'href="javascript:' not in page and "onerror" not in page


def test_opening_an_editor_with_htmx_returns_only_the_editor_and_marks_presence(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    other = make_user("expert", display_name="Kadri Tamm")
    response = client_for(other).htmx("get", f"/events/{event.id}/items/{item.id}/edit")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="item-{item.id}" class="item item--editing">')
    assert "<html" not in body
    assert f'name="version" value="{item.version}"' in body
    assert f'name="open_editor" value="item-{item.id}:{item.version}"' in body
    assert f'id="item-{item.id}-title"' in body and f'for="item-{item.id}-title"' in body
    assert db.session.execute(select(AgendaPresence.user_id)).scalars().all() == [other.id]
    # the others see who is editing; the editor does not see themself
    assert "Being edited by Kadri Tamm" in client_for(expert).get(f"/events/{event.id}").get_data(as_text=True)
    assert "Being edited by" not in client_for(other).get(f"/events/{event.id}").get_data(as_text=True)


def test_without_javascript_the_editor_opens_in_the_page(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    response = expert_client.get(f"/events/{event.id}/items/{item.id}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert f'action="/events/{event.id}/items/{item.id}"' in page and "Edit “Hearing the child”" in page


def test_saving_with_htmx_swaps_back_the_item_and_records_the_change(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    client.htmx("get", f"/events/{event.id}/items/{item.id}/edit")
    since = agenda_version(event)
    data = item_form(item, title="Hearing the child: child-friendly interviews", since=since)
    response = client.htmx("post", f"/events/{event.id}/items/{item.id}", data=data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="item-{item.id}"')
    assert "Hearing the child: child-friendly interviews" in body
    # nobody else changed the agenda: the page's version moves on with this save (no refetch needed)
    assert f'id="agenda-since" name="since" value="{since + 1}" hx-swap-oob="true"' in body
    assert "HX-Trigger" not in response.headers
    item = fresh(item)
    assert item.title == "Hearing the child: child-friendly interviews" and item.version == 2
    assert agenda_version(event) == since + 1
    change = db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.updated")).scalar_one()
    assert change.fields == ["title"] and change.user_id == expert.id
    assert change.before["title"] == "Hearing the child" and change.after["version"] == 2
    assert db.session.execute(select(AgendaPresence)).first() is None  # saving closes the editor


def test_a_save_that_changes_the_time_asks_the_page_to_refetch(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    data = item_form(item, start="11:00", end="12:00", since=agenda_version(event))
    response = client_for(expert).htmx("post", f"/events/{event.id}/items/{item.id}", data=data)
    assert response.status_code == 200
    assert "agenda:refresh" in response.headers["HX-Trigger"]
    assert "agenda-since" not in response.get_data(as_text=True)


def test_a_save_after_someone_elses_change_does_not_skip_their_change(client_for, expert):
    event = make_event(expert)
    item, other = make_item(event, expert), make_item(event, expert, 1, "11:00", "12:00")
    since = agenda_version(event)
    client_for(expert).post(f"/events/{event.id}/items/{other.id}", data=item_form(other, title="Theirs"))
    response = client_for(expert).htmx(
        "post", f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Mine", since=since)
    )
    assert response.status_code == 200
    assert "agenda-since" not in response.get_data(as_text=True)  # the page still has to fetch "Theirs"


def test_saving_without_javascript_redirects_to_the_item(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    response = expert_client.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, speakers="Aino Virtanen"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event.id}#item-{item.id}"
    assert fresh(item).speakers == "Aino Virtanen"


BAD_INPUT = [
    ({"start": "10:00", "end": "09:30"}, "end", "must be after the start"),
    ({"start": "08:00", "end": "17:30"}, "end", "cannot be longer than the day"),
    ({"title": "   "}, "title", "Enter a title"),
    ({"title": "x" * 201}, "title", "At most 200 characters"),
    ({"notes": "x" * 20_001}, "notes", "At most 20,000 characters"),
    ({"day": "3"}, "day", "Choose a day of the event (1 to 2)"),
    ({"day": "0"}, "day", "Not a valid choice"),
    ({"start": "25:99"}, "start", "Not a valid time"),
    ({"kind": "party"}, "kind", "Not a valid choice"),
    ({"responsible_id": "424242"}, "responsible_id", "Choose a member of the group"),
    ({"version": "not-a-number"}, "version", "does not say which version"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_beside_its_field_and_kept(client_for, expert, changes, field, message):
    event = make_event(expert)
    item = make_item(event, expert, title="Keep me")
    data = item_form(item, **{"title": "My typed title", **changes})
    response = client_for(expert).htmx("post", f"/events/{event.id}/items/{item.id}", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    if field != "version":
        # the message is the field's own (described-by), and what was typed is still there
        assert f'id="item-{item.id}-{field}-error"' in body
    if "title" not in changes:
        assert 'value="My typed title"' in body
    assert fresh(item).title == "Keep me" and fresh(item).version == 1


def test_bad_input_without_javascript_rerenders_the_page_with_the_editor(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    response = expert_client.post(
        f"/events/{event.id}/items/{item.id}", data=item_form(item, start="12:00", end="11:00")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" in page and "must be after the start" in page


def test_unknown_and_foreign_items_are_404(client_for, expert):
    event, other_event = make_event(expert), make_event(expert)
    foreign = make_item(other_event, expert, title="Elsewhere")
    client = client_for(expert)
    for method, url in [
        ("get", f"/events/{event.id}/items/{foreign.id}/edit"),
        ("post", f"/events/{event.id}/items/{foreign.id}"),
        ("post", f"/events/{event.id}/items/{foreign.id}/move"),
        ("post", f"/events/{event.id}/items/{foreign.id}/delete"),
        ("post", f"/events/{event.id}/items/{foreign.id}/undo"),
        ("post", f"/events/{event.id}/items/{foreign.id}/release"),
        ("post", f"/events/{event.id}/items/{foreign.id}/presence"),
        ("post", f"/events/{event.id}/items/{foreign.id}/recreate"),
        ("get", f"/events/{event.id}/items/new?after={foreign.id}"),
        ("get", f"/events/{event.id}/items/424242/edit"),
        ("post", f"/events/{event.id}/items/424242"),
    ]:
        response = client.htmx(method, url, data=item_form(foreign, direction="later"))
        assert response.status_code == 404, (method, url)
        assert response.headers.get("HX-Retarget") == "#alerts"
    assert fresh(foreign).title == "Elsewhere" and fresh(foreign).deleted_at is None


def test_adding_an_item_at_the_end_of_a_day_and_after_an_item(client_for, expert):
    event = make_event(expert)
    first = make_item(event, expert, 1, "09:00", "10:30", title="Opening")
    client = client_for(expert)
    form = client.htmx("get", f"/events/{event.id}/items/new?day=1").get_data(as_text=True)
    assert form.lstrip().startswith('<li id="new-1"')
    assert 'id="new-1-start" name="start" required step="300" type="time" value="10:30"' in form
    form = client.htmx("get", f"/events/{event.id}/items/new?after={first.id}").get_data(as_text=True)
    assert f'<li id="new-after-{first.id}"' in form and 'value="10:30"' in form
    assert f'name="open_editor" value="new-after-{first.id}:1"' in form
    data = item_form(None, title="Identification of victims", start="10:30", end="12:00", key=f"new-after-{first.id}")
    response = client.htmx("post", f"/events/{event.id}/items", data=data)
    assert response.status_code == 200
    assert "agenda:refresh" in response.headers["HX-Trigger"]
    created = db.session.execute(select(AgendaItem).where(AgendaItem.title == "Identification of victims")).scalar_one()
    assert response.get_data(as_text=True).lstrip().startswith(f'<li id="item-{created.id}"')
    # without JavaScript
    response = client.post(
        f"/events/{event.id}/items", data=item_form(None, title="Lunch", kind="meal", start="12:00", end="13:00")
    )
    assert response.status_code == 303
    assert db.session.execute(select(AgendaItem.kind).where(AgendaItem.title == "Lunch")).scalar_one() == "meal"


def test_an_invalid_new_item_comes_back_in_its_own_slot(client_for, expert):
    event = make_event(expert)
    data = item_form(None, title="", key="new-2", day="2")
    response = client_for(expert).htmx("post", f"/events/{event.id}/items", data=data)
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<li id="new-2"')
    assert db.session.execute(select(AgendaItem)).first() is None


def test_new_item_for_a_day_the_event_does_not_have_is_404(expert_client, expert):
    event = make_event(expert)
    assert expert_client.get(f"/events/{event.id}/items/new?day=3").status_code == 404


def test_moving_earlier_and_later_swaps_with_the_neighbour(client_for, expert):
    event = make_event(expert)
    a, b, c, d = make_day(event, expert)  # 9-10, 10-10:30, 10:30-12, 12-13
    client = client_for(expert)
    response = client.htmx("post", f"/events/{event.id}/items/{c.id}/move", data={"direction": "earlier"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="agenda-days"')
    assert 'id="agenda-notice"' in body and 'hx-swap-oob="true"' in body
    assert "Moved “Day 1 slot 3” earlier: now 10:00–11:30." in body
    assert f'id="item-{c.id}-earlier" class="button button--small button--quiet" data-autofocus' in body
    assert (fresh(c).start, fresh(c).end) == (time(10), time(11, 30))
    assert (fresh(b).start, fresh(b).end) == (time(11, 30), time(12))
    assert fresh(c).version == 2 and fresh(b).version == 2 and fresh(a).version == 1
    moves = db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.moved")).scalars().all()
    assert {m.item_id for m in moves} == {b.id, c.id}
    # later, without JavaScript
    response = client.post(f"/events/{event.id}/items/{a.id}/move", data={"direction": "later"})
    assert response.status_code == 303
    assert (fresh(c).start, fresh(c).end) == (time(9), time(10, 30))
    assert (fresh(a).start, fresh(a).end) == (time(10, 30), time(11, 30))


def test_the_first_cannot_move_earlier_nor_the_last_later(client_for, expert):
    event = make_event(expert)
    a, _b, _c, d = make_day(event, expert)
    client = client_for(expert)
    response = client.htmx("post", f"/events/{event.id}/items/{a.id}/move", data={"direction": "earlier"})
    assert response.status_code == 409 and "first item of day 1" in response.get_data(as_text=True)
    response = client.htmx("post", f"/events/{event.id}/items/{d.id}/move", data={"direction": "later"})
    assert response.status_code == 409
    response = client.htmx("post", f"/events/{event.id}/items/{d.id}/move", data={"direction": "sideways"})
    assert response.status_code == 422
    assert fresh(a).version == 1 and fresh(d).version == 1


def test_moving_to_the_other_day_keeps_the_time(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, 1, "14:00", "15:30", title="Interagency cooperation")
    client = client_for(expert)
    response = client.htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"to_day": "2"})
    assert response.status_code == 200
    assert (fresh(item).day, fresh(item).start) == (2, time(14))
    for bad in ("2", "3", "0"):
        response = client.htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"to_day": bad})
        assert response.status_code in (409, 422), bad
    assert fresh(item).day == 2


def test_delete_and_undo_with_htmx(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Coffee break", kind="break")
    client = client_for(expert)
    response = client.htmx("post", f"/events/{event.id}/items/{item.id}/delete", data={})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="item-{item.id}"' not in body.split('<div id="agenda-notice"')[0]
    assert "Deleted “Coffee break”." in body
    assert f'id="undo-{item.id}" class="button button--small" data-autofocus' in body
    assert fresh(item).deleted_at is not None
    response = client.htmx("post", f"/events/{event.id}/items/{item.id}/undo", data={})
    assert response.status_code == 200 and f'id="item-{item.id}"' in response.get_data(as_text=True)
    assert fresh(item).deleted_at is None
    actions = (
        db.session.execute(select(AgendaChange.action).where(AgendaChange.item_id == item.id).order_by(AgendaChange.id))
        .scalars()
        .all()
    )
    assert actions == ["item.created", "item.deleted", "item.restored"]


def test_delete_and_undo_without_javascript(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Coffee break", kind="break")
    response = expert_client.post(f"/events/{event.id}/items/{item.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event.id}?deleted={item.id}#agenda-notice"
    page = expert_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deleted “Coffee break”." in page and f'action="/events/{event.id}/items/{item.id}/undo"' in page
    assert expert_client.post(f"/events/{event.id}/items/{item.id}/undo").status_code == 303
    assert fresh(item).deleted_at is None
    # once restored, the old undo link shows nothing
    assert "Deleted “Coffee break”" not in expert_client.get(f"/events/{event.id}?deleted={item.id}").get_data(
        as_text=True
    )


def test_a_deleted_item_cannot_be_edited_or_moved(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{item.id}/delete")
    assert client.htmx("get", f"/events/{event.id}/items/{item.id}/edit").status_code == 410
    response = client.htmx("post", f"/events/{event.id}/items/{item.id}/move", data={"direction": "later"})
    assert response.status_code == 409 and "deleted in the meantime" in response.get_data(as_text=True)


def test_the_poll_answers_204_until_something_changes(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    client = client_for(expert)
    version = agenda_version(event)
    url = f"/events/{event.id}/agenda/changes?since={version}&p=0"
    response = client.htmx("get", url)
    assert response.status_code == 204 and response.data == b""
    # someone else changes the agenda
    client_for(make_user("expert")).post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Changed"))
    response = client.htmx("get", url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="agenda-days"') and "Changed" in body
    assert f'id="agenda-since" name="since" value="{version + 1}"' in body
    assert client.htmx("get", f"/events/{event.id}/agenda/changes?since={version + 1}&p=0").status_code == 204


def test_the_poll_notices_when_someone_opens_an_editor(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    client = client_for(expert)
    url = f"/events/{event.id}/agenda/changes?since={agenda_version(event)}&p=0"
    assert client.htmx("get", url).status_code == 204
    other = make_user("expert", display_name="Olga Smirnova")
    client_for(other).htmx("get", f"/events/{event.id}/items/{item.id}/edit")
    response = client.htmx("get", url)
    assert response.status_code == 200 and "Being edited by Olga Smirnova" in response.get_data(as_text=True)
    token = re.search(r'id="agenda-presence" name="p" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert (
        client.htmx("get", f"/events/{event.id}/agenda/changes?since={agenda_version(event)}&p={token}").status_code
        == 204
    )


def test_presence_lapses_after_two_minutes_without_activity(client_for, expert):
    from datetime import timedelta

    from protect.core.database import utcnow

    event = make_event(expert)
    item = make_item(event, expert)
    other = make_user("expert", display_name="Olga Smirnova")
    client_for(other).htmx("get", f"/events/{event.id}/items/{item.id}/edit")
    presence = db.session.execute(select(AgendaPresence)).scalar_one()
    presence.seen_at = utcnow() - timedelta(minutes=2, seconds=5)
    db.session.commit()
    assert "Being edited by" not in client_for(expert).get(f"/events/{event.id}").get_data(as_text=True)
    # activity in the editor keeps it alive
    assert client_for(other).post(f"/events/{event.id}/items/{item.id}/presence").status_code == 204
    assert "Being edited by Olga Smirnova" in client_for(expert).get(f"/events/{event.id}").get_data(as_text=True)
    # cancelling ends it
    response = client_for(other).htmx("post", f"/events/{event.id}/items/{item.id}/release", data={})
    assert response.status_code == 200 and response.get_data(as_text=True).lstrip().startswith(
        f'<li id="item-{item.id}"'
    )
    assert db.session.execute(select(AgendaPresence)).first() is None


def test_the_poll_holds_open_editors_in_place(client_for, expert):
    event = make_event(expert)
    editing, deleted, neighbour = make_day(
        event, expert, slots=[("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")]
    )
    client = client_for(expert)
    v = editing.version
    client_for(make_user("expert")).post(
        f"/events/{event.id}/items/{editing.id}", data=item_form(editing, title="Their title")
    )
    client_for(make_user("expert")).post(f"/events/{event.id}/items/{deleted.id}/delete")
    query = (
        f"/events/{event.id}/agenda/changes?since=1&p=0&open_editor=item-{editing.id}:{v}"
        f"&open_editor=item-{deleted.id}:1&open_editor=new-2&open_editor=new-after-{neighbour.id}:1&open_editor=junk"
    )
    body = client.htmx("get", query).get_data(as_text=True)
    assert f'<div id="item-{editing.id}-editor" class="item-editor-slot" hx-preserve></div>' in body
    assert "Changed while you edit:" in body and "Their title" in body
    assert f'<div id="item-{deleted.id}-editor" class="item-editor-slot" hx-preserve></div>' in body
    assert "Deleted while you edit:" in body
    assert (
        '<li id="new-2" class="item item--slot"><div id="new-2-editor" class="item-editor-slot" hx-preserve></div></li>'
        in body
    )
    assert f'<li id="new-after-{neighbour.id}" class="item item--slot">' in body
    assert body.index(f'id="item-{neighbour.id}"') < body.index(f'id="new-after-{neighbour.id}"')
    # an editor begun from the version that is current is held without a warning
    body = client.htmx("get", f"/events/{event.id}/agenda/changes?since=1&open_editor=item-{neighbour.id}:1").get_data(
        as_text=True
    )
    assert "Changed while you edit" not in body and f'id="item-{neighbour.id}-editor"' in body


def test_completed_agendas_are_read_only_for_experts(client_for, expert, moderator):
    event = make_event(moderator, status="completed")
    item = make_item(event, moderator)
    client = client_for(expert)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Add an item" not in page and f"/items/{item.id}/edit" not in page
    forbidden = [
        ("get", f"/events/{event.id}/items/{item.id}/edit"),
        ("post", f"/events/{event.id}/items/{item.id}"),
        ("post", f"/events/{event.id}/items/{item.id}/move"),
        ("post", f"/events/{event.id}/items/{item.id}/delete"),
        ("post", f"/events/{event.id}/items/{item.id}/undo"),
        ("post", f"/events/{event.id}/items/{item.id}/recreate"),
        ("get", f"/events/{event.id}/items/new?day=1"),
        ("post", f"/events/{event.id}/items"),
    ]
    for method, url in forbidden:
        assert client.open(url, method=method.upper(), data=item_form(item, direction="later")).status_code == 403, url
    assert fresh(item).version == 1 and fresh(item).deleted_at is None
    # moderators may still correct the record
    assert (
        client_for(moderator)
        .post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Fixed"))
        .status_code
        == 303
    )


def test_every_change_is_refused_without_the_csrf_token(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert)
    client = client_for(expert)
    for url in (
        f"/events/{event.id}/items/{item.id}",
        f"/events/{event.id}/items/{item.id}/delete",
        f"/events/{event.id}/items",
    ):
        assert client.post(url, data=item_form(item), csrf=False).status_code == 400
    assert fresh(item).version == 1
