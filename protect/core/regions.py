"""Countries, sectors, roles and time zones of the Baltic Sea Region that the workspace serves.

The names are shown in the reader's language: a country's is Babel's name of the territory in the request's
locale (``get_locale().territories``), a sector's a message of the catalogue. ``COUNTRY_NAMES``, ``SECTORS`` and
the choices hold lazy strings (``str()`` one where a plain string is needed); ``country_name`` and ``sector_name``
give str. ``COUNTRIES`` keeps the English names (for code and logs, not for display).
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import LazyString, get_locale, gettext, lazy_gettext

from protect.core.i18n import babel_locale

# The English names, where no request says which language (the CLI, imports).
_ENGLISH = babel_locale("en")


def _territory(code: str) -> str:
    if not has_request_context():  # a CLI command (the demo data, say): no reader, English
        return COUNTRIES[code][0]
    name = get_locale().territories.get(code) or _ENGLISH.territories.get(code) or code
    if code == "RU":  # the region's part of Russia only
        # Translators: the part of Russia in the Baltic Sea Region; %(country)s is "Russia".
        return gettext("%(country)s (North-West)", country=name)
    return name


def _translated(name: LazyString) -> str:
    """``name`` in the reader's language; English outside a request (a CLI command has no reader)."""
    if has_request_context():
        return str(name)
    return name._args[0] if name._func is gettext else str(name)  # a message's English, or _territory's


def _country(code: str) -> LazyString:
    return LazyString(_territory, code)


# Translators: the last choice in the lists of countries and of sectors; a form that fits both.
OTHER = lazy_gettext("Other")

# code -> (English name, capital's IANA time zone). Show ``country_name(code)``: the name in the reader's language.
COUNTRIES: dict[str, tuple[str, str]] = {
    "DK": ("Denmark", "Europe/Copenhagen"),
    "EE": ("Estonia", "Europe/Tallinn"),
    "FI": ("Finland", "Europe/Helsinki"),
    "DE": ("Germany", "Europe/Berlin"),
    "IS": ("Iceland", "Atlantic/Reykjavik"),
    "LV": ("Latvia", "Europe/Riga"),
    "LT": ("Lithuania", "Europe/Vilnius"),
    "NO": ("Norway", "Europe/Oslo"),
    "PL": ("Poland", "Europe/Warsaw"),
    "RU": ("Russia (North-West)", "Europe/Moscow"),
    "SE": ("Sweden", "Europe/Stockholm"),
    "XX": ("Other", "UTC"),
}
# The names in the reader's language, for the select fields (lazy: each request's own language).
COUNTRY_NAMES: dict[str, LazyString] = {code: OTHER if code == "XX" else _country(code) for code in COUNTRIES}
COUNTRY_CHOICES = list(COUNTRY_NAMES.items())

SECTORS: dict[str, LazyString] = {
    "law_enforcement": lazy_gettext("Law enforcement"),
    "child_welfare": lazy_gettext("Child welfare"),
    "ngo": lazy_gettext("NGO"),
    "child_rights": lazy_gettext("Child rights advocacy"),
    "other": OTHER,
}
SECTOR_CHOICES = list(SECTORS.items())

TIME_ZONES = sorted({tz for _name, tz in COUNTRIES.values()} | {"UTC", "Europe/Kaliningrad"})
TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in TIME_ZONES]


def country_name(code: str | None) -> str:
    """The country's name in the reader's language (the code itself for a code we do not know)."""
    name = COUNTRY_NAMES.get(code or "")
    return _translated(name) if name is not None else (code or "")


def country_time_zone(code: str | None) -> str:
    return COUNTRIES.get(code or "", ("", "UTC"))[1]


def sector_name(key: str | None) -> str:
    name = SECTORS.get(key or "")
    return _translated(name) if name is not None else (key or "")
