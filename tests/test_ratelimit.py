"""The limiter skips its before-request pass only while no limit applies beyond the views that declare their own."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from protect import create_app
from protect.core.ratelimit import ViewLimiter
from protect.extensions import db
from protect.extensions import limiter as app_limiter
from tests.conftest import TEST_CONFIG


def _app(**limits) -> tuple[Flask, ViewLimiter]:
    app = Flask(__name__)
    limiter = ViewLimiter(get_remote_address, app=app, storage_uri="memory://", **limits)

    @app.get("/")
    def page():
        return "page"

    @app.get("/limited")
    @limiter.limit("1 per minute")
    def limited():
        return "limited"

    return app, limiter


def _statuses(app: Flask, path: str, times: int) -> list[int]:
    client = app.test_client()
    return [client.get(path).status_code for _ in range(times)]


def test_the_apps_limiter_has_only_limits_on_views(database_url):
    limited = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        assert app_limiter.initialized and app_limiter.enabled
        assert not app_limiter.has_request_wide_limits()
        db.engine.dispose()


def test_without_request_wide_limits_pages_are_unlimited_and_limited_views_still_limited(monkeypatch):
    app, limiter = _app()
    passes: list[bool] = []  # Flask-Limiter's checks: in its before-request pass (True) or a view's decorator
    real_check = Limiter._check_request_limit
    monkeypatch.setattr(
        Limiter,
        "_check_request_limit",
        lambda self, callable_name=None, in_middleware=True: (
            passes.append(in_middleware) or real_check(self, callable_name=callable_name, in_middleware=in_middleware)
        ),
    )
    assert not limiter.has_request_wide_limits()
    assert _statuses(app, "/", 5) == [200] * 5
    assert passes == []  # the before-request pass was skipped
    assert _statuses(app, "/limited", 2) == [200, 429]
    assert passes == [False, False]  # the decorator's own check, each time


@pytest.mark.parametrize(
    "limits",
    [{"default_limits": ["2 per minute"]}, {"application_limits": ["2 per minute"]}],
    ids=["default", "application"],
)
def test_request_wide_limits_are_checked(limits):
    app, limiter = _app(**limits)
    assert limiter.has_request_wide_limits()
    assert _statuses(app, "/", 3) == [200, 200, 429]


def test_a_blueprints_limit_is_checked():
    app = Flask(__name__)
    limiter = ViewLimiter(get_remote_address, app=app, storage_uri="memory://")
    bp = Blueprint("area", __name__)

    @bp.get("/area")
    def area():
        return "area"

    limiter.limit("2 per minute")(bp)
    app.register_blueprint(bp)
    assert limiter.has_request_wide_limits()
    assert _statuses(app, "/area", 3) == [200, 200, 429]
