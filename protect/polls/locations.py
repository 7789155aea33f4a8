"""Candidate locations: records with their facts (city, venue, travel, accessibility, visas, cost, partner),
kept apart from any one poll, with their history; a poll's options may be chosen from them.

Any member (expert and above) adds and edits a candidate. Each save writes a ``LocationRevision`` (the whole
record as it was saved, and who saved it): the history lists them with the fields each save changed. Edits
carry the version they began from and save with a compare-and-set on it (409 with the form kept), as the
polls and agendas do. The travel burden is computed when shown (``polls.travel``), never stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.auth.models import User
from protect.core import audit
from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_
from protect.core.permissions import ROLES
from protect.core.regions import COUNTRIES, country_name
from protect.core.urls import path_for
from protect.extensions import db
from protect.polls import travel
from protect.search import services as search

CITY_MAX = 120
LINE_MAX = 200
NOTES_MAX = 2_000
VISA_MAX = 500
DESCRIPTION_MAX = 5_000
COST_MAX = 100_000  # euros per participant: anything above is a typing mistake
GROUP_COUNTRIES = tuple(code for code in COUNTRIES if code != "XX")
# The fields a revision keeps and the history compares, in the order the record shows them.
FIELDS = (
    "city",
    "country",
    "venue",
    "nearest_hub",
    "latitude",
    "longitude",
    "accessibility",
    "visa_notes",
    "cost_per_participant",
    "partner",
    "description",
)


class Location(db.Model):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("cost_per_participant IS NULL OR cost_per_participant >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    country: Mapped[str] = mapped_column(String(2))
    venue: Mapped[str] = mapped_column(String(LINE_MAX), default="")
    nearest_hub: Mapped[str] = mapped_column(String(LINE_MAX), default="")  # the nearest airport or station
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    accessibility: Mapped[str] = mapped_column(Text, default="")
    visa_notes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # country code -> notes
    cost_per_participant: Mapped[int | None]  # euros, estimated
    partner: Mapped[str] = mapped_column(String(LINE_MAX), default="")  # the local partner organisation
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    revisions: Mapped[list[LocationRevision]] = relationship(
        back_populates="location", lazy="raise", order_by="LocationRevision.version.desc()", cascade="all"
    )

    @property
    def label(self) -> str:
        if self.country == "XX":
            return self.city
        return f"{self.city}, {country_name(self.country).split(' (')[0]}"

    @property
    def point(self) -> tuple[float, float] | None:
        return travel.place_of(self.country, self.latitude, self.longitude)


class LocationRevision(db.Model):
    """A location as one save left it (version 1 is the record as added)."""

    __tablename__ = "location_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    location: Mapped[Location] = relationship(back_populates="revisions", lazy="raise")
    actor = relationship("User", lazy="raise")


area("polls", Location, LocationRevision)


@dataclass
class LocationData:
    city: str
    country: str
    venue: str = ""
    nearest_hub: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accessibility: str = ""
    visa_notes: dict[str, str] = field(default_factory=dict)
    cost_per_participant: int | None = None
    partner: str = ""
    description: str = ""

    def cleaned(self) -> dict[str, Any]:
        values = asdict(self)
        for name in ("city", "venue", "nearest_hub", "partner"):
            values[name] = " ".join((values[name] or "").split())
        for name in ("accessibility", "description"):
            values[name] = (values[name] or "").strip()
        values["visa_notes"] = {
            code: " ".join(text.split()) for code, text in sorted(self.visa_notes.items()) if text and text.strip()
        }
        return values


def _check(data: dict[str, Any]) -> None:
    if not data["city"]:
        raise RuleViolation(gettext("Enter the city."), field="city", status=422)
    if data["country"] not in COUNTRIES:
        raise RuleViolation(gettext("Choose a country from the list."), field="country", status=422)
    if (data["latitude"] is None) != (data["longitude"] is None):
        raise RuleViolation(
            gettext("Give both the latitude and the longitude, or neither (the country's capital is used)."),
            field="latitude",
            status=422,
        )
    if data["latitude"] is not None and not (-90 <= data["latitude"] <= 90 and -180 <= data["longitude"] <= 180):
        raise RuleViolation(
            gettext("The latitude runs from −90 to 90 and the longitude from −180 to 180."),
            field="latitude",
            status=422,
        )
    if data["country"] == "XX" and data["latitude"] is None:
        raise RuleViolation(
            gettext("For a country outside the list, give the coordinates: the travel estimate needs them."),
            field="latitude",
            status=422,
        )
    cost = data["cost_per_participant"]
    if cost is not None and not 0 <= cost <= COST_MAX:
        raise RuleViolation(
            gettext("The cost per participant is a whole number of euros from 0 to %(most)d.", most=COST_MAX),
            field="cost_per_participant",
            status=422,
        )
    unknown = set(data["visa_notes"]) - set(GROUP_COUNTRIES)
    if unknown:
        raise RuleViolation(gettext("Visa notes name an unknown country."), field="visa_notes", status=422)


def _url(location: Location) -> str:
    return path_for("locations.show_location", location_id=location.id)


def _revision(location: Location, actor: User, now: datetime) -> LocationRevision:
    return LocationRevision(
        location_id=location.id,
        version=location.version,
        fields={name: getattr(location, name) for name in FIELDS},
        actor_id=actor.id,
        created_at=now,
    )


def create_location(actor: User, data: LocationData, now: datetime | None = None) -> Location:
    now = now or utcnow()
    values = data.cleaned()
    _check(values)
    duplicate = db.session.execute(
        select(Location.id).where(
            func.lower(Location.city) == values["city"].lower(), Location.country == values["country"]
        )
    ).first()
    if duplicate is not None:
        raise RuleViolation(
            gettext("%(city)s is a candidate already: edit its record instead.", city=values["city"]),
            field="city",
            status=409,
        )
    location = Location(**values, created_by_id=actor.id, created_at=now, updated_at=now)
    db.session.add(location)
    db.session.flush()
    db.session.add(_revision(location, actor, now))
    _index(location)
    audit.record(
        actor,
        "location.created",
        location,
        summary=N_("added the candidate location “%(name)s”"),
        params={"name": location.city},
        url=_url(location),
    )
    db.session.commit()
    return location


def update_location(
    actor: User, location_id: int, data: LocationData, version: int, now: datetime | None = None
) -> Location:
    """Save an edit begun from ``version``: a compare-and-set, refused (409) when someone saved since."""
    now = now or utcnow()
    values = data.cleaned()
    _check(values)
    location = db.session.get(Location, location_id)
    if location is None:
        raise RuleViolation(gettext("There is no such candidate location."), status=404)
    changed = db.session.execute(
        update(Location)
        .where(Location.id == location_id, Location.version == version)
        .values(**values, version=Location.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise RuleViolation(
            gettext(
                "Someone else changed this location while you were editing it. Your changes are still in the "
                "form; the record as saved now is shown beside it. Compare, then save again."
            ),
            field="version",
            status=409,
        )
    db.session.refresh(location)
    db.session.add(_revision(location, actor, now))
    _index(location)
    audit.record(
        actor,
        "location.changed",
        location,
        summary=N_("changed the candidate location “%(name)s”"),
        params={"name": location.city},
        url=_url(location),
    )
    db.session.commit()
    return location


def _index(location: Location) -> None:
    search.update("location", location.id)


def get_location(location_id: int) -> Location | None:
    return db.session.get(Location, location_id)


def all_locations() -> list[Location]:
    return list(db.session.execute(select(Location).order_by(Location.country, Location.city)).scalars())


def locations_by_id(ids: list[int]) -> dict[int, Location]:
    if not ids:
        return {}
    return {loc.id: loc for loc in db.session.execute(select(Location).where(Location.id.in_(ids))).scalars()}


@dataclass(frozen=True)
class Change:
    version: int
    when: datetime
    actor: str | None
    fields: list[str]  # the names (FIELDS) this save changed; every filled one for the first


def history(location: Location) -> list[Change]:
    """The saves of ``location``, newest first, each with the fields it changed (two queries)."""
    revisions = list(
        db.session.execute(
            select(LocationRevision, User.display_name)
            .outerjoin(User, User.id == LocationRevision.actor_id)
            .where(LocationRevision.location_id == location.id)
            .order_by(LocationRevision.version)
        )
    )
    changes = []
    before: dict[str, Any] = {}
    for revision, name in revisions:
        after = revision.fields
        names = [f for f in FIELDS if after.get(f) != before.get(f) and (before or after.get(f) not in ("", None, {}))]
        changes.append(Change(revision.version, revision.created_at, name, names))
        before = after
    return list(reversed(changes))


def members_by_country() -> dict[str, int]:
    """Active members (experts and above) per country of their profile, in one grouped query."""
    rows = db.session.execute(
        select(User.country, func.count())
        .where(User.active.is_(True), User.role.in_(ROLES))
        .group_by(User.country)
        .order_by(User.country)
    )
    return {code: n for code, n in rows if code in GROUP_COUNTRIES}


def burden_of(location: Location, group: dict[str, int] | None = None) -> travel.Burden | None:
    return travel.burden(location.point, members_by_country() if group is None else group)
