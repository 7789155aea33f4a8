"""Administrators manage roles and accounts; the group never loses its last administrator."""

from __future__ import annotations

import re

from protect.auth import services
from protect.auth.models import PasswordReset, User
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.extensions import db
from tests.factories import PASSWORD, make_user


def test_admin_lists_people_and_pending_invitations(admin_client, expert, moderator):
    body = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Eva Expert" in body and "Mads Moderator" in body
    assert "Pending invitations" in body


def test_role_change_by_plain_form_redirects_back(admin_client, expert):
    response = admin_client.post(f"/admin/users/{expert.id}/role", data={"role": "moderator"})
    assert response.status_code == 303
    assert db.session.get(User, expert.id).role == "moderator"
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.role_changed")).scalar_one()
    assert event.details == {"role": ["expert", "moderator"]}


def test_role_change_by_htmx_returns_only_the_row(admin_client, expert):
    response = admin_client.htmx("post", f"/admin/users/{expert.id}/role", data={"role": "admin"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="user-{expert.id}"')
    assert "<html" not in body
    assert 'value="admin" selected' in body


def test_an_unknown_role_is_refused(admin_client, expert):
    response = admin_client.htmx("post", f"/admin/users/{expert.id}/role", data={"role": "overlord"})
    assert response.status_code == 422
    assert db.session.get(User, expert.id).role == "expert"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(admin_client, admin):
    admin.last_login_at = utcnow()  # the row fragment then shows a time too
    response = admin_client.htmx("post", f"/admin/users/{admin.id}/role", data={"role": "expert"})
    assert response.status_code == 409
    assert "last active administrator" in response.get_data(as_text=True)
    response = admin_client.htmx("post", f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"
    assert db.session.get(User, admin.id).active


def test_with_a_second_admin_one_may_step_down(admin_client, admin):
    other = make_user("admin")
    assert admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "moderator"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "moderator"
    assert services.count_active_admins() == 1
    # the demoted admin lost the admin pages at once
    assert admin_client.get("/admin/users").status_code == 403
    assert other.role == "admin"


def test_a_deactivated_admin_does_not_count_as_the_other_admin(admin, app):
    spare = make_user("admin", active=False)
    try:
        with app.test_request_context():  # the refusal is worded in the request's language
            services.change_role(admin, admin, "expert")
    except RuleViolation as error:
        assert "last active administrator" in error.message
    else:
        raise AssertionError("the last active admin was demoted")
    assert spare.active is False


def test_deactivate_and_reactivate(admin_client, expert, client_for):
    experts_session = client_for(expert)
    response = admin_client.post(f"/admin/users/{expert.id}/active", data={"active": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, expert.id).active
    assert experts_session.get("/dashboard").status_code == 302
    admin_client.post(f"/admin/users/{expert.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, expert.id).active


def test_a_request_that_does_not_say_active_or_not_changes_nothing(admin_client, expert):
    for data in ({}, {"active": ""}, {"active": "yes"}):
        response = admin_client.htmx("post", f"/admin/users/{expert.id}/active", data=data)
        assert response.status_code == 422
        assert "Say whether to activate" in response.get_data(as_text=True)
        admin_client.post(f"/admin/users/{expert.id}/active", data=data)  # without htmx: back to the list
    db.session.expire_all()
    assert db.session.get(User, expert.id).active


def test_reset_link_lets_the_user_set_a_new_password_once(admin_client, expert, client, client_for):
    old_session = client_for(expert)
    page = admin_client.post(f"/admin/users/{expert.id}/reset-link").get_data(as_text=True)
    path = re.search(r'value="http://localhost(/reset/[^"]+)"', page).group(1)
    assert client.get(path).status_code == 200
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    done = client.post(path, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert done.status_code == 303
    assert client.get(path).status_code == 410
    assert old_session.get("/dashboard").status_code == 302  # other sessions end with the old password
    assert db.session.execute(db.select(PasswordReset)).scalar_one().used_at is not None
    db.session.expire_all()
    assert db.session.get(User, expert.id).check_password("a brand new password")


def test_people_pages_are_for_admins_only(expert_client, moderator_client, expert, moderator):
    for client in (expert_client, moderator_client):
        assert client.get("/admin/users").status_code == 403
        assert client.post(f"/admin/users/{expert.id}/role", data={"role": "admin"}).status_code == 403
        assert client.post(f"/admin/users/{moderator.id}/active", data={"active": "0"}).status_code == 403
        assert client.post(f"/admin/users/{expert.id}/reset-link").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, expert.id).role == "expert"
    assert db.session.get(User, moderator.id).active


def test_unknown_user_ids_are_not_found(admin_client):
    assert admin_client.post("/admin/users/999999/role", data={"role": "expert"}).status_code == 404


def test_profile_update_and_password_change(expert_client, expert, client_for):
    other_device = client_for(expert)
    response = expert_client.post(
        "/profile",
        data={
            "display_name": "Eva Ekspert",
            "organisation": "Tallinn NGO",
            "country": "EE",
            "sector": "ngo",
            "time_zone": "Europe/Tallinn",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, expert.id).display_name == "Eva Ekspert"

    wrong = expert_client.post(
        "/profile/password",
        data={
            "pw-current_password": "nope",
            "pw-new_password": "another long password",
            "pw-confirm": "another long password",
        },
    )
    assert wrong.status_code == 422
    assert "current password is not correct" in wrong.get_data(as_text=True)
    ok = expert_client.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": "another long password",
            "pw-confirm": "another long password",
        },
    )
    assert ok.status_code == 303
    assert expert_client.get("/dashboard").status_code == 200  # this session carries on
    assert other_device.get("/dashboard").status_code == 302  # the others are signed out


def test_profile_with_bad_input_keeps_it(expert_client):
    response = expert_client.post(
        "/profile",
        data={
            "display_name": "",
            "organisation": "x" * 201,
            "country": "ZZ",
            "sector": "ngo",
            "time_zone": "Mars/Base",
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter your name." in body
    assert "x" * 201 in body
