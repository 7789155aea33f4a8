"""polls: secret ballots stay secret in the database (who voted apart from what was voted; sealed at the close)

Who voted moves to ``poll_participation`` (poll, voter, cast_at, changed_at, revision). ``ballot`` keeps only what
was voted: a random id, the poll, the voter for an open (non-secret) poll only, and for a secret poll a voter
tag while it is open and a receipt hash. ``ballot_mark`` loses its sequential id (key: ballot, option; WITHOUT
ROWID on SQLite). ``poll`` gains ``ballot_salt`` and ``sealed_at``.

Existing data: every ballot gets its participation row (first cast, last change, revision as before). Then per
poll, with new random ballot ids:
- an open (non-secret) poll keeps each ballot's voter;
- a secret poll that has closed is sealed at once: its ballots are written in random order with no voter, no
  tag and no receipt, and ``sealed_at`` is set;
- a secret poll not closed yet gets a new salt and each ballot the voter tag and receipt hash computed with the
  application's SECRET_KEY (Flask-Migrate runs this inside the application context, so it is the key the
  running app will use: run the migration with the production configuration).
The old tables are dropped (on SQLite with ``secure_delete`` on). Backups taken before this migration still link
voters to their choices: see the README's security notes.

The formulas of ``protect/polls/secrecy.py`` are copied here as they were at this revision (a migration must not
change when the application's code does); ``tests/polls/test_secret_migration.py`` checks they agree.

Revision ID: 0010_secret_ballots
Revises: 0009_sessions
Create Date: 2026-12-07 13:05:34

"""

import base64
import hashlib
import hmac
import random
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_secret_ballots"
down_revision = "0009_sessions"
branch_labels = None
depends_on = None

BallotId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

poll = sa.table(
    "poll",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.Boolean),
    sa.column("closes_at", sa.DateTime),
    sa.column("ballot_salt", sa.String),
    sa.column("sealed_at", sa.DateTime),
)
participation = sa.table(
    "poll_participation",
    sa.column("poll_id", sa.Integer),
    sa.column("voter_id", sa.Integer),
    sa.column("cast_at", sa.DateTime),
    sa.column("changed_at", sa.DateTime),
    sa.column("revision", sa.Integer),
)


def _new_ballot_id() -> int:
    return secrets.randbelow(2**63 - 1) + 1


def _poll_key(server_secret: bytes, salt: str) -> bytes:
    return hmac.new(server_secret, b"protect.polls.ballot-key\x00" + bytes.fromhex(salt), hashlib.sha256).digest()


def _voter_tag(key: bytes, voter_id: int) -> str:
    return hmac.new(key, b"voter\x00" + str(voter_id).encode(), hashlib.sha256).hexdigest()


def _receipt_hash(key: bytes, ballot_id: int) -> str:
    digest = hmac.new(key, b"receipt\x00" + str(ballot_id).encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:20]
    return hashlib.sha256(code.encode()).hexdigest()


def _server_secret() -> bytes:
    from flask import current_app

    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("0010_secret_ballots needs the application's SECRET_KEY (run it with `flask db upgrade`).")
    return secret if isinstance(secret, bytes) else str(secret).encode()


