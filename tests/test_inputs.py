"""Absurd input is refused with a 4xx before it reaches a feature: ids too large for the database, digits
that are not ASCII, control characters in text."""

from __future__ import annotations

import pytest

from protect.auth.models import User
from protect.core.forms import int_or_none
from protect.core.inputs import MAX_INT, clean_text, parse_int
from protect.extensions import db
from tests.agendas.factories import make_event, make_item


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (" 7 ", 7), ("0", 0), (str(MAX_INT), MAX_INT), (str(MAX_INT + 1), None), ("-3", None),
     ("²", None), ("١٢", None), ("1.5", None), ("", None), (None, None), (True, None), (42, 42)],
)  # fmt: skip
def test_parse_int_takes_only_plain_whole_numbers_the_database_can_hold(value, expected):
    assert parse_int(value) == expected


def test_a_select_value_that_is_not_an_id_becomes_an_id_that_exists_nowhere():
    assert int_or_none("") is None
    assert int_or_none("5") == 5
    for bad in ("²", "99999999999999999999", "0", "x"):
        assert int_or_none(bad) == -1


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path", [f"/events/{HUGE}", f"/polls/{HUGE}/results", f"/decisions/{HUGE}", f"/guidelines/revisions/{HUGE}"]
)
def test_an_id_too_large_for_the_database_is_not_found(expert_client, path):
    assert expert_client.get(path).status_code == 404


def test_control_characters_are_removed_from_what_is_posted(expert_client, expert):
    assert clean_text("a\x00b\x07c\td\ne\r\n") == "abc\td\ne\r\n"
    response = expert_client.post(
        "/profile",
        data={"display_name": "Eva\x00 Ekspert\x1b", "organisation": "", "country": "EE", "sector": "ngo",
              "time_zone": "Europe/Tallinn"},
    )  # fmt: skip
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, expert.id).display_name == "Eva Ekspert"


def test_control_characters_are_removed_from_the_query_string(expert_client):
    response = expert_client.get("/decisions/?q=guard%00ian")
    assert response.status_code == 200
    assert "\x00" not in response.get_data(as_text=True)


def test_a_number_the_database_cannot_hold_is_ignored_in_query_and_form_values(expert_client, expert):
    # request.args.get("deleted", type=int) and the like give their default, not an OverflowError (a 500).
    event = make_event(expert)
    item = make_item(event, expert)
    db.session.commit()
    assert expert_client.get(f"/events/{event.id}?deleted={HUGE}").status_code == 200
    assert expert_client.get(f"/events/{event.id}/items/new?after={HUGE}&day={HUGE}").status_code < 500
    assert expert_client.post(f"/events/{event.id}/items/{item.id}/move", data={"to_day": HUGE}).status_code < 500


def test_decision_filters_and_links_ignore_numbers_the_database_cannot_hold(expert_client):
    for path in (f"/decisions/?owner={HUGE}", f"/decisions/?meeting={HUGE}", f"/decisions/export.csv?meeting={HUGE}",
                 f"/decisions/new?meeting_id={HUGE}&event_id={HUGE}"):  # fmt: skip
        assert expert_client.get(path).status_code == 200, path
    # A link to a revision or poll that doesn't exist is "not found", whatever its number.
    assert expert_client.get(f"/decisions/new?revision_id={HUGE}").status_code == 404
    assert expert_client.get(f"/decisions/new?poll_id={HUGE}").status_code == 404


def test_a_ballot_with_digits_that_are_not_ascii_is_refused_beside_the_ballot(client_for, moderator, expert):
    from tests.polls.factories import make_poll

    poll = make_poll(moderator, method="schulze")
    poll_id, first_option = poll.id, poll.options[0].id  # before signing in commits (and expires the poll)
    client = client_for(expert)
    for data in ({"ranking": "²"}, {"rank-²": "1"}, {f"rank-{first_option}": "²"}, {"ranking": HUGE}):
        response = client.post(f"/polls/{poll_id}/ballot", data=data)
        assert response.status_code == 422, data
    response = client.post(f"/polls/{poll_id}/ballot/arrange", data={"move": "up:²"})
    assert response.status_code == 422


def test_guideline_pages_ignore_digits_that_are_not_ascii(expert_client, moderator):
    from tests.guidelines.factories import current, first_section, make_guideline

    section = first_section(make_guideline(moderator))
    revision = current(section)
    db.session.commit()
    for path in (f"/guidelines/sections/{section.id}/compare?from=²", f"/guidelines/revisions/{revision.id}?on=²",
                 f"/guidelines/revisions/{revision.id}/comments/changes?since=²&shown=²",
                 f"/guidelines/revisions/{revision.id}?on={HUGE}"):  # fmt: skip
        assert expert_client.get(path).status_code < 500, path
    response = expert_client.post(f"/guidelines/revisions/{revision.id}/comments",
                                  data={"body": "A comment", "parent_id": HUGE, "paragraph": "²"})  # fmt: skip
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("path", ["/programme/a%00b", "/programme/a%1Fb/print", "/programme/%7F"])
def test_a_control_character_in_a_path_is_not_found(client, path):
    assert client.get(path).status_code == 404
