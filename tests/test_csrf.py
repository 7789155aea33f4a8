"""core.csrf: Flask-WTF's CSRF protection with each token signed and verified once per process. Every answer
must stay what Flask-WTF's own check gives: a token is accepted only with the session it was made for, and on
HTTPS only from the site's own pages."""

from __future__ import annotations

import re

import flask_wtf.csrf
import pytest
from itsdangerous import URLSafeTimedSerializer

from protect import create_app
from protect.auth.models import User
from protect.auth.services import start_session
from protect.extensions import db
from tests.conftest import TEST_CONFIG, CSRFClient


def change_name(client, name: str, token: str | None = None, headers: dict | None = None, **kwargs):
    headers = headers or ({"X-CSRFToken": token} if token else {})
    return client.post("/profile", data={"display_name": name}, headers=headers, **kwargs)


@pytest.fixture
def full_checks(monkeypatch) -> list[str]:
    """The tokens Flask-WTF's own (signature) check was asked about."""
    checked: list[str] = []
    real = flask_wtf.csrf.validate_csrf

    def validate_csrf(data, *args, **kwargs):
        checked.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(flask_wtf.csrf, "validate_csrf", validate_csrf)
    return checked


@pytest.fixture
def signings(monkeypatch) -> list[str]:
    """The secrets Flask-WTF signed a token for."""
    signed: list[str] = []

    class Counting(URLSafeTimedSerializer):
        def dumps(self, obj, *args, **kwargs):
            signed.append(obj)
            return super().dumps(obj, *args, **kwargs)

    monkeypatch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", Counting)
    return signed


def test_a_token_is_verified_once_and_then_accepted_for_its_own_session(expert_client, expert, full_checks):
    token = expert_client.csrf_token()
    for number in range(3):
        assert change_name(expert_client, f"Eva {number}", token).status_code in (200, 303)
    assert full_checks == [token]
    db.session.refresh(expert)
    assert expert.display_name == "Eva 2"


def test_a_token_verified_for_one_session_is_refused_with_another(client_for, expert, moderator, full_checks):
    mine, theirs = client_for(expert), client_for(moderator)
    token = mine.csrf_token()
    theirs.csrf_token()  # their session has a secret of its own, not the one this token carries
    assert change_name(mine, "Eva Expert", token).status_code in (200, 303)
    refused = change_name(theirs, "Taken over", token)
    assert refused.status_code == 400
    assert "Security check failed" in refused.get_data(as_text=True)
    assert full_checks == [token, token]  # the second time by Flask-WTF itself, which gave the message
    db.session.refresh(moderator)
    assert moderator.display_name != "Taken over"


def test_a_forged_token_is_refused_every_time(expert_client, full_checks):
    token = expert_client.csrf_token()
    assert change_name(expert_client, "Eva", token).status_code in (200, 303)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for _ in range(2):
        assert change_name(expert_client, "Forged", forged).status_code == 400
    assert full_checks == [token, forged, forged]


def test_over_https_a_known_token_still_needs_the_sites_own_referrer(database_url, expert):
    # What the test needs of the member, read here: loading it inside the other app's context would leave a
    # connection of this one's pool open.
    session_token = start_session(expert, "127.0.0.1", "werkzeug/test")
    expert_id = expert.id
    db.session.commit()
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "HTTPS": True})
    app.test_client_class = CSRFClient
    with app.app_context():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_token
        token = client.csrf_token()
        https = {"base_url": "https://localhost"}
        own_page = {"X-CSRFToken": token, "Referer": "https://localhost/profile"}
        assert change_name(client, "Eva", None, headers=own_page, **https).status_code in (200, 303)
        for headers in ({"X-CSRFToken": token}, {"X-CSRFToken": token, "Referer": "https://evil.example/"}):
            refused = client.post("/profile", data={"display_name": "Evil"}, headers=headers, **https)
            assert refused.status_code == 400
        assert db.session.get(User, expert_id).display_name == "Eva"
        db.session.remove()
        db.engine.dispose()


def test_pages_reuse_the_sessions_signed_token(expert_client, signings):
    pages = [expert_client.get("/profile").get_data(as_text=True) for _ in range(3)]
    tokens = {re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1) for page in pages}
    assert len(tokens) == 1
    assert len(signings) <= 1  # signed at most once (not at all if an earlier request of this session did)


def test_a_new_csrf_key_refuses_tokens_verified_under_the_old_one(app, expert_client, full_checks):
    token = expert_client.csrf_token()
    assert change_name(expert_client, "Eva", token).status_code in (200, 303)
    app.config["WTF_CSRF_SECRET_KEY"] = "a-new-csrf-key"
    try:
        assert change_name(expert_client, "Stale", token).status_code == 400
    finally:
        del app.config["WTF_CSRF_SECRET_KEY"]
    assert full_checks == [token, token]
