"""``first_time(key)``: True once per key, on SQLite and PostgreSQL alike (psycopg reports no row count for an
INSERT ... ON CONFLICT DO NOTHING, so the answer must not come from one)."""

from __future__ import annotations

from protect.extensions import db
from protect.notifications.services import first_time


def test_a_key_is_new_once_in_this_transaction_and_the_next():
    assert first_time("poll-closing:1") is True
    assert first_time("poll-closing:1") is False
    assert first_time("poll-closing:2") is True
    db.session.commit()
    assert first_time("poll-closing:1") is False
    assert first_time("action-due:7:2026-12-09") is True
