"""Change tokens (core.changes): every commit that changes a table replaces the token of that table's area in
the same transaction; a rollback replaces nothing. The page cache's keys are made of these tokens, so a commit
that is not stamped is a page served stale in every worker.

The tests make their changes through the application's own engine (the ORM session and Core statements alike)
and read the tokens as any worker reads them (``changes.current()``, outside the session)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, delete, event, insert, select, text, update

from protect.auth.models import User
from protect.core import audit, changes
from protect.core.changes import area_of, everyday_areas
from protect.core.database import utcnow
from protect.decisions.models import Decision
from protect.extensions import db
from protect.guidelines.models import Guideline
from protect.polls.models import Poll
from tests.decisions.factories import make_decision
from tests.factories import make_user
from tests.guidelines.factories import make_guideline
from tests.polls.factories import make_poll


@pytest.fixture
def data(moderator):
    """One decision, one guideline and one poll, all committed (and so all stamped)."""
    return {
        "decision": make_decision(moderator, title="Trainings last two days"),
        "guideline": make_guideline(moderator, sections=1, title="Guidelines on identification"),
        "poll": make_poll(moderator, question="Where should we meet?"),
    }


def changed_scopes(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {scope for scope in before.keys() | after.keys() if before.get(scope) != after.get(scope)}


def rename_decision(decision_id: int, title: str) -> None:
    db.session.execute(update(Decision).where(Decision.id == decision_id).values(title=title))


# Which areas a commit stamps ----------------------------------------------------------------------------------


def test_every_table_is_declared_in_an_area_next_to_its_model():
    """A table in no declared area would be an area of its own, which no cached page is keyed on: declare it
    with ``changes.area(...)`` in its feature's models (None for a table whose writes always go with a change
    to an area that does, as the audit log's)."""
    undeclared = [table.name for table in db.metadata.sorted_tables if changes.AREA not in table.info]
    assert undeclared == []
    for table, scope in {
        "users": "auth",
        "user_session": "sessions",
        "agenda_item": "agendas",
        "agenda_presence": "presence",
        "guideline_comment": "guidelines",
        "guideline_section_visit": "visits",
        "ballot": "polls",
        "decision": "decisions",
        "programme_snapshot": "programme",
        "audit_event": None,
        "change_stamp": None,
    }.items():
        assert area_of(db.metadata.tables[table]) == scope


def test_every_area_means_the_features_areas_not_those_apart():
    assert everyday_areas() == ["agendas", "auth", "decisions", "guidelines", "polls", "programme"]


def test_an_audited_change_renews_its_features_area_and_no_other(data, moderator):
    before = changes.current()
    rename_decision(data["decision"].id, "Renamed with its event")
    audit.record(moderator, "decision.edited", data["decision"], summary="renamed a decision")
    db.session.commit()
    assert changed_scopes(before, changes.current()) == {"decisions"}


def test_the_data_setup_stamped_the_areas_it_wrote(data):
    stamps = changes.current()
    assert {"auth", "decisions", "guidelines", "polls"} <= stamps.keys()
    assert changes.current() == stamps  # reading the tokens changes nothing


def test_an_orm_flush_bumps_exactly_the_area_of_its_table(data):
    before = changes.current()
    decision = db.session.get(Decision, data["decision"].id)
    decision.title = "Trainings last three days"
    db.session.commit()
    after = changes.current()
    assert changed_scopes(before, after) == {"decisions"}
    assert after["decisions"] != before["decisions"]


def test_a_core_update_through_the_session_bumps_its_area_too(data):
    before = changes.current()
    db.session.execute(update(Poll).where(Poll.id == data["poll"].id).values(question="Where do we meet?"))
    db.session.commit()
    assert changed_scopes(before, changes.current()) == {"polls"}


def test_inserts_and_deletes_count_and_reads_do_not(data, moderator):
    before = changes.current()
    db.session.execute(select(Decision.title)).all()  # a read, committed
    db.session.commit()
    assert changes.current() == before

    make_user("expert")  # an INSERT into users
    after_insert = changes.current()
    assert changed_scopes(before, after_insert) == {"auth"}

    db.session.execute(delete(Decision).where(Decision.id == data["decision"].id))
    db.session.commit()
    assert changed_scopes(after_insert, changes.current()) == {"decisions"}


def test_one_transaction_across_two_areas_bumps_both_and_nothing_else(data):
    before = changes.current()
    rename_decision(data["decision"].id, "Renamed decision")
    db.session.execute(update(Guideline).where(Guideline.id == data["guideline"].id).values(title="Renamed"))
    db.session.commit()
    after = changes.current()
    assert changed_scopes(before, after) == {"decisions", "guidelines"}


def test_a_table_in_no_area_is_an_area_of_its_own():
    scratch = Table("scratch_notes", MetaData(), Column("id", Integer, primary_key=True))
    scratch.create(db.engine)
    try:
        assert area_of(scratch) == "scratch_notes"
        before = changes.current()
        with db.engine.begin() as conn:
            conn.execute(insert(scratch).values(id=1))
        after = changes.current()
        assert changed_scopes(before, after) == {"scratch_notes"}
    finally:
        scratch.drop(db.engine)


def test_an_unchanged_flush_stamps_nothing(data):
    before = changes.current()
    decision = db.session.get(Decision, data["decision"].id)
    decision.title = decision.title  # no net change: the ORM sends no UPDATE
    db.session.commit()
    assert changes.current() == before


# Rollback, and when the token changes ---------------------------------------------------------------------------


def test_a_rollback_stamps_nothing(data):
    before = changes.current()
    rename_decision(data["decision"].id, "Never committed")
    db.session.flush()
    db.session.rollback()
    assert changes.current() == before
    assert db.session.get(Decision, data["decision"].id).title == "Trainings last two days"


