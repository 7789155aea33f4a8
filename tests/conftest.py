"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when ``PROTECT_TEST_BACKEND=postgresql`` and
``PROTECT_TEST_DATABASE_URL`` point at a server (``make test`` does both when the URL is set). Each run gets
its own throwaway database, so several runs can share one server.

Every test runs inside an application context (``db.session`` works directly) and starts from an empty
database. Test clients send the CSRF token as a header on every unsafe request, as the pages' htmx does;
pass ``csrf=False`` to a request to leave it out.
"""

from __future__ import annotations

import contextvars
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import Headers

from protect import create_app
from protect.auth.models import User
from protect.auth.services import start_session
from protect.extensions import db, limiter
from tests.factories import make_user

BACKEND = os.environ.get("PROTECT_TEST_BACKEND", "sqlite")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'protect-test.sqlite'}"
        return
    if BACKEND != "postgresql":
        raise pytest.UsageError(f"PROTECT_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")
    server = os.environ.get("PROTECT_TEST_DATABASE_URL")
    if not server:
        raise pytest.UsageError("PROTECT_TEST_BACKEND=postgresql needs PROTECT_TEST_DATABASE_URL")
    server_url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"protect_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    # Fast hashing: the tests sign in hundreds of times. Production uses scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": None,
    # The second-factor policy has tests of its own (tests/auth/test_policy.py); elsewhere moderators sign in
    # with a password alone, as in the tests written before it.
    "REQUIRE_SECOND_FACTOR": False,
}


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = CSRFClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def wipe_database() -> None:
    tables = [table.name for table in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 - names from our own metadata


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()
        wipe_database()
        if limiter.enabled and limiter.initialized:  # the limiter is on only in the rate-limit tests' app
            limiter.reset()


class CSRFClient(FlaskClient):
    """A test client that behaves like a browser on the pages: a CSRF token in the session, sent as
    X-CSRFToken on unsafe requests.

    Each request runs in a fresh context, as in production: its own application context, database session
    and ``g`` (otherwise it would reuse the test's application context and, with it, Flask-Login's cached
    user). The test's own session is committed before the request (the app sees what the test set up) and
    after it (the test's next read starts a new transaction and sees what the request wrote).
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = session["csrf_token"] = secrets.token_hex(20)
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):  # type: ignore[override]
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in SAFE_METHODS:
            headers = Headers(kwargs.get("headers") or {})
            if "X-CSRFToken" not in headers:
                headers["X-CSRFToken"] = self.csrf_token()
            kwargs["headers"] = headers
        if has_app_context():
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.commit()
        return response

    def htmx(self, method: str, url: str, **kwargs):
        """A request as htmx sends it."""
        headers = Headers(kwargs.pop("headers", None) or {})
        headers.setdefault("HX-Request", "true")
        headers.setdefault("HX-Current-URL", "http://localhost" + url)
        return self.open(url, method=method.upper(), headers=headers, **kwargs)


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Sign ``user`` in on ``client`` without the sign-in form (that form has tests of its own): a new
    server-side session (auth.services.start_session), its token in the client's cookie as Flask-Login keeps
    it. ``client.session_id`` is the session's id."""
    token = start_session(user, "127.0.0.1", "werkzeug/test")
    client.session_id = user.session_id  # type: ignore[attr-defined]
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


@pytest.fixture(scope="session")
def extracted(tmp_path_factory) -> set[str]:
    """The message ids (singular and plural) that ``make messages-extract`` finds in the code and templates now."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    root = Path(__file__).resolve().parent.parent
    subprocess.run([make, "-s", "messages-extract", f"POT={pot}"], cwd=root, check=True, capture_output=True)
    with pot.open("rb") as source:
        catalogue = read_po(source)
    return {
        text
        for message in catalogue
        if message.id
        for text in ((message.id,) if isinstance(message.id, str) else message.id)
    }


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A visitor who is not signed in."""
    return app.test_client()


@pytest.fixture
def client_for(app: Flask) -> Callable[[User], FlaskClient]:
    """``client_for(user)``: a new client signed in as ``user``."""
    return lambda user: sign_in(app.test_client(), user)


@pytest.fixture
def expert() -> User:
    return make_user("expert", email="expert@test.example", display_name="Eva Expert", country="EE")


@pytest.fixture
def moderator() -> User:
    return make_user("moderator", email="moderator@test.example", display_name="Mads Moderator", country="DK")


@pytest.fixture
def admin() -> User:
    return make_user("admin", email="admin@test.example", display_name="Anna Admin", country="SE")


@pytest.fixture
def expert_client(client_for, expert) -> FlaskClient:
    return client_for(expert)


@pytest.fixture
def moderator_client(client_for, moderator) -> FlaskClient:
    return client_for(moderator)


@pytest.fixture
def admin_client(client_for, admin) -> FlaskClient:
    return client_for(admin)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (in any thread, on the app's engine)."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
