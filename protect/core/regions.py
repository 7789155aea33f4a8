"""Countries, sectors, roles and time zones of the Baltic Sea Region that the workspace serves.

The names are shown in the reader's language: a country's is Babel's name of the territory in the request's
locale (``get_locale().territories``), a sector's a message of the catalogue. Both are lazy strings in the
module's tables (``str()`` one where a plain string is needed); ``country_name`` and ``sector_name`` give str.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import LazyString, get_locale, gettext, lazy_gettext

from protect.core.i18n import babel_locale

# The English names, where no request says which language (the CLI, imports).
_ENGLISH = babel_locale("en")


def _territory(code: str) -> str:
    if not has_request_context():  # a CLI command (the demo data, say): no reader, English
        name = _ENGLISH.territories.get(code) or code
        return f"{name} (North-West)" if code == "RU" else name
    name = get_locale().territories.get(code) or _ENGLISH.territories.get(code) or code
    if code == "RU":  # the region's part of Russia only
        # Translators: the part of Russia in the Baltic Sea Region; %(country)s is "Russia".
        return gettext("%(country)s (North-West)", country=name)
    return name


def _translated(name: LazyString) -> str:
    """``name`` in the reader's language; English outside a request (a CLI command has no reader)."""
    return str(name) if has_request_context() else name._args[0]


def _country(code: str) -> LazyString:
    return LazyString(_territory, code)


# Translators: the last choice in the lists of countries and of sectors; a form that fits both.
OTHER = lazy_gettext("Other")

# code -> (name, capital's IANA time zone)
COUNTRIES: dict[str, tuple[LazyString, str]] = {
    "DK": (_country("DK"), "Europe/Copenhagen"),
    "EE": (_country("EE"), "Europe/Tallinn"),
    "FI": (_country("FI"), "Europe/Helsinki"),
    "DE": (_country("DE"), "Europe/Berlin"),
    "IS": (_country("IS"), "Atlantic/Reykjavik"),
    "LV": (_country("LV"), "Europe/Riga"),
    "LT": (_country("LT"), "Europe/Vilnius"),
    "NO": (_country("NO"), "Europe/Oslo"),
    "PL": (_country("PL"), "Europe/Warsaw"),
    "RU": (_country("RU"), "Europe/Moscow"),
    "SE": (_country("SE"), "Europe/Stockholm"),
    "XX": (OTHER, "UTC"),
}
COUNTRY_CHOICES = [(code, name) for code, (name, _tz) in COUNTRIES.items()]

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
    name = COUNTRIES.get(code or "", ("", ""))[0]
    if code == "XX":
        return _translated(name)
    return str(name) or (code or "")


def country_time_zone(code: str | None) -> str:
    return COUNTRIES.get(code or "", ("", "UTC"))[1]


def sector_name(key: str | None) -> str:
    name = SECTORS.get(key or "")
    return _translated(name) if name is not None else (key or "")