def test_a_rolled_back_change_is_forgotten_by_the_next_transaction_on_the_same_connection(data):
    """The changes are noted per connection: a connection that rolled back and then commits something else
    must stamp that something else only."""
    before = changes.current()
    with db.engine.connect() as conn:
        conn.execute(update(Decision).where(Decision.id == data["decision"].id).values(title="Rolled back"))
        conn.rollback()
        conn.execute(update(Poll).where(Poll.id == data["poll"].id).values(question="Committed"))
        conn.commit()
    assert changed_scopes(before, changes.current()) == {"polls"}


def test_the_token_changes_at_the_commit_not_at_the_flush(data):
    before = changes.current()
    rename_decision(data["decision"].id, "Flushed only")
    db.session.flush()
    # Other connections see neither the data nor a new token until the commit.
    assert changes.current() == before
    db.session.commit()
    assert changed_scopes(before, changes.current()) == {"decisions"}


def _token_inside(conn, scope: str) -> str | None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        cursor.execute(f"SELECT token FROM change_stamp WHERE scope = {mark}", (scope,))  # noqa: S608
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None


@pytest.fixture
def after_stamping() -> Iterator[list]:
    """Callables appended here run in the engine's "commit" event after the stamp (listeners run in order)."""
    calls: list = []

    def listener(conn) -> None:
        for call in calls:
            call(conn)

    event.listen(db.engine, "commit", listener)
    try:
        yield calls
    finally:
        event.remove(db.engine, "commit", listener)


def test_the_new_token_is_written_in_the_committing_transaction(data, after_stamping):
    before = changes.current()
    seen = {}

    def look(conn) -> None:
        seen["inside"] = _token_inside(conn, "decisions")
        seen["outside"] = changes.current()["decisions"]

    after_stamping.append(look)
    rename_decision(data["decision"].id, "Stamped in the same transaction")
    db.session.commit()
    after = changes.current()["decisions"]
    # Just before the commit the transaction itself holds the new token; other connections still see the old.
    assert seen == {"inside": after, "outside": before["decisions"]}
    assert after != before["decisions"]


def test_a_commit_that_fails_leaves_neither_the_data_nor_the_token(data, after_stamping):
    before = changes.current()

    def fail(_conn) -> None:
        raise RuntimeError("the commit fails")

    after_stamping.append(fail)
    rename_decision(data["decision"].id, "Lost")
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()
    after_stamping.clear()
    assert changes.current() == before
    assert db.session.get(Decision, data["decision"].id).title == "Trainings last two days"


# Tokens ----------------------------------------------------------------------------------------------------------


def test_tokens_are_random_not_counters(data):
    seen = [changes.current()["decisions"]]
    for n in range(5):
        rename_decision(data["decision"].id, f"Title {n}")
        db.session.commit()
        seen.append(changes.current()["decisions"])
    assert len(set(seen)) == len(seen)
    assert all(re.fullmatch(r"[0-9a-f]{16}", token) for token in seen)  # 64 random bits

    # A counter would start again from the same value once its row is gone (as after restoring an old
    # backup); a random token never repeats one a cache may still hold pages under.
    firsts = []
    for n in range(2):
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM change_stamp"))  # raw SQL: not stamped itself
        assert changes.current() == {}
        rename_decision(data["decision"].id, f"Again {n}")
        db.session.commit()
        firsts.append(changes.current()["decisions"])
    assert firsts[0] != firsts[1]


def test_paused_stamps_nothing_and_leaves_no_note_behind(data):
    before = changes.current()
    with db.engine.connect() as conn:
        with changes.paused():
            conn.execute(update(Decision).where(Decision.id == data["decision"].id).values(title="Migrated"))
            conn.commit()
        assert changes.current() == before
        conn.execute(update(Poll).where(Poll.id == data["poll"].id).values(question="After the migration"))
        conn.commit()
    assert changed_scopes(before, changes.current()) == {"polls"}


def test_a_commit_moves_this_processs_generation_on_before_and_once_more_after_it(expert):
    """Caches that recheck the database only now and then (the public pages) compare generations: a read made
    between the stamp and the commit itself must not be kept under the new generation."""
    seen = changes.generation("auth")
    expert.organisation = "Save the Children"
    db.session.commit()
    assert changes.generation("auth") == seen + 2
    db.session.rollback()
    assert changes.generation("auth") == seen + 2


def test_a_sign_in_changes_no_token_but_any_other_change_to_a_member_does(expert):
    """``last_login_at`` is shown on no cached page: a sign-in must not make every member's pages again."""
    db.session.commit()
    before = changes.current()
    expert.last_login_at = utcnow()
    db.session.commit()
    assert changes.current() == before
    expert.last_login_at = utcnow()
    expert.display_name = "Eva Renamed"
    db.session.commit()
    assert changes.current()["auth"] != before.get("auth")
    after = changes.current()
    db.session.execute(update(User).where(User.id == expert.id).values(last_login_at=utcnow()))
    db.session.commit()
    assert changes.current() == after
    db.session.execute(update(User).where(User.id == expert.id).values(last_login_at=utcnow(), role="moderator"))
    db.session.commit()
    assert changes.current()["auth"] != after["auth"]


def test_a_rollback_on_a_connection_the_server_ended_does_not_raise(app):
    """When the database ends a connection mid-request, SQLAlchemy invalidates it and the request's teardown
    rolls back: forgetting the noted changes must not touch the dead connection (that raised, and turned the
    database's restart into a 500 instead of the 503 page)."""
    with db.engine.connect() as conn:
        conn.begin()
        conn.execute(text("SELECT 1"))
        conn.invalidate()  # what SQLAlchemy does when it sees the server's goodbye
        conn.rollback()
        assert conn.invalidated
