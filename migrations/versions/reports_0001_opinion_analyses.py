"""opinion analyses: versioned analysis rows and the per-discussion scheduling state

Revision ID: reports_0001
Revises: discussion_0001
Create Date: 2026-11-27 07:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'reports_0001'
down_revision = "discussion_0001"
branch_labels = None
depends_on = None

STATUS = sa.Enum('queued', 'running', 'succeeded', 'failed', name='analysisstatus',
                 native_enum=False, length=32)


def upgrade():
    op.create_table('analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('discussion_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('last_vote_id', sa.Integer(), nullable=True),
    sa.Column('last_vote_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('vote_events', sa.Integer(), nullable=False),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('timings', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['discussion_id'], ['discussion.id'], name=op.f('fk_analysis_discussion_id_discussion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_analysis_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis')),
    sa.UniqueConstraint('discussion_id', 'version', name='uq_analysis_discussion_version')
    )
    with op.batch_alter_table('analysis', schema=None) as batch_op:
        batch_op.create_index('ix_analysis_discussion_status_version', ['discussion_id', 'status', 'version'], unique=False)

    op.create_table('analysis_state',
    sa.Column('discussion_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('running_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['discussion_id'], ['discussion.id'], name=op.f('fk_analysis_state_discussion_id_discussion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('discussion_id', name=op.f('pk_analysis_state'))
    )
    with op.batch_alter_table('analysis_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_state_scheduled_for'), ['scheduled_for'], unique=False)


def downgrade():
    with op.batch_alter_table('analysis_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_state_scheduled_for'))
    op.drop_table('analysis_state')
    with op.batch_alter_table('analysis', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_discussion_status_version')
    op.drop_table('analysis')
