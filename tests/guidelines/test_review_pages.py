"""What a reviewer meets: the compare page (rendered or source, inline or side by side), valid markup on the
document and revision pages, a dashboard that lists each proposal once, and the limits on what adds up
(comments per revision, replies per thread, open proposals per member) with a revision page whose size does
not grow with its comments."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from protect.core.database import utcnow
from protect.core.pagecache import page_cache
from protect.extensions import db
from protect.guidelines import models, services
from protect.guidelines.models import Comment, SectionRevision
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose


def text(response) -> str:
    return response.get_data(as_text=True)


# Compare ----------------------------------------------------------------------------------------------------


@pytest.fixture
def compared(moderator, expert):
    section = first_section(make_guideline(moderator))
    base = current(section)
    body = base.body.replace("first protective act", "**first** act of protection")
    body = body.replace("No single indicator is proof.", "No single indicator is *ever* proof.")
    revision = propose(expert, section, body)
    return section, base, revision


def test_the_revision_page_button_opens_the_side_by_side_view(expert_client, compared):
    section, base, revision = compared
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    link = re.search(r'<a class="button button--quiet" href="([^"]+)">Compare side by side</a>', page)
    assert link, "no side-by-side link"
    href = link.group(1).replace("&amp;", "&")
    assert "view=side" in href
    side = text(expert_client.get(href))
    assert '<table class="table diff-table">' in side and "Revision 1 (older)" in side
    assert 'value="side" checked' in side


def test_the_compare_page_shows_the_rendered_text_with_the_changes_marked(expert_client, compared):
    section, base, revision = compared
    url = f"/guidelines/sections/{section.id}/compare?from={base.id}&to={revision.id}"
    page = text(expert_client.get(url))
    shown = page.split('id="comparison"', 1)[1]
    assert '<div class="diff-rendered diff--inline prose card">' in shown
    # Rendered, not **first**: the words kept, the formatting change marked.
    assert '<strong><ins class="diff-format"><span aria-hidden="true">✎</span>' in shown
    assert "[formatting changed]</span></ins>first</strong>" in shown and "**" not in shown
    assert '<del><span class="sr-only">[removed: </span>protective<' in shown
    assert '<em><ins><span class="sr-only">[added: </span>ever' in shown
    # The Markdown source is one link away, the mode kept in the URL (no JavaScript needed).
    assert 'aria-current="true">Rendered text</a>' in shown
    source_link = re.search(r'<a href="([^"]+)">Markdown source</a>', shown).group(1).replace("&amp;", "&")
    assert "show=source" in source_link and f"from={base.id}" in source_link
    source = text(expert_client.get(source_link)).split('id="comparison"', 1)[1]
    assert '<div class="diff diff--inline card">' in source
    assert '<ins><span class="sr-only">[added: </span>**<span class="sr-only">]</span></ins>first' in source
    assert 'aria-current="true">Markdown source</a>' in source
    # The form keeps the mode for the next comparison.
    assert '<input type="hidden" name="show" value="source">' in text(expert_client.get(source_link))


def test_the_side_by_side_view_shows_both_rendered_texts_and_their_sources(expert_client, compared):
    section, base, revision = compared
    url = f"/guidelines/sections/{section.id}/compare?from={base.id}&to={revision.id}&view=side"
    table = text(expert_client.get(url)).split('<table class="table diff-table">', 1)[1].split("</table>", 1)[0]
    assert table.count('class="is-changed"') == 2  # the first and last paragraphs
    changed = table.split('class="is-changed"', 1)[1]
    old_cell, new_cell = re.findall(r"<td data-side=[^>]*>(.*?)</td>", changed, re.S)[:2]
    assert '<del><span class="sr-only">[removed: </span>protective' in old_cell and "<ins" not in old_cell
    assert '<ins><span class="sr-only">[added: </span>of protection' in new_cell and "<del" not in new_cell
    source = text(expert_client.get(url + "&show=source"))
    assert '<div class="diff">' in source and "[added: </span>**<" in source


def test_a_joined_word_is_not_called_spacing_on_the_compare_page(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    base = current(section)
    revision = propose(expert, section, edited(section, "include: the child", "include:the child"))
    for show in ("rendered", "source"):
        url = f"/guidelines/sections/{section.id}/compare?from={base.id}&to={revision.id}&show={show}"
        page = text(expert_client.get(url))
        assert "Only spacing" not in page
        assert "[space removed]</span></del>" in page.split('id="comparison"', 1)[1].split("diff-legend", 1)[1]


def test_a_revision_page_shows_the_changes_rendered_or_as_source(expert_client, compared):
    section, base, revision = compared
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    changes = page.split('id="changes-title"', 1)[1].split("</section>", 1)[0]
    assert '<em><ins><span class="sr-only">[added: </span>ever' in changes and "**first**" not in changes
    source = text(expert_client.get(f"/guidelines/revisions/{revision.id}?changes=source"))
    changes = source.split('id="changes-title"', 1)[1].split("</section>", 1)[0]
    assert "[added: </span>*ever* <" in changes and 'aria-current="true">Markdown source' in changes


# Valid markup -----------------------------------------------------------------------------------------------


class _Nesting(HTMLParser):
    PHRASING = {"span", "a", "em", "strong", "label", "button", "small", "b", "i", "time", "code"}
    VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base", "embed", "track"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.datetimes: list[str] = []

    def handle_starttag(self, tag, attrs):
        blocks = ("form", "div", "p", "ul", "ol", "section", "nav", "table")
        if tag in blocks and any(t in self.PHRASING for t in self.stack):
            self.problems.append(f"<{tag}> inside <{[t for t in self.stack if t in self.PHRASING][-1]}>")
        if tag == "time":
            self.datetimes.extend(v for k, v in attrs if k == "datetime")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def nesting(page: str) -> _Nesting:
    parser = _Nesting()
    parser.feed(page)
    return parser


# A valid global date and time string: at most three digits of a second's fraction.
VALID_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$")


def test_the_contents_hold_no_form_inside_a_span(moderator_client, moderator):
    guideline = make_guideline(moderator, sections=3)
    page = text(moderator_client.get(f"/guidelines/{guideline.slug}"))
    assert page.count('action="/guidelines/sections/') >= 4  # the move buttons are there
    assert nesting(page).problems == []


def test_times_carry_at_most_three_fraction_digits(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    revision = propose(expert, section, "Proposed text")
    services.add_comment(moderator, revision.id, "A comment")
    with_micros = datetime(2026, 3, 4, 5, 6, 7, 123456)
    db.session.execute(update(SectionRevision).where(SectionRevision.id == revision.id).values(created_at=with_micros))
    db.session.execute(update(Comment).where(Comment.revision_id == revision.id).values(created_at=with_micros))
    db.session.commit()
    page_cache().clear()  # raw updates: the cached page would not know
    for url in (f"/guidelines/revisions/{revision.id}", f"/guidelines/sections/{section.id}"):
        page = text(expert_client.get(url))
        found = nesting(page).datetimes
        assert "2026-03-04T05:06:07.123Z" in found, (url, found)
        assert all(VALID_DATETIME.match(value) for value in found), found
        assert nesting(page).problems == []


def test_iso_utc_keeps_milliseconds_and_drops_the_rest():
    from protect.core.timefmt import iso_utc

    assert iso_utc(datetime(2026, 3, 4, 5, 6, 7, 123456)) == "2026-03-04T05:06:07.123Z"
    assert iso_utc(datetime(2026, 3, 4, 5, 6, 7)) == "2026-03-04T05:06:07Z"


# Dashboard --------------------------------------------------------------------------------------------------


def _links(section_html: str) -> list[str]:
    return re.findall(r'href="(/guidelines/revisions/\d+)"', section_html)


def test_the_dashboard_lists_each_open_proposal_once(client_for, moderator, expert):
    from protect.guidelines.services import dashboard_panel

    section = first_section(make_guideline(moderator))
    proposer = make_user("expert", display_name="Pia Proposer")
    first = propose(proposer, section, "Proposed text one")
    second = propose(make_user("expert"), section, "Proposed text two")
    services.add_comment(moderator, second.id, "Seen it")
    own = propose(moderator, section, "The moderator's own proposal")

    items = dashboard_panel(moderator)
    assert [r.id for r in items["waiting"]] == [first.id, second.id]  # not their own
    assert items["uncommented"] == []  # a reviewer is asked to review, not listed twice
    page = text(client_for(moderator).get("/dashboard"))
    panel = page.split('id="guidelines-panel-title"', 1)[1].split("</section>", 1)[0]
    links = _links(panel)
    assert len(links) == len(set(links)) == 2 and f"/guidelines/revisions/{own.id}" not in links
    assert "Proposals you have not commented on" not in panel
    assert panel.count("Not commented on by you yet") == 1  # the first one; the moderator commented on the second

    items = dashboard_panel(expert)
    assert items["waiting"] == [] and [r.id for r in items["uncommented"]] == [first.id, second.id, own.id][::-1]
    panel = text(client_for(expert).get("/dashboard")).split('id="guidelines-panel-title"', 1)[1]
    panel = panel.split("</section>", 1)[0]
    assert "Waiting for your review" not in panel and len(_links(panel)) == len(set(_links(panel))) == 3


# Limits -----------------------------------------------------------------------------------------------------


def _fill_comments(revision_id: int, author, count: int, parent_id: int | None = None) -> None:
    revision = db.session.get(SectionRevision, revision_id)
    now = utcnow()
    seq = revision.comment_seq
    for number in range(count):
        seq += 1
        db.session.add(
            Comment(
                revision_id=revision_id,
                author_id=author.id,
                body=f"Comment {number}",
                parent_id=parent_id,
                created_seq=seq,
                seq=seq,
                created_at=now,
            )
        )
    revision.comment_seq = seq
    db.session.commit()


def test_a_revision_takes_at_most_so_many_comments_answered_with_422(expert_client, moderator, expert, monkeypatch):
    monkeypatch.setattr(services, "COMMENTS_PER_REVISION", 12)
    section = first_section(make_guideline(moderator))
    revision = propose(make_user("expert"), section, "Proposed text")
    _fill_comments(revision.id, moderator, 12)
    response = expert_client.post(
        f"/guidelines/revisions/{revision.id}/comments", data={"body": "One too many", "paragraph": ""}
    )
    assert response.status_code == 422
    page = text(response)
    assert "has 12 comments, the most one revision takes" in page and "One too many" in page  # the text kept
    count = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.revision_id == revision.id))
    assert count == 12
    assert models.COMMENTS_PER_REVISION == 500


def test_a_thread_takes_at_most_so_many_replies(expert_client, moderator, expert, monkeypatch):
    monkeypatch.setattr(services, "REPLIES_PER_THREAD", 3)
    section = first_section(make_guideline(moderator))
    revision = propose(make_user("expert"), section, "Proposed text")
    thread = services.add_comment(expert, revision.id, "A question")
    for number in range(3):
        services.add_comment(moderator, revision.id, f"Answer {number}", parent_id=thread.id)
    response = expert_client.htmx(
        "post", f"/guidelines/revisions/{revision.id}/comments", data={"body": "A fourth reply", "parent_id": thread.id}
    )
    assert response.status_code == 422
    assert "This thread has 3 replies, the most one thread takes" in text(response)
    assert "A fourth reply" in text(response)
    assert services.add_comment(expert, revision.id, "A new thread is still fine").parent_id is None
    assert models.REPLIES_PER_THREAD == 100


def test_a_member_has_at_most_so_many_open_proposals_for_one_section(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    base = current(section)
    for number in range(models.OPEN_PROPOSALS_PER_MEMBER):
        propose(expert, section, f"Proposal {number}")
    response = expert_client.post(
        f"/guidelines/sections/{section.id}/propose",
        data={"body": "One more proposal", "summary": "Because.", "base_revision_id": base.id},
    )
    assert response.status_code == 422
    assert "waiting for review, the most one member can have open at once" in text(response)
    assert "One more proposal" in text(response)
    waiting = db.session.scalar(
        select(func.count()).select_from(SectionRevision).where(SectionRevision.author_id == expert.id)
    )
    assert waiting == models.OPEN_PROPOSALS_PER_MEMBER
    # Another member, and the same member once one is withdrawn, may propose.
    propose(make_user("expert"), section, "Someone else's proposal")
    mine = db.session.execute(select(SectionRevision).where(SectionRevision.author_id == expert.id)).scalars().first()
    services.withdraw_revision(expert, mine.id)
    assert propose(expert, section, "Now there is room").status == "proposed"


def test_the_revision_page_shows_a_page_of_threads_at_a_time(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    revision = propose(make_user("expert"), section, "Proposed text")
    _fill_comments(revision.id, moderator, 250)
    first = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    assert first.count('class="thread"') == services.COMMENTS_PER_PAGE == 100
    assert "Page 1 of 3" in first and 'id="comments-total">250<' in first
    third = text(expert_client.get(f"/guidelines/revisions/{revision.id}?cpage=3"))
    assert third.count('class="thread"') == 50 and "Comment 249" in third and "Comment 0<" not in third
    fragment = expert_client.htmx("get", f"/guidelines/revisions/{revision.id}?cpage=2")
    assert fragment.status_code == 200 and text(fragment).count('class="thread"') == 100
    assert "<html" not in text(fragment)
    # Out of range pages fall back to a real page rather than an empty one or an error.
    assert text(expert_client.get(f"/guidelines/revisions/{revision.id}?cpage=99")).count('class="thread"') == 50


def test_pages_of_threads_never_split_a_thread():
    threads = [services.Thread(root=object(), replies=[object()] * n) for n in (10, 95, 3, 99, 0)]
    pages = services.thread_pages(threads, per_page=100)
    assert [[1 + len(t.replies) for t in page] for page in pages] == [[11], [96, 4], [100], [1]]
    assert services.thread_pages([]) == [[]]
