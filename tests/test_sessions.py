"""Server-side sessions: a sign-out ends the session everywhere, each session can be ended from the profile,
sessions time out (idle and absolute), and a lost database gives a 503, not a 500."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError

from protect.auth import services
from protect.auth.models import User, UserSession, describe_browser, hash_token
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from tests.conftest import BACKEND, count_queries
from tests.factories import PASSWORD, make_user

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def sign_in_with_form(client, user, agent=FIREFOX, address="192.0.2.10"):
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 303
    return response


def cookie_token(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def copy_of(app, client):
    """Another browser with a copy of ``client``'s session cookie (as a thief would have it)."""
    thief = app.test_client()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def live(user) -> list[UserSession]:
    db.session.expire_all()
    return services.active_sessions(db.session.get(User, user.id))


# Sign-in and sign-out ---------------------------------------------------------------------------------------


def test_sign_in_starts_a_session_stored_only_as_a_hash(client, expert):
    sign_in_with_form(client, expert)
    token = cookie_token(client)
    row = db.session.execute(select(UserSession).where(UserSession.user_id == expert.id)).scalar_one()
    assert row.token_hash == hash_token(token) != token
    assert row.ip_address == "192.0.2.10"
    assert row.browser == "Firefox on Windows"
    assert row.ended_at is None
    assert db.session.execute(select(UserSession).where(UserSession.token_hash == token)).first() is None


def test_each_sign_in_gets_a_new_token_and_nothing_of_the_session_before(app, client, expert):
    with client.session_transaction() as session:
        session["_user_id"] = "planted-by-someone-else"
        session["planted"] = "yes"
    sign_in_with_form(client, expert)
    first = cookie_token(client)
    with client.session_transaction() as session:
        assert "planted" not in session
    client.post("/logout")
    sign_in_with_form(client, expert)
    assert cookie_token(client) not in (first, "planted-by-someone-else")


def test_a_copied_cookie_opens_nothing_after_a_plain_sign_out(app, client, expert):
    sign_in_with_form(client, expert)
    thief = copy_of(app, client)
    assert thief.get("/dashboard").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 303
    response = thief.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    htmx = thief.htmx("get", "/profile")  # an htmx request of the copy: sent to sign in by htmx
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    row = db.session.execute(select(UserSession).where(UserSession.user_id == expert.id)).scalar_one()
    assert row.ended_at is not None and row.ended_reason == "signed_out"


def test_the_signed_in_member_costs_one_statement(expert_client):
    assert expert_client.get("/dashboard").status_code == 200  # fills the page cache
    with count_queries() as statements:
        assert expert_client.get("/dashboard").status_code == 200
    assert len(statements) == 1, statements  # session, member and change tokens together
    assert "user_session" in statements[0] and "change_stamp" in statements[0]


