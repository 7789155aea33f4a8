"""audit: the log becomes a hash chain (seq, prev_hash, hash), its head row and daily checkpoints

audit_event gets its place in the chain, the previous event's hash and its own (protect.core.audit);
audit_chain is the chain's head (one row: its length, moved on and locked by each transaction that extends
the chain, and the last verification's result); audit_checkpoint keeps the head of each day. The events recorded before this migration
are chained here, in the order of their ids. ballot.receipt_code: a secret ballot's receipt (a hash of its marks
and of a secret only its voter is shown), published with the marks after the close. decision_basis: the frozen
copy (and its hash) of the poll result, Guidelines revision or agenda a decision was based on. (Decisions
recorded before keep no copy: it could only be made from the sources as they are now.) programme_page.releases_public:
whether a withdrawn page's releases stay readable at their permanent addresses. guideline_version: the published
versions of a guideline document (sections with their revisions, Markdown, its hash).

Revision ID: 0017_trust
Revises: 0018_accounts
Create Date: 2026-12-07 23:22:06.096200

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_trust"
down_revision = "0018_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_length", sa.Integer(), nullable=True),
        sa.Column("verified_problem", sa.String(length=20), nullable=True),
        sa.Column("verified_seq", sa.Integer(), nullable=True),
        sa.Column("verified_event_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
        sa.UniqueConstraint("day", name=op.f("uq_audit_checkpoint_day")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seq"), ["seq"])
    _chain_existing_events()
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_code", sa.String(length=24), nullable=True))
    with op.batch_alter_table("programme_page", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("releases_public", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "guideline_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guideline_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["guideline_id"],
            ["guideline.id"],
            name=op.f("fk_guideline_version_guideline_id_guideline"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_guideline_version_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_version")),
        sa.UniqueConstraint("guideline_id", "number", name=op.f("uq_guideline_version_guideline_id_number")),
    )
    op.create_table(
        "decision_basis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decision.id"],
            name=op.f("fk_decision_basis_decision_id_decision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_basis")),
        sa.UniqueConstraint("decision_id", "kind", name=op.f("uq_decision_basis_decision_id_kind")),
    )


_TYPES = {"actor_id": sa.Integer, "object_id": sa.Integer, "summary_params": sa.JSON, "details": sa.JSON}


def _chain_existing_events():
    """The events so far, chained in the order of their ids, and the head row that ends them."""
    from protect.core.audit import GENESIS, HASHED, event_hash  # the one definition of an event's hash

    conn = op.get_bind()
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        *(sa.column(name, _TYPES.get(name, sa.String)) for name in HASHED if name not in ("seq", "created_at")),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    rows = conn.execute(sa.select(events.c.id, *(events.c[name] for name in HASHED)).order_by(events.c.id)).all()
    length, prev = 0, GENESIS
    links = []
    for row in rows:
        length += 1
        digest = event_hash(row, prev, seq=length)
        links.append({"event_id": row.id, "new_seq": length, "new_prev": prev, "new_hash": digest})
        prev = digest
    if links:
        conn.execute(
            events.update()
            .where(events.c.id == sa.bindparam("event_id"))
            .values(seq=sa.bindparam("new_seq"), prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            links,
        )
    chain = sa.table("audit_chain", sa.column("id"), sa.column("length"))
    conn.execute(chain.insert().values(id=1, length=length))


def downgrade():
    op.drop_table("guideline_version")
    with op.batch_alter_table("programme_page", schema=None) as batch_op:
        batch_op.drop_column("releases_public")
    op.drop_table("decision_basis")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_column("receipt_code")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain")
