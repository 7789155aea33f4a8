"""Comments through the test client: plain posts and htmx, paragraphs, replies, edits, resolving, hiding,
the poll that brings in others' comments, bad input, and harmless Markdown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import Comment
from tests.conftest import count_queries
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline, propose


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def revision(moderator, expert):
    section = first_section(make_guideline(moderator))
    return propose(
        make_user("expert", display_name="Pia Proposer"), section, current(section).body + "\n\nA fourth one."
    )


def comments_url(revision) -> str:
    return f"/guidelines/revisions/{revision.id}/comments"


def test_a_plain_post_comments_on_a_paragraph_and_redirects(expert_client, expert, revision):
    response = expert_client.post(comments_url(revision), data={"paragraph": "2", "body": "About *indicators*"})
    assert response.status_code == 303
    comment = db.session.execute(select(Comment)).scalar_one()
    assert response.headers["Location"] == f"/guidelines/revisions/{revision.id}#comment-{comment.id}"
    assert (comment.paragraph, comment.author_id) == (2, expert.id)
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    assert "About <em>indicators</em>" in page
    assert re.search(r'id="p-2-count"[^>]*>.*?<span class="para__count">1</span> comment<', page, re.S)
    assert re.search(r'id="p-1-count"[^>]*>.*?<span class="para__count">0</span> comments<', page, re.S)
    assert 'On <a href="#p-2">paragraph 2</a>' in page


def test_the_paragraph_link_works_without_javascript(expert_client, revision):
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}?on=3"))
    assert '<option selected value="3">Paragraph 3: No single indicator is proof.</option>' in page
    assert 'class="para para--selected" id="p-3"' in page


def test_comments_on_an_unknown_revision_or_paragraph_are_refused(expert_client, revision):
    assert expert_client.post("/guidelines/revisions/999999/comments", data={"body": "Hello"}).status_code == 404
    response = expert_client.post(comments_url(revision), data={"paragraph": "9", "body": "Kept text"})
    assert response.status_code == 422
    assert "has paragraphs 1 to 4; there is no paragraph 9" in text(response)
    assert "Kept text</textarea>" in text(response)
    response = expert_client.htmx("post", comments_url(revision), data={"paragraph": "x", "body": "Kept"})
    assert response.status_code == 422 and "Choose the revision as a whole or one of its paragraphs." in text(response)
    assert "<html" not in text(response) and 'id="comment-form"' in text(response)
    response = expert_client.post(comments_url(revision), data={"parent_id": "999999", "body": "Reply"})
    assert response.status_code == 422 and "not on this revision" in text(response)
    assert db.session.execute(select(Comment)).first() is None


def test_empty_and_over_long_comments_are_refused_clearly(expert_client, revision):
    response = expert_client.htmx("post", comments_url(revision), data={"body": "  "})
    assert response.status_code == 422 and "Write a comment first." in text(response)
    long = "ø" * 10_001
    response = expert_client.htmx("post", comments_url(revision), data={"body": long})
    assert response.status_code == 422
    assert "A comment can be at most 10,000 characters; this one has 10,001." in text(response)
    assert long in text(response)
    assert db.session.execute(select(Comment)).first() is None


def test_markdown_in_comments_is_rendered_harmless(expert_client, revision):
    nasty = (
        "<script>alert('x')</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
        '<a href="https://example.org" onclick="steal()">site</a> <div hx-get="/admin">htmx</div>'
    )
    expert_client.post(comments_url(revision), data={"body": nasty})
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    body = page[page.index('class="comment__body') :]
    body = body[: body.index("</div>")]
    # After <script> the line is raw HTML (CommonMark): the link is shown as its text, inert, never as a link.
    for bad in ("<script", "onerror", 'href="javascript:', "onclick", "hx-get", "<img"):
        assert bad not in body, bad
    assert 'rel="noopener noreferrer nofollow"' in body


def test_a_revision_body_with_html_is_harmless_in_paragraphs_and_in_the_diff(expert_client, moderator):
    section = first_section(make_guideline(moderator))
    revision = propose(make_user("expert"), section, "Text <script>alert(1)</script>\n\n[x](javascript:alert(1))")
    page = text(expert_client.get(f"/guidelines/revisions/{revision.id}"))
    assert "<script>alert" not in page and 'href="javascript:' not in page
    changes = page.split('id="changes-title"', 1)[1].split("</section>", 1)[0]
    assert "<script" not in changes and "javascript:" not in changes  # the rendered diff: sanitised
    source = text(expert_client.get(f"/guidelines/revisions/{revision.id}?changes=source"))
    changes = source.split('id="changes-title"', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in changes  # the source view shows the source, escaped


def test_htmx_comment_posts_answer_with_a_fresh_form_and_the_new_thread(expert_client, revision):
    response = expert_client.htmx(
        "post", comments_url(revision), data={"paragraph": "1", "body": "First!", "since": "0", "filter": "all"}
    )
    assert response.status_code == 200
    page = text(response)
    comment = db.session.execute(select(Comment)).scalar_one()
    assert (
        page.lstrip().startswith('<form id="comment-form"') and "First!</textarea>" not in page
    )  # a fresh, empty form
    assert '<hx-partial hx-target="#threads" hx-swap="beforeend">' in page
    assert f'id="thread-{comment.id}"' in page
    assert '<hx-partial hx-target="#p-1-count" hx-swap="outerHTML">' in page
    assert 'name="since" value="1"' in page
    assert "Your comment is posted." in page
    assert "<html" not in page and "<nav" not in page


def test_replies_edits_and_resolving_happen_in_place(client_for, expert_client, expert, revision):
    thread = services.add_comment(expert, revision.id, "A question", paragraph=2)
    proposer = client_for(db.session.get(type(expert), revision.author_id))
    state = {"since": "1", "shown": str(thread.id), "filter": "all"}
    response = proposer.htmx(
        "post", comments_url(revision), data={"parent_id": thread.id, "body": "An answer", **state}
    )
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith(f'<div id="reply-{thread.id}"')  # the reply box, fresh and closed
    assert f'<hx-partial hx-target="#thread-{thread.id}-body" hx-swap="outerHTML">' in page  # the thread, refreshed
    assert "An answer" in page
    reply = db.session.execute(select(Comment).where(Comment.parent_id == thread.id)).scalar_one()

    # The author edits their comment in place; the edit is marked.
    form = expert_client.htmx("get", f"/guidelines/comments/{thread.id}/edit")
    assert form.status_code == 200 and f'id="edit-{thread.id}"' in text(form) and "A question</textarea>" in text(form)
    saved = expert_client.htmx(
        "post", f"/guidelines/comments/{thread.id}/edit", data={"body": "A better question", "since": "2"}
    )
    assert saved.status_code == 200 and text(saved).lstrip().startswith(f'<div id="thread-{thread.id}-body"')
    assert "A better question" in text(saved) and ">edited</span>" in text(saved)
    bad = expert_client.htmx("post", f"/guidelines/comments/{thread.id}/edit", data={"body": ""})
    assert bad.status_code == 422 and "Write a comment first." in text(bad) and f'id="edit-{thread.id}"' in text(bad)

    # The revision's author resolves the thread; anyone reopens nothing that is not theirs.
    resolved = proposer.htmx("post", f"/guidelines/comments/{thread.id}/resolve", data={"resolved": "1"})
    assert resolved.status_code == 200 and "Resolved</span>" in text(resolved) and "Reopen" in text(resolved)
    assert db.session.get(Comment, thread.id).resolved
    again = proposer.htmx("post", f"/guidelines/comments/{thread.id}/resolve", data={"resolved": "1"})
    assert again.status_code == 409
    assert proposer.htmx("post", f"/guidelines/comments/{reply.id}/resolve", data={"resolved": "1"}).status_code == 422


def test_threads_filter_open_resolved_mine(client_for, expert, moderator, revision):
    mine = services.add_comment(expert, revision.id, "Mine and open")
    theirs = services.add_comment(moderator, revision.id, "Theirs, resolved")
    services.set_resolved(moderator, theirs.id, True)
    joined = services.add_comment(moderator, revision.id, "Theirs, I replied")
    services.add_comment(expert, revision.id, "My reply", parent_id=joined.id)
    reader = client_for(expert)
    url = f"/guidelines/revisions/{revision.id}"

    def shown(query):
        page = text(reader.htmx("get", url + query))
        assert page.lstrip().startswith('<div id="threads-region"')
        return {int(n) for n in re.findall(r'<li id="thread-(\d+)"', page)}

    assert shown("") == {mine.id, theirs.id, joined.id}
    assert shown("?comments=open") == {mine.id, joined.id}
    assert shown("?comments=resolved") == {theirs.id}
    assert shown("?comments=mine") == {mine.id, joined.id}
    assert 'aria-current="true">Resolved</a>' in text(reader.get(url + "?comments=resolved"))


def test_the_poll_answers_204_until_someone_comments(client_for, expert, moderator, revision):
    reader = client_for(expert)
    url = f"/guidelines/revisions/{revision.id}/comments/changes"
    with count_queries() as queries:
        assert reader.htmx("get", url + "?since=0").status_code == 204
    assert len(queries) <= 2  # the user, and the revision's comment sequence
    thread = services.add_comment(moderator, revision.id, "From Mads", paragraph=4)
    response = reader.htmx("get", url + "?since=0&filter=all")
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith("1 new comment by Mads Moderator.")
    assert f'<li id="thread-{thread.id}"' in page and "From Mads" in page
    assert 'id="comment-form"' not in page and "<textarea" not in page.split("<li id=")[0]  # never the open form
    assert '<span class="para__count">1</span>' in page
    assert reader.htmx("get", url + "?since=1").status_code == 204

    # A reply to a thread the page shows refreshes that thread's body only; an open edit is left alone.
    services.add_comment(make_user("expert"), revision.id, "A reply", parent_id=thread.id)
    page = text(reader.htmx("get", url + f"?since=1&shown={thread.id}"))
    assert f'<hx-partial hx-target="#thread-{thread.id}-body" hx-swap="outerHTML">' in page
    assert "#threads" not in page
    page = text(reader.htmx("get", url + f"?since=1&shown={thread.id}&editing={thread.id}"))
    assert f"#thread-{thread.id}-body" not in page
    assert 'name="since" value="2"' in page


def test_the_poll_updates_the_counts_of_the_paragraphs_whose_comments_changed_only(
    client_for, expert, moderator, revision
):
    services.add_comment(moderator, revision.id, "On the first", paragraph=1)
    reader = client_for(expert)
    url = f"/guidelines/revisions/{revision.id}/comments/changes"
    page = text(reader.htmx("get", url + "?since=0"))
    assert re.findall(r'hx-target="#p-(\d+)-count"', page) == ["1"]
    thread = services.add_comment(moderator, revision.id, "On the third", paragraph=3)
    page = text(reader.htmx("get", url + "?since=1"))
    assert re.findall(r'hx-target="#p-(\d+)-count"', page) == ["3"]
    assert re.search(r'id="p-3-count"[^>]*>.*?<span class="para__count">1</span> comment<', page, re.S)
    # Hiding a comment changes its paragraph's count: the count goes back to 0 and is sent again.
    services.hide_comment(moderator, thread.id, "Off topic.")
    page = text(reader.htmx("get", url + "?since=2"))
    assert re.findall(r'hx-target="#p-(\d+)-count"', page) == ["3"]
    assert re.search(r'id="p-3-count"[^>]*>.*?<span class="para__count">0</span> comments<', page, re.S)
    # A comment on the revision as a whole changes no paragraph's count.
    services.add_comment(moderator, revision.id, "On the whole")
    page = text(reader.htmx("get", url + "?since=3"))
    assert "-count" not in page and "On the whole" in page


def test_the_poll_fragment_is_small_beside_the_page(client_for, expert, moderator, revision):
    for number in range(12):
        services.add_comment(moderator, revision.id, f"Comment number {number} with some words in it.", paragraph=1)
    reader = client_for(expert)
    page = reader.get(f"/guidelines/revisions/{revision.id}")
    services.add_comment(moderator, revision.id, "One more")
    shown = "&".join(f"shown={c.id}" for c in db.session.execute(select(Comment)).scalars())
    fragment = reader.htmx("get", f"/guidelines/revisions/{revision.id}/comments/changes?since=12&{shown}")
    assert fragment.status_code == 200
    assert len(fragment.data) * 5 < len(page.data), (len(fragment.data), len(page.data))


def test_a_moderator_hides_a_comment_with_a_reason(moderator_client, expert, revision):
    comment = services.add_comment(expert, revision.id, "Names a child: Anna K., 14")
    response = moderator_client.htmx("post", f"/guidelines/comments/{comment.id}/hide", data={"reason": ""})
    assert response.status_code == 422 and "Give a reason" in text(response)
    response = moderator_client.htmx(
        "post", f"/guidelines/comments/{comment.id}/hide", data={"reason": "It identified a child."}
    )
    assert response.status_code == 200
    assert "A moderator hid this comment:</em> It identified a child." in text(response)
    assert "Anna K." not in text(response)
    page = text(moderator_client.get(f"/guidelines/revisions/{revision.id}"))
    assert "Anna K." not in page
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "guidelines.comment_hidden")).scalar_one()
    assert event.audience == "moderator" and event.details["hidden_text"] == "Names a child: Anna K., 14"


def test_edit_and_hide_work_without_javascript(client_for, moderator_client, expert, revision):
    comment = services.add_comment(expert, revision.id, "Typo hre")
    author = client_for(expert)
    page = text(author.get(f"/guidelines/comments/{comment.id}/edit"))
    assert "<html" in page and f'id="edit-{comment.id}"' in page and "Typo hre</textarea>" in page
    response = author.post(f"/guidelines/comments/{comment.id}/edit", data={"body": "Typo here"})
    assert response.status_code == 303
    assert db.session.get(Comment, comment.id).body == "Typo here"
    response = moderator_client.post(f"/guidelines/comments/{comment.id}/hide", data={"reason": "Off topic."})
    assert response.status_code == 303
    assert db.session.get(Comment, comment.id).hidden