def test_last_seen_is_written_at_most_every_few_minutes(app, expert_client, expert):
    row = db.session.get(UserSession, expert_client.session_id)
    seen = row.last_seen_at
    for _ in range(3):
        assert expert_client.get("/profile").status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, expert_client.session_id).last_seen_at == seen  # no write per page
    row = db.session.get(UserSession, expert_client.session_id)
    row.last_seen_at = utcnow() - timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"] + 5)
    db.session.commit()
    assert expert_client.get("/profile").status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, expert_client.session_id).last_seen_at > utcnow() - timedelta(seconds=30)
    # a write request notes it too, with its own commit
    row = db.session.get(UserSession, expert_client.session_id)
    row.last_seen_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert expert_client.post("/profile", data={"display_name": "Eva E"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(UserSession, expert_client.session_id).last_seen_at > utcnow() - timedelta(seconds=30)


# Timeouts ---------------------------------------------------------------------------------------------------


def test_an_idle_session_is_refused(app, expert_client):
    row = db.session.get(UserSession, expert_client.session_id)
    row.last_seen_at = utcnow() - timedelta(days=app.config["SESSION_IDLE_DAYS"], minutes=1)
    db.session.commit()
    response = expert_client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_older_than_the_absolute_limit_is_refused_however_busy(app, expert_client):
    row = db.session.get(UserSession, expert_client.session_id)
    row.created_at = utcnow() - timedelta(days=app.config["SESSION_MAX_DAYS"], minutes=1)
    row.last_seen_at = utcnow()
    db.session.commit()
    assert expert_client.get("/dashboard").status_code == 302


def test_the_timeouts_are_configurable(app, expert_client, monkeypatch):
    assert (app.config["SESSION_IDLE_DAYS"], app.config["SESSION_MAX_DAYS"]) == (14, 90)
    row = db.session.get(UserSession, expert_client.session_id)
    row.last_seen_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert expert_client.get("/dashboard").status_code == 200  # 2 days idle: fine (and seen now)
    row = db.session.get(UserSession, expert_client.session_id)
    row.last_seen_at = utcnow() - timedelta(days=2)
    db.session.commit()
    monkeypatch.setitem(app.config, "SESSION_IDLE_DAYS", 1)
    assert expert_client.get("/dashboard").status_code == 302


def test_the_timeouts_come_from_the_environment(monkeypatch, tmp_path):
    from flask import Flask

    from protect.config import load_config

    monkeypatch.setenv("PROTECT_SESSION_IDLE_DAYS", "3")
    monkeypatch.setenv("PROTECT_SESSION_MAX_DAYS", "30")
    monkeypatch.setenv("PROTECT_LOGIN_ADDRESS_LIMIT", "100 per minute")
    app = Flask("x", instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "x"})
    assert app.config["SESSION_IDLE_DAYS"] == 3.0
    assert app.config["SESSION_MAX_DAYS"] == 30.0
    assert app.config["LOGIN_ADDRESS_LIMIT"] == "100 per minute"


# The profile's list ------------------------------------------------------------------------------------------


def test_the_profile_lists_the_members_own_live_sessions(app, client, expert, moderator, client_for):
    sign_in_with_form(client, expert, FIREFOX, "192.0.2.10")
    sign_in_with_form(app.test_client(), expert, IPHONE, "198.51.100.7")
    client_for(moderator)  # someone else's session is not listed
    ended = app.test_client()
    sign_in_with_form(ended, expert, "curl/8", "203.0.113.9")
    ended.post("/logout")
    page = client.get("/profile").get_data(as_text=True)
    listed = re.findall(r'id="session-(\d+)"', page)
    assert len(listed) == 2
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "192.0.2.10" in page and "198.51.100.7" in page and "203.0.113.9" not in page
    this = re.search(r"<li [^>]*>.*?</li>", page[page.index("this session") - 400 :], re.S).group(0)
    assert "Firefox on Windows" in this  # "this session" marks the one the page was asked from


def test_ending_another_of_ones_sessions_with_htmx_and_with_a_plain_form(app, client, expert):
    sign_in_with_form(client, expert, FIREFOX)
    phone, tablet = app.test_client(), app.test_client()
    sign_in_with_form(phone, expert, IPHONE, "198.51.100.7")
    sign_in_with_form(tablet, expert, IPHONE, "198.51.100.8")
    phone_id = next(s.id for s in live(expert) if s.ip_address == "198.51.100.7")
    tablet_id = next(s.id for s in live(expert) if s.ip_address == "198.51.100.8")

    response = client.htmx("post", f"/profile/sessions/{phone_id}/end")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="sessions"' in body
    assert f'id="session-{phone_id}"' not in body and f'id="session-{tablet_id}"' in body
    assert "has ended" in body
    assert phone.get("/dashboard").status_code == 302

    plain = client.post(f"/profile/sessions/{tablet_id}/end")
    assert plain.status_code == 303 and plain.headers["Location"].startswith("/profile")
    assert tablet.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 200  # this one lives on
    assert [s.id for s in live(expert)] == [client_session_id(expert)]
    assert (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "user.session_ended", AuditEvent.actor_id == expert.id)
        )
        .scalars()
        .all()
    )


def client_session_id(user) -> int:
    return live(user)[0].id


def test_ending_another_members_session_is_not_found_and_changes_nothing(client_for, expert, moderator):
    mine = client_for(expert)
    theirs = client_for(moderator)
    for send in (
        lambda: mine.post(f"/profile/sessions/{theirs.session_id}/end"),
        lambda: mine.htmx("post", f"/profile/sessions/{theirs.session_id}/end"),
    ):
        response = send()
        assert response.status_code == 404
    assert theirs.get("/dashboard").status_code == 200
    assert db.session.get(UserSession, theirs.session_id).ended_at is None
    assert mine.post("/profile/sessions/999999/end").status_code == 404


