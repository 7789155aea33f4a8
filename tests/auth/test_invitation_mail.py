"""Invitations carry the person's name and the administrator's message in their mail (through the outbox); a
pending one can be sent again with a new link (the old one stops working) or withdrawn; the People page says
when each was mailed and whether it was opened."""

from __future__ import annotations

from datetime import timedelta

import pytest

from protect.auth.models import Invitation, User
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from protect.notifications import mailer
from protect.notifications.models import OutboxMail
from tests.auth.conftest import link_in

DATA = {
    "email": "laura@example.lv",
    "name": "Laura Ozola",
    "role": "expert",
    "country": "LV",
    "sector": "ngo",
    "language": "en",
    "message": "Welcome, Laura!\nWe met in Riga; this is where the group works.",
}


def invite(admin_client, **changes):
    response = admin_client.post("/admin/invitations/new", data={**DATA, **changes})
    assert response.status_code == 200, response.text
    return response


def accept(client, path, password="a long new password"):
    return client.post(
        path,
        data={"display_name": "Laura O.", "time_zone": "Europe/Riga", "password": password, "confirm": password},
    )


def test_the_invitation_mail_greets_the_person_and_carries_the_message(admin_client, admin, smtp, client):
    page = invite(admin_client)
    assert "A mail with the link is on its way to laura@example.lv" in page.text
    assert mailer.tick()["sent"] == 1
    mail = smtp.one_to("laura@example.lv")
    assert "Hello Laura Ozola," in mail.text
    assert "Anna Admin writes:" in mail.text
    assert "We met in Riga; this is where the group works." in mail.text
    assert "Welcome, Laura!" in mail.html and "<script" not in mail.html
    path = link_in(mail.text)
    # The mail's link is the one shown to the administrator, and the form offers the name given.
    assert f"https://workspace.protect.example{path}" in page.text
    form = client.get(path)
    assert form.status_code == 200 and 'value="Laura Ozola"' in form.text
    assert accept(client, path).status_code == 303
    assert db.session.execute(db.select(User).where(User.email == "laura@example.lv")).scalar_one().role == "expert"
    # Used: refused.
    assert client.application.test_client().get(path).status_code == 410
    outbox = db.session.execute(db.select(OutboxMail)).scalar_one()
    assert path.removeprefix("/invite/") not in outbox.body_text  # the sent mail keeps no working link


def test_the_message_is_plain_text_in_the_mail(admin_client, smtp):
    invite(admin_client, message='<a href="https://evil.example">click</a>')
    mailer.tick()
    mail = smtp.one_to("laura@example.lv")
    assert "&lt;a href=" in mail.html and '<a href="https://evil.example">' not in mail.html


def test_resending_makes_a_new_link_and_the_old_one_stops_working(admin_client, smtp, client):
    invite(admin_client)
    mailer.tick()
    old = link_in(smtp.one_to("laura@example.lv").text)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    invitation.expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    page = admin_client.post(f"/admin/invitations/{invitation.id}/resend")
    assert page.status_code == 200
    mailer.tick()
    first, second = smtp.to("laura@example.lv")
    new = link_in(second.text)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    db.session.refresh(invitation)
    assert invitation.expires_at > utcnow() + timedelta(days=6)  # a new week from the resend
    assert db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action == "invitation.resent")).scalar_one()


def test_an_expired_invitation_can_be_sent_again(admin_client, smtp, client):
    invite(admin_client)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    invitation.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    mailer.tick()
    old = link_in(smtp.one_to("laura@example.lv").text)
    assert client.get(old).status_code == 410
    assert admin_client.post(f"/admin/invitations/{invitation.id}/resend").status_code == 200
    mailer.tick()
    assert client.get(link_in(smtp.to("laura@example.lv")[-1].text)).status_code == 200


def test_a_used_or_withdrawn_invitation_cannot_be_sent_again(admin_client, smtp, client):
    invite(admin_client)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    assert admin_client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 303
    response = admin_client.post(f"/admin/invitations/{invitation.id}/resend")
    assert response.status_code == 409
    mailer.tick()
    assert len(smtp.to("laura@example.lv")) == 1  # only the first mail
    assert client.get(link_in(smtp.one_to("laura@example.lv").text)).status_code == 410


def test_the_people_page_says_when_it_was_mailed_and_whether_it_was_opened(admin_client, smtp, client):
    invite(admin_client)
    mailer.tick()
    page = admin_client.get("/admin/users").text
    assert "mailed" in page and "not opened yet" in page
    client.get(link_in(smtp.one_to("laura@example.lv").text))
    page = admin_client.get("/admin/users").text
    assert "opened" in page and "not opened yet" not in page


def test_without_a_mail_server_the_link_is_shown_and_nothing_is_queued(admin_client, no_smtp):
    page = invite(admin_client)
    assert "No mail server is configured" in page.text
    assert db.session.execute(db.select(db.func.count()).select_from(OutboxMail)).scalar_one() == 0
    assert "link made" in admin_client.get("/admin/users").text


def test_the_name_is_required_and_what_was_typed_is_kept(admin_client):
    response = admin_client.post("/admin/invitations/new", data={**DATA, "name": ""})
    assert response.status_code == 422
    assert "Enter the person&#39;s name." in response.text or "Enter the person's name." in response.text
    assert "We met in Riga" in response.text


def test_only_administrators_resend_or_withdraw(admin_client, expert_client, moderator_client, smtp):
    invite(admin_client)
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    for client in (expert_client, moderator_client):
        assert client.post(f"/admin/invitations/{invitation.id}/resend").status_code == 403
        assert client.post(f"/admin/invitations/{invitation.id}/revoke").status_code == 403
    assert admin_client.post("/admin/invitations/999999/resend").status_code == 404
    mailer.tick()
    assert len(smtp.to("laura@example.lv")) == 1


def test_a_link_made_stale_by_a_resend_cannot_be_used_even_mid_request(admin, monkeypatch, no_smtp):
    """The old link was checked just before an administrator sent the invitation again: the use still fails."""
    from protect.auth import services
    from protect.auth.models import Invitation, User

    invitation, old_token = services.create_invitation(admin, "late@test.example", "expert", "DK", "other")
    original = services.invitation_for

    def checked_then_resent(token):
        found = original(token)
        services.resend_invitation(admin, found)  # the administrator, in between
        return found

    monkeypatch.setattr(services, "invitation_for", checked_then_resent)
    with pytest.raises(services.LinkUnavailable):
        services.accept_invitation(old_token, "Late Comer", "a good long passphrase", "Europe/Copenhagen")
    assert db.session.execute(db.select(User).where(User.email == "late@test.example")).first() is None
    assert db.session.get(Invitation, invitation.id).used_at is None


def test_an_invitation_accepted_meanwhile_is_not_withdrawn(admin, no_smtp):
    from sqlalchemy import update

    from protect.auth import services
    from protect.auth.models import Invitation
    from protect.core.database import utcnow
    from protect.core.errors import RuleViolation

    invitation, _token = services.create_invitation(admin, "quick@test.example", "expert", "DK", "other")
    assert invitation.state == "pending"  # what the administrator's request read
    # Meanwhile the invited person accepts (another request; this one's copy does not see it).
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(RuleViolation):
        services.revoke_invitation(admin, invitation)
    row = db.session.get(Invitation, invitation.id)
    db.session.refresh(row)
    assert row.revoked_at is None
