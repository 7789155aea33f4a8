"""The invitation e-mail is written in the language the administrator chooses for it."""

from __future__ import annotations

from protect.notifications import mailer
from tests.notifications.conftest import smtp  # noqa: F401


def test_the_administrator_chooses_the_invitations_language(admin, admin_client, smtp):  # noqa: F811
    form = admin_client.get("/admin/invitations/new?lang=de").get_data(as_text=True)
    assert '<option lang="lv" value="lv">Latviešu</option>' in form
    assert '<option lang="de" selected value="de">Deutsch</option>' in form  # the page's language first
    data = {"email": "new@example.lv", "name": "Ilze", "role": "expert", "country": "LV", "sector": "ngo"}
    response = admin_client.post("/admin/invitations/new", data={**data, "language": "lv"})
    assert response.status_code == 200
    mailer.tick()
    mail = smtp.one_to("new@example.lv")
    assert mail.header("Content-Language") == "lv"
    assert mail.message["Subject"] != "Your invitation to PROTECT Workspace"  # Latvian, not English
