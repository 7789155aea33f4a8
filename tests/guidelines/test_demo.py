"""The demo Guidelines: loaded once, with the story the workspace tells, and never twice."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.auth.demo import seed_people
from protect.extensions import db
from protect.guidelines.demo import SLUG, seed_guidelines
from protect.guidelines.models import Comment, Guideline, GuidelineSection, SectionRevision


def test_the_demo_document_has_sections_proposals_and_threads_and_loads_once():
    seed_people()
    seed_guidelines()
    seed_guidelines()  # idempotent
    guideline = db.session.execute(select(Guideline)).scalar_one()
    assert guideline.slug == SLUG
    headings = db.session.execute(select(GuidelineSection.heading).order_by(GuidelineSection.position)).scalars().all()
    assert len(headings) >= 8
    for topic in (
        "best interests",
        "heard",
        "Identification",
        "Risk assessment",
        "Interagency",
        "Cross-border",
        "Durable",
    ):
        assert any(topic.lower() in heading.lower() for heading in headings), topic
    statuses = dict(
        db.session.execute(select(SectionRevision.status, func.count()).group_by(SectionRevision.status)).all()
    )
    assert statuses["proposed"] >= 4 and statuses["outdated"] == 1 and statuses["rejected"] == 1
    assert statuses["accepted"] == len(headings) + 1
    assert db.session.execute(select(func.count()).select_from(Comment)).scalar_one() >= 10
    assert (
        db.session.execute(select(func.count()).select_from(Comment).where(Comment.parent_id.is_not(None))).scalar_one()
        >= 3
    )
    body = db.session.execute(select(SectionRevision.body).where(SectionRevision.number == 1)).scalars().all()
    assert any("CRC, Article 3" in text for text in body) and any("CRC, Article 12" in text for text in body)
