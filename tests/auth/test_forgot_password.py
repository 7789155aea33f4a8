"""A member who forgot their password gets back in by e-mail alone: a single-use link, valid for an hour, stored
only as a hash, in their language, through the outbox; the page tells nothing about which addresses exist."""

from __future__ import annotations

from datetime import timedelta

from protect.auth.models import PasswordReset, UserSession
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications import mailer
from protect.notifications.models import OutboxMail
from tests.auth.conftest import link_in, sign_in_with_password, turn_on_totp
from tests.factories import PASSWORD, make_user

NEW = "a brand new passphrase"


def ask(client, email: str):
    return client.post("/forgot-password", data={"email": email})


def test_the_sign_in_page_offers_it(client):
    page = client.get("/login").text
    assert 'href="/forgot-password"' in page
    assert client.get("/forgot-password").status_code == 200


def test_a_member_gets_back_in_by_e_mail_alone(client, expert, smtp, client_for):
    other_browser = client_for(expert)
    assert other_browser.get("/profile").status_code == 200
    response = ask(client, expert.email.upper())
    assert response.status_code == 200 and "is on its way" in response.text
    assert mailer.tick()["sent"] == 1
    mail = smtp.one_to(expert.email)
    path = link_in(mail.text)
    assert path.startswith("/reset/")
    assert "60 minutes" in mail.text
    # Only a hash of the link is stored, and once sent the outbox keeps no copy of it either.
    token = path.removeprefix("/reset/")
    stored = db.session.execute(db.select(PasswordReset)).scalar_one()
    assert stored.token_hash != token and token not in stored.token_hash
    assert stored.created_by_id is None
    assert stored.expires_at - stored.created_at == timedelta(hours=1)
    outbox = db.session.execute(db.select(OutboxMail)).scalar_one()
    assert outbox.status == "sent" and token not in outbox.body_text and token not in outbox.body_html
    assert outbox.private

    page = client.get(path)
    assert page.status_code == 200
    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 303
    assert client.get("/profile").status_code == 200  # signed in, in this browser
    # Using the link ended the member's other sessions.
    assert other_browser.get("/profile").status_code == 302
    assert (
        db.session.execute(
            db.select(db.func.count()).select_from(UserSession).where(UserSession.ended_reason == "password_reset")
        ).scalar_one()
        >= 1
    )
    fresh = client.application.test_client()
    assert sign_in_with_password(fresh, expert, NEW).status_code == 303
    assert sign_in_with_password(fresh.application.test_client(), expert, PASSWORD).status_code == 401


def test_a_used_link_is_refused(client, expert, smtp):
    ask(client, expert.email)
    mailer.tick()
    path = link_in(smtp.one_to(expert.email).text)
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 303
    again = client.application.test_client()
    assert again.get(path).status_code == 410
    assert again.post(path, data={"password": "another passphrase", "confirm": "another passphrase"}).status_code == 410


def test_an_expired_link_is_refused(client, expert, smtp):
    ask(client, expert.email)
    mailer.tick()
    path = link_in(smtp.one_to(expert.email).text)
    reset = db.session.execute(db.select(PasswordReset)).scalar_one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 410
    assert "Forgot your password?" in response.text  # where to ask for a new one


def test_asking_again_makes_the_earlier_link_stop_working(client, expert, smtp):
    ask(client, expert.email)
    ask(client, expert.email)
    mailer.tick()
    first, second = (link_in(mail.text) for mail in smtp.to(expert.email))
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_the_page_is_the_same_whether_or_not_the_address_is_known(client, expert, smtp):
    known = ask(client, expert.email)
    unknown = ask(client, "nobody@test.example")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(expert.email, "ADDRESS") == unknown.text.replace("nobody@test.example", "ADDRESS")
    mailer.tick()
    assert smtp.to("nobody@test.example") == []
    assert len(smtp.to(expert.email)) == 1


def test_a_deactivated_member_gets_no_link(client, smtp):
    gone = make_user(email="gone@test.example", active=False)
    assert ask(client, gone.email).status_code == 200
    mailer.tick()
    assert smtp.to(gone.email) == []


def test_the_mail_is_in_the_members_language(client, smtp):
    member = make_user(email="jonas@example.lt")
    member.language = "lt"
    db.session.commit()
    ask(client, member.email)
    mailer.tick()
    mail = smtp.one_to(member.email)
    assert mail.header("Content-Language") == "lt"
    assert "List-Unsubscribe" not in mail.message  # nobody may turn off the mail that lets them back in


def test_a_bad_address_is_refused_beside_the_field_and_kept(client):
    response = client.post("/forgot-password", data={"email": ""})
    assert response.status_code == 422
    assert "Enter your email address." in response.text


def test_the_request_is_in_the_audit_log_without_the_link(client, expert, smtp):
    ask(client, expert.email)
    mailer.tick()
    token = link_in(smtp.one_to(expert.email).text).removeprefix("/reset/")
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.reset_requested")).scalar_one()
    assert token not in repr(event.details) and token not in event.summary


