"""Error pages fit the layout, htmx gets a fragment for the alert area, and the health check tells the truth."""

from __future__ import annotations

from flask import abort

from protect import create_app
from protect.core.errors import RuleViolation
from protect.extensions import db
from tests.conftest import TEST_CONFIG, CSRFClient


def test_not_found_is_a_full_page_for_browsers(expert_client):
    response = expert_client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<html" in body and "Not found" in body


def test_not_found_is_an_alert_fragment_for_htmx(expert_client):
    response = expert_client.htmx("get", "/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'role="alert"' in body and "Not found" in body
    assert response.headers["HX-Retarget"] == "#alerts"
    assert response.headers["HX-Reswap"] == "innerHTML"


def test_method_not_allowed(expert_client):
    response = expert_client.post("/dashboard")
    assert response.status_code == 405


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def _app_with_error_routes(database_url):
    # Not propagating exceptions, as in production (TESTING would re-raise them into the test).
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": False})
    app.test_client_class = CSRFClient

    @app.get("/boom")
    def boom():
        raise RuntimeError("the unexpected")

    @app.get("/rule")
    def broken_rule():
        raise RuleViolation("That is not allowed now.", status=409)

    @app.get("/gone")
    def gone():
        abort(410, "This programme page was withdrawn.")

    for name in ("boom", "broken_rule", "gone"):
        app.view_functions[name].protect_public = True
    return app


def test_a_server_error_gets_a_page_that_says_so_and_nothing_more(database_url):
    app = _app_with_error_routes(database_url)
    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "the unexpected" not in body and "Traceback" not in body
    htmx = client.get("/boom", headers={"HX-Request": "true"})
    assert htmx.status_code == 500 and "<html" not in htmx.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_rule_violations_and_abort_messages_reach_the_user(database_url):
    app = _app_with_error_routes(database_url)
    client = app.test_client()
    response = client.get("/rule")
    assert response.status_code == 409
    assert "That is not allowed now." in response.get_data(as_text=True)
    response = client.get("/gone")
    assert response.status_code == 410
    assert "This programme page was withdrawn." in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_healthz_says_503_when_the_database_cannot_be_reached(tmp_path):
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": unreachable})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
