"""performance: indexes the main pages' queries use at the benchmark's data sizes

Revision ID: 0007_performance
Revises: 0006_programme
Create Date: 2026-11-29 06:10:00

"""

from alembic import op

revision = "0007_performance"
down_revision = "0006_programme"
branch_labels = None
depends_on = None


def upgrade():
    # -- core --
    # The dashboard's recent activity walks the primary key backwards; this index made SQLite sort every row.
    op.drop_index("ix_audit_event_audience_created", table_name="audit_event")
    # -- agendas --
    # The dashboard's upcoming trainings and the filtered list of trainings: status, then the date order.
    op.create_index("ix_training_event_status_first_day", "training_event", ["status", "first_day"])
    # -- guidelines --
    # -- polls --
    # -- decisions --
    # -- programme --
    pass


def downgrade():
    # -- core --
    op.create_index("ix_audit_event_audience_created", "audit_event", ["audience", "created_at"])
    # -- programme --
    # -- decisions --
    # -- polls --
    # -- guidelines --
    # -- agendas --
    op.drop_index("ix_training_event_status_first_day", table_name="training_event")
    pass