def test_requests_are_limited_per_account(limited_app, expert):
    client = limited_app.test_client()
    answers = [ask(client, expert.email).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "Too many requests" in ask(client, expert.email.upper()).text
    # Another address from the same browser is not held up by that account's limit.
    assert ask(client, "someone.else@test.example").status_code == 200


def test_requests_are_limited_per_address(limited_app):
    limited_app.config["FORGOT_PASSWORD_ADDRESS_LIMIT"] = "5 per hour"
    client = limited_app.test_client()
    answers = [ask(client, f"guess{n}@test.example").status_code for n in range(6)]
    assert answers == [200] * 5 + [429]


def test_an_administrator_can_still_make_a_link_for_someone_without_mail(admin_client, expert, no_smtp, client):
    page = admin_client.post(f"/admin/users/{expert.id}/reset-link")
    assert page.status_code == 200
    assert "No mail server is configured" in page.text
    assert db.session.execute(db.select(db.func.count()).select_from(OutboxMail)).scalar_one() == 0
    path = page.text.split('value="https://workspace.protect.example', 1)[1].split('"', 1)[0]
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 303


def _reset_path_for(admin_client, user) -> str:
    page = admin_client.post(f"/admin/users/{user.id}/reset-link")
    assert page.status_code == 200
    return page.text.split('value="https://workspace.protect.example', 1)[1].split('"', 1)[0]


def test_a_reset_link_does_not_skip_the_second_factor(client, expert, smtp, client_for):
    """Whoever reads the member's mail sets a password but is still asked for the app's code: no session."""
    totp = turn_on_totp(expert)
    other_browser = client_for(expert)
    ask(client, expert.email)
    mailer.tick()
    (mail,) = [m for m in smtp.to(expert.email) if "new password" in m.message["Subject"]]
    path = link_in(mail.text)
    sessions_before = db.session.execute(db.select(db.func.count()).select_from(UserSession)).scalar_one()
    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["Location"] == "/login/verify"
    assert client.get("/profile").status_code == 302  # not signed in
    assert client.get("/dashboard").status_code == 302
    assert other_browser.get("/profile").status_code == 302  # the other sessions ended all the same
    assert db.session.execute(db.select(db.func.count()).select_from(UserSession)).scalar_one() == sessions_before
    assert client.post("/login/verify", data={"code": "000000"}).status_code == 401
    assert client.get("/profile").status_code == 302
    verified = client.post("/login/verify", data={"code": totp.now()})
    assert verified.status_code == 303
    assert client.get("/profile").status_code == 200
    row = db.session.execute(
        db.select(UserSession).where(UserSession.user_id == expert.id, UserSession.ended_at.is_(None))
    ).scalar_one()
    assert row.authenticated_at is not None


def test_an_administrators_reset_link_does_not_skip_the_second_factor(admin_client, expert, no_smtp, client):
    turn_on_totp(expert)
    path = _reset_path_for(admin_client, expert)
    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["Location"] == "/login/verify"
    assert client.get("/profile").status_code == 302
    assert (
        db.session.execute(
            db.select(db.func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == expert.id, UserSession.ended_at.is_(None))
        ).scalar_one()
        == 0
    )


def test_a_mailed_administrators_link_lasts_an_hour_like_the_others(admin_client, expert, smtp):
    page = admin_client.post(f"/admin/users/{expert.id}/reset-link")
    assert page.status_code == 200 and "expires in 60 minutes" in page.text
    stored = db.session.execute(db.select(PasswordReset)).scalar_one()
    assert stored.expires_at - stored.created_at == timedelta(hours=1)
    mailer.tick()
    assert "60 minutes" in smtp.one_to(expert.email).text


def test_a_link_only_shown_to_the_administrator_lasts_longer(admin_client, expert, no_smtp):
    page = admin_client.post(f"/admin/users/{expert.id}/reset-link")
    assert "expires in 24 hours" in page.text
    stored = db.session.execute(db.select(PasswordReset)).scalar_one()
    assert stored.expires_at - stored.created_at == timedelta(hours=24)


def test_changing_the_address_ends_other_sessions_and_voids_reset_links(expert_client, expert, client_for, smtp):
    """Whoever else holds a session, or a reset link mailed to the old address, loses it with the change."""
    other_browser = client_for(expert)
    client = other_browser.application.test_client()
    ask(client, expert.email)
    mailer.tick()
    path = link_in(smtp.one_to(expert.email).text)
    changed = expert_client.post(
        "/profile/security/email", data={"email-email": "eva.new@test.example", "email-password": PASSWORD}
    )
    assert changed.status_code == 303
    assert expert_client.get("/profile").status_code == 200  # this session stays
    assert other_browser.get("/profile").status_code == 302
    assert client.get(path).status_code == 410
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 410
