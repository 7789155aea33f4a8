"""Showing stored (naive UTC) times in the viewer's time zone, always with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, format_skeleton, format_time, get_timezone_location
from flask import Flask
from flask_babel import get_locale
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


def _locale() -> Locale:
    return get_locale() or Locale.parse("en_GB")  # outside a request (the command line): British English


def format_datetime(value: datetime | None, zone: ZoneInfo | str | None = None, with_zone: bool = True) -> str:
    """``7 Dec 2026, 15:00 CET (Copenhagen)``, ``7 дек. 2026 г., 15:00 CET (Копенгаген)``: in the viewer's
    language, in ``zone`` (the viewer's by default), the zone named."""
    if value is None:
        return ""
    local = to_zone(value, zone)
    locale = _locale()
    text = locale.datetime_formats["medium"].format(
        format_time(local, "HH:mm", locale=locale), format_skeleton("yMMMd", local, locale=locale)
    )
    if with_zone:
        text += " " + zone_name(local, locale)
    return text


def zone_name(local: datetime, locale: Locale | None = None) -> str:
    """The zone of an aware datetime, its abbreviation (the zone database's: Babel has none for many zones in
    many languages) and its city in the viewer's language: ``CET (Copenhagen)``, ``MSK (Москва)``."""
    locale = locale or _locale()
    short = local.tzname()
    city = get_timezone_location(local.tzinfo, locale=locale, return_city=True)
    return f"{short} ({city})"


def format_date(value: date | datetime | None) -> str:
    """``7 Dec 2026``, ``7. Dez. 2026``. A stored (naive UTC) datetime is dated in the viewer's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_zone(value)
    return format_skeleton("yMMMd", value, locale=_locale())


def format_day(value: date) -> str:
    """A day of an agenda with its weekday: ``Monday 7 December 2026``, ``понедельник, 7 декабря 2026 г.``."""
    return format_skeleton("yMMMMEEEEd", value, locale=_locale())


def long_date(value: date) -> str:
    """``7 December 2026``, ``7 декабря 2026 г.``."""
    return babel_format_date(value, "long", locale=_locale())


def date_range(first: date, last: date) -> str:
    """``15–16 September 2015``, ``30 September – 1 October 2016``, in the viewer's language."""
    if first == last:
        return long_date(first)
    return format_interval(first, last, "yMMMMd", locale=_locale())


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
    app.add_template_filter(format_day, "day")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(iso_utc, "iso_utc")
