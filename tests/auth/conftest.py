"""The accounts tests: mail through the real SMTP server of the notifications tests, and a rate-limited app."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterator

import cbor2
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


class SoftPasskey:
    """A passkey in software (P-256, "none" attestation): registered straight into the database, it answers
    the server's options as a browser's authenticator would, with the signature counter it is told to."""

    origin = "https://workspace.protect.example"
    rp_id = "workspace.protect.example"

    def __init__(self, user: User, name: str = "Soft key", sign_count: int = 0) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        from protect.auth.models import Passkey

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.raw_id = secrets.token_bytes(16)
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        self.row = Passkey(user_id=user.id, credential_id=self.id, public_key=cose, sign_count=sign_count, name=name)
        db.session.add(self.row)
        user.second_factor = True
        db.session.commit()

    @property
    def id(self) -> str:
        return base64.urlsafe_b64encode(self.raw_id).rstrip(b"=").decode()

    def answer(self, options: dict, counter: int = 0, user_verified: bool = True) -> dict:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": self.origin, "crossOrigin": False}
        ).encode()
        flags = 0x01 | (0x04 if user_verified else 0)
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + counter.to_bytes(4, "big")
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
            },
            "clientExtensionResults": {},
        }
