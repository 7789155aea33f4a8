"""The password asked again by a signed-in member (re-authentication, the e-mail address, turning the app off,
new recovery codes) cannot be guessed from a stolen session: every attempt counts per account, the four forms
together, and each wrong one is an event on the member's security page."""

from __future__ import annotations

import pytest

from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.auth.conftest import turn_on_totp
from tests.conftest import sign_in
from tests.factories import PASSWORD

WRONG = "not the password at all"

FORMS = [
    ("/profile/confirm-password", {"password": WRONG}),
    ("/profile/security/email", {"email-email": "new@test.example", "email-password": WRONG}),
    ("/profile/security/totp/off", {"off-password": WRONG}),
    ("/profile/security/recovery-codes", {"codes-password": WRONG}),
]


def post(client, form):
    path, data = form
    return client.post(path, data=data)


def refused(user) -> int:
    return db.session.execute(
        db.select(db.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "user.password_refused", AuditEvent.object_id == user.id)
    ).scalar_one()


@pytest.mark.parametrize("path, data", FORMS)
def test_guessing_the_password_from_a_signed_in_session_is_limited(limited_app, expert, path, data):
    turn_on_totp(expert)
    client = sign_in(limited_app.test_client(), expert)
    answers = [client.post(path, data=data).status_code for _ in range(5)]
    assert 429 not in answers, answers
    assert refused(expert) == 5
    right = {key: (PASSWORD if "password" in key else value) for key, value in data.items()}
    blocked = client.post(path, data=right)
    assert blocked.status_code == 429 and "Too many attempts" in blocked.text


def test_the_four_forms_share_one_count(limited_app, expert):
    turn_on_totp(expert)
    client = sign_in(limited_app.test_client(), expert)
    answers = [client.post(path, data=data).status_code for path, data in FORMS]
    answers.append(post(client, FORMS[0]).status_code)
    assert 429 not in answers
    assert post(client, FORMS[1]).status_code == 429


def test_another_member_is_not_held_by_someone_elses_count(limited_app, expert, moderator):
    client = sign_in(limited_app.test_client(), expert)
    for _ in range(6):
        post(client, FORMS[0])
    other = sign_in(limited_app.test_client(), moderator)
    assert other.post("/profile/confirm-password", data={"password": PASSWORD}).status_code == 303


def test_a_wrong_password_is_an_event_on_the_security_page(expert_client, expert):
    assert post(expert_client, FORMS[0]).status_code == 422
    assert refused(expert) == 1
    assert "typed a wrong password to confirm a change" in expert_client.get("/profile/security").text
