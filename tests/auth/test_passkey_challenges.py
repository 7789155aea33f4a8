"""A passkey ceremony's challenge waits on the server: answered once (an old copy of the session cookie does not
bring it back), within five minutes, for its purpose and member; the signature counter only rises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from protect.auth import security
from protect.auth.models import Passkey, UserSession, WebAuthnChallenge
from protect.core.database import utcnow
from protect.extensions import db
from tests.auth.conftest import SoftPasskey


@pytest.fixture(autouse=True)
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://workspace.protect.example")


def open_sessions(user) -> int:
    return db.session.execute(
        db.select(db.func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).scalar_one()


def test_a_soft_passkey_signs_in(app, expert):
    key = SoftPasskey(expert)
    client = app.test_client()
    options = client.post("/login/passkey/options").json
    response = client.post("/login/passkey", json=key.answer(options))
    assert response.status_code == 200 and response.json["redirect"] == "/dashboard"
    assert client.get("/profile").status_code == 200


def test_a_copy_of_the_old_session_cookie_does_not_replay_a_passkey_answer(app, expert):
    key = SoftPasskey(expert)  # counter 0: an authenticator without a counter, as most passkeys are
    victim = app.test_client()
    options = victim.post("/login/passkey/options").json
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    old_cookie = victim.get_cookie(cookie_name).value  # what an attacker who saw the traffic kept
    answer = key.answer(options)
    assert victim.post("/login/passkey", json=answer).status_code == 200
    assert open_sessions(expert) == 1

    attacker = app.test_client()
    attacker.set_cookie(cookie_name, old_cookie)
    replay = attacker.post("/login/passkey", json=answer)
    assert replay.status_code in (400, 401), replay.status_code
    assert attacker.get("/profile").status_code == 302
    assert open_sessions(expert) == 1


def test_a_challenge_expires_after_five_minutes(app, expert):
    key = SoftPasskey(expert)
    client = app.test_client()
    options = client.post("/login/passkey/options").json
    row = db.session.execute(db.select(WebAuthnChallenge)).scalar_one()
    assert timedelta(minutes=4) < row.expires_at - utcnow() <= timedelta(minutes=5)
    assert row.challenge == options["challenge"] and row.purpose == "sign_in" and row.user_id is None
    db.session.execute(update(WebAuthnChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    late = client.post("/login/passkey", json=key.answer(options))
    assert late.status_code == 400 and "took too long" in late.json["error"]
    assert open_sessions(expert) == 0


def test_a_challenge_is_bound_to_its_purpose_and_member(app, expert, moderator):
    with app.test_request_context():
        kept = security.keep_challenge("register", expert, "abc")
        assert security.take_challenge(kept, "sign_in", expert) is None
        assert security.take_challenge(kept, "register", moderator) is None
        assert security.take_challenge(kept, "register", None) is None
        assert security.take_challenge(kept, "register", expert) == "abc"
        assert security.take_challenge(kept, "register", expert) is None  # once


def test_a_second_factor_challenge_is_bound_to_the_pending_member(app, expert, moderator):
    """Options asked for in the pending state of one member do not serve a sign-in with a passkey alone."""
    from tests.auth.conftest import sign_in_with_password

    key = SoftPasskey(expert)
    client = app.test_client()
    assert sign_in_with_password(client, expert).headers["Location"] == "/login/verify"
    options = client.post("/login/passkey/options").json
    row = db.session.execute(db.select(WebAuthnChallenge)).scalar_one()
    assert row.user_id == expert.id
    assert client.post("/login/passkey", json=key.answer(options)).status_code == 200


def test_the_signature_counter_only_rises_even_for_two_requests_at_once(app, expert):
    key = SoftPasskey(expert, sign_count=5)
    passkey_id = key.row.id
    # Two requests that both read 5 and both verified an answer with 6: only the first may raise it.
    assert security._advance_sign_count(passkey_id, 6) is True
    assert security._advance_sign_count(passkey_id, 6) is False
    assert security._advance_sign_count(passkey_id, 0) is True  # no counter: only last_used_at
    db.session.commit()
    assert db.session.get(Passkey, passkey_id).sign_count == 6


def test_a_cloned_authenticators_lower_counter_is_refused(app, expert):
    key = SoftPasskey(expert, sign_count=5)
    client = app.test_client()
    options = client.post("/login/passkey/options").json
    assert client.post("/login/passkey", json=key.answer(options, counter=6)).status_code == 200
    other = app.test_client()
    options = other.post("/login/passkey/options").json
    assert other.post("/login/passkey", json=key.answer(options, counter=6)).status_code == 401
    assert db.session.get(Passkey, key.row.id).sign_count == 6
