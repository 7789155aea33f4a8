"""The (filtered) log as CSV and Markdown, and its due dates as an iCalendar feed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Todo

from protect.core.text import plain_excerpt
from protect.decisions.models import ActionItem, Decision
from protect.decisions.rules import OPEN_STATUSES, STATUSES


def revision_label(revision) -> str:
    if revision is None:
        return ""
    section = revision.section
    return f"Section {section.position} “{section.heading}”, revision {revision.number}"


Absolute = Callable[..., str]
CSV_COLUMNS = (
    "id", "title", "status", "owner", "due", "meeting", "meeting date", "tags", "decision", "rationale",
    "training event", "guidelines revision", "poll", "proposed by", "proposed at (UTC)", "status since (UTC)",
    "superseded by", "url",
)  # fmt: skip
# A spreadsheet runs a cell that begins with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _name(user) -> str:
    return user.display_name if user is not None else ""


def decisions_csv(decisions: Iterable[Decision], absolute: Absolute) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # spreadsheet programs read the file as UTF-8 (Ø, ā, Вильнюс) only with the BOM
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in decisions:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    d.id,
                    d.title,
                    STATUSES.get(d.status, d.status),
                    _name(d.owner),
                    d.due_on.isoformat() if d.due_on else "",
                    d.meeting.title if d.meeting else "",
                    d.meeting.starts_at.date().isoformat() if d.meeting else "",
                    "; ".join(d.tag_names),
                    d.text,
                    d.rationale,
                    d.event.title if d.event else "",
                    revision_label(d.revision),
                    d.poll.question if d.poll else "",
                    _name(d.author),
                    d.created_at.strftime("%Y-%m-%d %H:%M"),
                    d.status_changed_at.strftime("%Y-%m-%d %H:%M"),
                    d.superseded_by_id or "",
                    absolute("decisions.show_decision", decision_id=d.id),
                )
            ]
        )
    return out.getvalue()


def describe_filter(log_filter, names: dict[str, str]) -> str:
    """The filter in words, for the head of an export."""
    parts = []
    if log_filter.q.strip():
        parts.append(f"matching “{log_filter.q.strip()}”")
    if log_filter.status:
        parts.append(f"status {STATUSES[log_filter.status].lower()}")
    if log_filter.owner_id or log_filter.owner_name:
        parts.append(f"owned by {names.get('owner', '?')}")
    if log_filter.meeting_id:
        parts.append(f"taken at “{names.get('meeting', '?')}”")
    if log_filter.tag:
        parts.append(f"tagged “{log_filter.tag}”")
    if log_filter.due_before:
        parts.append(f"due before {log_filter.due_before.isoformat()}")
    return ", ".join(parts)


def _md_inline(text: str) -> str:
    """A value put into a Markdown line: no line breaks, table pipes or heading marks of its own."""
    return " ".join(text.split()).replace("|", "\\|")


def decisions_markdown(decisions: Iterable[Decision], absolute: Absolute, description: str = "") -> str:
    decisions = list(decisions)
    lines = ["# Decision log — PROTECT Children on the Move", ""]
    count = f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}"
    lines.append(f"{count}{' ' + _md_inline(description) if description else ''}, newest first.")
    lines.append("")
    for d in decisions:
        lines.append(f"## {_md_inline(d.title)} (#{d.id})")
        lines.append("")
        facts = [f"**Status:** {STATUSES.get(d.status, d.status)}"]
        if d.status == "superseded" and d.superseded_by_id:
            facts[-1] += (
                f" by [#{d.superseded_by_id}]({absolute('decisions.show_decision', decision_id=d.superseded_by_id)})"
            )
        if d.owner is not None:
            facts.append(f"**Owner:** {_md_inline(d.owner.display_name)}")
        if d.due_on:
            facts.append(f"**Due:** {d.due_on.isoformat()}")
        if d.meeting is not None:
            facts.append(f"**Meeting:** {_md_inline(d.meeting.title)} ({d.meeting.starts_at:%Y-%m-%d})")
        if d.tags:
            facts.append(f"**Tags:** {_md_inline(', '.join(d.tag_names))}")
        if d.event is not None:
            facts.append(f"**Training event:** {_md_inline(d.event.title)}")
        if d.revision is not None:
            facts.append(f"**Guidelines:** {_md_inline(revision_label(d.revision))}")
        if d.poll is not None:
            facts.append(f"**Poll:** {_md_inline(d.poll.question)}")
        lines += [f"- {fact}" for fact in facts]
        lines += ["", "### Decision", "", d.text.strip() or "—", ""]
        if d.rationale.strip():
            lines += ["### Rationale", "", d.rationale.strip(), ""]
        lines += [f"<{absolute('decisions.show_decision', decision_id=d.id)}>", ""]
    return "\n".join(lines).rstrip() + "\n"


def due_calendar(decisions: Iterable[Decision], actions: Iterable[ActionItem], absolute: Absolute) -> bytes:
    """All-day entries on the due dates of open decisions and open actions."""
    calendar = Calendar()
    calendar.add("prodid", "-//PROTECT Workspace//Decision log//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "PROTECT decision log: due dates")
    stamp = datetime.now(UTC)
    for d in decisions:
        if d.due_on is None or d.status not in OPEN_STATUSES:
            continue
        url = absolute("decisions.show_decision", decision_id=d.id)
        entry = Event()
        entry.add("uid", f"decision-{d.id}-due@protect-workspace")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", d.due_on)
        entry.add("dtend", d.due_on + timedelta(days=1))
        entry.add("summary", f"Decision due: {d.title}")
        lines = [f"Status: {STATUSES.get(d.status, d.status)}"]
        if d.owner is not None:
            lines.append(f"Owner: {d.owner.display_name}")
        lines += [plain_excerpt(d.text, 1000), url]
        entry.add("description", "\n\n".join(lines))
        entry.add("url", url)
        entry.add("categories", ["Decision"])
        calendar.add_component(entry)
    for a in actions:
        if a.due_on is None or a.done_at is not None:
            continue
        if a.decision_id:
            url = absolute("decisions.show_decision", decision_id=a.decision_id, _anchor=f"action-{a.id}")
            parent = a.decision.title if a.decision else ""
        else:
            url = absolute("decisions.show_meeting", meeting_id=a.meeting_id, _anchor=f"action-{a.id}")
            parent = a.meeting.title if a.meeting else ""
        entry = Event()
        entry.add("uid", f"action-{a.id}-due@protect-workspace")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", a.due_on)
        entry.add("dtend", a.due_on + timedelta(days=1))
        who = f" ({a.owner.display_name})" if a.owner is not None else ""
        entry.add("summary", f"Action due: {a.what}{who}")
        entry.add("description", f"For: {parent}\n\n{url}")
        entry.add("url", url)
        entry.add("categories", ["Action"])
        calendar.add_component(entry)
    return calendar.to_ical()


ACTION_CSV_COLUMNS = (
    "id", "what", "who", "due", "state", "overdue", "done at (UTC)", "decision", "meeting", "added at (UTC)", "url",
)  # fmt: skip


def _action_url(action, absolute: Absolute) -> str:
    if action.decision_id:
        return absolute("decisions.show_decision", decision_id=action.decision_id, _anchor=f"action-{action.id}")
    return absolute("decisions.show_meeting", meeting_id=action.meeting_id, _anchor=f"action-{action.id}")


def actions_csv(actions: Iterable, absolute: Absolute, today) -> str:
    """The (filtered) actions list as CSV, with the byte-order mark spreadsheet programs need to read UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ACTION_CSV_COLUMNS)
    for a in actions:
        overdue = a.done_at is None and a.due_on is not None and a.due_on < today
        writer.writerow(
            [
                _cell(value)
                for value in (
                    a.id,
                    a.what,
                    a.owner_name or "",
                    a.due_on.isoformat() if a.due_on else "",
                    "done" if a.done_at else "open",
                    "yes" if overdue else "",
                    a.done_at.strftime("%Y-%m-%d %H:%M") if a.done_at else "",
                    a.decision_title or "",
                    a.meeting_title or "",
                    a.created_at.strftime("%Y-%m-%d %H:%M"),
                    _action_url(a, absolute),
                )
            ]
        )
    return out.getvalue()


