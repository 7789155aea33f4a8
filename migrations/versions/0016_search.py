"""search: the index of everything members may find (FTS5 on SQLite, tsvector + GIN + unaccent on PostgreSQL)

search_entry (one row per searchable thing), with SQLite's search_fts and its triggers, or PostgreSQL's
document column, GIN index and the unaccent extension; the decision log's search_text column goes (its filter
runs on the index). `flask init-db` fills the new index from the data once the migration has run.

Revision ID: 0016_search
Revises: 0015_notifications
Create Date: 2026-12-07 23:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_search"
down_revision = "0015_notifications"
branch_labels = None
depends_on = None

# The same DDL as the model's (protect/search/models.py), frozen here as migrations are.
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, aliases, content='search_entry', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_fts(rowid, title, body, aliases) VALUES (new.id, new.title, new.body, new.aliases); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, aliases) "
    "VALUES ('delete', old.id, old.title, old.body, old.aliases); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, aliases) "
    "VALUES ('delete', old.id, old.title, old.body, old.aliases); "
    "INSERT INTO search_fts(rowid, title, body, aliases) VALUES (new.id, new.title, new.body, new.aliases); END",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("config", sa.String(length=16), nullable=False),
        sa.Column("document", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_search_entry_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["training_event.id"],
            name=op.f("fk_search_entry_event_id_training_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entry")),
        sa.UniqueConstraint("kind", "object_id", name=op.f("uq_search_entry_kind_object_id")),
    )
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_entry_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_entry_event_id"), ["event_id"], unique=False)
    if dialect == "postgresql":
        op.create_index("ix_search_entry_document", "search_entry", ["document"], postgresql_using="gin")
    else:
        for statement in SQLITE_CREATE:
            op.execute(statement)
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("search_text")


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_entry")
