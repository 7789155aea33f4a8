"""Signing in and out, sessions that can be revoked, and the rate limit on failed sign-ins."""

from __future__ import annotations

import pytest

from protect import create_app
from protect.auth.models import User
from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.conftest import TEST_CONFIG, CSRFClient
from tests.factories import PASSWORD, make_user


def login(client, email, password, next_=""):
    return client.post("/login", data={"email": email, "password": password, "next": next_})


def test_sign_in_with_the_right_password_opens_the_dashboard(client, expert):
    response = login(client, expert.email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Welcome, Eva Expert" in page.get_data(as_text=True)
    assert db.session.get(User, expert.id).last_login_at is not None


def test_email_is_matched_without_regard_to_case_and_spaces(client, expert):
    assert login(client, "  EXPERT@Test.Example ", PASSWORD).status_code == 303


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, expert):
    wrong_password = login(client, expert.email, "not the password")
    unknown_email = login(client, "nobody@test.example", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = "The email address or the password is not correct."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)
    # the email stays in the form, the password does not
    assert f'value="{expert.email}"' in wrong_password.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_an_empty_form_is_refused_with_messages_beside_the_fields(client):
    response = login(client, "", "")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter your email address." in body
    assert "Enter your password." in body


def test_a_deactivated_account_cannot_sign_in(client):
    user = make_user(active=False)
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_next_is_followed_only_to_a_local_path(client, expert):
    assert login(client, expert.email, PASSWORD, "/profile").headers["Location"] == "/profile"
    client.post("/logout")
    # Browsers drop tabs and line breaks from a Location: "/\t/evil.example" would become "//evil.example".
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "/\n/x"):
        assert login(client, expert.email, PASSWORD, bad).headers["Location"] == "/dashboard"
        client.post("/logout")


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client, expert):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/profile"


def test_sign_out_needs_a_post_with_the_csrf_token(expert_client):
    assert expert_client.get("/logout").status_code == 405
    assert expert_client.post("/logout", csrf=False).status_code == 400
    assert expert_client.get("/dashboard").status_code == 200
    assert expert_client.post("/logout").status_code == 303
    assert expert_client.get("/dashboard").status_code == 302


def test_deactivation_ends_existing_sessions(expert_client, expert, admin):
    assert expert_client.get("/dashboard").status_code == 200
    user = db.session.get(User, expert.id)
    user.active = False
    db.session.commit()
    assert expert_client.get("/dashboard").status_code == 302


def test_sign_out_everywhere_ends_the_other_sessions(client_for, expert):
    laptop, phone = client_for(expert), client_for(expert)
    assert phone.get("/dashboard").status_code == 200
    assert laptop.post("/profile/sign-out-everywhere").status_code == 303
    assert phone.get("/dashboard").status_code == 302
    assert laptop.get("/dashboard").status_code == 302


def test_sign_in_is_recorded_for_administrators_only(client, expert):
    login(client, expert.email, PASSWORD)
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.signed_in")).scalar_one()
    assert event.actor_id == expert.id
    assert event.audience == "admin"


@pytest.fixture
def limited_app(database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    app.test_client_class = CSRFClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_failed_sign_ins_are_limited_per_account(limited_app, expert):
    client = limited_app.test_client()
    for _ in range(5):
        assert login(client, expert.email, "wrong").status_code == 401
    response = login(client, expert.email, PASSWORD)
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Too many failed sign-in attempts" in body
    assert f'value="{expert.email}"' in body


def test_failed_sign_ins_are_limited_per_address_across_accounts(limited_app):
    limited_app.config["LOGIN_ADDRESS_LIMIT"] = "12 per minute"
    client = limited_app.test_client()
    for n in range(12):
        assert login(client, f"guess{n}@test.example", "wrong").status_code == 401
    assert login(client, "another@test.example", "wrong").status_code == 429


def test_the_address_limit_is_much_higher_than_the_accounts(app):
    assert app.config["LOGIN_LIMIT"] == "5 per minute"
    assert app.config["LOGIN_ADDRESS_LIMIT"] == "50 per minute"


def test_an_office_behind_one_address_is_not_locked_out_by_one_members_typos(limited_app, expert):
    colleague = make_user("expert", email="colleague@test.example")
    db.session.commit()
    office = limited_app.test_client()  # one shared public address for everyone in the office
    for _ in range(5):
        assert login(office, expert.email, "wrong").status_code == 401
    assert login(office, expert.email, PASSWORD).status_code == 429  # this account waits a minute
    other_desk = limited_app.test_client()
    assert login(other_desk, colleague.email, PASSWORD).status_code == 303  # a colleague signs in at once
    assert other_desk.get("/dashboard").status_code == 200
    for n in range(3):  # and mistypes, as people do, without being blocked
        assert login(limited_app.test_client(), f"typo{n}@test.example", "wrong").status_code == 401


def test_every_attempt_counts_against_the_accounts_limit(limited_app, expert, moderator):
    """Counted before it is checked (so that simultaneous guesses cannot all get through), a right password
    counts too: LOGIN_LIMIT (5 a minute) is far above what a member signs in."""
    client = limited_app.test_client()
    for _ in range(4):
        assert login(client, expert.email, "wrong").status_code == 401
    assert login(client, expert.email, PASSWORD).status_code == 303
    client.post("/logout")
    assert login(client, expert.email, PASSWORD).status_code == 429
    assert login(limited_app.test_client(), moderator.email, PASSWORD).status_code == 303  # per account
