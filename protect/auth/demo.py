"""Demo people of every role, from several countries and sectors. All share the demo password."""

from __future__ import annotations

from sqlalchemy import select

from protect.auth import services
from protect.auth.models import User
from protect.core.regions import country_time_zone
from protect.extensions import db

DEMO_PASSWORD = "protect-demo-2015"  # noqa: S105 - the published demo password, printed by make run

# email, name, role, country, sector, organisation
DEMO_PEOPLE = [
    ("admin@example.org", "Mette Sørensen", "admin", "DK", "child_welfare", "Children's Unit secretariat"),
    ("moderator@example.org", "Kristīne Bērziņa", "moderator", "LV", "child_rights", "Child rights office, Riga"),
    ("expert@example.org", "Jonas Petrauskas", "expert", "LT", "law_enforcement", "Police Department, Vilnius"),
    ("aino@example.org", "Aino Virtanen", "expert", "FI", "ngo", "Children's shelter network, Helsinki"),
    ("olga@example.org", "Olga Smirnova", "expert", "RU", "child_welfare", "Social services, St Petersburg"),
    ("erik@example.org", "Erik Lindqvist", "expert", "SE", "law_enforcement", "Border police, Malmö"),
    ("kadri@example.org", "Kadri Tamm", "expert", "EE", "ngo", "Victim support NGO, Tallinn"),
    ("sigrid@example.org", "Sigrid Haugen", "moderator", "NO", "child_welfare", "Child welfare service, Oslo"),
    ("gudrun@example.org", "Guðrún Jónsdóttir", "expert", "IS", "child_rights", "Ombudsman for children, Reykjavík"),
    ("tomasz@example.org", "Tomasz Nowak", "expert", "PL", "law_enforcement", "Anti-trafficking unit, Gdańsk"),
]


def demo_user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def seed_people() -> None:
    for email, name, role, country, sector, organisation in DEMO_PEOPLE:
        if db.session.execute(select(User.id).where(User.email == email)).first():
            continue
        services.create_user(
            email,
            name,
            DEMO_PASSWORD,
            role=role,
            country=country,
            sector=sector,
            organisation=organisation,
            time_zone=country_time_zone(country),
        )
    db.session.commit()
