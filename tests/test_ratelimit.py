"""The limiter is Flask-Limiter as shipped: limits are declared on the views that need them, and a page without one
is never limited."""

from __future__ import annotations

from flask_limiter import Limiter

from protect import create_app
from protect.extensions import db
from protect.extensions import limiter as app_limiter
from tests.conftest import TEST_CONFIG, CSRFClient


def test_the_apps_limiter_is_flask_limiters_own_with_limits_only_on_views(database_url):
    limited = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        assert type(app_limiter) is Limiter
        assert app_limiter.initialized and app_limiter.enabled
        assert not app_limiter.limit_manager.default_limits and not app_limiter.limit_manager.application_limits
        db.engine.dispose()


def test_pages_without_a_limit_are_never_limited_and_limited_views_are(database_url):
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PROGRAMME_REGISTRATION_ATTEMPT_LIMIT": "2 per hour",
        }
    )
    app.test_client_class = CSRFClient
    with app.app_context():
        client = app.test_client()
        assert [client.get("/").status_code for _ in range(30)] == [200] * 30
        # The registration form's own limit on attempts, per address: counted before the training is looked up.
        answers = [client.post("/programme/no-such-training/register").status_code for _ in range(3)]
        assert answers == [404, 404, 429]
        app_limiter.reset()
        db.session.remove()
        db.engine.dispose()
