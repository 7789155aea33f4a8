"""programme translations: a page's texts in other languages, through the page's own workflow and snapshots

A translation's working copy (programme_translation), its published versions as programme_snapshot rows in its
language (with the page's version they translate), and its workflow steps in programme_transition (language).

Revision ID: 0014_programme_translations
Revises: 0013_audit_summaries
Create Date: 2026-12-07 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_programme_translations"
down_revision = "0013_audit_summaries"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programme_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approved_fields", sa.JSON(), nullable=True),
        sa.Column("approved_source_version", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["programme_page.id"],
            name=op.f("fk_programme_translation_page_id_programme_page"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_programme_translation_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_programme_translation_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_programme_translation_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_translation")),
        sa.UniqueConstraint("page_id", "language", name="uq_programme_translation_page_language"),
    )
    with op.batch_alter_table("programme_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="en", nullable=False))
        batch_op.add_column(sa.Column("source_version", sa.Integer(), nullable=True))
        # Each language has its own series of versions.
        batch_op.drop_constraint("uq_programme_snapshot_page_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_programme_snapshot_page_version_language", ["page_id", "version", "language"]
        )
        batch_op.drop_index("ix_programme_snapshot_page_version_digest")
        batch_op.create_index(
            "ix_programme_snapshot_page_version_language_digest", ["page_id", "version", "language", "digest"]
        )
    with op.batch_alter_table("programme_transition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("programme_transition", schema=None) as batch_op:
        batch_op.drop_column("language")
    # The translations' published versions go with their working copies.
    op.execute("DELETE FROM programme_snapshot WHERE language <> 'en'")
    with op.batch_alter_table("programme_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_snapshot_page_version_language_digest")
        batch_op.create_index("ix_programme_snapshot_page_version_digest", ["page_id", "version", "digest"])
        batch_op.drop_constraint("uq_programme_snapshot_page_version_language", type_="unique")
        batch_op.create_unique_constraint("uq_programme_snapshot_page_version", ["page_id", "version"])
        batch_op.drop_column("source_version")
        batch_op.drop_column("language")
    op.drop_table("programme_translation")
