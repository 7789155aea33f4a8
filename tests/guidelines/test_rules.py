"""The rules of revisions and comments, called directly: propose, accept/outdated/rebase, reject, withdraw,
renames and moves, comments, resolving and hiding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import BODY_MAX, COMMENT_MAX, Comment, GuidelineSection, SectionRevision
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose


@pytest.fixture
def section(moderator):
    return first_section(make_guideline(moderator))


def refused(call, *args, status=None, field=None, match=None, **kwargs):
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    if status is not None:
        assert caught.value.status == status, caught.value.message
    if field is not None:
        assert caught.value.field == field
    if match is not None:
        assert match in caught.value.message, caught.value.message
    return caught.value


# Proposing ----------------------------------------------------------------------------------------------------


def test_a_section_starts_with_its_first_text_accepted(section, moderator):
    first = current(section)
    assert (first.number, first.status, first.base_revision_id) == (1, "accepted", None)
    assert first.decided_by_id == moderator.id


def test_an_expert_proposes_a_revision_based_on_the_current_text(section, expert):
    base = current(section)
    revision = propose(expert, section, edited(section, "first protective act", "first act of protection"))
    assert (revision.number, revision.status, revision.base_revision_id) == (2, "proposed", base.id)
    assert current(section).id == base.id  # a proposal changes nothing until it is accepted
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "guidelines.revision_proposed")
    ).scalar_one()
    assert event.actor_id == expert.id and event.url == f"/guidelines/revisions/{revision.id}"


def test_an_empty_or_identical_proposal_is_refused(section, expert):
    refused(propose, expert, section, "   \n\n ", status=422, field="body", match="empty")
    same = current(section).body
    refused(propose, expert, section, same, status=422, field="body", match="same as the text it is based on")
    # Trailing blanks and Windows line endings do not make a text different.
    refused(propose, expert, section, same.replace("\n", "  \r\n") + "\n\n", status=422, match="same as")
    assert db.session.execute(select(SectionRevision).where(SectionRevision.status == "proposed")).first() is None


def test_a_body_over_the_limit_and_a_missing_summary_are_refused(section, expert):
    error = refused(propose, expert, section, "x" * (BODY_MAX + 1), status=422, field="body")
    assert "100,000" in error.message and "100,001" in error.message
    refused(propose, expert, section, "x" * BODY_MAX + "", summary="  ", status=422, field="summary")
    assert propose(expert, section, "y" * BODY_MAX).status == "proposed"  # exactly at the limit is fine


def test_a_proposal_must_be_based_on_an_accepted_text_of_its_section(section, expert, moderator):
    other = first_section(make_guideline(moderator))
    refused(propose, expert, section, "New text", base=current(other), status=422, match="based on an accepted text")
    open_one = propose(expert, section, "A proposal")
    refused(propose, expert, section, "Built on a proposal", base=open_one, status=422)


# Accepting, outdated, rebasing --------------------------------------------------------------------------------


def test_accepting_makes_the_text_current_and_other_proposals_outdated(section, expert, moderator):
    other_expert = make_user("expert")
    mine = propose(expert, section, edited(section, "first protective act", "first act of protection"))
    theirs = propose(other_expert, section, edited(section, "No single indicator", "Not one indicator"))
    services.accept_revision(moderator, mine.id, "Clearer.")
    db.session.expire_all()
    assert current(section).id == mine.id
    accepted = db.session.get(SectionRevision, mine.id)
    assert (accepted.status, accepted.decided_by_id, accepted.decision_reason) == ("accepted", moderator.id, "Clearer.")
    assert db.session.get(SectionRevision, theirs.id).status == "outdated"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "guidelines.revision_accepted")
    ).scalar_one()
    assert event.details["outdated"] == [theirs.id]


def test_only_a_proposed_revision_is_accepted_and_a_reason_is_required(section, expert, moderator):
    revision = propose(expert, section, "New text")
    refused(services.accept_revision, moderator, revision.id, " ", status=422, field="reason")
    refused(services.accept_revision, expert, revision.id, "I like it", status=403)
    services.accept_revision(moderator, revision.id, "Good.")
    refused(services.accept_revision, moderator, revision.id, "Again", status=409, match="accepted")
    refused(services.reject_revision, moderator, revision.id, "Too late", status=409)


def test_an_outdated_proposal_is_rebased_into_a_new_one_and_the_old_one_stays(section, expert, moderator):
    other_expert = make_user("expert")
    old_base = current(section)
    theirs = propose(other_expert, section, edited(section, "first protective act", "first act of protection"))
    mine = propose(expert, section, edited(section, "No single indicator is proof.", "No single indicator proves it."))
    services.accept_revision(moderator, theirs.id, "Agreed.")
    db.session.expire_all()
    assert db.session.get(SectionRevision, mine.id).status == "outdated"
    refused(services.accept_revision, moderator, mine.id, "Try", status=409)  # outdated: only rebase helps

    # The author merges both changes and submits the result as an updated proposal.
    merged = current(section).body.replace("No single indicator is proof.", "No single indicator proves it.")
    refused(services.rebase_revision, other_expert, mine.id, merged, "Mine now", status=403)  # not the author
    refused(services.rebase_revision, expert, mine.id, current(section).body, "Same", status=422, field="body")
    updated = services.rebase_revision(expert, mine.id, merged, "Rebased onto revision 2.")
    assert (updated.status, updated.base_revision_id, updated.rebased_from_id) == ("proposed", theirs.id, mine.id)
    old = db.session.get(SectionRevision, mine.id)
    assert (old.status, old.body, old.base_revision_id) == ("outdated", mine.body, old_base.id)  # nothing lost
    refused(services.rebase_revision, expert, mine.id, merged + " More.", "Twice", status=409, match="already")
    services.accept_revision(moderator, updated.id, "Both changes in.")
    assert "first act of protection" in current(section).body and "proves it" in current(section).body


def test_only_outdated_proposals_are_rebased(section, expert):
    revision = propose(expert, section, "New text")
    refused(services.rebase_revision, expert, revision.id, "Other text", "Why", status=409, match="not outdated")


def test_a_proposal_written_against_text_replaced_meanwhile_is_saved_outdated(section, expert, moderator):
    base = current(section)
    first = propose(make_user("expert"), section, "Replacement text")
    services.accept_revision(moderator, first.id, "Yes.")
    late = propose(expert, section, "My text written against revision 1", base=base)
    assert late.status == "outdated"  # kept, for its author to rebase
    assert late.body == "My text written against revision 1"


def test_reject_and_withdraw(section, expert, moderator):
    revision = propose(expert, section, "New text")
    refused(services.withdraw_revision, make_user("expert"), revision.id, status=403)
    refused(services.withdraw_revision, moderator, revision.id, status=403)  # not even moderators withdraw for others
    services.reject_revision(moderator, revision.id, "Out of scope.")
    assert db.session.get(SectionRevision, revision.id).status == "rejected"
    refused(services.withdraw_revision, expert, revision.id, status=409)
    another = propose(expert, section, "Another text")
    assert services.withdraw_revision(expert, another.id).status == "withdrawn"
    assert current(section).number == 1


# Section headings and order -----------------------------------------------------------------------------------


def test_a_rename_carries_the_version_it_began_from(section, moderator, expert):
    refused(services.rename_section, expert, section.id, "New heading", 1, status=403)
    services.rename_section(moderator, section.id, "Identifying children at risk", 1)
    error = refused(services.rename_section, moderator, section.id, "Another heading", 1, status=409)
    assert "Identifying children at risk" in error.message and "Another heading" in error.message
    assert db.session.get(GuidelineSection, section.id).heading == "Identifying children at risk"
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "guidelines.section_renamed")).scalar_one()
    assert event.details == {"before": "Section 1", "after": "Identifying children at risk"}


def test_moving_a_section_swaps_it_with_its_neighbour(moderator, expert):
    guideline = make_guideline(moderator, sections=3)
    first = first_section(guideline)
    refused(services.move_section, moderator, first.id, "up", status=409, match="first section already")
    refused(services.move_section, expert, first.id, "down", status=403)
    services.move_section(moderator, first.id, "down")
    order = (
        db.session.execute(
            select(GuidelineSection.heading)
            .where(GuidelineSection.guideline_id == guideline.id)
            .order_by(GuidelineSection.position)
        )
        .scalars()
        .all()
    )
    assert order == ["Section 2", "Section 1", "Section 3"]
    assert (
        db.session.execute(
            select(AuditEvent.details).where(AuditEvent.action == "guidelines.section_moved")
        ).scalar_one()["to"]
        == 2
    )


# Comments -----------------------------------------------------------------------------------------------------


def test_a_comment_may_point_at_an_existing_paragraph_only(section, expert):
    revision = current(section)  # three paragraphs
    comment = services.add_comment(expert, revision.id, "On the indicators", paragraph=2)
    assert (comment.paragraph, comment.parent_id) == (2, None)
    error = refused(services.add_comment, expert, revision.id, "Nowhere", paragraph=4, status=422, field="paragraph")
    assert "paragraphs 1 to 3" in error.message
    refused(services.add_comment, expert, revision.id, "Nowhere", paragraph=0, status=422)
    with pytest.raises(LookupError):
        services.add_comment(expert, 999_999, "Unknown revision")


def test_replies_join_the_thread_and_its_paragraph(section, expert, moderator):
    revision = current(section)
    root = services.add_comment(expert, revision.id, "Question", paragraph=3)
    reply = services.add_comment(moderator, revision.id, "Answer", parent_id=root.id)
    reply_to_reply = services.add_comment(expert, revision.id, "Thanks", parent_id=reply.id)
    assert (reply.parent_id, reply.paragraph) == (root.id, 3)
    assert reply_to_reply.parent_id == root.id  # threads are one level deep
    elsewhere = services.add_comment(expert, propose(expert, section, "Other text").id, "Elsewhere")
    refused(services.add_comment, expert, revision.id, "Wrong thread", parent_id=elsewhere.id, status=422)


def test_comment_limits(section, expert):
    revision = current(section)
    refused(services.add_comment, expert, revision.id, " \n ", status=422, field="body")
    error = refused(services.add_comment, expert, revision.id, "x" * (COMMENT_MAX + 1), status=422, field="body")
    assert "10,000" in error.message
    assert services.add_comment(expert, revision.id, "x" * COMMENT_MAX).id


def test_only_the_author_edits_a_comment_and_the_edit_is_marked(section, expert, moderator):
    revision = current(section)
    comment = services.add_comment(expert, revision.id, "Frist draft")
    refused(services.edit_comment, moderator, comment.id, "Changed by someone else", status=403)
    services.edit_comment(expert, comment.id, "First draft")
    saved = db.session.get(Comment, comment.id)
    assert (saved.body, saved.edited_at is not None) == ("First draft", True)
    refused(services.edit_comment, expert, comment.id, "First draft", status=422, match="unchanged")


def test_resolving_is_for_the_thread_author_the_revision_author_and_moderators(section, expert, moderator):
    proposer = make_user("expert")
    revision = propose(proposer, section, "New text")
    thread = services.add_comment(expert, revision.id, "Concern")
    reply = services.add_comment(proposer, revision.id, "Answer", parent_id=thread.id)
    refused(services.set_resolved, make_user("expert"), thread.id, True, status=403)
    refused(services.set_resolved, expert, reply.id, True, status=422)  # replies are not resolved on their own
    assert services.set_resolved(proposer, thread.id, True).resolved
    refused(services.set_resolved, expert, thread.id, True, status=409)
    assert not services.set_resolved(expert, thread.id, False).resolved
    assert services.set_resolved(moderator, thread.id, True).resolved_by_id == moderator.id


def test_a_hidden_comment_keeps_its_text_only_in_the_moderators_audit_log(section, expert, moderator):
    revision = current(section)
    comment = services.add_comment(expert, revision.id, "Something out of line")
    refused(services.hide_comment, expert, comment.id, "No", status=403)
    refused(services.hide_comment, moderator, comment.id, "", status=422, field="reason")
    services.hide_comment(moderator, comment.id, "Personal data about a child.")
    hidden = db.session.get(Comment, comment.id)
    assert (hidden.hidden, hidden.body, hidden.hidden_reason) == (True, "", "Personal data about a child.")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "guidelines.comment_hidden")).scalar_one()
    assert event.audience == "moderator"
    assert event.details["hidden_text"] == "Something out of line"
    refused(services.edit_comment, expert, comment.id, "Back again", status=409)
    refused(services.hide_comment, moderator, comment.id, "Again", status=409)


def test_every_comment_change_raises_the_revision_sequence(section, expert, moderator):
    revision = current(section)
    thread = services.add_comment(expert, revision.id, "One")
    reply = services.add_comment(moderator, revision.id, "Two", parent_id=thread.id)
    services.edit_comment(moderator, reply.id, "Two, edited")
    services.set_resolved(expert, thread.id, True)
    db.session.expire_all()
    assert db.session.get(SectionRevision, revision.id).comment_seq == 4
    root = db.session.get(Comment, thread.id)
    assert (root.created_seq, root.seq) == (1, 4)  # the thread changed with each step
    assert (db.session.get(Comment, reply.id).created_seq, db.session.get(Comment, reply.id).seq) == (2, 3)
