"""languages: each member's interface language (none: their browser's)

Revision ID: 0012_languages
Revises: 0011_decisions
Create Date: 2026-12-07 16:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_languages"
down_revision = "0011_decisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
