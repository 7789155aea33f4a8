"""The guidelines' pages through the test client: documents, sections, proposing, deciding, rebasing,
comparing, exports, the dashboard panel, "changed since your last visit", and query counts."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from protect.core.audit import AuditEvent
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import SECTIONS_PER_GUIDELINE, Guideline, GuidelineSection, SectionRevision
from tests.conftest import count_queries
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, make_section, propose


def text(response) -> str:
    return response.get_data(as_text=True)


# Reading ------------------------------------------------------------------------------------------------------


def test_the_document_reads_as_one_page_with_contents_and_current_texts(expert_client, moderator, expert):
    guideline = make_guideline(moderator, sections=3, title="PROTECT Guidelines")
    section = first_section(guideline)
    revision = propose(expert, section, edited(section, "first protective act", "**first** act of protection"))
    services.accept_revision(moderator, revision.id, "Clearer.")
    response = expert_client.get(f"/guidelines/{guideline.slug}")
    assert response.status_code == 200
    page = text(response)
    assert '<nav id="contents"' in page
    for number in (1, 2, 3):
        assert f"Section {number}</a>" in page  # in the table of contents
    assert "<strong>first</strong> act of protection" in page  # the accepted text, rendered
    assert "Revision 2, accepted" in page
    assert page.index('id="section-') > page.index('id="contents"')
    assert 'href="/static/css/print.css?v=' in page and 'media="print"' in page


def test_the_list_of_documents_counts_sections_and_open_proposals(expert_client, moderator, expert):
    guideline = make_guideline(moderator, sections=2, title="PROTECT Guidelines")
    propose(expert, first_section(guideline), "A proposal")
    page = text(expert_client.get("/guidelines/"))
    assert "PROTECT Guidelines" in page and "2 sections · 1 open proposal" in page


def test_unknown_documents_sections_and_revisions_are_404(expert_client):
    assert expert_client.get("/guidelines/nothing-here").status_code == 404
    assert expert_client.get("/guidelines/sections/999").status_code == 404
    assert expert_client.get("/guidelines/revisions/999").status_code == 404
    assert expert_client.get("/guidelines/revisions/999/comments/changes").status_code == 404


def test_visitors_are_sent_to_sign_in(client, moderator):
    guideline = make_guideline(moderator)
    for url in ("/guidelines/", f"/guidelines/{guideline.slug}", f"/guidelines/{guideline.slug}/export.md"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/guidelines/sections/{first_section(guideline).id}/propose", data={"body": "x"})
    assert response.status_code in (302, 400)
    assert db.session.execute(select(SectionRevision).where(SectionRevision.status == "proposed")).first() is None


# Proposing and deciding ---------------------------------------------------------------------------------------


def test_an_expert_proposes_through_the_form(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    form = text(expert_client.get(f"/guidelines/sections/{section.id}/propose"))
    assert "Identification is the first protective act." in form  # the current text to start from
    base = current(section)
    assert f'name="base_revision_id" type="hidden" value="{base.id}"' in form
    body = edited(section, "first protective act", "first act of protection")
    response = expert_client.post(
        f"/guidelines/sections/{section.id}/propose",
        data={"base_revision_id": base.id, "body": body, "summary": "Plainer words."},
    )
    assert response.status_code == 303
    revision = db.session.execute(select(SectionRevision).where(SectionRevision.number == 2)).scalar_one()
    assert response.headers["Location"] == f"/guidelines/revisions/{revision.id}"
    assert (revision.author_id, revision.status, revision.summary) == (expert.id, "proposed", "Plainer words.")
    page = text(expert_client.get(response.headers["Location"]))
    assert '<del><span class="sr-only">[removed: </span>protective act' in page
    assert '<ins><span class="sr-only">[added: </span>act of protection' in page


def test_bad_proposals_are_refused_beside_the_field_and_the_text_kept(expert_client, moderator):
    section = first_section(make_guideline(moderator))
    base = current(section)
    url = f"/guidelines/sections/{section.id}/propose"
    response = expert_client.post(url, data={"base_revision_id": base.id, "body": base.body, "summary": "No change"})
    assert response.status_code == 422
    assert "Your text is the same as the text it is based on" in text(response)
    assert 'value="No change"' in text(response)
    too_long = "Ä" * 100_001
    response = expert_client.post(url, data={"base_revision_id": base.id, "body": too_long, "summary": "Long"})
    assert response.status_code == 422
    assert "at most 100,000 characters; this one has 100,001" in text(response)
    assert too_long in text(response)  # nothing typed is lost
    response = expert_client.post(url, data={"base_revision_id": base.id, "body": "", "summary": ""})
    assert response.status_code == 422
    assert "an empty text cannot be proposed" in text(response) and "Say in a sentence why" in text(response)
    response = expert_client.post(url, data={"base_revision_id": "abc", "body": "New", "summary": "Why"})
    assert response.status_code == 422 and "must be based on an accepted text" in text(response)
    assert db.session.execute(select(SectionRevision).where(SectionRevision.number > 1)).first() is None


def test_a_moderator_accepts_with_a_reason_and_other_proposals_become_outdated(moderator_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    mine = propose(expert, section, edited(section, "first protective act", "first act of protection"))
    other = propose(make_user("expert"), section, edited(section, "No single", "Not one"))
    response = moderator_client.post(f"/guidelines/revisions/{mine.id}/accept", data={"reason": ""})
    assert response.status_code == 422 and "Give a reason" in text(response)
    response = moderator_client.post(f"/guidelines/revisions/{mine.id}/accept", data={"reason": "Plainer."})
    assert response.status_code == 303
    db.session.expire_all()
    assert current(section).id == mine.id
    assert db.session.get(SectionRevision, other.id).status == "outdated"
    page = text(moderator_client.get(f"/guidelines/revisions/{other.id}"))
    assert "Outdated." in page
    response = moderator_client.post(f"/guidelines/revisions/{mine.id}/reject", data={"reason": "Changed my mind"})
    assert response.status_code == 409 and "cannot be rejected" in text(response)


def test_the_author_rebases_in_a_three_way_view(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    theirs = propose(make_user("expert"), section, edited(section, "first protective act", "first act of protection"))
    mine = propose(expert, section, edited(section, "No single indicator is proof.", "No indicator alone is proof."))
    services.accept_revision(moderator, theirs.id, "Yes.")
    page = text(expert_client.get(f"/guidelines/revisions/{mine.id}/rebase"))
    assert "Old base" in page and "New current text" in page and "Your proposal" in page
    assert "touch different paragraphs" in page  # merged without conflict
    merged = "first act of protection" in page and "No indicator alone is proof." in page
    assert merged
    response = expert_client.post(
        f"/guidelines/revisions/{mine.id}/rebase",
        data={"base_revision_id": theirs.id, "body": current(section).body, "summary": "Rebased"},
    )
    assert response.status_code == 422 and "same as the current text" in text(response)
    body = current(section).body.replace("No single indicator is proof.", "No indicator alone is proof.")
    stale = expert_client.post(
        f"/guidelines/revisions/{mine.id}/rebase",
        data={"base_revision_id": current(section).base_revision_id, "body": body, "summary": "Rebased"},
    )
    assert stale.status_code == 409 and "while you were rebasing" in text(stale)
    assert body in text(stale)  # the text typed is kept
    response = expert_client.post(
        f"/guidelines/revisions/{mine.id}/rebase",
        data={"base_revision_id": theirs.id, "body": body, "summary": "Rebased"},
    )
    assert response.status_code == 303
    new = db.session.execute(select(SectionRevision).where(SectionRevision.rebased_from_id == mine.id)).scalar_one()
    assert (new.base_revision_id, new.status) == (theirs.id, "proposed")
    assert db.session.get(SectionRevision, mine.id).status == "outdated"


def test_a_moderator_adds_documents_and_sections_renames_and_moves(moderator_client):
    response = moderator_client.post("/guidelines/new", data={"title": "Training handbook", "summary": ""})
    assert response.status_code == 303
    guideline = db.session.execute(select(Guideline)).scalar_one()
    assert guideline.slug == "training-handbook"
    for heading in ("Before the training", "During the training"):
        response = moderator_client.post(
            f"/guidelines/{guideline.slug}/sections/new", data={"heading": heading, "body": f"About {heading}."}
        )
        assert response.status_code == 303
    first, second = db.session.execute(select(GuidelineSection).order_by(GuidelineSection.position)).scalars().all()
    response = moderator_client.post(f"/guidelines/sections/{second.id}/move", data={"direction": "up"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (
        db.session.get(GuidelineSection, second.id).position,
        db.session.get(GuidelineSection, first.id).position,
    ) == (1, 2)
    response = moderator_client.post(
        f"/guidelines/sections/{first.id}/heading", data={"heading": "Preparing", "version": 1}
    )
    assert response.status_code == 303
    stale = moderator_client.post(f"/guidelines/sections/{first.id}/heading", data={"heading": "Later", "version": 1})
    assert stale.status_code == 409 and "Someone changed this heading" in text(stale)
    assert 'value="Later"' in text(stale)
    assert 'id="rename-version" name="version" type="hidden" value="2"' in text(stale)  # a second save may win
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions.count("guidelines.section_moved") == 1 and actions.count("guidelines.section_renamed") == 1


def test_a_document_holds_at_most_so_many_sections(moderator_client, moderator):
    guideline = make_guideline(moderator, sections=SECTIONS_PER_GUIDELINE, title="Long handbook")
    response = moderator_client.post(
        f"/guidelines/{guideline.slug}/sections/new", data={"heading": "One too many", "body": "Its **own** text."}
    )
    assert response.status_code == 422
    page = text(response)
    message = "“Long handbook” has 50 sections, the most one document can hold."
    assert f'<p class="field__error" id="body-error">{message}' in page  # beside the text
    assert 'value="One too many"' in page and "Its **own** text.</textarea>" in page  # kept
    sections = db.session.scalar(
        select(func.count()).select_from(GuidelineSection).where(GuidelineSection.guideline_id == guideline.id)
    )
    assert sections == SECTIONS_PER_GUIDELINE == 50
    assert moderator_client.get(f"/guidelines/{guideline.slug}").status_code == 200
    # the limit is per document: another one takes sections
    other = make_guideline(moderator, sections=0)
    assert services.add_section(moderator, other.id, "First", "Text.").position == 1


def test_every_moderator_action_by_an_expert_is_403_and_changes_nothing(expert_client, moderator, expert):
    guideline = make_guideline(moderator)
    section = first_section(guideline)
    revision = propose(make_user("expert"), section, "Proposal")
    comment = services.add_comment(moderator, revision.id, "A comment")
    forbidden = [
        (f"/guidelines/revisions/{revision.id}/accept", {"reason": "Yes"}),
        (f"/guidelines/revisions/{revision.id}/reject", {"reason": "No"}),
        (f"/guidelines/sections/{section.id}/move", {"direction": "down"}),
        (f"/guidelines/sections/{section.id}/heading", {"heading": "Mine", "version": 1}),
        (f"/guidelines/comments/{comment.id}/hide", {"reason": "Rude"}),
        ("/guidelines/new", {"title": "Mine"}),
        (f"/guidelines/{guideline.slug}/sections/new", {"heading": "Mine", "body": "Mine"}),
        (f"/guidelines/revisions/{revision.id}/withdraw", {}),  # someone else's proposal
        (f"/guidelines/comments/{comment.id}/edit", {"body": "Changed"}),  # someone else's comment
        (f"/guidelines/comments/{comment.id}/resolve", {"resolved": "1"}),  # neither thread nor revision author
    ]
    for url, data in forbidden:
        response = expert_client.post(url, data=data)
        assert response.status_code == 403, url
        htmx = expert_client.htmx("post", url, data=data)
        assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#alerts", url
    for url in (
        "/guidelines/new",
        f"/guidelines/{guideline.slug}/sections/new",
        f"/guidelines/comments/{comment.id}/edit",
    ):
        assert expert_client.get(url).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(SectionRevision, revision.id).status == "proposed"
    assert db.session.get(GuidelineSection, section.id).heading == "Section 1"
    assert db.session.execute(select(Guideline)).scalars().all() == [guideline]
    assert db.session.execute(select(AuditEvent.action).where(AuditEvent.actor_id == expert.id)).first() is None


def test_only_the_author_rebases(client_for, moderator, expert):
    section = first_section(make_guideline(moderator))
    first = propose(make_user("expert"), section, "First")
    mine = propose(expert, section, "Second")
    services.accept_revision(moderator, first.id, "Yes.")
    other = client_for(make_user("expert"))
    assert other.get(f"/guidelines/revisions/{mine.id}/rebase").status_code == 403
    assert other.post(f"/guidelines/revisions/{mine.id}/rebase", data={"body": "x", "summary": "y"}).status_code == 403
    assert client_for(moderator).get(f"/guidelines/revisions/{mine.id}/rebase").status_code == 403
    assert client_for(expert).get(f"/guidelines/revisions/{first.id}/rebase").status_code == 403  # not theirs either


# Comparing and exports ----------------------------------------------------------------------------------------


def test_any_two_revisions_compare_inline_and_side_by_side(expert_client, moderator, expert):
    section = first_section(make_guideline(moderator))
    base = current(section)
    revision = propose(expert, section, edited(section, "No single indicator is proof.", "Одного признака мало."))
    url = f"/guidelines/sections/{section.id}/compare?from={base.id}&to={revision.id}"
    page = text(expert_client.get(url))
    assert '<del><span class="sr-only">[removed: </span>No single indicator is proof</span>' not in page
    assert re.search(r"<del><span class=\"sr-only\">\[removed: </span>No single indicator is proof", page)
    assert re.search(r"<ins><span class=\"sr-only\">\[added: </span>Одного признака мало", page)
    side = text(expert_client.get(url + "&view=side"))
    assert '<table class="table diff-table">' in side and "Revision 1 (older)" in side
    assert side.count('class="is-changed"') == 1  # one paragraph of three changed
    fragment = expert_client.htmx("get", url + "&view=side")
    assert fragment.status_code == 200 and "<html" not in text(fragment) and 'id="comparison"' in text(fragment)
    other = first_section(make_guideline(moderator))
    assert (
        expert_client.get(
            f"/guidelines/sections/{section.id}/compare?from={current(other).id}&to={revision.id}"
        ).status_code
        == 404
    )


def test_markdown_exports_of_the_document_and_a_section_history(expert_client, moderator, expert):
    guideline = make_guideline(moderator, sections=2, title="PROTECT Guidelines")
    section = first_section(guideline)
    revision = propose(expert, section, edited(section, "first protective act", "first act of protection"), "Plainer.")
    services.accept_revision(moderator, revision.id, "Clearer for trainees.")
    propose(expert, section, current(section).body + "\n\n```\ncode with ``` inside\n```", "A code block.")
    response = expert_client.get(f"/guidelines/{guideline.slug}/export.md")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == 'attachment; filename="protect-guidelines.md"'
    document = text(response)
    assert document.startswith("# PROTECT Guidelines\n")
    assert "## 1. Section 1\n\nIdentification is the first act of protection." in document
    assert "## 2. Section 2\n\nText 2." in document
    history = text(expert_client.get(f"/guidelines/sections/{section.id}/history.md"))
    assert "## Revision 1 (accepted)" in history and "## Revision 2 (accepted)" in history
    assert "## Revision 3 (proposed)" in history
    assert "- Why: Plainer." in history and "- Reason: Clearer for trainees." in history
    assert "````markdown\n" in history  # a fence longer than any run of backticks in the text


# Dashboard and "changed since your last visit" ----------------------------------------------------------------


def test_the_dashboard_shows_what_waits_for_whom(client_for, moderator, expert):
    section = first_section(make_guideline(moderator))
    proposer = make_user("expert", display_name="Pia Proposer")
    revision = propose(proposer, section, "Proposed text")
    page = text(client_for(moderator).get("/dashboard"))
    assert "Waiting for your review (1)" in page and f"/guidelines/revisions/{revision.id}" in page
    page = text(client_for(expert).get("/dashboard"))
    assert "Waiting for your review" not in page  # experts do not review
    assert "Proposals you have not commented on (1)" in page
    mine = services.add_comment(expert, revision.id, "My question")
    services.add_comment(proposer, revision.id, "Pia's answer", parent_id=mine.id)
    page = text(client_for(expert).get("/dashboard"))
    assert "Proposals you have not commented on" in page and "You have commented on every open proposal." in page
    assert "Pia Proposer replied" in page and "Pia&#39;s answer" in page
    assert "Your outdated proposals" not in page
    mine = propose(expert, section, "My own proposal")
    services.accept_revision(moderator, revision.id, "Yes.")
    page = text(client_for(expert).get("/dashboard"))
    assert "Your outdated proposals" in page and f"/guidelines/revisions/{mine.id}/rebase" in page
    services.rebase_revision(expert, mine.id, "My own proposal, rebased", "Rebased")
    assert "Your outdated proposals" not in text(client_for(expert).get("/dashboard"))


def test_the_dashboard_lists_replies_only_in_threads_the_member_wrote_in_after_they_did(moderator, expert):
    from protect.guidelines.services import dashboard_panel

    section = first_section(make_guideline(moderator))
    revision = propose(make_user("expert"), section, "Proposed text")
    other, third = make_user("expert"), make_user("expert")
    mine = services.add_comment(expert, revision.id, "My thread")
    theirs = services.add_comment(other, revision.id, "Their thread")
    elsewhere = services.add_comment(other, revision.id, "A thread I never wrote in")
    before = services.add_comment(third, revision.id, "Before I joined", parent_id=theirs.id)
    services.add_comment(expert, revision.id, "I join", parent_id=theirs.id)
    after = services.add_comment(third, revision.id, "After I joined", parent_id=theirs.id)
    on_mine = services.add_comment(other, revision.id, "On my thread", parent_id=mine.id)
    services.add_comment(third, revision.id, "Not for me", parent_id=elsewhere.id)
    services.add_comment(expert, revision.id, "My own reply", parent_id=mine.id)
    db.session.commit()
    replies = [c.id for c in dashboard_panel(expert)["replies"]]
    assert replies == [on_mine.id, after.id]
    assert before.id not in replies


def test_the_dashboard_panel_runs_at_most_two_queries(moderator, expert):
    from protect.guidelines.services import dashboard_panel

    section = first_section(make_guideline(moderator))
    for number in range(5):
        revision = propose(make_user("expert"), section, f"Text {number}")
        question = services.add_comment(expert, revision.id, "Question")
        services.add_comment(moderator, revision.id, "Answer", parent_id=question.id)
    for user in (moderator, expert):
        db.session.refresh(user)  # the panel gets the signed-in user, loaded already
        with count_queries() as queries:
            items = dashboard_panel(user)
        assert len(queries) <= 2, queries
    assert items["uncommented_total"] == 0 and len(items["replies"]) == 5
    assert dashboard_panel(moderator)["waiting_total"] == 5


def test_changes_since_the_last_visit_are_marked_once(client_for, moderator, expert):
    guideline = make_guideline(moderator, sections=2)
    section = first_section(guideline)
    reader = client_for(expert)
    url = f"/guidelines/{guideline.slug}"
    assert "Changed since your last visit" not in text(reader.get(url))  # first visit: nothing is marked
    revision = propose(make_user("expert"), section, "A new proposal")
    page = text(reader.get(url))
    assert page.count("Changed since your last visit") == 2  # in the contents and on the section
    assert "Changed since your last visit" not in text(reader.get(url))
    services.add_comment(moderator, revision.id, "A comment")
    section_page = text(reader.get(f"/guidelines/sections/{section.id}"))
    assert "New comments since your last visit" in section_page
    assert "New comments since your last visit" not in text(reader.get(f"/guidelines/sections/{section.id}"))


# Queries ------------------------------------------------------------------------------------------------------


def _grow(moderator, guideline, sections: int, proposals: int, comments: int) -> None:
    for number in range(sections):
        section = make_section(moderator, guideline, f"Extra {number}", f"Paragraph one.\n\nParagraph two {number}.")
        for p in range(proposals):
            revision = propose(make_user("expert"), section, f"Paragraph one.\n\nChanged {number} {p}.")
            for c in range(comments):
                thread = services.add_comment(moderator, revision.id, f"Comment {c}", paragraph=1 + c % 2)
                services.add_comment(make_user("expert"), revision.id, "Reply", parent_id=thread.id)


def test_pages_run_a_bounded_number_of_queries(client_for, moderator, expert):
    guideline = make_guideline(moderator, sections=1)
    section = first_section(guideline)
    revision = propose(expert, section, "Text")
    services.add_comment(moderator, revision.id, "Hello", paragraph=1)
    reader = client_for(expert)
    urls = [
        f"/guidelines/{guideline.slug}",
        "/guidelines/",
        f"/guidelines/sections/{section.id}",
        f"/guidelines/revisions/{revision.id}",
        f"/guidelines/sections/{section.id}/compare",
        f"/guidelines/{guideline.slug}/export.md",
        f"/guidelines/sections/{section.id}/history.md",
        "/dashboard",
    ]
    small = {}
    for url in urls:
        with count_queries() as queries:
            assert reader.get(url).status_code == 200
        small[url] = len(queries)
    _grow(moderator, guideline, sections=6, proposals=3, comments=3)
    for number in range(8):
        extra = propose(make_user("expert"), section, f"Text {number}")
        services.add_comment(moderator, revision.id, f"More {number}", paragraph=1)
        services.add_comment(make_user("expert"), extra.id, "Elsewhere")
    for url in urls:
        with count_queries() as queries:
            assert reader.get(url).status_code == 200
        assert len(queries) == small[url], (url, small[url], queries)
        assert len(queries) <= 12, (url, len(queries))
