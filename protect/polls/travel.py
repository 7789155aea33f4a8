"""The travel burden of a candidate location: a simple, documented model kept here (no external service).

The model, stated so anyone can recompute it:

1. Each country of the group travels from its capital (Russia's part of the region from St Petersburg, the
   seat of the North-West federal district). The coordinates below are the capitals' city centres, to 0.01°.
2. The location is at its own coordinates when the record gives them, else at its country's capital.
3. Distance: the great-circle distance on a sphere of radius 6371 km (haversine), rounded to the kilometre.
4. Hours door to door: up to ``GROUND_MAX_KM`` by train, bus or car at ``GROUND_KMH``; beyond, by air:
   ``AIR_FIXED_HOURS`` (to and from the airports, check-in, waiting) plus the distance at ``AIR_KMH``.
5. A country's burden is its hours for one person times its members (active members whose profile names that
   country); the most burdened country is the one with the most hours per person (ties: the most members,
   then the country code); the average is over the members, each their own country's hours.

It is an estimate for comparing candidates with one another, not a timetable: it ignores connections, borders
and seasons, and says so on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0
GROUND_MAX_KM = 400
GROUND_KMH = 70.0
AIR_FIXED_HOURS = 3.5
AIR_KMH = 650.0

# code -> (city, latitude, longitude): where each country's members set out from.
CAPITALS: dict[str, tuple[str, float, float]] = {
    "DK": ("Copenhagen", 55.68, 12.57),
    "EE": ("Tallinn", 59.44, 24.75),
    "FI": ("Helsinki", 60.17, 24.94),
    "DE": ("Berlin", 52.52, 13.40),
    "IS": ("Reykjavík", 64.15, -21.94),
    "LV": ("Riga", 56.95, 24.11),
    "LT": ("Vilnius", 54.69, 25.28),
    "NO": ("Oslo", 59.91, 10.75),
    "PL": ("Warsaw", 52.23, 21.01),
    "RU": ("St Petersburg", 59.94, 30.31),
    "SE": ("Stockholm", 59.33, 18.07),
}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Great-circle distance between two (latitude, longitude) points, in whole kilometres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h))))


def travel_hours(km: int) -> float:
    """Estimated hours door to door for ``km`` (step 4 of the model), to a tenth of an hour."""
    if km <= GROUND_MAX_KM:
        return round(km / GROUND_KMH, 1)
    return round(AIR_FIXED_HOURS + km / AIR_KMH, 1)


def mode(km: int) -> str:
    return "ground" if km <= GROUND_MAX_KM else "air"


def place_of(country: str, latitude: float | None, longitude: float | None) -> tuple[float, float] | None:
    """A location's point: its own coordinates, else its country's capital, else None (a country we do not
    know, "Other", without coordinates)."""
    if latitude is not None and longitude is not None:
        return (latitude, longitude)
    capital = CAPITALS.get(country)
    return (capital[1], capital[2]) if capital else None


@dataclass(frozen=True)
class CountryBurden:
    country: str
    members: int
    km: int
    hours: float
    mode: str  # "ground" | "air"

    @property
    def total_hours(self) -> float:
        return round(self.hours * self.members, 1)


@dataclass(frozen=True)
class Burden:
    rows: list[CountryBurden]  # one per country of the group, most hours per person first
    heaviest: CountryBurden | None
    average_hours: float  # per member
    members: int

    def bar_width(self, row: CountryBurden) -> float:
        """The row's hours relative to the most, in per cent (the chart's bar)."""
        most = max((r.hours for r in self.rows), default=0)
        return round(100 * row.hours / most, 1) if most else 0.0


def burden(point: tuple[float, float] | None, members_by_country: dict[str, int]) -> Burden | None:
    """The travel burden of a location at ``point`` for a group with ``members_by_country`` (country code ->
    active members). Countries with no capital in the model (\"Other\") are left out; None without a point."""
    if point is None:
        return None
    rows = []
    for code, members in members_by_country.items():
        capital = CAPITALS.get(code)
        if capital is None or members <= 0:
            continue
        km = distance_km((capital[1], capital[2]), point)
        rows.append(CountryBurden(code, members, km, travel_hours(km), mode(km)))
    rows.sort(key=lambda r: (-r.hours, -r.members, r.country))
    members = sum(r.members for r in rows)
    average = round(sum(r.hours * r.members for r in rows) / members, 1) if members else 0.0
    return Burden(rows, rows[0] if rows else None, average, members)