def test_ending_an_ended_session_again_is_not_found(client_for, expert):
    laptop, phone = client_for(expert), client_for(expert)
    assert laptop.post(f"/profile/sessions/{phone.session_id}/end").status_code == 303
    assert laptop.post(f"/profile/sessions/{phone.session_id}/end").status_code == 404


def test_ending_this_session_from_the_list_signs_out(client_for, expert):
    laptop = client_for(expert)
    response = laptop.post(f"/profile/sessions/{laptop.session_id}/end")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert laptop.get("/dashboard").status_code == 302


def test_sign_out_everywhere_else_keeps_this_session(client_for, expert):
    laptop, phone, tablet = client_for(expert), client_for(expert), client_for(expert)
    response = laptop.htmx("post", "/profile/sessions/end-others")
    assert response.status_code == 200 and "2 other sessions ended" in response.get_data(as_text=True)
    assert phone.get("/dashboard").status_code == 302
    assert tablet.get("/dashboard").status_code == 302
    assert laptop.get("/dashboard").status_code == 200


def test_sign_out_everywhere_ends_this_session_too(app, client, expert):
    sign_in_with_form(client, expert)
    thief = copy_of(app, client)
    assert client.post("/profile/sign-out-everywhere").status_code == 303
    assert client.get("/dashboard").status_code == 302
    assert thief.get("/dashboard").status_code == 302
    assert live(expert) == []


def test_a_password_change_ends_every_other_session_and_continues_here_in_a_new_one(app, client, expert):
    sign_in_with_form(client, expert)
    before = cookie_token(client)
    copy = copy_of(app, client)
    phone = app.test_client()
    sign_in_with_form(phone, expert, IPHONE)
    response = client.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": "a new long passphrase",
            "pw-confirm": "a new long passphrase",
        },
    )
    assert response.status_code == 303
    assert client.get("/dashboard").status_code == 200
    assert cookie_token(client) != before  # a new session here
    assert copy.get("/dashboard").status_code == 302  # the old one ended, with every copy of it
    assert phone.get("/dashboard").status_code == 302
    assert len(live(expert)) == 1
    reasons = db.session.execute(select(UserSession.ended_reason).where(UserSession.ended_at.is_not(None))).scalars()
    assert set(reasons) == {"password_changed"}


def test_deactivation_ends_every_session(client_for, expert, admin):
    laptop, phone = client_for(expert), client_for(expert)
    assert client_for(admin).post(f"/admin/users/{expert.id}/active", data={"active": "0"}).status_code == 303
    assert laptop.get("/dashboard").status_code == 302
    assert phone.get("/dashboard").status_code == 302
    rows = db.session.execute(select(UserSession).where(UserSession.user_id == expert.id)).scalars().all()
    assert {row.ended_reason for row in rows} == {"deactivated"}
    # reactivated, the old sessions stay ended
    db.session.get(User, expert.id).active = True
    db.session.commit()
    assert laptop.get("/dashboard").status_code == 302


def test_a_password_reset_ends_every_session(app, client_for, expert, admin):
    laptop = client_for(expert)
    token = services.create_password_reset(admin, expert)
    browser = app.test_client()
    response = browser.post(
        f"/reset/{token}", data={"password": "another long passphrase", "confirm": "another long passphrase"}
    )
    assert response.status_code == 303
    assert laptop.get("/dashboard").status_code == 302
    assert browser.get("/dashboard").status_code == 200


# Purge ------------------------------------------------------------------------------------------------------


