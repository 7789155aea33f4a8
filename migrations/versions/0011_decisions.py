"""decisions: each kept version of a decision records its owner, due date, meeting and training event

Before, an edit of those facts alone made no version and the history left it out.

Revision ID: 0011_decisions
Revises: 0010_secret_ballots
Create Date: 2026-12-07 13:01:36

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_decisions"
down_revision = "0010_secret_ballots"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts_known", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_version_meeting_id_meeting"), "meeting", ["meeting_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_version_owner_id_users"), "users", ["owner_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_version_event_id_training_event"),
            "training_event",
            ["event_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # The newest version of each decision takes the decision's facts as they are now, so that the next edit's
    # history shows their change from what they were; older versions' facts stay unknown (never guessed).
    op.execute(
        """
        UPDATE decision_version SET
            facts_known = true,
            owner_id = (SELECT d.owner_id FROM decision d WHERE d.id = decision_version.decision_id),
            due_on = (SELECT d.due_on FROM decision d WHERE d.id = decision_version.decision_id),
            meeting_id = (SELECT d.meeting_id FROM decision d WHERE d.id = decision_version.decision_id),
            event_id = (SELECT d.event_id FROM decision d WHERE d.id = decision_version.decision_id)
        WHERE number = (SELECT max(v.number) FROM decision_version v WHERE v.decision_id = decision_version.decision_id)
        """
    )


def downgrade():
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decision_version_event_id_training_event"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_decision_version_owner_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_decision_version_meeting_id_meeting"), type_="foreignkey")
        batch_op.drop_column("event_id")
        batch_op.drop_column("meeting_id")
        batch_op.drop_column("due_on")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("facts_known")
