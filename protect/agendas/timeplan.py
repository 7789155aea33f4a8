"""The arithmetic of an agenda, without the database: days, durations, totals, flags and moves.

Times are wall-clock times of the event's own time zone on the event's own dates; a slot never crosses
midnight. Everything here works on minutes since midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from flask_babel import gettext

from protect.agendas.models import BREAK_KINDS

MINUTES_PER_DAY = 24 * 60


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def clock(total: int) -> time:
    """Minutes since midnight as a time (0 <= total < 24 h)."""
    return time(total // 60, total % 60)


def format_minutes(total: int) -> str:
    """``95`` -> ``1 h 35 min``; ``0`` -> ``0 min`` (the units' abbreviations in the reader's language)."""
    hours, rest = divmod(max(total, 0), 60)
    if hours and rest:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return gettext("%(hours)d h", hours=hours)
    return gettext("%(minutes)d min", minutes=rest)


def format_clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def day_length(day_start: time, day_end: time) -> int:
    return minutes(day_end) - minutes(day_start)


def slot_problems(
    *, day: int | None, days: int, start: time | None, end: time | None, day_start: time, day_end: time
) -> dict[str, str]:
    """What is wrong with a slot, field by field (empty when nothing is). Slots outside the day's hours
    or overlapping others are allowed (they are flagged on the agenda); these are not."""
    problems: dict[str, str] = {}
    if day is None or not 1 <= day <= days:
        if days > 1:
            problems["day"] = gettext("Choose a day of the event (1 to %(days)d).", days=days)
        else:
            problems["day"] = gettext("This event has one day.")
    if start is not None and end is not None:
        length = minutes(end) - minutes(start)
        if length <= 0:
            problems["end"] = gettext(
                "The end (%(end)s) must be after the start (%(start)s).",
                end=format_clock(end),
                start=format_clock(start),
            )
        elif length > day_length(day_start, day_end):
            hours = f"{format_clock(day_start)}–{format_clock(day_end)}"
            problems["end"] = gettext(
                "A slot cannot be longer than the day (%(hours)s, %(day_length)s); this one lasts %(length)s.",
                hours=hours,
                day_length=format_minutes(day_length(day_start, day_end)),
                length=format_minutes(length),
            )
    return problems


@dataclass
class SlotView:
    """One item as the agenda shows it, with what is notable about its place in the day."""

    item: Any
    overlaps: list[Any] = field(default_factory=list)
    outside_hours: bool = False
    is_first: bool = False
    is_last: bool = False

    @property
    def duration(self) -> int:
        return minutes(self.item.end) - minutes(self.item.start)

    @property
    def is_break(self) -> bool:
        return self.item.kind in BREAK_KINDS


@dataclass
class DayView:
    number: int
    date: date
    slots: list[SlotView]
    day_start: time
    day_end: time

    @property
    def programme_minutes(self) -> int:
        return sum(slot.duration for slot in self.slots if not slot.is_break)

    @property
    def break_minutes(self) -> int:
        return sum(slot.duration for slot in self.slots if slot.is_break)

    @property
    def flagged(self) -> int:
        return sum(1 for slot in self.slots if slot.overlaps or slot.outside_hours)


def sort_key(item: Any) -> tuple:
    return (item.day, minutes(item.start), item.position, item.id or 0)


def build_days(first_day: date, days: int, day_start: time, day_end: time, items: Iterable[Any]) -> list[DayView]:
    """The event's days, each with its items in time order, overlaps and out-of-hours slots flagged."""
    by_day: dict[int, list[Any]] = {number: [] for number in range(1, days + 1)}
    for item in sorted(items, key=sort_key):
        by_day.setdefault(item.day, []).append(item)
    result = []
    for number in sorted(by_day):
        day_items = by_day[number]
        slots = [SlotView(item) for item in day_items]
        for index, slot in enumerate(slots):
            start, end = minutes(slot.item.start), minutes(slot.item.end)
            slot.outside_hours = start < minutes(day_start) or end > minutes(day_end)
            slot.is_first = index == 0
            slot.is_last = index == len(slots) - 1
            for other in slots[index + 1 :]:
                if minutes(other.item.start) >= end:
                    break  # sorted by start: no later item can overlap this one
                slot.overlaps.append(other.item)
                other.overlaps.append(slot.item)
        result.append(DayView(number, first_day + timedelta(days=number - 1), slots, day_start, day_end))
    return result


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def swap_with_previous(previous: Span, current: Span) -> tuple[Span, Span]:
    """Move ``current`` one place earlier: it takes the start of ``previous``, which follows it after the
    same gap as before. Both keep their lengths; together they keep their span (unless they overlapped).

    Returns ``(new_current, new_previous)``. Raises ValueError when the result would cross midnight.
    """
    gap = max(0, current.start - previous.end)
    new_current = Span(previous.start, previous.start + current.length)
    new_previous_start = new_current.end + gap
    new_previous = Span(new_previous_start, new_previous_start + previous.length)
    if new_previous.end >= MINUTES_PER_DAY:
        raise ValueError("the move would end after midnight")
    return new_current, new_previous


def neighbours(ordered: Sequence[Any], item_id: int) -> tuple[Any | None, Any, Any | None]:
    """``(previous, item, next)`` of the item with ``item_id`` in an ordered day."""
    for index, item in enumerate(ordered):
        if item.id == item_id:
            before = ordered[index - 1] if index > 0 else None
            after = ordered[index + 1] if index + 1 < len(ordered) else None
            return before, item, after
    raise LookupError(item_id)
