"""The content of a programme page as plain JSON, and the read-only view the public templates render.

``build_content()`` turns the working copy (page, event, current agenda) into the JSON that approval freezes
and publishing stores; ``Training`` reads that JSON back for the templates. The public pages only ever see a
``Training`` made from a published snapshot, so nothing else (no draft, no internal field) can reach them.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from flask_babel import gettext

from protect.agendas.models import AUDIENCES, ITEM_KINDS, AgendaItem, TrainingEvent
from protect.core.i18n import WORKING_LANGUAGE
from protect.core.regions import COUNTRIES, country_name
from protect.core.text import plain_excerpt
from protect.core.timefmt import date_range
from protect.programme.models import ProgrammePage

SCHEMA = 1
BREAK_KINDS = frozenset({"break", "meal", "travel"})


def build_content(page: ProgrammePage, event: TrainingEvent, items: Iterable[AgendaItem]) -> dict[str, Any]:
    """The page and its agenda as they are now, in the form that is approved and published."""
    agenda = [
        {
            "id": item.id,
            "day": item.day,
            "start": item.start.strftime("%H:%M"),
            "end": item.end.strftime("%H:%M"),
            "title": item.title,
            "kind": item.kind,
            "speakers": item.speakers or "",
            "notes": item.notes or "",
        }
        for item in sorted(items, key=lambda i: (i.day, i.start, i.position, i.id))
        if item.deleted_at is None and 1 <= item.day <= event.days
    ]
    return {
        "schema": SCHEMA,
        "slug": page.slug,
        "title": page.title,
        "summary": page.summary,
        "description": page.description,
        "how_to_take_part": page.how_to_take_part,
        "audiences": [key for key in AUDIENCES if key in (page.audiences or [])],
        "language": page.language,
        "venue": page.venue,
        "city": event.city,
        "country": event.country,
        "time_zone": event.time_zone,
        "first_day": event.first_day.isoformat(),
        "days": event.days,
        "agenda": agenda,
    }


def label_of(labels: dict[str, Any], key: str) -> str:
    """The label of ``key`` (an audience, a kind of session) in the reader's language: the labels are English
    (marked for extraction where they are defined), translated where they are shown."""
    return gettext(str(labels.get(key, key)))


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def fold(text: str) -> str:
    """Lower case without accents: "Rīga" and "riga" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_text(content: dict[str, Any]) -> str:
    parts = [
        content["title"],
        content["summary"],
        plain_excerpt(content["description"], 100_000),
        plain_excerpt(content["how_to_take_part"], 100_000),
        content["city"],
        # English, whoever publishes (search text is never shown): the country's English name.
        COUNTRIES.get(content["country"], (content["country"], ""))[0],
        content["venue"],
        content["language"],
        " ".join(str(AUDIENCES.get(key, key)) for key in content["audiences"]),
    ]
    for item in content["agenda"]:
        parts += [item["title"], item["speakers"], plain_excerpt(item["notes"], 100_000)]
    return " ".join(fold(" ".join(part for part in parts if part)).split())


def audiences_key(content: dict[str, Any]) -> str:
    return "," + "".join(f"{key}," for key in content["audiences"])


@dataclass(frozen=True)
class Session:
    start: str
    end: str
    title: str
    kind: str
    speakers: str
    notes: str

    @property
    def kind_label(self) -> str:
        return label_of(ITEM_KINDS, self.kind)

    @property
    def is_break(self) -> bool:
        return self.kind in BREAK_KINDS


@dataclass(frozen=True)
class Day:
    number: int
    date: date
    sessions: list[Session]


class Training:
    """A snapshot's content as the public templates read it."""

    def __init__(self, content: dict[str, Any], version: int | None = None) -> None:
        self.content = content
        self.version = version

    # The language of the texts (title, summary, description, how to take part): the working language, or a
    # translation's (``translations.translated_content`` sets it in the content it builds).
    @property
    def content_language(self) -> str:
        return self.content.get("content_language") or WORKING_LANGUAGE

    def __getattr__(self, name: str) -> Any:
        try:
            return self.content[name]
        except KeyError as error:
            raise AttributeError(name) from error

    @cached_property
    def first_day(self) -> date:
        return date.fromisoformat(self.content["first_day"])

    @cached_property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.content["days"] - 1)

    @property
    def country_name(self) -> str:
        return country_name(self.content["country"])

    @property
    def audience_labels(self) -> list[str]:
        return [label_of(AUDIENCES, key) for key in self.content["audiences"]]

    @property
    def place(self) -> str:
        return f"{self.content['city']}, {self.country_name}"

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.content["venue"], self.content["city"], self.country_name) if part)

    @property
    def dates_label(self) -> str:
        return date_range(self.first_day, self.last_day)

    @property
    def meta_description(self) -> str:
        summary = self.content["summary"] or plain_excerpt(self.content["description"], 200)
        return gettext(
            "%(dates)s, %(place)s. %(summary)s", dates=self.dates_label, place=self.place, summary=summary
        ).strip()

    def is_over(self, today: date) -> bool:
        return self.last_day < today

    @cached_property
    def days(self) -> list[Day]:
        by_day: dict[int, list[Session]] = {number: [] for number in range(1, self.content["days"] + 1)}
        for item in self.content["agenda"]:
            if item["day"] in by_day:
                by_day[item["day"]].append(
                    Session(item["start"], item["end"], item["title"], item["kind"], item["speakers"], item["notes"])
                )
        return [
            Day(number, self.first_day + timedelta(days=number - 1), sessions) for number, sessions in by_day.items()
        ]
