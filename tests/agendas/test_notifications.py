"""What an agenda tells whom: each change goes, as one notice, to the members who follow the training's agenda —
who edited it or is responsible for one of its items, and who chose to follow it — but not to the member who
made it, a deactivated member or one who muted it; @mentions in an item's notes (only the new ones) go to the
member at once. The agenda page shows whether the member follows it and lets them follow or mute it."""

from __future__ import annotations

import re

import pytest

from protect.agendas import services
from protect.agendas.models import AgendaItem
from protect.extensions import db
from protect.notifications import services as notices
from protect.notifications.mentions import mention
from tests.agendas.factories import item_form, make_event, make_item
from tests.conftest import count_queries
from tests.factories import make_user
from tests.notice_helpers import follow, notices_of, texts_of


def fresh(item: AgendaItem) -> AgendaItem:
    db.session.rollback()
    return db.session.get(AgendaItem, item.id)


@pytest.fixture
def people():
    names = ("Pia Proposer", "Ed Editor", "Rita Responsible", "Ben Bystander", "Fay Follower", "Mo Muted", "Al Actor")
    return {name.split()[0].lower(): make_user("expert", display_name=name) for name in names}


@pytest.fixture
def event(people):
    event = make_event(people["pia"], title="Riga training")
    make_item(event, people["ed"], title="Welcome")
    make_item(event, people["mo"], day=2, title="Farewell")
    notices.set_subscription(people["fay"].id, f"agenda:{event.id}", "follow")
    notices.set_subscription(people["mo"].id, f"agenda:{event.id}", "mute")
    return event


@pytest.fixture
def item(event, people):
    return make_item(event, people["pia"], start="10:00", end="11:00", title="Hearing the child")


def save(client, event, item, **changes):
    response = client.post(f"/events/{event.id}/items/{item.id}", data=item_form(fresh(item), **changes))
    assert response.status_code == 303, response.get_data(as_text=True)


def test_a_change_tells_who_follows_the_agenda_once(client_for, people, event, item):
    save(client_for(people["ed"]), event, item, responsible_id=people["rita"].id)  # Rita is responsible now
    before = {name: len(notices_of(person)) for name, person in people.items()}
    save(client_for(people["al"]), event, item, speakers="Aino Virtanen")
    told = {name for name, person in people.items() if len(notices_of(person)) > before[name]}
    # Pia proposed the training, Ed edited its agenda, Rita is responsible for an item, Fay follows it.
    assert told == {"pia", "ed", "rita", "fay"}
    for name in told:
        [notice] = notices_of(people[name])[before[name] :]
        assert notice.kind == "agenda" and notice.mail == "daily"
        assert notice.text == "Al Actor edited “Hearing the child” on the agenda of “Riga training”"
        assert (notice.thread, notice.thread_title) == (f"agenda:{event.id}", "Riga training")
        assert notice.url == f"/events/{event.id}#item-{item.id}"
    # Ben took no part, Mo edited it but muted it, Al made the change.
    follow(client_for(people["rita"]), notices_of(people["rita"])[-1])


def test_a_deactivated_member_is_not_told(client_for, people, event, item):
    people["ed"].active = False
    db.session.commit()
    before = len(notices_of(people["ed"]))
    save(client_for(people["al"]), event, item, speakers="Someone")
    assert len(notices_of(people["ed"])) == before


def test_each_kind_of_change_says_what_happened(client_for, people, event, item):
    al = client_for(people["al"])
    base = f"/events/{event.id}/items/{item.id}"
    assert al.post(f"{base}/move", data={"direction": "earlier"}).status_code == 303
    assert al.post(f"{base}/delete").status_code == 303
    deleted = notices_of(people["fay"])[-1]
    assert deleted.url == f"/events/{event.id}/history?item={item.id}"
    assert al.post(f"{base}/undo").status_code == 303
    response = al.post(
        f"/events/{event.id}/items",
        data=item_form(None, day="2", start="14:00", end="15:00", title="Closing words"),
    )
    assert response.status_code == 303
    assert texts_of(people["fay"])[-4:] == [
        "Al Actor moved “Hearing the child” on the agenda of “Riga training”",
        "Al Actor deleted “Hearing the child” from the agenda of “Riga training”",
        "Al Actor restored “Hearing the child” on the agenda of “Riga training”",
        "Al Actor added “Closing words” to the agenda of “Riga training”",
    ]
    page = follow(client_for(people["fay"]), deleted)
    assert "Hearing the child" in page.get_data(as_text=True)


