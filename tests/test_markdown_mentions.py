"""A mention renders as a link to the member's page with the member's name of now (auth.members.markdown, the
``markdown`` filter), wherever member text is shown and cached; hostile labels and names stay escaped and
bounded, and a text full of mentions renders like any other (the module's checks of test_markdown_hostile)."""

from __future__ import annotations

import re

import pytest

from protect.auth import members, services
from protect.auth.models import User
from protect.core import text
from protect.core.pagecache import page_cache
from protect.extensions import db
from protect.guidelines import services as guideline_services
from protect.guidelines.models import COMMENT_MAX
from protect.notifications.mentions import mention
from tests.agendas.factories import make_event, make_item
from tests.decisions.factories import make_decision, make_meeting
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline
from tests.programme.factories import add_item, published_page
from tests.programme.factories import make_event as make_programme_event
from tests.test_markdown_hostile import check_sane

MENTION_LINK = re.compile(r'<a href="/members/(\d+)" class="mention">([^<]*)</a>')


@pytest.fixture(autouse=True)
def _render_afresh():
    text._rendered().clear()


def rename(user: User, name: str) -> None:
    services.update_profile(db.session.get(User, user.id), display_name=name)


def test_a_mention_shows_the_members_current_name_and_links_to_their_page():
    anna = make_user(display_name="Anna Berg")
    html = str(members.markdown(f"Thanks {mention(anna.id, 'Anna Berg')}, see *this*."))
    assert MENTION_LINK.findall(html) == [(str(anna.id), "@Anna Berg")]
    assert "<em>this</em>" in html
    rename(anna, "Anna Lind")
    html = str(members.markdown(f"Thanks [@Anna Berg](/members/{anna.id}), see *this*."))
    assert MENTION_LINK.findall(html) == [(str(anna.id), "@Anna Lind")]
    assert "Berg" not in html


def test_a_deactivated_member_keeps_their_name_and_an_unknown_id_keeps_the_text_without_a_link(admin):
    gone = make_user(display_name="Olga Left")
    services.set_active(admin, db.session.get(User, gone.id), False)
    html = str(members.markdown(f"[@Olga](/members/{gone.id}) and [@Nobody](/members/999999)"))
    assert MENTION_LINK.findall(html) == [(str(gone.id), "@Olga Left")]
    assert "@Nobody" in html and "/members/999999" not in html


def test_links_that_are_not_mentions_are_left_alone():
    anna = make_user(display_name="Anna Berg")
    source = (
        f"[her page](/members/{anna.id}) · [@x](/members/{anna.id}#top) · [@y](https://example.org/members/{anna.id})"
    )
    html = str(members.markdown(source))
    assert MENTION_LINK.findall(html) == []
    assert ">her page</a>" in html and ">@x</a>" in html and ">@y</a>" in html


def test_hostile_labels_and_names_are_escaped_and_bounded():
    odd = make_user(display_name='<img src=x onerror=alert(1)> "Bo" & </a><script>')
    long_name = make_user(display_name="N" * 120)  # the column's limit (PostgreSQL refuses more)
    source = (
        f"[@<b>bold</b> & <script>x</script>](/members/{odd.id}) "
        f"[@{'L' * 120}](/members/{long_name.id}) "
        f"[@**a** [b]](/members/{odd.id})"
    )
    html = str(members.markdown(source))
    check_sane(source, html)
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    found = MENTION_LINK.findall(html)
    assert found[0] == (str(odd.id), "@&lt;img src=x onerror=alert(1)&gt; &#34;Bo&#34; &amp; &lt;/a&gt;&lt;script&gt;")
    assert found[1] == (str(long_name.id), "@" + "N" * members.NAME_MAX)


