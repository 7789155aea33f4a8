"""The accounts tests: mail through the real SMTP server of the notifications tests, and a rate-limited app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask

from protect import create_app
from protect.auth.models import TotpCredential, User
from protect.extensions import db
from tests.conftest import TEST_CONFIG, CSRFClient
from tests.factories import PASSWORD
from tests.notifications.conftest import no_smtp, smtp  # noqa: F401

LINK = re.compile(r"https://workspace\.protect\.example(/(?:reset|invite)/[A-Za-z0-9_\-]+)")


def link_in(text: str) -> str:
    """The path of the reset or invitation link in a mail's text."""
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def sign_in_with_password(client, user: User, password: str = PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


def turn_on_totp(user: User) -> pyotp.TOTP:
    """Two-factor sign-in on for ``user`` (as the set-up does, without the pages); returns the app's TOTP."""
    from protect.auth import security

    secret = security.begin_totp(user)
    totp = pyotp.TOTP(secret)
    security.confirm_totp(user, totp.now())
    row = db.session.get(TotpCredential, user.id)
    row.last_step = None  # the set-up's code is not the one a test signs in with
    db.session.commit()
    return totp


@pytest.fixture
def limited_app(database_url) -> Iterator[Flask]:
    """The app with its rate limits on (the suite's app has them off)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    app.test_client_class = CSRFClient
    yield app
    with app.app_context():
        db.engine.dispose()
