"""CSRF protection is Flask-WTF's CSRFProtect as shipped: a token is accepted only with the session it was made for,
for WTF_CSRF_TIME_LIMIT (24 hours) after its page was made, and on HTTPS only from the site's own pages. A refused
token says what to do: reload the page; an htmx request gets that in the alert area and keeps the form as typed."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from protect import create_app
from protect.auth.models import User
from protect.auth.services import start_session
from protect.extensions import db
from tests.conftest import TEST_CONFIG, CSRFClient

EXPIRED = "This page has expired"


def change_name(client, name: str, token: str | None = None, headers: dict | None = None, **kwargs):
    headers = headers or ({"X-CSRFToken": token} if token else {})
    return client.post("/profile", data={"display_name": name}, headers=headers, **kwargs)


def aged_token(client: CSRFClient, hours: float) -> str:
    """This session's token as Flask-WTF would have signed it ``hours`` ago (a page loaded then)."""
    client.csrf_token()  # the session has its secret
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    signed_at = int(time.time() - hours * 3600)

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return signed_at

    return URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token", signer=Then).dumps(raw)


def test_a_token_is_accepted_again_and_again_with_its_own_session(expert_client, expert):
    token = expert_client.csrf_token()
    for number in range(3):
        assert change_name(expert_client, f"Eva {number}", token).status_code in (200, 303)
    db.session.refresh(expert)
    assert expert.display_name == "Eva 2"


def test_a_token_of_one_session_is_refused_with_another(client_for, expert, moderator):
    mine, theirs = client_for(expert), client_for(moderator)
    token = mine.csrf_token()
    theirs.csrf_token()  # their session has a secret of its own, not the one this token carries
    assert change_name(mine, "Eva Expert", token).status_code in (200, 303)
    refused = change_name(theirs, "Taken over", token)
    assert refused.status_code == 400
    assert "Security check failed" in refused.get_data(as_text=True)
    db.session.refresh(moderator)
    assert moderator.display_name != "Taken over"


def test_a_forged_token_is_refused_every_time(expert_client, expert):
    token = expert_client.csrf_token()
    assert change_name(expert_client, "Eva", token).status_code in (200, 303)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for _ in range(2):
        assert change_name(expert_client, "Forged", forged).status_code == 400
    db.session.refresh(expert)
    assert expert.display_name == "Eva"


def test_a_page_kept_open_all_day_can_still_send(app, expert_client, expert):
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 24 * 3600
    assert change_name(expert_client, "Eva after a long day", aged_token(expert_client, 23.5)).status_code in (200, 303)
    db.session.refresh(expert)
    assert expert.display_name == "Eva after a long day"


def test_an_expired_token_on_a_plain_form_gives_a_page_that_says_reload_and_go_back(expert_client, expert):
    before = expert.display_name
    refused = change_name(expert_client, "Too late", aged_token(expert_client, 25))
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "<html" in body and "Security check failed" in body and EXPIRED in body
    assert "back button" in body and "reload the page" in body
    db.session.refresh(expert)
    assert expert.display_name == before


def test_an_expired_token_on_an_htmx_request_is_an_alert_that_leaves_the_form_alone(expert_client, expert):
    before = expert.display_name
    refused = expert_client.htmx(
        "post", "/profile", data={"display_name": "Too late"}, headers={"X-CSRFToken": aged_token(expert_client, 25)}
    )
    assert refused.status_code == 400
    # Swapped into the page's alert area, not where the form is: what was typed stays on the page.
    assert refused.headers["HX-Retarget"] == "#alerts" and refused.headers["HX-Reswap"] == "innerHTML"
    body = refused.get_data(as_text=True)
    assert 'role="alert"' in body and "<html" not in body and "<form" not in body
    assert EXPIRED in body and "reload it" in body and "What you typed is still in the form" in body
    db.session.refresh(expert)
    assert expert.display_name == before


def test_over_https_a_valid_token_still_needs_the_sites_own_referrer(database_url, expert):
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


def test_a_new_csrf_key_refuses_tokens_made_under_the_old_one(app, expert_client):
    token = expert_client.csrf_token()
    assert change_name(expert_client, "Eva", token).status_code in (200, 303)
    app.config["WTF_CSRF_SECRET_KEY"] = "a-new-csrf-key"
    try:
        assert change_name(expert_client, "Stale", token).status_code == 400
    finally:
        del app.config["WTF_CSRF_SECRET_KEY"]
