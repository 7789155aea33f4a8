"""guidelines: documents, sections, revisions, comments, visits

A section points at its current (accepted) revision and a revision at its section: the section's foreign
key to section_revision is added once both tables exist.

Revision ID: 0003_guidelines
Revises: 0001_foundation
Create Date: 2026-11-29 02:49:40.239940

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_guidelines'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('guideline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_guideline_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guideline')),
    sa.UniqueConstraint('slug', name=op.f('uq_guideline_slug'))
    )

    op.create_table('guideline_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guideline_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.String(length=200), nullable=False),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['guideline_id'], ['guideline.id'], name=op.f('fk_guideline_section_guideline_id_guideline'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guideline_section'))
    )
    with op.batch_alter_table('guideline_section', schema=None) as batch_op:
        batch_op.create_index('ix_guideline_section_guideline_position', ['guideline_id', 'position'], unique=False)

    op.create_table('section_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('base_revision_id', sa.Integer(), nullable=True),
    sa.Column('rebased_from_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('comment_seq', sa.Integer(), nullable=False),
    sa.Column('last_comment_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_section_revision_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['base_revision_id'], ['section_revision.id'], name=op.f('fk_section_revision_base_revision_id_section_revision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_section_revision_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rebased_from_id'], ['section_revision.id'], name=op.f('fk_section_revision_rebased_from_id_section_revision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['section_id'], ['guideline_section.id'], name=op.f('fk_section_revision_section_id_guideline_section'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_section_revision')),
    sa.UniqueConstraint('section_id', 'number', name='uq_section_revision_section_number')
    )
    with op.batch_alter_table('section_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_section_revision_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_section_revision_section_status', ['section_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_section_revision_status'), ['status'], unique=False)

    op.create_table('guideline_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('paragraph', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.String(length=1000), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.Column('created_seq', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_guideline_comment_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_guideline_comment_hidden_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['guideline_comment.id'], name=op.f('fk_guideline_comment_parent_id_guideline_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_guideline_comment_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revision_id'], ['section_revision.id'], name=op.f('fk_guideline_comment_revision_id_section_revision'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guideline_comment'))
    )
    with op.batch_alter_table('guideline_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guideline_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guideline_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_guideline_comment_revision_seq', ['revision_id', 'seq'], unique=False)

    op.create_table('guideline_section_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['guideline_section.id'], name=op.f('fk_guideline_section_visit_section_id_guideline_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_guideline_section_visit_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guideline_section_visit')),
    sa.UniqueConstraint('user_id', 'section_id', name='uq_guideline_section_visit_user_section')
    )
    with op.batch_alter_table('guideline_section_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guideline_section_visit_section_id'), ['section_id'], unique=False)

    with op.batch_alter_table('guideline_section', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_guideline_section_current', 'section_revision', ['current_revision_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('guideline_section', schema=None) as batch_op:
        batch_op.drop_constraint('fk_guideline_section_current', type_='foreignkey')

    with op.batch_alter_table('guideline_section_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guideline_section_visit_section_id'))

    op.drop_table('guideline_section_visit')

    with op.batch_alter_table('guideline_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_guideline_comment_revision_seq')
        batch_op.drop_index(batch_op.f('ix_guideline_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_guideline_comment_author_id'))

    op.drop_table('guideline_comment')

    with op.batch_alter_table('section_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_section_revision_status'))
        batch_op.drop_index('ix_section_revision_section_status')
        batch_op.drop_index(batch_op.f('ix_section_revision_author_id'))

    op.drop_table('section_revision')

    with op.batch_alter_table('guideline_section', schema=None) as batch_op:
        batch_op.drop_index('ix_guideline_section_guideline_position')

    op.drop_table('guideline_section')

    op.drop_table('guideline')
