"""Showing stored (naive UTC) times in the viewer's time zone, always with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

DEFAULT_TIME_ZONE = "Europe/Copenhagen"


def viewer_zone() -> ZoneInfo:
    name = getattr(current_user, "time_zone", None) or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def to_zone(value: datetime, zone: ZoneInfo | str | None = None) -> datetime:
    """A stored naive-UTC datetime as an aware datetime in ``zone`` (the viewer's by default)."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(zone or viewer_zone())


def from_zone(value: datetime, zone: ZoneInfo | str) -> datetime:
    """A wall-clock time entered in ``zone`` as the naive UTC datetime that is stored."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    return value.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def format_datetime(value: datetime | None, zone: ZoneInfo | str | None = None, with_zone: bool = True) -> str:
    if value is None:
        return ""
    local = to_zone(value, zone)
    text = local.strftime("%-d %b %Y, %H:%M")
    if with_zone:
        text += f" {local.tzname()} ({local.tzinfo.key.replace('_', ' ')})"  # type: ignore[union-attr]
    return text


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %b %Y")


def date_range(first: date, last: date) -> str:
    """``15–16 September 2015``, ``30 September – 1 October 2016``, ``29 December 2016 – 2 January 2017``."""
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def iso_utc(value: datetime | None) -> str:
    """Machine-readable form for ``<time datetime=...>``: at most three fraction digits (milliseconds), as the
    HTML standard's valid date-time strings allow (Python's microseconds would not validate)."""
    if value is None:
        return ""
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def init_app(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(iso_utc, "iso_utc")
