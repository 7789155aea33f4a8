"""The agenda page's presentation model: the days laid out with their entries (items, open editors, items held
by an editor the page has open), a saved item's slot in its day, who is editing which item, and the conflict
view of an edit that came too late. Reads only, made by the views after a change has committed; no rules
(those are in ``services``) and no markup (that is in the templates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm.attributes import set_committed_value

from protect.agendas import services, timeplan
from protect.agendas.forms import ItemForm
from protect.agendas.models import ITEM_KINDS, AgendaItem, TrainingEvent, label

OPEN_EDITOR = re.compile(r"^(item-\d+:\d+|new-\d+|new-after-\d+:\d+)$")
MAX_OPEN_EDITORS = 30


def editing_by(presence: list[services.Presence]) -> dict[int, list[str]]:
    """Who else is editing each item: item id -> names."""
    names: dict[int, list[str]] = {}
    for entry in presence:
        names.setdefault(entry.item_id, []).append(entry.name)
    return names


@dataclass
class ConflictRow:
    name: str
    label: str
    mine: str
    theirs: str
    mine_segments: list = field(default_factory=list)
    their_segments: list = field(default_factory=list)
    clash: bool = False


@dataclass
class Conflict:
    deleted: bool
    current: AgendaItem
    mine: dict[str, Any]
    rows: list[ConflictRow]
    clashes: list[str]

    @property
    def mine_fields(self) -> dict[str, str]:
        """The user's values as the form posts them (for "keep mine" and "re-create")."""
        fields = {}
        for name in services.ITEM_FIELDS:
            value = self.mine.get(name)
            if name in ("start", "end"):
                fields[name] = timeplan.format_clock(value)
            elif value is None:
                fields[name] = "None" if name == "responsible_id" else ""
            else:
                fields[name] = str(value)
        return fields


@dataclass
class Editor:
    """An open form on the agenda: editing an item (maybe in conflict), or adding one."""

    key: str  # element id of its list entry: item-5, new-1, new-after-5
    form: ItemForm
    item: AgendaItem | None = None
    conflict: Conflict | None = None
    day: int | None = None

    @property
    def open_value(self) -> str:
        if self.item is not None:
            version = self.conflict.current.version if self.conflict else self.form.version.data
            return f"{self.key}:{version}"
        if self.key.startswith("new-after-"):
            return f"{self.key}:{self.day}"
        return self.key


@dataclass
class Entry:
    kind: str  # item | editor | held | gone | new | new-held
    key: str
    slot: timeplan.SlotView | None = None
    editor: Editor | None = None
    changed: bool = False  # held: the item is no longer at the version the editor began from


@dataclass
class DayLayout:
    day: timeplan.DayView
    entries: list[Entry]


def held_editors(values: list[str]) -> dict[str, int | None]:
    """The editors the page says it has open: key -> version (items) or day (new items)."""
    held: dict[str, int | None] = {}
    for value in values[:MAX_OPEN_EDITORS]:
        if not OPEN_EDITOR.match(value or ""):
            continue
        key, _, number = value.partition(":")
        held[key] = int(number) if number else None
    return held


def lay_out_days(
    days: list[timeplan.DayView], gone: list[AgendaItem], editors: dict[str, Editor], held: dict[str, int | None]
) -> list[DayLayout]:
    placed: set[str] = set()
    layouts = []
    for day in days:
        entries: list[Entry] = []
        for slot in day.slots:
            key = f"item-{slot.item.id}"
            if key in editors:
                entries.append(Entry("editor", key, slot, editors[key]))
            elif key in held:
                entries.append(Entry("held", key, slot, changed=held[key] != slot.item.version))
            else:
                entries.append(Entry("item", key, slot))
            placed.add(key)
            entries.extend(_new_entry(f"new-after-{slot.item.id}", editors, held, placed))
        for item in gone:
            key = f"item-{item.id}"
            if item.day == day.number and key in held and key not in placed:
                at = next((i for i, e in enumerate(entries) if e.slot and e.slot.item.start > item.start), len(entries))
                entries.insert(at, Entry("gone", key, timeplan.SlotView(item)))
                placed.add(key)
        # New items after an item that is gone or on another day now: at the end of their day.
        for key, number in held.items():
            if key.startswith("new-after-") and number == day.number and key not in placed:
                entries.extend(_new_entry(key, editors, held, placed))
        for key, editor in editors.items():
            if key.startswith("new-after-") and editor.day == day.number and key not in placed:
                entries.extend(_new_entry(key, editors, held, placed))
        entries.extend(_new_entry(f"new-{day.number}", editors, held, placed))
        layouts.append(DayLayout(day, entries))
    return layouts


def _new_entry(key: str, editors: dict[str, Editor], held: dict[str, int | None], placed: set[str]) -> list[Entry]:
    if key in placed:
        return []
    if key in editors:
        placed.add(key)
        return [Entry("new", key, editor=editors[key])]
    if key in held:
        placed.add(key)
        return [Entry("new-held", key)]
    return []


def event_layout(event: TrainingEvent, editors: dict[str, Editor], held: dict[str, int | None]) -> list[DayLayout]:
    also = {int(key[5:]) for key in list(held) + list(editors) if key.startswith("item-")}
    items = services.agenda_items(event.id, also)
    current = [item for item in items if item.deleted_at is None]
    gone = [item for item in items if item.deleted_at is not None]
    days = timeplan.build_days(event.first_day, event.days, event.day_start, event.day_end, current)
    return lay_out_days(days, gone, editors, held)


def slot_for(event: TrainingEvent, item: AgendaItem) -> timeplan.SlotView:
    """The item's place in its day (overlaps, hours), from the agenda as it is now: the other items of its
    day as light rows, and the item itself with its responsible person as the database has them now."""
    others, responsible = services.day_slots(event.id, item)
    set_committed_value(item, "responsible", responsible)
    for day in timeplan.build_days(event.first_day, event.days, event.day_start, event.day_end, [*others, item]):
        for slot in day.slots:
            if slot.item is item:
                return slot
    return timeplan.SlotView(item)


def item_text(name: str, value: Any, names: dict[int, str]) -> str:
    if value is None or value == "":
        return ""
    if name == "day":
        return gettext("Day %(num)d", num=value)
    if name in ("start", "end"):
        return timeplan.format_clock(value)
    if name == "kind":
        return label(ITEM_KINDS, value)
    if name == "responsible_id":
        return names.get(value) or gettext("a former member")
    return str(value)
