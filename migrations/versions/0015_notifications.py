"""notifications: notices written with their changes, members' settings and subscriptions, the mail outbox

notification (a member's notice, in the app and waiting for a mail), notification_setting (a member's delivery per
kind), notification_subscription (follow / mute a thread), notice_once (time-based notices given), digest_run (one
digest per member and period and local date), outbox_mail (the durable outbox the sender delivers).

Revision ID: 0015_notifications
Revises: 0014_programme_translations
Create Date: 2026-12-07 18:57:55.148475

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_notifications"
down_revision = "0014_programme_translations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_once",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notice_once")),
    )
    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_setting_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_setting")),
    )
    op.create_table(
        "notification_subscription",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("thread_title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_subscription_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "thread", name=op.f("pk_notification_subscription")),
    )
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("thread", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_mail_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
    )
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_mail_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_mail_thread", ["user_id", "thread", "created_at"], unique=False)

    op.create_table(
        "digest_run",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox_mail.id"], name=op.f("fk_digest_run_outbox_id_outbox_mail"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digest_run_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "period", "local_date", name=op.f("pk_digest_run")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("thread", sa.String(length=64), nullable=False),
        sa.Column("thread_title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("summary_params", sa.JSON(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("mail", sa.String(length=8), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_notification_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox_mail.id"], name=op.f("fk_notification_outbox_id_outbox_mail"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_unmailed", ["mail", "outbox_id"], unique=False)
        batch_op.create_index("ix_notification_user_unread", ["user_id", "read_at", "id"], unique=False)


    with op.batch_alter_table("agenda_change", schema=None) as batch_op:
        batch_op.create_index("ix_agenda_change_event_user", ["event_id", "user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("agenda_change", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_change_event_user")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_unread")
        batch_op.drop_index("ix_notification_unmailed")

    op.drop_table("notification")
    op.drop_table("digest_run")
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_mail_thread")
        batch_op.drop_index("ix_outbox_mail_due")

    op.drop_table("outbox_mail")
    op.drop_table("notification_subscription")
    op.drop_table("notification_setting")
    op.drop_table("notice_once")
