"""The interface's language end to end: the profile's choice, the visitors' switch, ``?lang=``, the page cache,
error pages and forms, the names of countries, and e-mails in their recipient's language."""

from __future__ import annotations

import re

from protect.extensions import db
from protect.notifications import mailer
from tests.factories import make_user
from tests.notifications.conftest import smtp  # noqa: F401

GERMAN = {"Accept-Language": "de"}


def html_lang(response) -> str:
    found = re.search(r'<html lang="([^"]+)"', response.text)
    assert found, response.text[:200]
    return found.group(1)


def profile_data(user, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "organisation": user.organisation or "",
        "country": user.country,
        "sector": user.sector,
        "time_zone": user.time_zone,
        "language": user.language or "",
    }
    return {**data, **changes}


def test_a_member_who_chooses_russian_gets_it_on_every_page_whatever_the_browser_says(expert, expert_client):
    assert html_lang(expert_client.get("/dashboard", headers=GERMAN)) == "de"  # no choice yet: the browser's
    response = expert_client.post("/profile", data=profile_data(expert, language="ru"), headers=GERMAN)
    assert response.status_code == 303
    db.session.refresh(expert)
    assert expert.language == "ru"
    for path in ("/dashboard", "/profile", "/no-such-page"):
        assert html_lang(expert_client.get(path, headers=GERMAN)) == "ru", path
    # Back to the browser's language: nothing stored.
    expert_client.post("/profile", data=profile_data(expert, language=""))
    db.session.refresh(expert)
    assert expert.language is None
    assert html_lang(expert_client.get("/dashboard", headers=GERMAN)) == "de"


def test_a_profile_sent_without_the_language_keeps_the_chosen_one(expert, expert_client):
    expert.language = "fi"
    data = profile_data(expert, display_name="Eva E")
    del data["language"]
    assert expert_client.post("/profile", data=data).status_code == 303
    db.session.refresh(expert)
    assert (expert.display_name, expert.language) == ("Eva E", "fi")


def test_a_language_that_is_not_offered_is_refused_beside_the_field(expert, expert_client):
    response = expert_client.post("/profile", data=profile_data(expert, language="xx"), query_string={"lang": "de"})
    assert response.status_code == 422
    assert html_lang(response) == "de"
    assert 'id="language-error"' in response.text
    db.session.refresh(expert)
    assert expert.language is None


def test_the_switch_keeps_the_choice_in_a_cookie_and_returns_to_the_same_page(client):
    response = client.get("/language/de", query_string={"next": "/programme/?country=LV&lang=fr#top"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/programme/?country=LV#top"  # the query kept, ``lang`` dropped
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "de"
    assert html_lang(client.get("/")) == "de"
    assert html_lang(client.get("/", headers={"Accept-Language": "ru"})) == "de"  # the cookie beats the browser


def test_the_switch_refuses_an_unknown_language(client):
    assert client.get("/language/xx").status_code == 404
    assert client.get("/language/klingon", query_string={"next": "/"}).status_code == 404
    assert client.get_cookie("lang") is None


def test_the_switch_never_sends_anyone_to_another_site(client):
    for target in ("//evil.example", "https://evil.example/", "/\t/evil.example", "\\\\evil.example"):
        response = client.get("/language/sv", query_string={"next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target


def test_lang_in_the_address_beats_the_cookie_and_the_profile(client, client_for):
    client.set_cookie("lang", "ru")
    assert html_lang(client.get("/")) == "ru"
    assert html_lang(client.get("/", query_string={"lang": "de"})) == "de"
    member = make_user(email="liga@example.org", display_name="Līga")
    member.language = "lv"
    db.session.commit()
    signed_in = client_for(member)
    assert html_lang(signed_in.get("/dashboard")) == "lv"
    assert html_lang(signed_in.get("/dashboard", query_string={"lang": "de"})) == "de"


def test_the_page_cache_keeps_one_page_per_language(expert_client):
    english = expert_client.get("/dashboard")
    german = expert_client.get("/dashboard", query_string={"lang": "de"})
    assert (html_lang(english), html_lang(german)) == ("en", "de")
    assert english.text != german.text
    # Each language's page again from the cache, never the other one's.
    assert expert_client.get("/dashboard").text == english.text
    assert expert_client.get("/dashboard", query_string={"lang": "de"}).text == german.text


def test_an_error_page_and_a_form_error_are_in_the_requested_language(client):
    assert html_lang(client.get("/no-such-page", headers=GERMAN)) == "de"
    response = client.post("/login", data={"email": "", "password": ""}, query_string={"lang": "de"})
    assert response.status_code == 422
    assert html_lang(response) == "de"


def test_countries_are_named_in_the_readers_language(expert_client):
    english = expert_client.get("/profile").text
    assert ">Denmark<" in english and ">Russia (North-West)<" in english and ">Other<" in english
    german = expert_client.get("/profile", query_string={"lang": "de"}).text
    assert ">Dänemark<" in german and ">Deutschland<" in german
    assert ">Denmark<" not in german


def test_a_reset_link_is_mailed_in_the_members_language(admin, admin_client, smtp):  # noqa: F811
    member = make_user(email="mart@example.ee", display_name="Mart")
    member.language = "et"
    db.session.commit()
    response = admin_client.post(f"/admin/users/{member.id}/reset-link", headers=GERMAN)
    assert response.status_code == 200
    assert html_lang(response) == "de"  # the administrator's page in the administrator's language
    mailer.tick()
    mail = smtp.one_to("mart@example.ee")
    assert mail.header("Content-Language") == "et"
    assert "/reset/" in mail.text


def test_an_invitation_is_mailed_in_the_inviting_members_language(admin, admin_client, smtp):  # noqa: F811
    admin.language = "ru"
    db.session.commit()
    response = admin_client.post(
        "/admin/invitations/new",
        data={"email": "new@example.lt", "name": "Rūta", "role": "expert", "country": "LT", "sector": "ngo"},
        query_string={"lang": "de"},
    )
    assert response.status_code == 200
    assert html_lang(response) == "de"  # this page in German, the e-mail in the inviting member's Russian
    mailer.tick()
    assert smtp.one_to("new@example.lt").header("Content-Language") == "ru"
