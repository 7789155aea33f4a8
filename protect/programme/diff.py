"""What differs between two versions of a programme page: field by field, word by word, item by item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from protect.agendas.models import AUDIENCES, ITEM_KINDS
from protect.core.diff import Segment, word_diff
from protect.core.i18n import N_
from protect.core.regions import country_name
from protect.programme.content import Training, label_of

PAGE_FIELDS = (
    ("title", N_("Public title")),
    ("summary", N_("Summary")),
    ("dates", N_("Dates")),
    ("city", N_("City")),
    ("country", N_("Country")),
    ("venue", N_("Venue")),
    ("language", N_("Working language")),
    ("audiences", N_("Target audiences")),
    ("time_zone", N_("Time zone")),
    ("description", N_("Description")),
    ("how_to_take_part", N_("How to take part")),
)
ITEM_FIELDS = (
    ("when", N_("Day and time")),
    ("title", N_("Title")),
    ("kind", N_("Kind")),
    ("speakers", N_("Speakers")),
    ("notes", N_("Notes")),
)


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    segments: list[Segment] = field(default_factory=list)


@dataclass
class ItemChange:
    change: str  # "added" | "removed" | "changed"
    where: str  # "Day 1, 09:00–10:00"
    title: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Diff:
    fields: list[FieldChange]
    items: list[ItemChange]

    @property
    def empty(self) -> bool:
        return not self.fields and not self.items

    @property
    def count(self) -> int:
        return len(self.fields) + len(self.items)


def _page_value(content: dict[str, Any] | None, name: str) -> str:
    if content is None:
        return ""
    if name == "dates":
        return Training(content).dates_label
    if name == "country":
        return country_name(content["country"])
    if name == "audiences":
        return ", ".join(label_of(AUDIENCES, key) for key in content["audiences"]) or gettext("none chosen")
    return str(content.get(name) or "")


def _item_value(item: dict[str, Any], name: str) -> str:
    if name == "when":
        return gettext("Day %(day)s, %(start)s–%(end)s", day=item["day"], start=item["start"], end=item["end"])
    if name == "kind":
        return label_of(ITEM_KINDS, item["kind"])
    return str(item.get(name) or "")


def _change(name: str, label: str, before: str, after: str) -> FieldChange:
    return FieldChange(name, gettext(label), before, after, word_diff(before, after).segments)


def diff_content(before: dict[str, Any] | None, after: dict[str, Any]) -> Diff:
    """Differences from ``before`` (the published version; None: nothing published yet) to ``after``."""
    fields = []
    for name, label in PAGE_FIELDS:
        old, new = _page_value(before, name), _page_value(after, name)
        if old != new:
            fields.append(_change(name, label, old, new))

    old_items = {item["id"]: item for item in (before or {}).get("agenda", [])}
    new_items = {item["id"]: item for item in after["agenda"]}
    changes: list[tuple[tuple, ItemChange]] = []
    for item_id, item in new_items.items():
        old = old_items.get(item_id)
        key = (item["day"], item["start"], item["end"], item_id)
        if old is None:
            changes.append((key, ItemChange("added", _item_value(item, "when"), item["title"])))
            continue
        changed = [
            _change(name, label, _item_value(old, name), _item_value(item, name))
            for name, label in ITEM_FIELDS
            if _item_value(old, name) != _item_value(item, name)
        ]
        if changed:
            changes.append((key, ItemChange("changed", _item_value(item, "when"), item["title"], changed)))
    for item_id, old in old_items.items():
        if item_id not in new_items:
            key = (old["day"], old["start"], old["end"], item_id)
            changes.append((key, ItemChange("removed", _item_value(old, "when"), old["title"])))
    changes.sort(key=lambda pair: pair[0])
    return Diff(fields, [change for _key, change in changes])
