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
    # "Was this outdated proposal rebased?" (dashboard panel, revision page) was a scan of every revision.
    op.create_index("ix_section_revision_rebased_from_id", "section_revision", ["rebased_from_id"])
    # -- polls --
    # -- decisions --
    from sqlalchemy import text as sql_text  # here, not at the top: these lines are the decisions feature's

    op.create_index("ix_decision_status_created_id", "decision", ["status", "created_at", "id"])
    op.create_index(
        "ix_decision_status_due_id",
        "decision",
        ["status", "due_on", "id"],
        sqlite_where=sql_text("due_on IS NOT NULL"),
        postgresql_where=sql_text("due_on IS NOT NULL"),
    )
    op.create_index(
        "ix_action_item_open_owner_due",
        "action_item",
        ["owner_id", "due_on", "id"],
        sqlite_where=sql_text("done_at IS NULL"),
        postgresql_where=sql_text("done_at IS NULL"),
    )
    op.create_index("ix_decision_tag_key_name", "decision_tag", ["key", "name"])
    op.drop_index("ix_decision_tag_key", table_name="decision_tag")  # the new one starts with the key
    # -- programme --
    # The public list's live versions with their digests, read from the index (not from behind the content).
    op.create_index("ix_programme_snapshot_page_version_digest", "programme_snapshot", ["page_id", "version", "digest"])
    pass


def downgrade():
    # -- core --
    op.create_index("ix_audit_event_audience_created", "audit_event", ["audience", "created_at"])
    # -- programme --
    op.drop_index("ix_programme_snapshot_page_version_digest", table_name="programme_snapshot")
    # -- decisions --
    op.create_index("ix_decision_tag_key", "decision_tag", ["key"])
    op.drop_index("ix_decision_tag_key_name", table_name="decision_tag")
    op.drop_index("ix_action_item_open_owner_due", table_name="action_item")
    op.drop_index("ix_decision_status_due_id", table_name="decision")
    op.drop_index("ix_decision_status_created_id", table_name="decision")
    # -- polls --
    # -- guidelines --
    op.drop_index("ix_section_revision_rebased_from_id", table_name="section_revision")
    # -- agendas --
    op.drop_index("ix_training_event_status_first_day", table_name="training_event")
    pass
