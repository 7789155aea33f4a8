"""The invitation e-mail is written in the language the administrator chooses for it."""

from __future__ import annotations

from flask_babel import get_locale


def test_the_administrator_chooses_the_invitations_language(admin, admin_client, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "protect.auth.views.send_mail", lambda to, subject, body: sent.append((to, str(get_locale()), body)) or True
    )
    form = admin_client.get("/admin/invitations/new?lang=de").get_data(as_text=True)
    assert '<option lang="lv" value="lv">Latviešu</option>' in form
    assert '<option lang="de" selected value="de">Deutsch</option>' in form  # the page's language first
    data = {"email": "new@example.lv", "role": "expert", "country": "LV", "sector": "ngo", "language": "lv"}
    response = admin_client.post("/admin/invitations/new", data=data)
    assert response.status_code == 200
    assert [(to, locale) for to, locale, _body in sent] == [("new@example.lv", "lv")]
    assert "PROTECT Workspace" in sent[0][2] and "Hello" not in sent[0][2]  # Latvian, not English
