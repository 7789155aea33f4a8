"""Builders of guideline documents, sections and proposals for the guidelines tests. Each commits."""

from __future__ import annotations

import itertools

from protect.auth.models import User
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision

_numbers = itertools.count(1)

IDENTIFICATION = (
    "Identification is the first protective act.\n\n"
    "Indicators include: the child does not hold their own documents; an adult speaks for the child.\n\n"
    "No single indicator is proof."
)


def make_guideline(moderator: User, sections: int = 2, title: str | None = None) -> Guideline:
    n = next(_numbers)
    guideline = services.create_guideline(moderator, title or f"Guidelines {n}", "A test document.")
    for number in range(1, sections + 1):
        make_section(moderator, guideline, f"Section {number}", IDENTIFICATION if number == 1 else f"Text {number}.")
    return db.session.get(Guideline, guideline.id)


def make_section(moderator: User, guideline: Guideline, heading: str, body: str) -> GuidelineSection:
    section = services.add_section(moderator, guideline.id, heading, body)
    return db.session.get(GuidelineSection, section.id)


def first_section(guideline: Guideline) -> GuidelineSection:
    return db.session.execute(
        db.select(GuidelineSection).where(GuidelineSection.guideline_id == guideline.id, GuidelineSection.position == 1)
    ).scalar_one()


def current(section: GuidelineSection) -> SectionRevision:
    db.session.refresh(section)
    return db.session.get(SectionRevision, section.current_revision_id)


def propose(
    author: User, section: GuidelineSection, body: str, summary: str = "Because.", base=None
) -> SectionRevision:
    base_id = base.id if base is not None else current(section).id
    return services.propose_revision(author, section.id, base_id, body, summary)


def edited(section: GuidelineSection, old: str, new: str) -> str:
    """The section's current text with ``old`` replaced by ``new``."""
    body = current(section).body
    assert old in body
    return body.replace(old, new)
