"""A member's page (where a mention leads) and the members offered after "@" in a text."""

from __future__ import annotations

import re

from protect.auth import members, services
from protect.auth.models import User
from protect.extensions import db
from protect.guidelines import services as guideline_services
from tests.agendas.factories import make_event, make_item
from tests.conftest import count_queries
from tests.decisions.factories import make_decision, make_meeting
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline

OPTION = re.compile(r'<li role="option" id="mention-option-(\d+)"[^>]*data-mention="([^"]*)"[^>]*>([^<]*)</li>')


def options(client, text: str) -> list[tuple[int, str, str]]:
    response = client.htmx("get", "/members/suggest", query_string={"q": text})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    return [(int(member_id), stored, name) for member_id, stored, name in OPTION.findall(body)]


# The member's page ------------------------------------------------------------------------------------------


def test_a_member_sees_another_members_page_without_their_email(client_for, expert):
    anna = make_user("moderator", display_name="Anna Berg", email="anna@agency.example", country="SE")
    anna.organisation = "Barnahus Stockholm"
    db.session.commit()
    response = client_for(expert).get(f"/members/{anna.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<h1>Anna Berg</h1>" in body
    assert "Moderator" in body and "Sweden" in body and "Child welfare" in body and "Barnahus Stockholm" in body
    assert "anna@agency.example" not in body
    assert "former member" not in body


def test_a_deactivated_members_page_says_former_member(client_for, expert):
    gone = make_user("expert", display_name="Olga Left", active=False)
    body = client_for(expert).get(f"/members/{gone.id}").get_data(as_text=True)
    assert "Olga Left" in body and "(former member)" in body


def test_an_unknown_member_is_404(client_for, expert):
    assert client_for(expert).get("/members/999999").status_code == 404
    assert client_for(expert).get("/members/99999999999999999999999").status_code == 404


def test_visitors_do_not_see_members_or_suggestions(client, expert):
    for path in (f"/members/{expert.id}", "/members/suggest?q=Ev"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.htmx("get", "/members/suggest?q=Ev")
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


# Suggestions ------------------------------------------------------------------------------------------------


def test_suggestions_find_active_members_by_part_of_the_name(client_for, expert):
    anna = make_user(display_name="Anna Berg")
    hanna = make_user(display_name="Hanna Andersson")
    make_user(display_name="Annabelle Gone", active=False)
    make_user(display_name="Peter Holm")
    found = options(client_for(expert), "ann")
    # Names (or a word of them) beginning with the text first, then those that contain it.
    assert [name for _, _, name in found] == ["Anna Berg", "Hanna Andersson"]
    assert found[0] == (anna.id, f"[@Anna Berg](/members/{anna.id})", "Anna Berg")
    assert found[1][0] == hanna.id
    assert [name for _, _, name in options(client_for(expert), "AND")] == ["Hanna Andersson"]
    assert [name for _, _, name in options(client_for(expert), "anna  berg")] == ["Anna Berg"]


def test_suggestions_ignore_case_and_accents(client_for, expert):
    make_user(display_name="Åsa Jürgensen")
    make_user(display_name="Łukasz Nowak")
    make_user(display_name="Søren Kierkegaard")
    make_user(display_name="Æsa Sæter")
    client = client_for(expert)
    assert [name for _, _, name in options(client, "asa jur")] == ["Åsa Jürgensen"]
    assert [name for _, _, name in options(client, "JÜRG")] == ["Åsa Jürgensen"]
    assert [name for _, _, name in options(client, "lukasz")] == ["Łukasz Nowak"]
    assert [name for _, _, name in options(client, "soren")] == ["Søren Kierkegaard"]
    assert [name for _, _, name in options(client, "SÆTER")] == ["Æsa Sæter"]


def test_suggestions_are_at_most_eight_and_never_the_member_typing(client_for):
    me = make_user(display_name="Team Member 0")
    for n in range(1, 12):
        make_user(display_name=f"Team Member {n}")
    found = options(client_for(me), "team")
    assert len(found) == members.SUGGESTIONS_MAX == 8
    assert me.id not in {member_id for member_id, _, _ in found}


def test_nothing_is_suggested_for_an_empty_or_overlong_text(client_for, expert):
    make_user(display_name="Anna Berg")
    client = client_for(expert)
    assert options(client, "") == []
    assert options(client, "   ") == []
    assert options(client, "a" * (members.QUERY_MAX + 1)) == []
    assert options(client, "Anna" + " " * 200) == []  # longer than any name: not looked at
    response = client.htmx("get", "/members/suggest")
    assert response.status_code == 200 and "option" not in response.get_data(as_text=True)


def test_a_name_with_markup_or_brackets_is_offered_escaped_and_stored_without_brackets(client_for, expert):
    odd = make_user(display_name='<b>Bo</b> [the] "boss" & co')
    body = client_for(expert).htmx("get", "/members/suggest", query_string={"q": "bo"}).get_data(as_text=True)
    assert "<b>" not in body
    assert "&lt;b&gt;Bo&lt;/b&gt; [the] &#34;boss&#34; &amp; co</li>" in body
    stored = f"[@&lt;b&gt;Bo&lt;/b&gt; the &#34;boss&#34; &amp; co](/members/{odd.id})"
    assert f'data-mention="{stored}"' in body


def test_suggestions_follow_a_rename_and_a_deactivation(client_for, expert, admin):
    anna = make_user(display_name="Anna Berg")
    client = client_for(expert)
    assert [name for _, _, name in options(client, "berg")] == ["Anna Berg"]
    services.update_profile(db.session.get(User, anna.id), display_name="Anna Lind")
    assert options(client, "berg") == []
    assert [name for _, _, name in options(client, "lind")] == ["Anna Lind"]
    services.set_active(admin, db.session.get(User, anna.id), False)
    assert options(client, "lind") == []


def test_one_query_for_a_suggestion_once_the_members_are_known(client_for, expert):
    for n in range(30):
        make_user(display_name=f"Member {n}")
    client = client_for(expert)
    options(client, "mem")  # the list is read and kept
    with count_queries() as statements:
        assert len(options(client, "member 1")) == 8
    assert len(statements) == 1  # the session row (with the change tokens): no list read again


# The fields that offer members ------------------------------------------------------------------------------

MENTION_FIELD = re.compile(r'<textarea[^>]*\bdata-mention="/members/suggest"[^>]*>')


def test_the_texts_that_can_mention_offer_members_and_others_do_not(client_for, expert, moderator):
    guideline = make_guideline(moderator, sections=1)
    revision = current(first_section(guideline))
    comment = guideline_services.add_comment(expert, revision.id, "A first thought.")
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    decision = make_decision(expert)
    meeting = make_meeting(expert)
    client = client_for(expert)

    def fields(url: str) -> list[str]:
        """The ids of the text fields of the page that offer members."""
        response = client.get(url)
        assert response.status_code == 200, url
        return [re.search(r'id="([a-z0-9_-]+)"', tag).group(1) for tag in MENTION_FIELD.findall(response.text)]

    # The new comment and every reply box on the revision; a comment being edited.
    assert fields(f"/guidelines/revisions/{revision.id}") == ["body", f"reply-{comment.id}-body"]
    assert f"edit-{comment.id}" in fields(f"/guidelines/comments/{comment.id}/edit")
    assert fields(f"/events/{event.id}/items/{item.id}/edit") == [f"item-{item.id}-notes"]
    assert fields(f"/events/{event.id}/items/new?day=1") == ["new-1-notes"]
    assert fields("/decisions/new") == ["text"]  # not the rationale
    assert fields(f"/decisions/{decision.id}/edit") == ["text"]
    assert fields("/decisions/meetings/new") == ["minutes"]  # not the guests
    assert fields(f"/decisions/meetings/{meeting.id}/edit") == ["minutes"]


def test_without_javascript_a_mention_typed_by_hand_posts_and_shows_as_a_link(client_for, expert, moderator):
    anna = make_user(display_name="Anna Berg")
    guideline = make_guideline(moderator, sections=1)
    revision = current(first_section(guideline))
    client = client_for(expert)
    typed = f"Over to [@Anna](/members/{anna.id})."
    response = client.post(f"/guidelines/revisions/{revision.id}/comments", data={"body": typed})
    assert response.status_code == 303
    page = client.get(f"/guidelines/revisions/{revision.id}").text
    assert f'<a href="/members/{anna.id}" class="mention">@Anna Berg</a>' in page
