"""Every agenda page and fragment runs a bounded number of SQL queries, the same at two data sizes."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import event as sa_event

from protect.agendas import services
from protect.agendas.models import AgendaItem
from protect.extensions import db
from tests.agendas.factories import item_form, make_event
from tests.conftest import count_queries
from tests.factories import make_user

LIMIT = 12
# An audited write also moves the audit chain's head (core.audit) and writes its search entry: two more.
LIMITS = {write: LIMIT + 2 for write in ("save", "move", "delete", "undo")}


def build(expert, items_per_day: int, events: int = 1):
    """Events with ``items_per_day`` items on each of 2 days, several responsible people and presences."""
    people = [make_user("expert") for _ in range(3)]
    made = []
    for _ in range(events):
        event = make_event(expert)
        for day in (1, 2):
            for n in range(items_per_day):
                start = 8 * 60 + n * 20
                db.session.add(
                    AgendaItem(
                        event_id=event.id,
                        day=day,
                        start=time(start // 60, start % 60),
                        end=time((start + 30) // 60, (start + 30) % 60),  # overlapping: flags too
                        title=f"Session {n}",
                        kind="break" if n % 4 == 3 else "workshop",
                        responsible_id=people[n % 3].id,
                        notes=f"Notes *{n}*",
                        position=n,
                        updated_by_id=people[(n + 1) % 3].id,
                    )
                )
        db.session.commit()
        for person, item in zip(people, services.agenda_items(event.id), strict=False):
            services.touch_presence(person.id, event.id, item.id)
        db.session.commit()
        made.append(event)
    return made


def pages(event, item, viewer):
    base = f"/events/{event.id}"
    token = services.presence_token(services.live_presence(event.id, viewer.id))
    return {
        "agenda page": ("get", base, None),
        "poll, unchanged": ("get", f"{base}/agenda/changes?since={event.agenda_version}&p={token}", None),
        "poll, changed, with held editors": (
            "get",
            f"{base}/agenda/changes?since=0&open_editor=item-{item.id}:1&open_editor=new-1",
            None,
        ),
        "editor": ("get", f"{base}/items/{item.id}/edit", None),
        "history": ("get", f"{base}/history", None),
        "print view": ("get", f"{base}/print", None),
        "calendar file": ("get", f"{base}/agenda.ics", None),
        "new item form": ("get", f"{base}/items/new?day=1", None),
        "save": ("post", f"{base}/items/{item.id}", "save"),
        "move": ("post", f"{base}/items/{item.id}/move", {"direction": "later"}),
        "delete": ("post", f"{base}/items/{item.id}/delete", {}),
        "undo": ("post", f"{base}/items/{item.id}/undo", {}),
        "list of trainings": ("get", "/events/", None),
    }


def measure(client, viewer, event) -> dict[str, int]:
    db.session.rollback()
    item = (
        db.session.execute(db.select(AgendaItem).where(AgendaItem.event_id == event.id).order_by(AgendaItem.id))
        .scalars()
        .first()
    )
    counts = {}
    for name, (method, url, data) in pages(event, item, viewer).items():
        if data == "save":
            db.session.rollback()
            data = item_form(db.session.get(AgendaItem, item.id), title=f"Saved for {name}")
        with count_queries() as statements:
            response = client.htmx(method, url, data=data)
        assert response.status_code in (200, 204), (name, response.status_code)
        counts[name] = len(statements)
    return counts


@pytest.mark.parametrize("sizes", [(3, 30)])
def test_queries_are_bounded_and_do_not_grow_with_the_data(client_for, expert, sizes):
    small_size, large_size = sizes
    client = client_for(expert)
    small = measure(client, expert, build(expert, small_size)[0])
    large = measure(client, expert, build(expert, large_size, events=3)[-1])
    for name, count in large.items():
        assert count <= LIMITS.get(name, LIMIT), f"{name}: {count} queries"
        assert count == small[name], f"{name}: {small[name]} queries with few items, {count} with many"


def test_the_dashboard_panel_runs_at_most_two_queries(expert):
    from protect.agendas import dashboard_panel

    build(expert, 3, events=3)
    db.session.rollback()
    with count_queries() as statements:
        context = dashboard_panel(expert)
    assert len(statements) <= 2
    assert [count for _event, count in context["events"]] == [6, 6, 6]


def test_a_saved_items_fragment_reads_what_it_shows_beside_the_item_after_the_commit(client_for, expert):
    """The save commits, then the view reads the day's other items and who else is editing: the fragment shows
    them as the database has them after the save, and no read for the fragment holds the save's locks."""
    event = build(expert, items_per_day=3)[0]
    items = services.agenda_items(event.id)
    item, neighbour = items[0], items[1]
    client = client_for(expert)
    happened: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:
        happened.append(sql.lstrip().split()[0].upper())

    def committed(_conn) -> None:
        happened.append("COMMIT")

    # The item moves onto its neighbour's time: the fragment shows the overlap, which only the day's rows tell.
    form = item_form(item, start=neighbour.start.strftime("%H:%M"), end=neighbour.end.strftime("%H:%M"))
    sa_event.listen(db.engine, "before_cursor_execute", statement)
    sa_event.listen(db.engine, "commit", committed)
    try:
        response = client.post(f"/events/{event.id}/items/{item.id}", data=form, headers={"HX-Request": "true"})
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", statement)
        sa_event.remove(db.engine, "commit", committed)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Overlaps" in body and neighbour.title in body
    after_commit = happened[len(happened) - happened[::-1].index("COMMIT") :]  # after the save's (the last) commit
    assert [verb for verb in after_commit if verb not in ("BEGIN", "ROLLBACK")] == ["SELECT", "SELECT"]
