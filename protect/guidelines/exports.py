"""Markdown downloads: the current document, and one section's revision history."""

from __future__ import annotations

import re

from protect.core.timefmt import format_datetime
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision


def document_markdown(guideline: Guideline, sections: list[GuidelineSection]) -> str:
    """The document as it reads now: each section's current (latest accepted) text under its heading."""
    parts = [f"# {guideline.title}\n"]
    if guideline.summary:
        parts.append(guideline.summary.strip() + "\n")
    if sections:
        parts.append("## Contents\n")
        parts.append("\n".join(f"{s.position}. {s.heading}" for s in sections) + "\n")
    for section in sections:
        parts.append(f"## {section.position}. {section.heading}\n")
        text = section.current_revision.body.strip() if section.current_revision else ""
        parts.append((text or "*No text yet.*") + "\n")
        if section.current_revision:
            parts.append(f"*Text of revision {section.current_revision.number}.*\n")
    return "\n".join(parts)


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def history_markdown(section: GuidelineSection, revisions: list[SectionRevision]) -> str:
    """Every revision of the section, oldest first: who proposed what and why, what was decided, the text."""
    guideline = section.guideline
    parts = [
        f"# {guideline.title}: revision history of section {section.position}, “{section.heading}”\n",
        f"{len(revisions)} revision{'s' if len(revisions) != 1 else ''}. The current text is revision "
        f"{section.current_revision.number if section.current_revision else '–'}. Times are UTC.\n",
    ]
    by_id = {r.id: r for r in revisions}
    for revision in revisions:
        parts.append(f"## Revision {revision.number} ({revision.status_label.lower()})\n")
        facts = [
            f"- Proposed by: {revision.author.display_name if revision.author else 'a former member'}",
            f"- Proposed on: {format_datetime(revision.created_at, 'UTC')}",
        ]
        if revision.base_revision_id and revision.base_revision_id in by_id:
            facts.append(f"- Based on: revision {by_id[revision.base_revision_id].number}")
        if revision.rebased_from_id and revision.rebased_from_id in by_id:
            facts.append(f"- Updated from the outdated revision {by_id[revision.rebased_from_id].number}")
        if revision.summary:
            facts.append(f"- Why: {revision.summary}")
        if revision.decided_at and revision.status in ("accepted", "rejected"):
            who = revision.decided_by.display_name if revision.decided_by else "a former member"
            facts.append(f"- {revision.status_label} by {who} on {format_datetime(revision.decided_at, 'UTC')}")
            if revision.decision_reason:
                facts.append(f"- Reason: {revision.decision_reason}")
        elif revision.status == "withdrawn" and revision.decided_at:
            facts.append(f"- Withdrawn on {format_datetime(revision.decided_at, 'UTC')}")
        parts.append("\n".join(facts) + "\n")
        fence = _fence(revision.body)
        parts.append(f"{fence}markdown\n{revision.body.rstrip()}\n{fence}\n")
    return "\n".join(parts)
