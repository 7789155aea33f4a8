"""History: every change recorded with readable differences; any earlier state restored in one click."""

from __future__ import annotations

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


def test_the_history_lists_who_changed_which_fields_with_differences(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child", notes="Role play.")
    kadri = make_user("expert", display_name="Kadri Tamm")
    client_for(kadri).post(
        f"/events/{event.id}/items/{item.id}",
        data=item_form(item, title="Hearing the child in court", start="09:30", end="10:30"),
    )
    page = client_for(expert).get(f"/events/{event.id}/history").get_data(as_text=True)
    assert "Kadri Tamm</strong> edited “Hearing the child in court”" in page
    assert "Eva Expert</strong> added “Hearing the child”" in page
    assert "Eva Expert</strong> proposed the event" in page
    assert "<td>09:00</td><td>09:30</td>" in page  # before, after
    assert '<ins><span class="sr-only">[added: </span> in court<span class="sr-only">]</span></ins>' in page
    assert page.index("Kadri Tamm</strong> edited") < page.index("Eva Expert</strong> added")  # newest first
    assert "This is how the item is now." in page


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
    assert "restored “First title”" in page and f'href="#change-{created}"' in page


def test_a_deleted_item_is_restored_from_the_history(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Coffee", kind="break")
    client = client_for(expert)
    client.post(f"/events/{event.id}/items/{item.id}/delete")
    page = client.get(f"/events/{event.id}/history").get_data(as_text=True)
    assert "deleted “Coffee”" in page and "Restore the deleted item" in page
    assert client.post(f"/events/{event.id}/history/{change_id(item, 'item.deleted')}/restore").status_code == 303
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
    assert "the event has 2 day(s) now" in response.get_data(as_text=True)
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
