"""The workflow rules, called directly: draft -> in review -> approved -> published, and what each refuses."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.programme import services
from protect.programme.content import Training
from protect.programme.models import ProgrammePage, ProgrammeSnapshot, ProgrammeTransition, SnapshotIsImmutable
from tests.programme.factories import (
    add_item,
    approve,
    edit,
    make_event,
    make_page,
    page_in_state,
    publish,
    published_page,
    submit,
)


def transitions(page_id: int) -> list[tuple[str, str | None, str]]:
    rows = db.session.execute(
        select(ProgrammeTransition.action, ProgrammeTransition.from_state, ProgrammeTransition.to_state)
        .where(ProgrammeTransition.page_id == page_id)
        .order_by(ProgrammeTransition.id)
    )
    return [tuple(row) for row in rows]


def test_the_whole_workflow_is_recorded_step_by_step(expert, moderator):
    event = make_event(title="Training in Riga")
    add_item(event, 1, "09:00", "10:00", title="Opening")
    page = make_page(expert, event)
    assert page.state == "draft" and page.live_version is None
    page = submit(page, expert)
    assert page.state == "in_review"
    page = services.send_back(moderator, page.id, page.version, "Add the venue, please.")
    db.session.commit()
    assert page.state == "draft"
    page = edit(page, expert, venue="Ministry of Welfare")
    page = approve(submit(page, expert), moderator)
    assert page.state == "approved" and page.approved_content["venue"] == "Ministry of Welfare"
    page = publish(page, moderator)
    assert page.state == "published" and page.live_version == 1
    assert transitions(page.id) == [
        ("created", None, "draft"),
        ("submitted", "draft", "in_review"),
        ("sent_back", "in_review", "draft"),
        ("submitted", "draft", "in_review"),
        ("approved", "in_review", "approved"),
        ("published", "approved", "published"),
    ]
    sent_back = db.session.execute(
        select(ProgrammeTransition).where(ProgrammeTransition.action == "sent_back")
    ).scalar_one()
    assert sent_back.actor_id == moderator.id and sent_back.comment == "Add the venue, please."
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == [
        "programme.created",
        "programme.edited",
        "programme.submitted",
        "programme.sent_back",
        "programme.edited",
        "programme.submitted",
        "programme.approved",
        "programme.published",
    ]


def test_publishing_stores_the_approved_content_with_its_agenda_as_an_immutable_snapshot(expert, moderator):
    event = make_event()
    add_item(event, 2, "10:00", "11:00", title="Case study", speakers="Kadri Tamm", notes="*Groups* of four")
    add_item(event, 1, "09:00", "09:30", title="Opening", kind="plenary")
    page = published_page(expert, moderator, event)
    published = db.session.execute(select(ProgrammeSnapshot)).scalar_one()
    assert published.version == 1 and published.published_by_id == moderator.id
    agenda = [(item["day"], item["start"], item["title"]) for item in published.content["agenda"]]
    assert agenda == [(1, "09:00", "Opening"), (2, "10:00", "Case study")]
    assert published.content["agenda"][1]["notes"] == "*Groups* of four"
    assert published.content["title"] == page.title
    assert published.title == page.title and published.country == "LV"
    assert published.audiences_key == ",law_enforcement,child_welfare,"
    assert "case study" in published.search_text and "kadri tamm" in published.search_text

    published.content = {**published.content, "title": "Changed afterwards"}
    with pytest.raises(SnapshotIsImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ProgrammeSnapshot, published.id).content["title"] == page.title


def test_the_agenda_is_frozen_at_approval_and_later_changes_wait_for_the_next_version(expert, moderator):
    event = make_event()
    opening = add_item(event, 1, "09:00", "10:00", title="Opening")
    page = approve(submit(make_page(expert, event), expert), moderator)
    opening.title = "Opening, changed after approval"
    add_item(event, 1, "10:00", "11:00", title="Added after approval")
    page = publish(page, moderator)
    live = services.snapshot(page.id, page.live_version)
    assert [item["title"] for item in live.content["agenda"]] == ["Opening"]
    working = services.working_content(db.session.get(ProgrammePage, page.id))
    assert [item["title"] for item in working["agenda"]] == ["Opening, changed after approval", "Added after approval"]


def test_editing_a_published_page_starts_a_new_draft_and_the_public_version_stays(expert, moderator):
    page = published_page(expert, moderator, title="Training in Tallinn")
    page = edit(page, expert, title="Training in Tallinn, new dates")
    assert page.state == "draft" and page.live_version == 1
    assert transitions(page.id)[-1] == ("new_version", "published", "draft")
    assert services.public_lookup(page.slug).snapshot.content["title"] == "Training in Tallinn"
    page = publish(approve(submit(page, expert), moderator), moderator)
    assert page.live_version == 2
    assert services.public_lookup(page.slug).snapshot.content["title"] == "Training in Tallinn, new dates"
    versions = db.session.execute(select(ProgrammeSnapshot.version).order_by(ProgrammeSnapshot.version))
    assert versions.scalars().all() == [1, 2]


def test_an_expert_may_not_approve_send_back_publish_or_withdraw(expert, moderator):
    page = submit(make_page(expert), expert)
    for action in (
        lambda: services.approve(expert, page.id, page.version),
        lambda: services.send_back(expert, page.id, page.version, "No."),
        lambda: services.publish(expert, page.id, page.version),
        lambda: services.withdraw(expert, page.id, "No."),
    ):
        with pytest.raises(RuleViolation) as refused:
            action()
        assert refused.value.status == 403
    db.session.rollback()
    assert db.session.get(ProgrammePage, page.id).state == "in_review"


@pytest.mark.parametrize("state", ["draft", "in_review"])
def test_a_page_that_was_never_approved_cannot_be_published(expert, moderator, state):
    page = page_in_state(state, expert, moderator)
    with pytest.raises(RuleViolation) as refused:
        services.publish(moderator, page.id, page.version)
    assert refused.value.status == 409
    assert "has not been approved" in refused.value.message
    db.session.rollback()
    assert db.session.execute(select(ProgrammeSnapshot)).first() is None


def test_a_page_is_submitted_only_when_complete(expert):
    page = make_page(expert, summary="", how_to_take_part="", audiences=[])
    with pytest.raises(RuleViolation) as refused:
        services.submit(expert, page.id, page.version)
    assert refused.value.status == 422
    assert "a summary" in refused.value.message and "how to take part" in refused.value.message
    assert "at least one target audience" in refused.value.message


def test_sending_back_needs_a_comment(expert, moderator):
    page = submit(make_page(expert), expert)
    with pytest.raises(RuleViolation) as refused:
        services.send_back(moderator, page.id, page.version, "   ")
    assert refused.value.status == 422 and refused.value.field == "comment"


def test_withdrawing_needs_a_reason_and_something_public(expert, moderator):
    page = make_page(expert)
    with pytest.raises(RuleViolation) as nothing_public:
        services.withdraw(moderator, page.id, "Cancelled")
    assert nothing_public.value.status == 409
    db.session.rollback()
    page = published_page(expert, moderator)
    with pytest.raises(RuleViolation) as no_reason:
        services.withdraw(moderator, page.id, "")
    assert no_reason.value.status == 422 and no_reason.value.field == "reason"


def test_withdrawing_takes_the_page_off_the_public_site_and_a_new_version_brings_it_back(expert, moderator):
    page = published_page(expert, moderator)
    page = services.withdraw(moderator, page.id, "The host cancelled.")
    db.session.commit()
    assert page.state == "withdrawn" and page.live_version is None
    found = services.public_lookup(page.slug)
    assert found.withdrawn and found.withdrawn_reason == "The host cancelled."
    assert transitions(page.id)[-1] == ("withdrawn", "published", "withdrawn")
    page = publish(approve(submit(page, expert), moderator), moderator)
    assert page.live_version == 2 and page.withdrawn_at is None
    assert not services.public_lookup(page.slug).withdrawn


def test_a_stale_version_is_refused_for_every_step(expert, moderator):
    page = submit(make_page(expert), expert)
    with pytest.raises(RuleViolation) as stale:
        services.approve(moderator, page.id, page.version - 1)
    assert stale.value.status == 409 and "changed since you opened it" in stale.value.message
    with pytest.raises(RuleViolation):
        services.approve(moderator, page.id, None)


def test_a_page_in_review_or_approved_cannot_be_edited(expert, moderator):
    page = submit(make_page(expert), expert)
    with pytest.raises(RuleViolation) as refused:
        services.save_page(expert, page.id, page.version, {"title": "Sneaked in"})
    assert refused.value.status == 409 and "in review" in refused.value.message
    page = approve(page, moderator)
    with pytest.raises(RuleViolation):
        services.save_page(moderator, page.id, page.version, {"title": "Sneaked in"})


def test_a_stale_edit_is_a_conflict_that_carries_the_current_page(expert):
    page = make_page(expert, title="First")
    started = page.version
    edit(page, expert, title="Second")
    with pytest.raises(services.EditConflict) as conflict:
        services.save_page(expert, page.id, started, {"title": "Mine"})
    assert conflict.value.current.title == "Second"


def test_one_page_per_event_and_none_for_a_cancelled_event(expert):
    event = make_event()
    make_page(expert, event)
    with pytest.raises(RuleViolation) as twice:
        services.create_page(expert, event.id)
    assert twice.value.status == 409
    cancelled = make_event(status="cancelled")
    with pytest.raises(RuleViolation):
        services.create_page(expert, cancelled.id)


def test_the_training_view_reads_days_dates_and_labels_from_the_content(expert, moderator):
    event = make_event(first_day=date(2027, 9, 30), city="Vilnius", country="LT")
    add_item(event, 2, "09:00", "10:00", title="Day two", kind="break")
    page = published_page(expert, moderator, event)
    training = Training(services.snapshot(page.id, 1).content, 1)
    # Babel's British format: abbreviated months, a thin space either side of the dash.
    assert training.dates_label == "30 Sept\u2009–\u20091 Oct 2027"
    assert [day.number for day in training.days] == [1, 2]
    assert training.days[0].sessions == [] and training.days[1].sessions[0].is_break
    assert training.place == "Vilnius, Lithuania"
    assert training.audience_labels == ["Law enforcement", "Child welfare"]


def test_the_service_refuses_values_longer_than_the_columns_hold(expert):
    page = make_page(expert)
    with pytest.raises(RuleViolation) as refused:
        services.save_page(expert, page.id, page.version, {"title": "Fine", "language": "x" * 61})
    assert refused.value.status == 422 and refused.value.field == "language"
    assert "At most 60 characters." in refused.value.message
