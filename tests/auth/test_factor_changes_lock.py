"""Two changes of one member's second factors at once (the app turned off while the last passkey is removed)
must not leave ``users.second_factor`` saying "has one" when none is left: each change locks the member's row
first, and computes the flag from what the other one committed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, update

from protect.auth import security
from protect.auth.models import Passkey, User
from protect.extensions import db
from tests.auth.conftest import turn_on_totp
from tests.factories import PASSWORD


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


LOCK = re.compile(r"^SELECT users\.id FROM users WHERE users\.id = \S+( FOR UPDATE)?$")


def _locks_user_first(seen: list[str]) -> bool:
    """The member's row is locked (its id selected FOR UPDATE; SQLite renders no FOR UPDATE) before any of
    their factors is read or written."""
    for statement in seen:
        if "totp_credential" in statement or "passkey" in statement or "recovery_code" in statement:
            return False  # a factor touched before the lock
        found = LOCK.match(statement)
        if found:
            return db.engine.dialect.name != "postgresql" or bool(found.group(1))
    return False


@pytest.mark.parametrize(
    "change",
    [
        lambda user, _key: security.disable_totp(user, PASSWORD),
        lambda user, key: security.remove_passkey(user, key),
        lambda user, _key: security.regenerate_recovery_codes(user, PASSWORD),
        lambda user, _key: security.remove_second_factors(user, user),
    ],
    ids=["totp off", "passkey removed", "recovery codes", "all removed"],
)
def test_every_factor_change_locks_the_members_row_first(app, expert, statements, change):
    turn_on_totp(expert)
    key = Passkey(user_id=expert.id, credential_id="K", public_key=b"k", sign_count=0, name="Key")
    db.session.add(key)
    db.session.commit()
    key_id = key.id
    statements.clear()
    change(expert, key_id)
    assert _locks_user_first(statements), statements[:6]


def test_the_flag_is_computed_from_what_the_other_change_committed(app, expert):
    """This request read "has a second factor"; meanwhile another change cleared the flag. Once locked, the
    member's row is read again, so the flag this change writes starts from the other's result."""
    turn_on_totp(expert)
    assert expert.second_factor is True  # what this request read
    db.session.execute(
        update(User)
        .where(User.id == expert.id)
        .values(second_factor=False)
        .execution_options(synchronize_session=False)
    )
    security.lock_factors(expert)
    assert expert.second_factor is False
