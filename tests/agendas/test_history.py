"""History: every change recorded with readable differences; any earlier state restored in one click."""

from __future__ import annotations

import re

from sqlalchemy import select

from protect.agendas.models import AgendaChange, AgendaItem
from protect.extensions import db
from tests.agendas.factories import item_form, make_event, make_item
from tests.factories import make_user


def fresh(item: AgendaItem) -> AgendaItem:
    db.session.rollback()
    return db.session.get(AgendaItem, item.id)


def change_id(item: AgendaItem, action: str, nth: int = 0) -> int:
    return (
        db.session.execute(
            select(AgendaChange.id)
            .where(AgendaChange.item_id == item.id, AgendaChange.action == action)
            .order_by(AgendaChange.id)
        )
        .scalars()
        .all()[nth]
    )


def entries(page: str) -> dict[int, str]:
    """Each history entry's HTML by change id, in the page's order."""
    return {
        int(number): html
        for number, html in re.findall(r'<li class="history__entry" id="change-(\d+)">(.*?)</li>', page, re.S)
    }


def field_row(entry: str, label: str) -> tuple[str, str]:
    """The Before and After cells of a field's row in an entry's table."""
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', entry, re.S)
    assert row, f"no row {label!r} in {entry}"
    cells = re.findall(r'<td class="history__value">(.*?)</td>', row.group(1), re.S)
    assert len(cells) == 2
    return cells[0], cells[1]