def _create_ballot_tables() -> None:
    op.create_table(
        "ballot",
        sa.Column("id", BallotId, autoincrement=False, nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.Column("voter_tag", sa.String(length=64), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_ballot_poll_id_poll"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], name=op.f("fk_ballot_voter_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("poll_id", "receipt_hash", name=op.f("uq_ballot_poll_id_receipt_hash")),
        sa.UniqueConstraint("poll_id", "voter_id", name=op.f("uq_ballot_poll_id_voter_id")),
        sa.UniqueConstraint("poll_id", "voter_tag", name=op.f("uq_ballot_poll_id_voter_tag")),
    )
    op.create_index(op.f("ix_ballot_voter_id"), "ballot", ["voter_id"], unique=False)
    op.create_table(
        "ballot_mark",
        sa.Column("ballot_id", BallotId, nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.CheckConstraint("rank IS NULL OR rank >= 1", name=op.f("ck_ballot_mark_rank_positive")),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_mark_ballot_id_ballot"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["option_id"], ["poll_option.id"], name=op.f("fk_ballot_mark_option_id_poll_option"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ballot_id", "option_id", name=op.f("pk_ballot_mark")),
        sa.UniqueConstraint("ballot_id", "rank", name=op.f("uq_ballot_mark_ballot_id_rank")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_ballot_mark_option_id"), "ballot_mark", ["option_id"], unique=False)


def _drop_ballot_tables() -> None:
    op.drop_index(op.f("ix_ballot_mark_option_id"), table_name="ballot_mark")
    op.drop_table("ballot_mark")
    op.drop_index(op.f("ix_ballot_voter_id"), table_name="ballot")
    op.drop_table("ballot")


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")  # the dropped tables' pages are zeroed, not just freed
    now = datetime.now(UTC).replace(tzinfo=None)

    old_ballot = sa.table(
        "ballot",
        sa.column("id", sa.Integer),
        sa.column("poll_id", sa.Integer),
        sa.column("voter_id", sa.Integer),
        sa.column("cast_at", sa.DateTime),
        sa.column("changed_at", sa.DateTime),
        sa.column("revision", sa.Integer),
    )
    old_mark = sa.table(
        "ballot_mark",
        sa.column("id", sa.Integer),
        sa.column("ballot_id", sa.Integer),
        sa.column("option_id", sa.Integer),
        sa.column("rank", sa.Integer),
    )
    polls = conn.execute(sa.select(poll.c.id, poll.c.secret, poll.c.closes_at)).all()
    ballots = conn.execute(sa.select(old_ballot).order_by(old_ballot.c.cast_at, old_ballot.c.id)).all()
    marks: dict[int, list[tuple[int, int | None]]] = {}
    for row in conn.execute(sa.select(old_mark).order_by(old_mark.c.ballot_id, old_mark.c.id)):
        marks.setdefault(row.ballot_id, []).append((row.option_id, row.rank))

    op.create_table(
        "poll_participation",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("cast_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_participation_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["users.id"], name=op.f("fk_poll_participation_voter_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "voter_id", name=op.f("pk_poll_participation")),
    )
    op.create_index(op.f("ix_poll_participation_voter_id"), "poll_participation", ["voter_id"], unique=False)
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ballot_salt", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sealed_at", sa.DateTime(), nullable=True))

    _drop_ballot_tables()
    _create_ballot_tables()
    new_ballot = sa.table(
        "ballot",
        sa.column("id", BallotId),
        sa.column("poll_id", sa.Integer),
        sa.column("voter_id", sa.Integer),
        sa.column("voter_tag", sa.String),
        sa.column("receipt_hash", sa.String),
    )
    new_mark = sa.table(
        "ballot_mark",
        sa.column("ballot_id", BallotId),
        sa.column("option_id", sa.Integer),
        sa.column("rank", sa.Integer),
    )

    if ballots:
        conn.execute(
            sa.insert(participation),
            [
                {
                    "poll_id": b.poll_id,
                    "voter_id": b.voter_id,
                    "cast_at": b.cast_at,
                    "changed_at": b.changed_at,
                    "revision": b.revision,
                }
                for b in ballots
            ],
        )
    by_poll: dict[int, list] = {}
    for b in ballots:
        by_poll.setdefault(b.poll_id, []).append(b)
    shuffle = random.SystemRandom().shuffle
    server_secret = None
    rows, mark_rows = [], []
    for p in polls:
        mine = list(by_poll.get(p.id, []))
        if not p.secret:
            for b in mine:
                new_id = _new_ballot_id()
                rows.append(
                    {"id": new_id, "poll_id": p.id, "voter_id": b.voter_id, "voter_tag": None, "receipt_hash": None}
                )
                mark_rows += [{"ballot_id": new_id, "option_id": o, "rank": r} for o, r in marks.get(b.id, [])]
            continue
        shuffle(mine)
        if p.closes_at <= now:
            conn.execute(sa.update(poll).where(poll.c.id == p.id).values(ballot_salt=None, sealed_at=now))
            key = None
        else:
            server_secret = server_secret or _server_secret()
            salt = secrets.token_hex(32)
            conn.execute(sa.update(poll).where(poll.c.id == p.id).values(ballot_salt=salt, sealed_at=None))
            key = _poll_key(server_secret, salt)
        for b in mine:
            new_id = _new_ballot_id()
            rows.append(
                {
                    "id": new_id,
                    "poll_id": p.id,
                    "voter_id": None,
                    "voter_tag": _voter_tag(key, b.voter_id) if key else None,
                    "receipt_hash": _receipt_hash(key, new_id) if key else None,
                }
            )
            mark_rows += [{"ballot_id": new_id, "option_id": o, "rank": r} for o, r in marks.get(b.id, [])]
    if rows:
        conn.execute(sa.insert(new_ballot), rows)
    if mark_rows:
        conn.execute(sa.insert(new_mark), mark_rows)


def downgrade():
    """Back to one ballot row per voter. Possible only while no sealed poll has ballots: a sealed ballot has no
    voter any more, and the old schema cannot hold a ballot without one."""
    conn = op.get_bind()
    sealed = conn.execute(
        sa.text(
            "SELECT count(*) FROM ballot JOIN poll ON poll.id = ballot.poll_id "
            "WHERE ballot.voter_id IS NULL AND poll.ballot_salt IS NULL"
        )
    ).scalar_one()
    if sealed:
        raise RuntimeError(
            f"{sealed} sealed secret ballots name no voter: the schema before 0010_secret_ballots cannot hold them."
        )
    server_secret = _server_secret()
    salts = dict(conn.execute(sa.text("SELECT id, ballot_salt FROM poll WHERE ballot_salt IS NOT NULL")).all())
    tags: dict[tuple[int, str], int] = {}
    for poll_id, voter_id in conn.execute(sa.text("SELECT poll_id, voter_id FROM poll_participation")):
        if poll_id in salts:
            tags[(poll_id, _voter_tag(_poll_key(server_secret, salts[poll_id]), voter_id))] = voter_id
    ballots = conn.execute(sa.text("SELECT id, poll_id, voter_id, voter_tag FROM ballot")).all()
    marks = conn.execute(sa.text("SELECT ballot_id, option_id, rank FROM ballot_mark ORDER BY ballot_id")).all()
    times = {
        (row.poll_id, row.voter_id): row
        for row in conn.execute(
            sa.text("SELECT poll_id, voter_id, cast_at, changed_at, revision FROM poll_participation")
        )
    }
    _drop_ballot_tables()
    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("cast_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_ballot_poll_id_poll"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], name=op.f("fk_ballot_voter_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("poll_id", "voter_id", name=op.f("uq_ballot_poll_id_voter_id")),
    )
    op.create_index(op.f("ix_ballot_voter_id"), "ballot", ["voter_id"], unique=False)
    op.create_table(
        "ballot_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.CheckConstraint("rank IS NULL OR rank >= 1", name=op.f("ck_ballot_mark_rank_positive")),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_mark_ballot_id_ballot"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["option_id"], ["poll_option.id"], name=op.f("fk_ballot_mark_option_id_poll_option"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_mark")),
        sa.UniqueConstraint("ballot_id", "option_id", name=op.f("uq_ballot_mark_ballot_id_option_id")),
        sa.UniqueConstraint("ballot_id", "rank", name=op.f("uq_ballot_mark_ballot_id_rank")),
    )
    op.create_index(op.f("ix_ballot_mark_option_id"), "ballot_mark", ["option_id"], unique=False)
    ids = {}
    for number, b in enumerate(ballots, start=1):
        voter_id = b.voter_id if b.voter_id is not None else tags.get((b.poll_id, b.voter_tag))
        if voter_id is None:
            continue  # a ballot whose voter's tag no longer matches (SECRET_KEY changed): it cannot be kept
        t = times[(b.poll_id, voter_id)]
        conn.execute(
            sa.text(
                "INSERT INTO ballot (id, poll_id, voter_id, cast_at, changed_at, revision) "
                "VALUES (:id, :poll_id, :voter_id, :cast_at, :changed_at, :revision)"
            ),
            {
                "id": number,
                "poll_id": b.poll_id,
                "voter_id": voter_id,
                "cast_at": t.cast_at,
                "changed_at": t.changed_at,
                "revision": t.revision,
            },
        )
        ids[b.id] = number
    for number, m in enumerate((m for m in marks if m.ballot_id in ids), start=1):
        conn.execute(
            sa.text("INSERT INTO ballot_mark (id, ballot_id, option_id, rank) VALUES (:id, :b, :o, :r)"),
            {"id": number, "b": ids[m.ballot_id], "o": m.option_id, "r": m.rank},
        )
    op.drop_index(op.f("ix_poll_participation_voter_id"), table_name="poll_participation")
    op.drop_table("poll_participation")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("sealed_at")
        batch_op.drop_column("ballot_salt")