def test_changing_the_trainings_details_tells_its_followers(client_for, moderator, people, event):
    page = client_for(moderator).get(f"/events/{event.id}/edit").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page)
        if name != "csrf_token"
    }
    form.update({"venue": "City hall", "audiences": "ngo", "country": "LV", "status": "proposed", "description": ""})
    response = client_for(moderator).post(f"/events/{event.id}/edit", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert (
        texts_of(people["pia"])[-1] == f"{moderator.display_name} changed the details of the training “Riga training”"
    )
    assert notices_of(people["pia"])[-1].url == f"/events/{event.id}"


def test_a_save_writes_one_notice_per_follower_in_two_statements(client_for, people, event, item):
    client = client_for(people["al"])
    data = item_form(fresh(item), speakers="A", notes="New notes")
    url = f"/events/{event.id}/items/{item.id}"
    with count_queries() as statements:
        assert client.htmx("post", url, data=data).status_code == 200
    writes = [s for s in statements if "notification" in s.split("(")[0]]
    assert len(writes) == 2  # who (one SELECT) and the notices (one INSERT)
    assert len(statements) <= 14, "\n".join(statements)  # 12, the audit chain's head and the search entry


# Mentions in the notes ----------------------------------------------------------------------------------------


def test_notes_tell_only_the_members_they_newly_mention(client_for, people, event, item):
    mira, nils = make_user("expert", display_name="Mira Ode"), make_user("expert", display_name="Nils Per")
    al = client_for(people["al"])
    save(al, event, item, notes=f"Ask {mention(mira.id, 'Mira Ode')} about the room.")
    [notice] = notices_of(mira)
    assert notice.kind == "mention" and notice.mail == "now"
    assert notice.text == "Al Actor mentioned you in the notes of “Hearing the child” on the agenda of “Riga training”"
    assert notice.url == f"/events/{event.id}#item-{item.id}"
    follow(client_for(mira), notice)
    save(al, event, item, notes=f"Ask {mention(mira.id, 'Mira Ode')} about the room, today.")
    assert len(notices_of(mira)) == 1 and notices_of(nils) == []
    save(al, event, item, notes=f"Ask {mention(mira.id, 'Mira Ode')} and {mention(nils.id, 'Nils Per')}.")
    assert len(notices_of(mira)) == 1
    assert [n.kind for n in notices_of(nils)] == ["mention"]


def test_a_follower_who_is_mentioned_is_told_once_as_mentioned(client_for, people, event, item):
    before = len(notices_of(people["ed"]))
    save(client_for(people["al"]), event, item, notes=f"{mention(people['ed'].id, 'Ed')}: bring the flipchart")
    assert [n.kind for n in notices_of(people["ed"])[before:]] == ["mention"]
    assert [n.kind for n in notices_of(people["pia"])][-1] == "agenda"


def test_a_new_item_tells_whom_its_notes_mention(client_for, people, event):
    mira = make_user("expert", display_name="Mira Ode")
    response = client_for(people["al"]).post(
        f"/events/{event.id}/items",
        data=item_form(None, day="1", start="14:00", end="15:00", title="Cases", notes=mention(mira.id, "Mira")),
    )
    assert response.status_code == 303
    assert texts_of(mira) == ["Al Actor mentioned you in the notes of “Cases” on the agenda of “Riga training”"]


# Following and muting on the agenda page ----------------------------------------------------------------------


def subscription_html(page: str, event) -> str:
    start = page.index(f'id="subscription-agenda-{event.id}"')
    return page[start : page.index("</div>", start)]


def test_a_member_who_takes_part_sees_following_and_can_mute(client_for, people, event, item):
    save(client_for(people["ed"]), event, item, responsible_id=people["rita"].id)
    rita = client_for(people["rita"])
    control = subscription_html(rita.get(f"/events/{event.id}").get_data(as_text=True), event)
    assert 'class="subscription__following">Following<' in control
    assert ">Mute</button>" in control and ">Follow</button>" not in control
    data = {"thread": f"agenda:{event.id}", "state": "mute", "following": "1", "title": "Riga training"}
    muted = rita.htmx("post", "/notifications/subscription", data={**data, "url": f"/events/{event.id}"})
    assert muted.status_code == 200 and ">Muted: unmute</button>" in muted.get_data(as_text=True)
    assert ">Muted: unmute</button>" in subscription_html(rita.get(f"/events/{event.id}").get_data(as_text=True), event)
    before = len(notices_of(people["rita"]))
    save(client_for(people["al"]), event, item, speakers="Muted")
    assert len(notices_of(people["rita"])) == before
    # Unmuting: she follows again, by taking part.
    unmuted = rita.htmx("post", "/notifications/subscription", data={**data, "state": ""})
    body = unmuted.get_data(as_text=True)
    assert 'class="subscription__following">Following<' in body and ">Mute</button>" in body
    save(client_for(people["al"]), event, item, speakers="Heard")
    assert len(notices_of(people["rita"])) == before + 1


def test_a_bystander_can_follow_and_unfollow(client_for, people, event, item):
    ben = client_for(people["ben"])
    control = subscription_html(ben.get(f"/events/{event.id}").get_data(as_text=True), event)
    assert ">Follow</button>" in control and "subscription__following" not in control
    assert 'name="following"' not in control
    response = ben.post(
        "/notifications/subscription",
        data={
            "thread": f"agenda:{event.id}",
            "state": "follow",
            "title": "Riga training",
            "next": f"/events/{event.id}",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    page = ben.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'aria-pressed="true">Following</button>' in subscription_html(page, event)
    save(client_for(people["al"]), event, item, speakers="Followed")
    assert texts_of(people["ben"]) == ["Al Actor edited “Hearing the child” on the agenda of “Riga training”"]
    ben.post("/notifications/subscription", data={"thread": f"agenda:{event.id}", "state": ""})
    assert ">Follow</button>" in subscription_html(ben.get(f"/events/{event.id}").get_data(as_text=True), event)
    save(client_for(people["al"]), event, item, speakers="Unfollowed")
    assert len(notices_of(people["ben"])) == 1


def test_the_follow_state_is_one_query(people, event, item):
    ben_id, event_id = people["ben"].id, event.id
    db.session.rollback()
    with count_queries() as statements:
        assert services.follows(ben_id, event_id) == (None, False)
    assert len(statements) == 1
    assert services.follows(people["fay"].id, event.id) == ("follow", False)
    assert services.follows(people["mo"].id, event.id) == ("mute", True)
    assert services.follows(people["pia"].id, event.id) == (None, True)


def test_the_paths_are_the_routes(app):
    from flask import url_for

    with app.test_request_context():
        assert services.history_url(3, 7) == url_for("agendas.history", event_id=3, item=7)
    assert services.history_url(3, 7) == "/events/3/history?item=7"
