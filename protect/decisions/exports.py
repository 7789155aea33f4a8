"""The (filtered) log as CSV and Markdown, and its due dates as an iCalendar feed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from flask_babel import gettext, ngettext
from icalendar import Calendar, Event, Todo

from protect.core.i18n import N_
from protect.core.text import plain_excerpt
from protect.decisions.models import ActionItem, Decision
from protect.decisions.rules import OPEN_STATUSES, STATUSES


def revision_label(revision) -> str:
    if revision is None:
        return ""
    section = revision.section
    return gettext(
        "Section %(position)s “%(heading)s”, revision %(number)s",
        position=section.position,
        heading=section.heading,
        number=revision.number,
    )


Absolute = Callable[..., str]
# The headers in English, marked for translation: a file is written in the language of whoever downloads it.
CSV_COLUMNS = (
    N_("id"), N_("title"), N_("status"), N_("owner"), N_("due"), N_("meeting"), N_("meeting date"), N_("tags"),
    N_("decision"), N_("rationale"), N_("training event"), N_("guidelines revision"), N_("poll"),
    N_("proposed by"), N_("proposed at (UTC)"), N_("status since (UTC)"), N_("superseded by"), N_("url"),
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
    writer.writerow([gettext(column) for column in CSV_COLUMNS])
    for d in decisions:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    d.id,
                    d.title,
                    str(STATUSES.get(d.status, d.status)),
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
        parts.append(gettext("matching “%(words)s”", words=log_filter.q.strip()))
    if log_filter.status:
        parts.append(gettext("status %(status)s", status=str(STATUSES[log_filter.status]).lower()))
    if log_filter.owner_id or log_filter.owner_name:
        parts.append(gettext("owned by %(name)s", name=names.get("owner", "?")))
    if log_filter.meeting_id:
        parts.append(gettext("taken at “%(meeting)s”", meeting=names.get("meeting", "?")))
    if log_filter.tag:
        parts.append(gettext("tagged “%(tag)s”", tag=log_filter.tag))
    if log_filter.due_before:
        parts.append(gettext("due before %(day)s", day=log_filter.due_before.isoformat()))
    return ", ".join(parts)


def _md_inline(text: str) -> str:
    """A value put into a Markdown line: no line breaks, table pipes or heading marks of its own."""
    return " ".join(text.split()).replace("|", "\\|")


def _fact(label: str, value: str) -> str:
    """A fact of an exported decision: ``**Owner:** Eva Berg`` (the colon's spacing is the language's)."""
    return gettext("**%(label)s:** %(value)s", label=label, value=value)


def decisions_markdown(decisions: Iterable[Decision], absolute: Absolute, description: str = "") -> str:
    decisions = list(decisions)
    lines = ["# " + gettext("Decision log — PROTECT Children on the Move"), ""]
    if description:
        lines.append(
            ngettext(
                "%(num)d decision %(filters)s, newest first.",
                "%(num)d decisions %(filters)s, newest first.",
                len(decisions),
                filters=_md_inline(description),
            )
        )
    else:
        lines.append(ngettext("%(num)d decision, newest first.", "%(num)d decisions, newest first.", len(decisions)))
    lines.append("")
    for d in decisions:
        lines.append(f"## {_md_inline(d.title)} (#{d.id})")
        lines.append("")
        status = str(STATUSES.get(d.status, d.status))
        if d.status == "superseded" and d.superseded_by_id:
            url = absolute("decisions.show_decision", decision_id=d.superseded_by_id)
            status = gettext("%(status)s by [#%(id)s](%(url)s)", status=status, id=d.superseded_by_id, url=url)
        facts = [_fact(gettext("Status"), status)]
        if d.owner is not None:
            facts.append(_fact(gettext("Owner"), _md_inline(d.owner.display_name)))
        if d.due_on:
            facts.append(_fact(gettext("Due"), d.due_on.isoformat()))
        if d.meeting is not None:
            facts.append(_fact(gettext("Meeting"), f"{_md_inline(d.meeting.title)} ({d.meeting.starts_at:%Y-%m-%d})"))
        if d.tags:
            facts.append(_fact(gettext("Tags"), _md_inline(", ".join(d.tag_names))))
        if d.event is not None:
            facts.append(_fact(gettext("Training event"), _md_inline(d.event.title)))
        if d.revision is not None:
            facts.append(_fact(gettext("Guidelines"), _md_inline(revision_label(d.revision))))
        if d.poll is not None:
            facts.append(_fact(gettext("Poll"), _md_inline(d.poll.question)))
        lines += [f"- {fact}" for fact in facts]
        lines += ["", "### " + gettext("Decision"), "", d.text.strip() or "—", ""]
        if d.rationale.strip():
            lines += ["### " + gettext("Rationale"), "", d.rationale.strip(), ""]
        lines += [f"<{absolute('decisions.show_decision', decision_id=d.id)}>", ""]
    return "\n".join(lines).rstrip() + "\n"


def due_calendar(decisions: Iterable[Decision], actions: Iterable[ActionItem], absolute: Absolute) -> bytes:
    """All-day entries on the due dates of open decisions and open actions."""
    calendar = Calendar()
    calendar.add("prodid", "-//PROTECT Workspace//Decision log//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", gettext("PROTECT decision log: due dates"))
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
        entry.add("summary", gettext("Decision due: %(title)s", title=d.title))
        lines = [gettext("Status: %(status)s", status=STATUSES.get(d.status, d.status))]
        if d.owner is not None:
            lines.append(gettext("Owner: %(name)s", name=d.owner.display_name))
        lines += [plain_excerpt(d.text, 1000), url]
        entry.add("description", "\n\n".join(lines))
        entry.add("url", url)
        entry.add("categories", [gettext("Decision")])
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
        if a.owner is not None:
            summary = gettext("Action due: %(what)s (%(name)s)", what=a.what, name=a.owner.display_name)
        else:
            summary = gettext("Action due: %(what)s", what=a.what)
        entry.add("summary", summary)
        entry.add("description", gettext("For: %(parent)s", parent=parent) + f"\n\n{url}")
        entry.add("url", url)
        entry.add("categories", [gettext("Action")])
        calendar.add_component(entry)
    return calendar.to_ical()


ACTION_CSV_COLUMNS = (
    N_("id"), N_("what"), N_("who"), N_("due"), N_("state"), N_("overdue"), N_("done at (UTC)"), N_("decision"),
    N_("meeting"), N_("added at (UTC)"), N_("url"),
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
    writer.writerow([gettext(column) for column in ACTION_CSV_COLUMNS])
    done, still_open, yes = gettext("done"), gettext("open"), gettext("yes")
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
                    done if a.done_at else still_open,
                    yes if overdue else "",
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
    calendar.add("x-wr-calname", gettext("PROTECT actions"))
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
        if a.decision_id:
            parent = gettext("Decision: %(title)s", title=a.decision_title)
        else:
            parent = gettext("Meeting: %(title)s", title=a.meeting_title or "")
        todo.add("description", f"{parent}\n\n{url}")
        todo.add("url", url)
        todo.add("categories", [gettext("Action")])
        if a.done_at is not None:
            todo.add("status", "COMPLETED")
            todo.add("completed", a.done_at.replace(tzinfo=UTC))
            todo.add("percent-complete", 100)
        else:
            todo.add("status", "NEEDS-ACTION")
        calendar.add_component(todo)
    return calendar.to_ical()
