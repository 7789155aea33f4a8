"""Guesses sent all at once are counted as they arrive: the limits of the password and the code hold under
concurrent requests (counting only failures, after the answer, let 40 simultaneous wrong codes through)."""

from __future__ import annotations

import threading

from tests.auth.conftest import sign_in_with_password, turn_on_totp

GUESSES = 40


def all_at_once(app, cookie: str | None, path: str, data: dict) -> list[int]:
    name = app.config["SESSION_COOKIE_NAME"]
    clients = []
    for _ in range(GUESSES):
        client = app.test_client()
        if cookie is not None:
            client.set_cookie(name, cookie)
        clients.append(client)
    barrier = threading.Barrier(GUESSES)
    answers: list[int] = []
    lock = threading.Lock()

    def guess(client) -> None:
        barrier.wait()
        status = client.post(path, data=data).status_code
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=guess, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_simultaneous_wrong_codes_are_limited(limited_app, expert):
    from protect.auth.models import User
    from protect.extensions import db

    with limited_app.app_context():
        totp = turn_on_totp(db.session.get(User, expert.id))
    client = limited_app.test_client()
    assert sign_in_with_password(client, expert).headers["Location"] == "/login/verify"
    cookie = client.get_cookie(limited_app.config["SESSION_COOKIE_NAME"]).value
    wrong = "123456" if totp.now() != "123456" else "654321"
    answers = all_at_once(limited_app, cookie, "/login/verify", {"code": wrong})
    assert answers.count(401) <= 5, answers  # SECOND_FACTOR_LIMIT: 5 per 5 minutes
    assert answers.count(429) >= GUESSES - 5
    assert client.post("/login/verify", data={"code": totp.now()}).status_code == 429


def test_simultaneous_wrong_passwords_are_limited(limited_app, expert):
    answers = all_at_once(limited_app, None, "/login", {"email": expert.email, "password": "not the password"})
    assert answers.count(401) <= 5, answers  # LOGIN_LIMIT: 5 per minute
    assert answers.count(429) >= GUESSES - 5
