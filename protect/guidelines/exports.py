"""Markdown downloads: the current document, and one section's revision history.

The headings and the facts around the texts are in the requester's language; the texts themselves (titles,
headings, bodies, reasons) are as they were written."""

from __future__ import annotations

import re

from flask_babel import gettext, ngettext

from protect.core.timefmt import format_datetime
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision


def document_markdown(guideline: Guideline, sections: list[GuidelineSection]) -> str:
    """The document as it reads now: each section's current (latest accepted) text under its heading."""
    parts = [f"# {guideline.title}\n"]
    if guideline.summary:
        parts.append(guideline.summary.strip() + "\n")
    if sections:
        parts.append(f"## {gettext('Contents')}\n")
        parts.append("\n".join(f"{s.position}. {s.heading}" for s in sections) + "\n")
    for section in sections:
        parts.append(f"## {section.position}. {section.heading}\n")
        text = section.current_revision.body.strip() if section.current_revision else ""
        parts.append((text or f"*{gettext('No text yet.')}*") + "\n")
        if section.current_revision:
            number = section.current_revision.number
            parts.append(f"*{gettext('Text of revision %(number)s.', number=number)}*\n")
    return "\n".join(parts)


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def history_markdown(section: GuidelineSection, revisions: list[SectionRevision]) -> str:
    """Every revision of the section, oldest first: who proposed what and why, what was decided, the text."""
    guideline = section.guideline
    title = gettext(
        "%(title)s: revision history of section %(position)s, “%(heading)s”",
        title=guideline.title,
        position=section.position,
        heading=section.heading,
    )
    count = ngettext("%(num)d revision.", "%(num)d revisions.", len(revisions))
    current = gettext(
        "The current text is revision %(number)s.",
        number=section.current_revision.number if section.current_revision else "–",
    )
    parts = [f"# {title}\n", f"{count} {current} {gettext('Times are UTC.')}\n"]
    by_id = {r.id: r for r in revisions}
    for revision in revisions:
        heading = gettext("Revision %(number)s (%(status)s)", number=revision.number, status=revision.status_word)
        parts.append(f"## {heading}\n")
        author = revision.author.display_name if revision.author else gettext("a former member")
        facts = [
            gettext("Proposed by: %(name)s", name=author),
            gettext("Proposed on: %(time)s", time=format_datetime(revision.created_at, "UTC")),
        ]
        if revision.base_revision_id and revision.base_revision_id in by_id:
            facts.append(gettext("Based on: revision %(number)s", number=by_id[revision.base_revision_id].number))
        if revision.rebased_from_id and revision.rebased_from_id in by_id:
            number = by_id[revision.rebased_from_id].number
            facts.append(gettext("Updated from the outdated revision %(number)s", number=number))
        if revision.summary:
            facts.append(gettext("Why: %(summary)s", summary=revision.summary))
        if revision.decided_at and revision.status in ("accepted", "rejected"):
            who = revision.decided_by.display_name if revision.decided_by else gettext("a former member")
            when = format_datetime(revision.decided_at, "UTC")
            if revision.status == "accepted":
                facts.append(gettext("Accepted by %(name)s on %(time)s", name=who, time=when))
            else:
                facts.append(gettext("Rejected by %(name)s on %(time)s", name=who, time=when))
            if revision.decision_reason:
                facts.append(gettext("Reason: %(reason)s", reason=revision.decision_reason))
        elif revision.status == "withdrawn" and revision.decided_at:
            facts.append(gettext("Withdrawn on %(time)s", time=format_datetime(revision.decided_at, "UTC")))
        facts = [f"- {fact}" for fact in facts]
        parts.append("\n".join(facts) + "\n")
        fence = _fence(revision.body)
        parts.append(f"{fence}markdown\n{revision.body.rstrip()}\n{fence}\n")
    return "\n".join(parts)
