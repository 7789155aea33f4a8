"""change stamps: one random token per area of the data, replaced by every commit that changes it

Revision ID: 0008_change_stamps
Revises: 0007_performance
Create Date: 2026-11-29 09:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_change_stamps"
down_revision = "0007_performance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_stamp",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_change_stamp")),
    )


def downgrade():
    op.drop_table("change_stamp")
