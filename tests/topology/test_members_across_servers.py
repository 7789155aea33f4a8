"""One member's requests answered by either app server: live polls, presence, conflicts, ballots, sign-outs,
deactivation and the sign-in limit work whichever server a request lands on."""

from __future__ import annotations

import re
import time

from sqlalchemy import text

from tests.topology.conftest import form_of, wait_for

HTMX = {"HX-Request": "true"}


def _event_with_items(database) -> tuple[int, list[int]]:
    """An open training's id and two of its agenda items."""
    with database.connect() as conn:
        event = conn.execute(
            text("SELECT id FROM training_event WHERE status IN ('proposed', 'confirmed') ORDER BY id LIMIT 1")
        ).scalar_one()
        items = conn.execute(
            text("SELECT id FROM agenda_item WHERE event_id = :e AND deleted_at IS NULL ORDER BY id LIMIT 3"),
            {"e": event},
        ).scalars()
        return event, list(items)


def _poll_state(page: str) -> tuple[str, str]:
    since = re.search(r'name="since" value="(\d+)"', page)
    presence = re.search(r'name="p" value="([^"]*)"', page)
    assert since and presence, "the agenda page holds its version and presence token"
    return since.group(1), presence.group(1)


def test_an_agenda_edit_saved_on_a_shows_in_the_live_poll_answered_by_b_within_5_s(browser, database):
    event, items = _event_with_items(database)
    item = items[0]
    member = browser()
    member.sign_in("sigrid@example.org", server="a")
    page = member.get(f"/events/{event}", server="b")
    assert page.status == 200
    since, presence = _poll_state(page.text)
    poll = f"/events/{event}/agenda/changes?since={since}&p={presence}"
    assert member.get(poll, server="b", headers=HTMX).status == 204  # nothing changed yet

    editor = member.get(f"/events/{event}/items/{item}/edit", server="a", headers=HTMX)
    assert editor.status == 200
    values, _choices = form_of(editor.text, f"/events/{event}/items/{item}")
    title = f"Saved through server A {time.time_ns()}"
    saved = member.post(
        f"/events/{event}/items/{item}", {**values, "title": title, "since": since}, server="a", headers=HTMX
    )
    assert saved.status == 200, saved.text[:500]
    started = time.monotonic()

    def changed():
        answer = member.get(poll, server="b", headers=HTMX)
        return answer if answer.status == 200 and title in answer.text else None

    assert wait_for(changed, 5), "server B's live poll did not show the save made through A"
    assert time.monotonic() - started < 5


def test_presence_shown_on_one_server_is_seen_by_a_member_on_the_other(browser, database):
    event, items = _event_with_items(database)
    watcher, editor = browser(), browser()
    watcher.sign_in("aino@example.org", server="b")
    editor.sign_in("olga@example.org", server="a")
    page = watcher.get(f"/events/{event}", server="b")
    since, presence = _poll_state(page.text)
    poll = f"/events/{event}/agenda/changes?since={since}&p={presence}"
    assert editor.get(f"/events/{event}/items/{items[1]}/edit", server="a", headers=HTMX).status == 200

    answer = wait_for(lambda: (a := watcher.get(poll, server="b", headers=HTMX)).status == 200 and a, 5)
    assert answer, "the watcher's poll on B never showed that someone opened an editor on A"
    assert "Olga Smirnova" in answer.text
    editor.post(f"/events/{event}/items/{items[1]}/release", server="b", headers=HTMX)


def test_a_save_on_b_over_a_version_edited_on_a_is_a_409_with_the_merge_view(browser, database):
    event, items = _event_with_items(database)
    item = items[2]
    first, second = browser(), browser()
    first.sign_in("erik@example.org", server="a")
    second.sign_in("gudrun@example.org", server="b")
    old = form_of(
        first.get(f"/events/{event}/items/{item}/edit", server="a", headers=HTMX).text, f"/events/{event}/items/{item}"
    )[0]
    theirs = form_of(
        second.get(f"/events/{event}/items/{item}/edit", server="b", headers=HTMX).text, f"/events/{event}/items/{item}"
    )[0]
    assert old["version"] == theirs["version"]
    their_title = f"Title saved by Gudrun {time.time_ns()}"
    assert (
        second.post(f"/events/{event}/items/{item}", {**theirs, "title": their_title}, server="b", headers=HTMX).status
        == 200
    )

    my_title = f"Title typed by Erik {time.time_ns()}"
    clash = first.post(f"/events/{event}/items/{item}", {**old, "title": my_title}, server="a", headers=HTMX)
    assert clash.status == 409
    # The merge view: what Erik typed kept in the form, Gudrun's saved words beside it; nothing lost.
    assert f'value="{my_title}"' in clash.text
    assert their_title.split()[-1] in clash.text and "conflict" in clash.text
    with database.connect() as conn:
        stored = conn.execute(text("SELECT title FROM agenda_item WHERE id = :i"), {"i": item}).scalar_one()
    assert stored == their_title