@pytest.mark.parametrize(
    "make",
    [
        lambda member_id, n: (f"[@Anna](/members/{member_id}) " * n)[:n],
        lambda member_id, n: (f'<a href="/members/{member_id}">@' * n)[:n],
        lambda member_id, n: ("[@" * n)[:n] + f"](/members/{member_id})",
        lambda member_id, n: (f"[@x](/members/{member_id})" + "*" * 50 + "\n") * (n // 70),
        lambda member_id, n: "[@" + "a" * n + f"](/members/{member_id})",
    ],
    ids=["mentions run", "raw unclosed mention links", "[@ run", "mentions among emphasis", "one huge label"],
)
def test_texts_full_of_mentions_render_sanely_at_the_comment_limit(make):
    anna = make_user(display_name="Anna <Berg>")
    source = make(anna.id, COMMENT_MAX)
    html = str(members.markdown(source))
    check_sane(source, html)
    assert "<Berg>" not in html
    assert all(name in ("@Anna &lt;Berg&gt;",) for _, name in MENTION_LINK.findall(html))


def test_a_text_without_a_members_link_is_render_markdowns_own_and_reads_no_names(monkeypatch):
    monkeypatch.setattr(members, "member_names", lambda: pytest.fail("names read for a text without mentions"))
    source = "Plain *text* with a [link](https://example.org/people/3) and an @ sign."
    assert members.markdown(source) == text.render_markdown(source)
    assert members.markdown("") == ""
    assert members.markdown(None) == ""


def test_the_names_are_read_once_per_state_of_the_members(client_for, expert):
    anna = make_user(display_name="Anna Berg")
    guideline = make_guideline(make_user("moderator"), sections=1)
    revision = current(first_section(guideline))
    guideline_services.add_comment(expert, revision.id, f"Over to you, {mention(anna.id, 'Anna Berg')}.")
    client = client_for(expert)

    def comment_link() -> list[tuple[str, str]]:
        page_cache().clear()
        body = client.get(f"/guidelines/revisions/{revision.id}").get_data(as_text=True)
        return MENTION_LINK.findall(body)

    assert comment_link() == [(str(anna.id), "@Anna Berg")]
    rename(anna, "Anna Lind")
    assert comment_link() == [(str(anna.id), "@Anna Lind")]


# Where rendered member text is kept ------------------------------------------------------------------------


def test_a_cached_agenda_shows_a_renamed_members_new_name_in_the_notes(client_for, expert):
    anna = make_user(display_name="Anna Berg")
    event = make_event(expert)
    make_item(event, expert, title="Hearing the child", notes=f"Prepared by {mention(anna.id, 'Anna Berg')}.")
    client = client_for(expert)

    def notes() -> list[tuple[str, str]]:
        page_cache().clear()  # the whole page is kept too (under "auth"): here the days' own cache is tested
        return MENTION_LINK.findall(client.get(f"/events/{event.id}").get_data(as_text=True))

    assert notes() == [(str(anna.id), "@Anna Berg")]
    assert notes() == [(str(anna.id), "@Anna Berg")]  # from the days' cache
    rename(anna, "Anna Lind")
    assert notes() == [(str(anna.id), "@Anna Lind")]


def test_decision_text_and_meeting_minutes_show_mentions_with_current_names(client_for, expert):
    anna = make_user(display_name="Anna Berg")
    decision = make_decision(expert, text=f"Agreed; {mention(anna.id, 'Anna Berg')} writes it up.")
    meeting = make_meeting(expert, minutes=f"Minutes taken by {mention(anna.id, 'Anna Berg')}.")
    rename(anna, "Anna Lind")
    client = client_for(expert)
    for url in (f"/decisions/{decision.id}", f"/decisions/meetings/{meeting.id}"):
        body = client.get(url).get_data(as_text=True)
        assert MENTION_LINK.findall(body) == [(str(anna.id), "@Anna Lind")], url


def test_the_public_programme_shows_mentions_as_written_without_a_link_to_a_members_page(client, expert, moderator):
    anna = make_user(display_name="Anna Berg")
    event = make_programme_event(slug="tallinn-2027-training", city="Tallinn", country="EE")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child", notes=f"With {mention(anna.id, 'Anna Berg')}.")
    page = published_page(expert, moderator, event, title="Training in Tallinn")
    rename(anna, "Anna Lind")
    body = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert "With @Anna Berg." in body
    assert f"/members/{anna.id}" not in body and "Anna Lind" not in body
