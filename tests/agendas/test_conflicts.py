"""Never lose an edit: two people saving the same item from the same version, and every way out."""

from __future__ import annotations

import threading

from sqlalchemy import select

from protect.agendas import services
from protect.agendas.models import AgendaChange, AgendaItem
from protect.core.database import writing
from protect.extensions import db
from tests.agendas.factories import item_form, make_event, make_item
from tests.factories import make_user


def fresh(item: AgendaItem) -> AgendaItem:
    db.session.rollback()  # a new transaction: see what the requests and threads committed
    return db.session.get(AgendaItem, item.id)


def two_editors(client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child", notes="Role play in pairs.")
    aino = client_for(make_user("expert", display_name="Aino Virtanen"))
    erik = client_for(make_user("expert", display_name="Erik Lindqvist"))
    return event, item, aino, erik


def test_of_two_saves_from_the_same_version_exactly_one_wins_and_the_other_sees_both_texts(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    url = f"/events/{event.id}/items/{item.id}"
    hers = item_form(item, title="Hearing the child: interviews")
    his = item_form(item, title="Hearing the child in court", notes="Mock hearing.")  # both from version 1
    first = aino.htmx("post", url, data=hers)
    second = erik.htmx("post", url, data=his)
    assert first.status_code == 200
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="item-{item.id}" class="item item--editing">')
    assert "Aino Virtanen saved a newer version" in body
    # both texts, the differences marked by more than colour
    assert "in court" in body and "interviews" in body
    assert '<ins><span class="sr-only">[only in your text: </span> in court<span' in body
    assert '<del><span class="sr-only">[only in the saved text: </span>: interviews<span' in body
    assert "Mock hearing" in body and "Role play in pairs" in body
    # the three ways out
    assert "Keep mine" in body and "Take theirs" in body and "Edit a merge" in body
    # "keep mine" carries the user's text and the version now saved
    assert 'name="title" value="Hearing the child in court"' in body
    assert 'name="version" value="2"' in body
    saved = fresh(item)
    assert saved.title == "Hearing the child: interviews" and saved.version == 2
    assert db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.updated")).scalar_one()


def test_keep_mine_after_a_conflict_saves_mine(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    url = f"/events/{event.id}/items/{item.id}"
    his = item_form(item, title="Erik's title")
    aino.post(url, data=item_form(item, title="Aino's title"))
    assert erik.post(url, data=his).status_code == 409
    response = erik.post(url, data=item_form(item, title="Erik's title", version=2))
    assert response.status_code == 303
    saved = fresh(item)
    assert saved.title == "Erik's title" and saved.version == 3
    history = (
        db.session.execute(
            select(AgendaChange.after).where(AgendaChange.action == "item.updated").order_by(AgendaChange.id)
        )
        .scalars()
        .all()
    )
    assert [h["title"] for h in history] == ["Aino's title", "Erik's title"]  # nothing silently lost


def test_take_theirs_closes_the_editor_with_the_saved_item(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    aino.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Aino's title"))
    response = erik.htmx("post", f"/events/{event.id}/items/{item.id}/release", data={})
    assert response.status_code == 200 and "Aino&#39;s title" in response.get_data(as_text=True)
    assert fresh(item).title == "Aino's title"


def test_the_merge_is_prefilled_with_each_sides_changes(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    url = f"/events/{event.id}/items/{item.id}"
    his = item_form(item, title="Hearing the child in practice")
    his_second = item_form(item, notes="Mock hearing instead.")
    aino.post(url, data=item_form(item, notes="Role play in pairs, with an interpreter."))
    response = erik.htmx("post", url, data=his)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    merge = body.split("Edit a merge")[1]
    assert 'value="Hearing the child in practice"' in merge  # his change
    assert "Role play in pairs, with an interpreter.</textarea>" in merge  # her change
    assert 'badge--warn">changed by both' not in body
    # both changed the same field: it is marked, and the merge form is open
    response = erik.htmx("post", url, data=his_second)
    body = response.get_data(as_text=True)
    assert 'badge--warn">changed by both' in body and '<details class="conflict-merge" open>' in body


def test_a_stale_editor_never_overwrites_a_move(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    make_item(event, expert, 1, "10:00", "11:00", title="Next")
    his = item_form(item, title="New title")
    aino.post(f"/events/{event.id}/items/{item.id}/move", data={"direction": "later"})
    response = erik.htmx("post", f"/events/{event.id}/items/{item.id}", data=his)
    assert response.status_code == 409
    assert "Start" in response.get_data(as_text=True)  # the time differs, and the view says so
    assert fresh(item).title == "Hearing the child"


def test_a_forged_version_is_a_conflict_not_an_overwrite(client_for, expert):
    event, item, aino, _erik = two_editors(client_for, expert)
    for version in ("99", "0", "-3"):
        response = aino.post(
            f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Forged", version=version)
        )
        assert response.status_code in (409, 422), version
    assert fresh(item).title == "Hearing the child" and fresh(item).version == 1


def test_an_item_deleted_while_editing_can_be_recreated_with_my_text(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    his = item_form(item, title="Erik's improved title")
    aino.post(f"/events/{event.id}/items/{item.id}/delete")
    response = erik.htmx("post", f"/events/{event.id}/items/{item.id}", data=his)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "was deleted while you were editing it" in body and "Aino Virtanen deleted it" in body
    assert "Erik&#39;s improved title" in body and "Re-create it with my text" in body
    assert f'action="/events/{event.id}/items/{item.id}/recreate"' in body
    response = erik.htmx(
        "post", f"/events/{event.id}/items/{item.id}/recreate", data=item_form(item, title="Erik's improved title")
    )
    assert response.status_code == 200
    saved = fresh(item)
    assert saved.deleted_at is None and saved.title == "Erik's improved title"
    actions = (
        db.session.execute(select(AgendaChange.action).where(AgendaChange.item_id == item.id).order_by(AgendaChange.id))
        .scalars()
        .all()
    )
    assert actions == ["item.created", "item.deleted", "item.recreated"]


def test_recreating_an_item_someone_restored_meanwhile_compares_again(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    aino.post(f"/events/{event.id}/items/{item.id}/delete")
    aino.post(f"/events/{event.id}/items/{item.id}/undo")
    response = erik.htmx("post", f"/events/{event.id}/items/{item.id}/recreate", data=item_form(item, title="Mine"))
    assert response.status_code == 409 and "Keep mine" in response.get_data(as_text=True)
    assert fresh(item).title == "Hearing the child"


def test_the_conflict_view_works_without_javascript(client_for, expert):
    event, item, aino, erik = two_editors(client_for, expert)
    his = item_form(item, title="Erik's")
    aino.post(f"/events/{event.id}/items/{item.id}", data=item_form(item, title="Aino's"))
    response = erik.post(f"/events/{event.id}/items/{item.id}", data=his)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<html" in page and "Keep mine" in page and "Erik&#39;s" in page


def test_concurrent_saves_from_one_version_one_wins(app, expert):
    """Threads, each with its own session, save the same item from the same version at once."""
    event = make_event(expert)
    item = make_item(event, expert)
    people = [make_user("expert") for _ in range(6)]
    results: list[str] = []
    barrier = threading.Barrier(len(people))

    def save(person_id: int, n: int) -> None:
        with app.app_context():
            person = db.session.get(type(expert), person_id)
            values = services.values_from_snapshot(services.item_snapshot(db.session.get(AgendaItem, item.id)))
            values["title"] = f"Title by {n}"
            db.session.rollback()
            barrier.wait()
            try:
                with writing():
                    services.save_item(person, event.id, item.id, 1, values)
                results.append("saved")
            except services.EditConflict:
                results.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(p.id, n)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["conflict"] * 5 + ["saved"]
    saved = fresh(item)
    assert saved.version == 2 and saved.title.startswith("Title by ")
    assert len(db.session.execute(select(AgendaChange).where(AgendaChange.action == "item.updated")).all()) == 1
