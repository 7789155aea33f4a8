"""audit summaries in the reader's language: the summary's placeholder values kept apart from its message

Revision ID: 0013_audit_summaries
Revises: 0012_languages
Create Date: 2026-12-07 16:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_audit_summaries"
down_revision = "0012_languages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("summary_params")
