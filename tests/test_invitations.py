"""The closed group: people join only through an administrator's single-use, expiring invitation."""

from __future__ import annotations

import re
from datetime import timedelta

from protect.auth.models import Invitation, User
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db

LINK = re.compile(r'value="(http://localhost/invite/[^"]+)"')


def invite(admin_client, email="new.person@test.example", role="expert"):
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": email, "name": "Laura", "role": role, "country": "LV", "sector": "ngo"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return LINK.search(response.get_data(as_text=True)).group(1).removeprefix("http://localhost")


def accept(client, path, name="Laura Ozola", password="a long new password", confirm=None):
    return client.post(
        path,
        data={
            "display_name": name,
            "organisation": "Riga NGO",
            "time_zone": "Europe/Riga",
            "password": password,
            "confirm": confirm or password,
        },
    )


def test_an_invited_person_joins_with_the_role_country_and_sector_of_the_invitation(admin_client, client):
    path = invite(admin_client, role="moderator")
    form = client.get(path)
    assert form.status_code == 200
    assert "new.person@test.example" in form.get_data(as_text=True)
    response = accept(client, path)
    assert response.status_code == 303
    assert client.get("/dashboard").status_code == 200
    user = db.session.execute(db.select(User).where(User.email == "new.person@test.example")).scalar_one()
    assert (user.role, user.country, user.sector, user.display_name, user.time_zone) == (
        "moderator",
        "LV",
        "ngo",
        "Laura Ozola",
        "Europe/Riga",
    )


def test_the_link_is_shown_to_the_admin_but_never_logged_when_no_mail_server_is_set(admin_client, caplog):
    caplog.set_level("DEBUG")
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": "x@test.example", "name": "N", "role": "expert", "country": "FI", "sector": "ngo"},
    )
    assert "No mail server is configured" in response.get_data(as_text=True)
    link = LINK.search(response.get_data(as_text=True)).group(1)
    assert not any(link in r.getMessage() for r in caplog.records)  # a log holds no working link


def test_only_a_hash_of_the_token_is_stored(admin_client):
    path = invite(admin_client)
    token = path.rsplit("/", 1)[1]
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


def test_an_invitation_works_once(admin_client, app):
    path = invite(admin_client)
    assert accept(app.test_client(), path).status_code == 303
    second = app.test_client()
    assert second.get(path).status_code == 410
    response = accept(second, path, name="Someone Else")
    assert response.status_code == 410
    assert "used already" in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one() == 2


def test_an_expired_invitation_is_refused(admin_client, client):
    path = invite(admin_client)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = accept(client, path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_an_unknown_token_is_not_found(client):
    assert client.get("/invite/not-a-real-token").status_code == 404


def test_a_withdrawn_invitation_is_refused(admin_client, client):
    path = invite(admin_client)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    assert admin_client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 303
    assert client.get(path).status_code == 410


def test_a_new_invitation_replaces_the_pending_one(admin_client, client):
    first = invite(admin_client)
    second = invite(admin_client)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_bad_input_when_accepting_keeps_what_was_typed(admin_client, client):
    path = invite(admin_client)
    response = accept(client, path, name="Laura Ozola", password="short", confirm="short")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Use at least 10 characters." in body
    assert 'value="Laura Ozola"' in body
    response = accept(client, path, password="a long new password", confirm="a different password")
    assert response.status_code == 422
    assert "The two passwords differ." in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still usable


def test_inviting_an_existing_member_or_a_bad_address_is_refused_beside_the_field(admin_client, expert):
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": expert.email, "name": "N", "role": "expert", "country": "FI", "sector": "ngo"},
    )
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": "not-an-address", "name": "N", "role": "expert", "country": "FI", "sector": "ngo"},
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert 'value="not-an-address"' in response.get_data(as_text=True)
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": "a@test.example", "name": "N", "role": "overlord", "country": "FI", "sector": "ngo"},
    )
    assert response.status_code == 422


def test_experts_and_moderators_cannot_invite(expert_client, moderator_client):
    for client in (expert_client, moderator_client):
        assert client.get("/admin/invitations/new").status_code == 403
        response = client.post(
            "/admin/invitations/new",
            data={"email": "x@test.example", "name": "N", "role": "admin", "country": "FI", "sector": "ngo"},
        )
        assert response.status_code == 403
    assert db.session.execute(db.select(db.func.count()).select_from(Invitation)).scalar_one() == 0


def test_inviting_and_joining_are_recorded(admin_client, client):
    path = invite(admin_client)
    accept(client, path)
    actions = set(db.session.execute(db.select(AuditEvent.action)).scalars())
    assert {"invitation.created", "user.joined"} <= actions


def test_a_signed_in_member_opening_an_invitation_is_signed_out_first(admin_client, expert_client, expert):
    path = invite(admin_client)
    assert expert_client.get(path).status_code == 200
    assert accept(expert_client, path).status_code == 303
    me = expert_client.get("/profile").get_data(as_text=True)
    assert "new.person@test.example" in me
    assert db.session.get(User, expert.id).active  # the expert's own account is untouched


def test_two_people_using_one_link_at_the_same_moment_make_one_account(admin_client, app):
    import threading

    path = invite(admin_client)
    barrier = threading.Barrier(2)
    results = []

    def use(name):
        client = app.test_client()
        barrier.wait()
        results.append(accept(client, path, name=name).status_code)

    threads = [threading.Thread(target=use, args=(name,)) for name in ("First Person", "Second Person")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [303, 410]
    db.session.rollback()
    assert (
        db.session.execute(
            db.select(db.func.count()).select_from(User).where(User.email == "new.person@test.example")
        ).scalar_one()
        == 1
    )