def _open_poll(database) -> tuple[int, str]:
    with database.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, method FROM poll WHERE opens_at <= now() AT TIME ZONE 'UTC' "
                "AND closes_at > now() AT TIME ZONE 'UTC' AND sealed_at IS NULL ORDER BY secret DESC, id LIMIT 1"
            )
        ).one()
    return row.id, row.method


def test_a_ballot_cast_on_a_is_found_and_changed_on_b(browser, database):
    poll, _method = _open_poll(database)
    voter = browser()
    voter.sign_in("kadri@example.org", server="a")
    page = voter.get(f"/polls/{poll}/ballot", server="a")
    assert page.status == 200
    values, choices = form_of(page.text, f"/polls/{poll}/ballot")
    with database.connect() as conn:
        options = [
            str(o)
            for o in conn.execute(
                text("SELECT id FROM poll_option WHERE poll_id = :p ORDER BY id"), {"p": poll}
            ).scalars()
        ]
    if "choice" in choices:
        first, second = {"choice": options[0]}, {"choice": options[-1]}
    else:  # a ranked ballot: every option in order of preference
        first, second = {"ranking": options}, {"ranking": list(reversed(options))}
    values = {k: v for k, v in values.items() if k not in ("choice", "ranking")}
    before = _revision(database, poll, "kadri@example.org")  # the demo data may have a ballot of hers already
    cast = voter.post(f"/polls/{poll}/ballot", {**values, **first}, server="a", headers=HTMX)
    assert cast.status == 200 and "Your ballot is" in cast.text, cast.text[:500]
    assert _revision(database, poll, "kadri@example.org") == before + 1
    changed = voter.post(f"/polls/{poll}/ballot", {**values, **second}, server="b", headers=HTMX)
    # Server B found the ballot cast through A (for a secret poll: by the voter tag made with the shared key)
    # and changed it: still one ballot, one revision more.
    assert changed.status == 200 and "Your ballot is changed." in changed.text
    assert _revision(database, poll, "kadri@example.org") == before + 2


def _revision(database, poll: int, email: str) -> int:
    with database.connect() as conn:
        found = (
            conn.execute(
                text(
                    "SELECT p.revision FROM poll_participation p JOIN users u ON u.id = p.voter_id "
                    "WHERE p.poll_id = :p AND u.email = :e"
                ),
                {"p": poll, "e": email},
            )
            .scalars()
            .all()
        )
    assert len(found) <= 1
    return found[0] if found else 0


def _signed_out(browser_, server: str) -> bool:
    answer = browser_.get("/dashboard", server=server)
    return answer.status == 302 and "/login" in (answer.header("Location") or "")


def test_sign_out_and_sign_out_everywhere_on_a_are_refused_on_b_at_once(browser):
    laptop, phone, tablet = browser(), browser(), browser()
    for device in (laptop, phone, tablet):
        device.sign_in("tomasz@example.org", server="b")
    stolen = dict(laptop.cookies)  # what the browser had before it signed out (a copied cookie)
    assert laptop.post("/logout", server="a").status in (302, 303)
    thief = browser()
    thief.cookies.update(stolen)
    assert _signed_out(thief, "b")
    assert phone.get("/dashboard", server="b").status == 200  # only that session ended

    assert tablet.post("/profile/sign-out-everywhere", server="a").status in (302, 303)
    assert _signed_out(phone, "b")
    assert _signed_out(phone, "a")


def test_a_deactivation_on_a_ends_the_members_session_on_b_at_once(browser, database):
    admin, member = browser(), browser()
    admin.sign_in("admin@example.org", server="a")
    member.sign_in("gudrun@example.org", server="b")
    with database.connect() as conn:
        member_id = conn.execute(text("SELECT id FROM users WHERE email = 'gudrun@example.org'")).scalar_one()
    admin.get("/admin/users", server="a")
    try:
        assert admin.post(f"/admin/users/{member_id}/active", {"active": "0"}, server="a").status in (200, 303)
        assert _signed_out(member, "b")
        again = browser()
        again.get("/login", server="b")
        refused = again.post("/login", {"email": "gudrun@example.org", "password": "protect-demo-2015"}, server="b")
        assert refused.status == 403
    finally:
        admin.post(f"/admin/users/{member_id}/active", {"active": "1"}, server="b")


def test_the_sign_in_limit_counts_failures_on_both_servers_together(browser):
    account = f"nobody-{time.time_ns()}@example.org"
    visitor = browser()
    visitor.get("/login", server="a")
    statuses = []
    for attempt in range(6):  # 5 per minute per account (PROTECT_LOGIN_LIMIT)
        server = "ab"[attempt % 2]
        answer = visitor.post("/login", {"email": account, "password": "wrong password"}, server=server)
        statuses.append(answer.status)
    # Three failures on each server: with each counting alone, none would reach the limit of 5.
    assert statuses == [401, 401, 401, 401, 401, 429]
    assert visitor.post("/login", {"email": account, "password": "wrong"}, server="a").status == 429