def test_purge_deletes_only_sessions_ended_or_timed_out_long_ago(app, client_for, expert):
    fresh, ended_now, ended_long_ago, idle_long_ago = (client_for(expert) for _ in range(4))
    now = utcnow()
    db.session.get(UserSession, ended_now.session_id).ended_at = now
    db.session.get(UserSession, ended_long_ago.session_id).ended_at = now - timedelta(days=31)
    db.session.get(UserSession, idle_long_ago.session_id).last_seen_at = now - timedelta(days=14 + 31)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "purge-sessions" in runner.invoke(args=["purge-sessions", "--help"]).output
    dry = runner.invoke(args=["purge-sessions", "--dry-run"])
    assert "2 session records would be deleted" in dry.output
    assert db.session.execute(select(UserSession.id)).all().__len__() == 4
    done = runner.invoke(args=["purge-sessions"])
    assert "2 session records deleted" in done.output
    db.session.expire_all()
    left = set(db.session.execute(select(UserSession.id)).scalars())
    assert left == {fresh.session_id, ended_now.session_id}
    assert fresh.get("/dashboard").status_code == 200


def test_browsers_are_described_briefly():
    assert describe_browser(FIREFOX) == "Firefox on Windows"
    assert describe_browser(IPHONE) == "Safari on iPhone"
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    assert describe_browser(chrome) == "Chrome on Linux"
    assert describe_browser(chrome + " Edg/131.0") == "Edge on Linux"
    assert describe_browser("") == "Unknown browser"


# The database away ------------------------------------------------------------------------------------------


def _fail_statements_on(marker: str):
    def fail(_conn, _cursor, statement, *_args):
        if marker in statement:
            raise OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))

    return fail


@pytest.mark.parametrize("marker", ["user_session", "FROM audit_event"], ids=["loading the member", "in the view"])
def test_a_lost_database_gives_503_with_retry_after(app, expert_client, marker):
    assert expert_client.get("/dashboard").status_code == 200
    fail = _fail_statements_on(marker)
    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        page = expert_client.get("/profile" if marker == "user_session" else "/dashboard?fresh=1")
        htmx = expert_client.htmx("get", "/profile" if marker == "user_session" else "/dashboard?fresh=2")
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    body = page.get_data(as_text=True)
    assert "<html" in body and "briefly unavailable" in body
    assert htmx.status_code == 503 and htmx.headers["Retry-After"] == "5"
    assert htmx.headers["HX-Retarget"] == "#alerts"
    assert "<html" not in htmx.get_data(as_text=True) and "briefly unavailable" in htmx.get_data(as_text=True)
    assert expert_client.get("/dashboard").status_code == 200  # and it works again at once


@pytest.mark.skipif(BACKEND != "postgresql", reason="terminates PostgreSQL backends")
def test_after_postgresql_drops_every_connection_the_app_recovers_by_itself(app, expert_client):
    for _ in range(3):  # a few pooled connections, idle now
        assert expert_client.get("/profile").status_code == 200
    db.session.remove()
    url = db.engine.url
    killer = create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    killer.dispose()
    assert killed >= 1
    first = expert_client.get("/profile")
    assert first.status_code in (200, 503), first.status_code
    if first.status_code == 503:
        assert first.headers["Retry-After"]
    assert expert_client.get("/profile").status_code == 200


# Rate limits across workers (Redis) -------------------------------------------------------------------------

REDIS_URL = os.environ.get("PROTECT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_failed_sign_ins_count_across_workers_with_redis(database_url, redis_db, expert):
    from protect import create_app
    from tests.conftest import TEST_CONFIG, CSRFClient

    config = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
    }
    db.session.commit()
    workers = [create_app(config), create_app(config)]  # two processes' apps, one Redis
    try:
        clients = []
        for worker in workers:
            worker.test_client_class = CSRFClient
            clients.append(worker.test_client())
        for n in range(5):
            response = clients[n % 2].post("/login", data={"email": expert.email, "password": "wrong"})
            assert response.status_code == 401
        assert any(key.startswith(b"LIMITS") for key in redis_db.scan_iter())
        refused = clients[1].post("/login", data={"email": expert.email, "password": PASSWORD})
        assert refused.status_code == 429  # the five failures were counted together
        colleague = make_user("expert", email="office.colleague@test.example")
        fine = clients[0].post("/login", data={"email": colleague.email, "password": PASSWORD})
        assert fine.status_code == 303  # the address is not locked out
    finally:
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
        # The limiter is one object: bind it again to an app with the suite's settings (in memory, off).
        with create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url}).app_context():
            db.engine.dispose()