def test_each_change_says_its_kind_who_when_and_each_changed_field_before_and_after(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child", notes="Role play.")
    kadri = make_user("expert", display_name="Kadri Tamm")
    client_for(kadri).post(
        f"/events/{event.id}/items/{item.id}",
        data=item_form(item, title="Hearing the child in court", start="09:30", end="10:30"),
    )
    response = client_for(expert).get(f"/events/{event.id}/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    edited, added, proposed = entries(page).values()  # newest first
    assert ">Edited</span>" in edited and "“Hearing the child in court”" in edited and "by Kadri Tamm" in edited
    assert "<time datetime=" in edited
    assert ">Added</span>" in added and "by Eva Expert" in added and "As added: Day 1, 09:00–10:00 · Plenary" in added
    assert ">Event proposed</span>" in proposed
    # only the fields that changed, each with its value before and after
    assert field_row(edited, "Start") == ("09:00", "09:30") and field_row(edited, "End") == ("10:00", "10:30")
    before, after = field_row(edited, "Title")
    assert before == "Hearing the child" and "<ins>" not in before  # the words before, unmarked: nothing removed
    assert (
        after
        == 'Hearing the child<ins><span class="sr-only">[added: </span> in court<span class="sr-only">]</span></ins>'
    )
    assert "Notes" not in edited and ">Kind<" not in edited
    assert "This is how the item is now." in edited and "Restore this version" in added


def test_a_deletion_is_not_called_the_current_state(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Coffee", kind="break", start="10:30", end="11:00")
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{item.id}/delete")
    deleted = entries(client.get(f"/events/{event.id}/history").get_data(as_text=True))[change_id(item, "item.deleted")]
    assert ">Deleted</span>" in deleted and "As it was: Day 1, 10:30–11:00 · Break" in deleted
    assert "Restore the deleted item" in deleted and "is now" not in deleted
    client.post(f"/events/{event.id}/items/{item.id}/undo")
    page = entries(client.get(f"/events/{event.id}/history").get_data(as_text=True))
    assert "It is on the agenda again, as it was before this deletion." in page[change_id(item, "item.deleted")]
    assert "is now" not in page[change_id(item, "item.deleted")]
    assert "This is how the item is now." in page[change_id(item, "item.restored")]


def test_the_history_is_filtered_by_item_and_by_person_in_the_url(client_for, expert):
    event = make_event(expert)
    first = make_item(event, expert, title="Opening")
    second = make_item(event, expert, 1, "10:00", "11:00", title="Closing")
    kadri = make_user("expert", display_name="Kadri Tamm")
    client_for(kadri).post(f"/events/{event.id}/items/{first.id}", data=item_form(first, title="Opening words"))
    client_for(kadri).post(f"/events/{event.id}/items/{second.id}", data=item_form(second, title="Closing words"))
    client = client_for(expert)

    page = client.get(f"/events/{event.id}/history?item={first.id}").get_data(as_text=True)
    assert set(entries(page)) == {change_id(first, "item.created"), change_id(first, "item.updated")}
    assert f'<option value="{first.id}" selected>' in page and "2 changes to “Day 1, 09:00: Opening words”" in page

    page = client.get(f"/events/{event.id}/history?person={kadri.id}").get_data(as_text=True)
    assert set(entries(page)) == {change_id(first, "item.updated"), change_id(second, "item.updated")}
    assert f'<option value="{kadri.id}" selected>Kadri Tamm</option>' in page and "by Kadri Tamm." in page

    page = client.get(f"/events/{event.id}/history?item={second.id}&person={kadri.id}").get_data(as_text=True)
    assert list(entries(page)) == [change_id(second, "item.updated")]
    page = client.get(f"/events/{event.id}/history?item={second.id}&person={expert.id}").get_data(as_text=True)
    assert list(entries(page)) == [change_id(second, "item.created")]
    # nonsense in the URL is left out, never an error
    response = client.get(f"/events/{event.id}/history?item=abc&person=-1&page=²")
    assert response.status_code == 200 and len(entries(response.get_data(as_text=True))) == 5


def test_the_history_is_paged_newest_first(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Session")
    client = client_for(expert)
    for number in range(44):
        item = fresh(item)
        assert (
            client.post(
                f"/events/{event.id}/items/{item.id}", data=item_form(item, title=f"Session {number}")
            ).status_code
            == 303
        )
    # 46 changes: the event, the item added, 44 edits
    first = client.get(f"/events/{event.id}/history").get_data(as_text=True)
    assert len(entries(first)) == 20 and "46 changes, newest first: page 1 of 3" in first
    assert "“Session 43”" in first and "Newer changes" not in first
    assert f'href="/events/{event.id}/history?page=2" rel="next">Older changes' in first
    last = client.get(f"/events/{event.id}/history?page=3").get_data(as_text=True)
    assert len(entries(last)) == 6 and ">Event proposed</span>" in last and "Older changes" not in last
    assert client.get(f"/events/{event.id}/history?page=99").get_data(as_text=True).count('class="history__entry"') == 6
    filtered = client.get(f"/events/{event.id}/history?item={item.id}").get_data(as_text=True)
    assert f'href="/events/{event.id}/history?item={item.id}&amp;page=2"' in filtered


def test_only_members_read_the_history(client, expert):
    event = make_event(expert)
    response = client.get(f"/events/{event.id}/history")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_an_earlier_version_is_restored_in_one_click_and_the_restore_is_recorded(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="First title", notes="First notes")
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Second title", notes="Other"))
    created = change_id(item, "item.created")
    response = client.post(f"/events/{event.id}/history/{created}/restore")
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}/history"
    restored = fresh(item)
    assert (restored.title, restored.notes, restored.version) == ("First title", "First notes", 3)
    change = db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.restored")).scalar_one()
    assert change.before["title"] == "Second title" and change.after["restored_from"] == created
    assert set(change.fields) == {"title", "notes"}
    page = client.get(f"/events/{event.id}/history").get_data(as_text=True)
    restored_entry = entries(page)[change.id]
    assert ">Restored</span>" in restored_entry and "“First title”" in restored_entry
    assert f'<a href="#change-{created}">an earlier version</a>' in restored_entry
    before, after = field_row(restored_entry, "Title")
    assert before.startswith("<del>") and "Second" in before and "First" not in before
    assert after.startswith("<ins>") and "First" in after and "Second" not in after


def test_a_deleted_item_is_restored_from_the_history(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Coffee", kind="break")
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{item.id}/delete")
    page = client.get(f"/events/{event.id}/history?item={item.id}").get_data(as_text=True)
    assert "Restore the deleted item" in entries(page)[change_id(item, "item.deleted")]
    response = client.post(
        f"/events/{event.id}/history/{change_id(item, 'item.deleted')}/restore", data={"item": str(item.id)}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}/history?item={item.id}"
    assert fresh(item).deleted_at is None
    assert "Coffee" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_restoring_cannot_reach_into_another_event_or_an_event_change(client_for, expert):
    event, other = make_event(expert), make_event(expert)
    foreign = make_item(other, expert)
    client = client_for(expert)
    assert client.post(f"/events/{event.id}/history/{change_id(foreign, 'item.created')}/restore").status_code == 404
    event_change = db.session.execute(
        select(AgendaChange.id).where(AgendaChange.event_id == event.id, AgendaChange.item_id.is_(None))
    ).scalar_one()
    assert client.post(f"/events/{event.id}/history/{event_change}/restore").status_code == 404
    assert client.post(f"/events/{event.id}/history/999999/restore").status_code == 404
    assert fresh(foreign).version == 1


def test_restoring_onto_a_day_the_event_no_longer_has_is_explained(client_for, moderator):
    event = make_event(moderator, days=3)
    item = make_item(event, moderator, day=3)
    client = client_for(moderator)
    client.post(f"/events/{event.id}/items/{item.id}/move", data={"to_day": "1"})
    client.post(
        f"/events/{event.id}/edit",
        data={
            "title": event.title, "city": "Riga", "country": "LV", "time_zone": "", "first_day": "2027-03-16",
            "days": "2", "day_start": "09:00", "day_end": "17:00", "language": "English", "status": "proposed",
            "version": str(event.version),
        },
    )  # fmt: skip
    response = client.post(
        f"/events/{event.id}/history/{change_id(item, 'item.created')}/restore", follow_redirects=True
    )
    assert "the event has 2 days now" in response.get_data(as_text=True)
    assert fresh(item).day == 1


def test_only_those_who_may_edit_the_agenda_restore(client_for, expert, moderator):
    event = make_event(moderator, status="completed")
    item = make_item(event, moderator, title="Recorded")
    client_for(moderator).post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Corrected"))
    created = change_id(item, "item.created")
    page = client_for(expert).get(f"/events/{event.id}/history").get_data(as_text=True)
    assert "Corrected" in page and "Restore this version" not in page  # read, not restore
    assert client_for(expert).post(f"/events/{event.id}/history/{created}/restore").status_code == 403
    assert fresh(item).title == "Corrected"


def test_a_long_text_shows_its_changes_in_context_and_the_whole_texts_one_click_away(client_for, expert):
    notes = " ".join(f"Sentence number {n} of the notes." for n in range(60))
    event = make_event(expert)
    item = make_item(event, expert, title="Workshop", notes=notes)
    client = client_for(expert)
    changed = notes.replace("Sentence number 30 of", "Sentence number thirty of")
    client.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, notes=changed))
    entry = entries(client.get(f"/events/{event.id}/history").get_data(as_text=True))[change_id(item, "item.updated")]
    before, after = field_row(entry, "Notes")
    assert "[removed: </span>30<" in before and "[added: </span>thirty<" in after
    assert "…" in before and "Sentence number 5 of" not in before and "Sentence number 55 of" not in after
    assert len(before) < 600 and len(after) < 600  # a few words around the change, not 2,000 characters
    assert "Notes: the whole text before and after</summary>" in entry
    assert notes in entry and changed in entry
