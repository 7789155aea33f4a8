"""The policy: with it on, a moderator or administrator without a second factor is led to set one up right after
signing in and reaches nothing else, by any route, htmx requests included; experts are not concerned."""

from __future__ import annotations

import re

import pyotp
import pytest
from werkzeug.routing import Rule

from protect.auth import security
from protect.auth.models import SiteSetting
from protect.auth.security_views import SET_UP_ENDPOINTS
from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.auth.conftest import sign_in_with_password, turn_on_totp
from tests.factories import PASSWORD


@pytest.fixture
def policy_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_SECOND_FACTOR", True)


def example_url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if re.fullmatch(converter.regex, "1") and not re.fullmatch(converter.regex, "x") else "x"
    return rule.build(values, append_unknown=False)[1]


def guarded_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SET_UP_ENDPOINTS:
            continue  # public routes are walked too: a public page may read current_user
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_the_policy_is_on_by_default_in_the_production_settings():
    from protect.config import Defaults

    assert Defaults.REQUIRE_SECOND_FACTOR is True


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_without_a_second_factor_every_route_leads_to_the_set_up(app, policy_on, client_for, role, request):
    user = request.getfixturevalue(role)
    client = client_for(user)
    before = db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one()
    routes = list(guarded_routes(app))
    assert len(routes) > 60  # the whole app, not a handful
    walked = {rule.endpoint for rule, _method in routes}
    assert {"search.results", "search.suggest", "home.index", "auth.second_factor"} <= walked  # public ones too
    for rule, method in routes:
        url = example_url(rule)
        plain = client.open(url, method=method)
        assert plain.status_code == 303, (method, url, plain.status_code)
        assert plain.headers["Location"] == "/profile/security", (method, url)
        fragment = client.htmx(method, url)
        assert fragment.status_code == 403, (method, url, fragment.status_code)
        assert fragment.headers["HX-Redirect"] == "/profile/security", (method, url)
        assert "Set up a second factor first" in fragment.text
    # Nothing was done on the way.
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)).scalar_one() == before
    # The set-up itself is open.
    assert client.get("/profile/security").status_code == 200
    assert "Your role needs a second factor" in client.get("/profile/security").text


def test_signing_in_leads_straight_to_the_set_up_and_setting_it_up_opens_the_workspace(app, policy_on, moderator):
    client = app.test_client()
    response = sign_in_with_password(client, moderator)
    assert response.status_code == 303 and response.headers["Location"] == "/profile/security"
    assert client.get("/dashboard").status_code == 303
    client.post("/profile/security/totp/start")
    page = client.get("/profile/security/totp").text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/profile/security/totp", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/dashboard").status_code == 200
    assert client.htmx("get", "/notifications").status_code == 200


def test_experts_are_not_held_by_the_policy(policy_on, expert_client):
    assert expert_client.get("/dashboard").status_code == 200


def test_a_moderator_with_a_second_factor_works_as_usual(policy_on, moderator, client_for):
    turn_on_totp(moderator)
    assert client_for(moderator).get("/dashboard").status_code == 200


def test_with_the_policy_off_a_moderator_needs_none(app, moderator_client):
    assert app.config["REQUIRE_SECOND_FACTOR"] is False
    assert moderator_client.get("/dashboard").status_code == 200


def test_an_administrator_turns_the_policy_on_and_off(admin, client_for, moderator_client, policy_on):
    turn_on_totp(admin)
    admin_client = client_for(admin)
    assert moderator_client.get("/dashboard").status_code == 303
    page = admin_client.get("/admin/users").text
    assert (
        'id="required"' in page
        and "checked" in page.split('id="required"', 1)[0][-200:] + page.split('id="required"', 1)[1][:40]
    )
    assert admin_client.post("/admin/second-factor-policy", data={}).status_code == 303
    assert db.session.get(SiteSetting, "require_second_factor").value is False
    assert moderator_client.get("/dashboard").status_code == 200
    assert admin_client.post("/admin/second-factor-policy", data={"required": "y"}).status_code == 303
    assert moderator_client.get("/dashboard").status_code == 303
    assert (
        db.session.execute(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "settings.second_factor_policy")
        ).scalar_one()
        == 2
    )


def test_only_administrators_change_the_policy(expert_client, moderator_client):
    for client in (expert_client, moderator_client):
        assert client.post("/admin/second-factor-policy", data={"required": "y"}).status_code == 403
    assert db.session.get(SiteSetting, "require_second_factor") is None
    assert security.second_factor_required() is False


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_public_pages_that_read_the_member_show_nothing_before_the_set_up(app, policy_on, client_for, role, request):
    from tests.guidelines.factories import make_guideline, make_section

    user = request.getfixturevalue(role)
    author = request.getfixturevalue("moderator")
    guideline = make_guideline(author, sections=0, title="Guidelines")
    make_section(author, guideline, "Zebulon interviews", "Zebulon is a confidential working note.")
    # Without the policy the same searches show the text: the test can see the leak it guards against.
    app.config["REQUIRE_SECOND_FACTOR"] = False
    client = client_for(user)
    assert "Zebulon" in client.get("/search?q=Zebulon").text
    assert "Zebulon" in client.get("/search/suggest?q=Zebul").text
    app.config["REQUIRE_SECOND_FACTOR"] = True
    for url in ("/search?q=Zebulon", "/search/suggest?q=Zebul"):
        plain = client.get(url)
        assert plain.status_code == 303 and plain.headers["Location"] == "/profile/security", url
        assert "Zebulon" not in plain.text
        fragment = client.htmx("get", url)
        assert fragment.status_code == 403 and "Zebulon" not in fragment.text, url


def test_the_short_list_stays_open_before_the_set_up(app, policy_on, client_for, moderator):
    client = client_for(moderator)
    assert client.get("/healthz").status_code == 200
    assert client.get("/language/de").status_code in (302, 303)
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    static.close()
    assert client.post("/logout").status_code in (302, 303)


@pytest.mark.parametrize(
    "path",
    ["/admin/second-factor-policy", "/admin/users/{id}/second-factors/remove", "/admin/users/{id}/reset-link"],
)
def test_administrators_security_actions_need_a_recent_password(admin, admin_client, expert, path):
    """An administrator's open session alone (left on a shared computer) cannot weaken others' sign-in."""
    from protect.auth.models import PasswordReset, UserSession

    turn_on_totp(expert)
    row = db.session.get(UserSession, admin_client.session_id)
    row.authenticated_at = None
    db.session.commit()
    url = path.format(id=expert.id)
    response = admin_client.post(url, data={"required": "y"}, headers={"Referer": "http://localhost/admin/users"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/profile/confirm-password?next=/admin/users")
    assert db.session.get(SiteSetting, "require_second_factor") is None
    assert db.session.execute(db.select(db.func.count()).select_from(PasswordReset)).scalar_one() == 0
    db.session.refresh(expert)
    assert expert.second_factor is True
    fragment = admin_client.htmx("post", url)
    assert fragment.headers.get("HX-Redirect", "").startswith("/profile/confirm-password")
    ok = admin_client.post("/profile/confirm-password", data={"password": PASSWORD, "next": "/admin/users"})
    assert ok.status_code == 303
    assert admin_client.post(url, data={"required": "y"}).status_code in (200, 303)
