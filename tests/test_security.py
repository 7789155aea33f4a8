"""Security floor: headers on every response, cookies, CSRF, and who may reach which route."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from protect.core.permissions import ROLES
from tests.factories import PASSWORD, make_user


def test_every_response_carries_the_security_headers(client, expert_client):
    for response in (
        client.get("/login"),
        client.get("/"),
        client.get("/healthz"),
        expert_client.get("/dashboard"),
        client.get("/no-such-page"),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_member_pages_are_not_cached(expert_client):
    assert expert_client.get("/dashboard").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(client, expert):
    response = client.post("/login", data={"email": expert.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(database_url):
    from protect import create_app
    from protect.extensions import db
    from tests.conftest import TEST_CONFIG, CSRFClient

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"  # host-only, Secure, Path=/ (ASVS V3.4.4)
    app.test_client_class = CSRFClient
    with app.app_context():
        client = app.test_client()
        response = client.get("/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        user = make_user("expert", email="https.member@test.example")
        signed_in = client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD},
            base_url="https://localhost",
            headers={"Referer": "https://localhost/login"},
        )
        assert signed_in.status_code == 303
        cookie = signed_in.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "; Secure" in cookie and "; Path=/" in cookie and "Domain" not in cookie
        db.session.remove()
        db.engine.dispose()


def test_a_post_without_the_csrf_token_is_refused(expert_client):
    response = expert_client.post("/profile", data={"display_name": "Changed"}, csrf=False)
    assert response.status_code == 400
    assert "Security check failed" in response.get_data(as_text=True)


def test_a_forged_csrf_token_is_refused(expert_client):
    response = expert_client.post("/profile", data={"display_name": "Changed"}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400


def test_an_htmx_request_without_a_session_is_redirected_by_htmx(client, expert):
    response = client.htmx(
        "post",
        f"/admin/users/{expert.id}/role",
        data={"role": "admin"},
        headers={"HX-Current-URL": "http://localhost/admin/users"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/admin/users"
    assert response.get_data() == b""


def test_htmx_is_served_from_this_site_with_its_licence(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx/htmx.min.js?v=' in page
    assert "https://" not in page.split("<body")[0]  # nothing in <head> comes from elsewhere
    script = client.get("/static/vendor/htmx/htmx.min.js")
    assert script.status_code == 200
    assert b"4.0.1" in script.get_data()
    script.close()


def _sample_url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 999999 if isinstance(converter, IntegerConverter) else "no-such-thing"
    return rule.build(values, append_unknown=False)[1]


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_that_is_not_public_sends_visitors_to_sign_in(app, client):
    checked = 0
    for rule, view in _rules(app):
        if getattr(view, "protect_public", False):
            continue
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code} to a visitor"
            assert response.headers["Location"].startswith("/login"), f"{method} {url}"
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("role", ROLES)
def test_routes_refuse_roles_below_their_minimum(app, client_for, role):
    user = make_user(role)
    client = client_for(user)
    rank = ROLES.index(role)
    refused = 0
    for rule, view in _rules(app):
        minimum = getattr(view, "protect_min_role", None)
        if minimum is None or ROLES.index(minimum) <= rank:
            continue
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, f"{role}: {method} {url} answered {response.status_code}"
            refused += 1
    if role != "admin":
        assert refused > 0  # there are routes above every role but the highest
