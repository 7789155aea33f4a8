"""Countries, sectors, roles and time zones of the Baltic Sea Region that the workspace serves."""

from __future__ import annotations

# code -> (name, capital's IANA time zone)
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
COUNTRY_CHOICES = [(code, name) for code, (name, _tz) in COUNTRIES.items()]

SECTORS: dict[str, str] = {
    "law_enforcement": "Law enforcement",
    "child_welfare": "Child welfare",
    "ngo": "NGO",
    "child_rights": "Child rights advocacy",
    "other": "Other",
}
SECTOR_CHOICES = list(SECTORS.items())

TIME_ZONES = sorted({tz for _name, tz in COUNTRIES.values()} | {"UTC", "Europe/Kaliningrad"})
TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in TIME_ZONES]


def country_name(code: str | None) -> str:
    return COUNTRIES.get(code or "", ("", ""))[0] or (code or "")


def country_time_zone(code: str | None) -> str:
    return COUNTRIES.get(code or "", ("", "UTC"))[1]


def sector_name(key: str | None) -> str:
    return SECTORS.get(key or "", key or "")
