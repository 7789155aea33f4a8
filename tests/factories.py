"""Small builders of test data. Each commits, so the app under test sees what they make."""

from __future__ import annotations

import itertools

from protect.auth import services as auth_services
from protect.auth.models import User
from protect.extensions import db

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_user(
    role: str = "expert",
    *,
    email: str | None = None,
    display_name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    country: str = "DK",
    sector: str = "child_welfare",
    time_zone: str = "Europe/Copenhagen",
) -> User:
    n = next(_numbers)
    user = auth_services.create_user(
        email or f"{role}{n}@test.example",
        display_name or f"{role.title()} {n}",
        password,
        role=role,
        country=country,
        sector=sector,
        time_zone=time_zone,
    )
    user.active = active
    db.session.commit()
    return user