def actions_calendar(actions: Iterable, absolute: Absolute) -> bytes:
    """The (filtered) actions with a due date as to-dos (VTODO) due on that day: open ones NEEDS-ACTION, done
    ones COMPLETED with the time they were done (in UTC)."""
    calendar = Calendar()
    calendar.add("prodid", "-//PROTECT Workspace//Actions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "PROTECT actions")
    stamp = datetime.now(UTC)
    for a in actions:
        if a.due_on is None:
            continue
        url = _action_url(a, absolute)
        todo = Todo()
        todo.add("uid", f"action-{a.id}@protect-workspace")
        todo.add("dtstamp", stamp)
        todo.add("created", a.created_at.replace(tzinfo=UTC))
        todo.add("due", a.due_on)
        who = f" ({a.owner_name})" if a.owner_name else ""
        todo.add("summary", f"{a.what}{who}")
        parent = f"Decision: {a.decision_title}" if a.decision_id else f"Meeting: {a.meeting_title or ''}"
        todo.add("description", f"{parent}\n\n{url}")
        todo.add("url", url)
        todo.add("categories", ["Action"])
        if a.done_at is not None:
            todo.add("status", "COMPLETED")
            todo.add("completed", a.done_at.replace(tzinfo=UTC))
            todo.add("percent-complete", 100)
        else:
            todo.add("status", "NEEDS-ACTION")
        calendar.add_component(todo)
    return calendar.to_ical()
