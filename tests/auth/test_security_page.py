"""The member's security page: their sign-in events (never a secret), the e-mail address (changed with the password,
a notice to the old address), passkeys (removable, refused from others), and re-authentication within 10 minutes."""

from __future__ import annotations

from datetime import timedelta

from protect.auth.models import Passkey, User, UserSession
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications import mailer
from tests.auth.conftest import sign_in_with_password
from tests.factories import PASSWORD


def test_the_page_lists_the_members_security_events(app, expert, client_for):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    assert sign_in_with_password(client, expert).status_code == 303
    client.post(
        "/profile/password",
        data={"pw-current_password": PASSWORD, "pw-new_password": "another long one", "pw-confirm": "another long one"},
    )
    page = client.get("/profile/security").text
    assert "signed in from a new browser (Firefox on Linux)" in page
    assert "changed their password" in page
    # Signing in again from the same browser is not "new".
    again = app.test_client()
    again.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    sign_in_with_password(again, expert, "another long one")
    new_browser = db.session.execute(
        db.select(db.func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.signed_in_new_browser")
    ).scalar_one()
    assert new_browser == 1


def test_another_members_events_are_not_shown(expert, moderator, client_for):
    sign_in_with_password(client_for(moderator).application.test_client(), moderator)
    page = client_for(expert).get("/profile/security").text
    assert "signed in" not in page.split('id="events-title"', 1)[1]


def test_changing_the_e_mail_address_asks_for_the_password_and_tells_the_old_address(expert_client, expert, smtp):
    data = {"email-email": "eva.new@test.example", "email-password": "wrong"}
    refused = expert_client.post("/profile/security/email", data=data)
    assert refused.status_code == 422 and "Your password is not correct." in refused.text
    assert 'value="eva.new@test.example"' in refused.text  # what was typed is kept
    assert db.session.get(User, expert.id).email == "expert@test.example"
    done = expert_client.post("/profile/security/email", data={**data, "email-password": PASSWORD})
    assert done.status_code == 303
    assert db.session.get(User, expert.id).email == "eva.new@test.example"
    mailer.tick()
    notice = smtp.one_to("expert@test.example")
    assert "changed to eva.new@test.example" in notice.text
    assert smtp.to("eva.new@test.example") == []


def test_an_address_in_use_is_refused(expert_client, moderator):
    data = {"email-email": moderator.email, "email-password": PASSWORD}
    response = expert_client.post("/profile/security/email", data=data)
    assert response.status_code == 422
    assert "exists already" in response.text


def test_a_password_change_sends_a_notice(expert_client, expert, smtp):
    data = {"pw-current_password": PASSWORD, "pw-new_password": "another long one", "pw-confirm": "another long one"}
    assert expert_client.post("/profile/password", data=data).status_code == 303
    mailer.tick()
    assert "password of your account was changed" in smtp.one_to(expert.email).text


def test_re_authentication_lasts_ten_minutes(expert_client, expert):
    row = db.session.get(UserSession, expert_client.session_id)
    row.authenticated_at = utcnow() - timedelta(minutes=9)
    db.session.commit()
    assert expert_client.post("/profile/security/totp/start").headers["Location"] == "/profile/security/totp"
    row = db.session.get(UserSession, expert_client.session_id)
    row.authenticated_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    late = expert_client.post("/profile/security/passkeys/options", json={})
    assert late.status_code == 401 and late.json["redirect"].startswith("/profile/confirm-password")
    fragment = expert_client.htmx("post", "/profile/security/totp/start")
    assert fragment.headers.get("HX-Redirect", "").startswith("/profile/confirm-password")


def test_passkey_options_name_this_site_and_exclude_the_members_passkeys(expert_client, expert, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://workspace.protect.example")
    db.session.add(Passkey(user_id=expert.id, credential_id="AAAA", public_key=b"k", sign_count=0, name="Laptop"))
    db.session.commit()
    options = expert_client.post("/profile/security/passkeys/options", json={}).json
    assert options["rp"] == {"id": "workspace.protect.example", "name": "PROTECT Workspace"}
    assert [c["id"] for c in options["excludeCredentials"]] == ["AAAA"]
    assert options["authenticatorSelection"]["residentKey"] == "required"


def test_a_garbled_passkey_answer_is_refused_with_a_message(expert_client, expert, client):
    expert_client.post("/profile/security/passkeys/options", json={})
    bad = expert_client.post("/profile/security/passkeys", json={"credential": {"id": "x", "response": {}}})
    assert bad.status_code == 400 and "could not be added" in bad.json["error"]
    assert expert_client.post("/profile/security/passkeys", json=["nonsense"]).status_code == 400
    assert db.session.execute(db.select(db.func.count()).select_from(Passkey)).scalar_one() == 0
    # Signing in: without asking for options first (no challenge), unreadable, unknown, or a forged answer.
    assert client.post("/login/passkey", json={"id": "AAAA"}).status_code == 400
    client.post("/login/passkey/options")
    assert client.post("/login/passkey", data="not json").status_code == 400
    client.post("/login/passkey/options")
    assert client.post("/login/passkey", json={"id": "unknown", "response": {}}).status_code == 401
    db.session.add(Passkey(user_id=expert.id, credential_id="AAAA", public_key=b"k", sign_count=0, name="Laptop"))
    db.session.commit()
    client.post("/login/passkey/options")
    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"},
    }
    response = client.post("/login/passkey", json=forged)
    assert response.status_code == 401 and "not accepted" in response.json["error"]
    assert client.get("/profile").status_code == 302


def test_a_member_removes_their_passkey_but_not_anothers(expert_client, expert, moderator, smtp):
    mine = Passkey(user_id=expert.id, credential_id="mine", public_key=b"k", sign_count=0, name="Phone")
    theirs = Passkey(user_id=moderator.id, credential_id="theirs", public_key=b"k", sign_count=0, name="Key")
    db.session.add_all([mine, theirs])
    expert.second_factor = True
    db.session.commit()
    mine_id, theirs_id = mine.id, theirs.id
    assert "Phone" in expert_client.get("/profile/security").text
    assert "Key" not in expert_client.get("/profile/security").text
    assert expert_client.post(f"/profile/security/passkeys/{theirs_id}/remove").status_code == 404
    assert db.session.get(Passkey, theirs_id) is not None
    assert expert_client.post(f"/profile/security/passkeys/{mine_id}/remove").status_code == 303
    assert db.session.get(Passkey, mine_id) is None
    assert db.session.get(User, expert.id).second_factor is False
    mailer.tick()
    assert "“Phone” was removed" in smtp.one_to(expert.email).text


def test_the_security_pages_are_for_signed_in_members(client):
    for method, url in [
        ("get", "/profile/security"),
        ("post", "/profile/security/totp/start"),
        ("post", "/profile/security/email"),
        ("post", "/profile/security/passkeys/options"),
        ("post", "/profile/security/recovery-codes"),
    ]:
        response = client.open(url, method=method.upper())
        assert response.status_code in (302, 401), url


def test_as_the_second_factor_only_the_members_own_passkey_counts(app, expert, moderator):
    from tests.auth.conftest import turn_on_totp

    turn_on_totp(moderator)
    db.session.add(Passkey(user_id=expert.id, credential_id="EXPERTS", public_key=b"k", sign_count=0, name="Key"))
    db.session.commit()
    client = app.test_client()
    assert sign_in_with_password(client, moderator).headers["Location"] == "/login/verify"
    options = client.post("/login/passkey/options").json
    assert options["allowCredentials"] == [] and options["userVerification"] == "preferred"  # none of their own
    refused = client.post("/login/passkey", json={"id": "EXPERTS", "response": {}})
    assert refused.status_code == 401
    assert client.get("/profile").status_code == 302


def test_an_administrator_removes_a_members_lost_second_factors(admin_client, expert, client_for, smtp):
    from tests.auth.conftest import turn_on_totp

    turn_on_totp(expert)
    db.session.add(Passkey(user_id=expert.id, credential_id="LOST", public_key=b"k", sign_count=0, name="Lost key"))
    db.session.commit()
    expert_client = client_for(expert)
    assert "Remove second factors" in admin_client.get("/admin/users").text
    assert expert_client.post(f"/admin/users/{expert.id}/second-factors/remove").status_code == 403
    assert admin_client.post(f"/admin/users/{expert.id}/second-factors/remove").status_code == 303
    db.session.refresh(expert)
    assert not expert.second_factor
    assert db.session.execute(db.select(db.func.count()).select_from(Passkey)).scalar_one() == 0
    assert expert_client.get("/profile").status_code == 302  # their sessions ended
    assert sign_in_with_password(expert_client.application.test_client(), expert).headers["Location"] == "/dashboard"
    assert admin_client.post(f"/admin/users/{expert.id}/second-factors/remove").status_code == 409
    mailer.tick()
    assert "An administrator removed the second factors" in smtp.to(expert.email)[-1].text
