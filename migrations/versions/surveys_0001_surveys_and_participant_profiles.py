"""surveys: questionnaires, sections, questions, participations, responses, answers; the optional participant profile

Revision ID: surveys_0001
Revises: regulations_0001
Create Date: 2026-11-30 16:29:49.759393

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'surveys_0001'
down_revision = 'regulations_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('participant_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('county', sa.String(length=3), nullable=True),
    sa.Column('indigenous', sa.Boolean(), nullable=False),
    sa.Column('hakka', sa.Boolean(), nullable=False),
    sa.Column('new_immigrant', sa.Boolean(), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_participant_profile_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_participant_profile'))
    )
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='surveystatus', native_enum=False, length=32), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('owner_agency_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('target_type', sa.String(length=16), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_survey_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], name=op.f('fk_survey_owner_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_owner_agency_id'), ['owner_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_status'), ['status'], unique=False)
        batch_op.create_index('ix_survey_target', ['target_type', 'target_id'], unique=False)

    op.create_table('survey_participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_participation_survey_id_survey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_participation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_participation')),
    sa.UniqueConstraint('survey_id', 'user_id', name=op.f('uq_survey_participation_survey_id'))
    )
    with op.batch_alter_table('survey_participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_participation_user_id'), ['user_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('county', sa.String(length=3), nullable=True),
    sa.Column('groups', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_response_survey_id_survey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_response_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('survey_id', 'user_id', name=op.f('uq_survey_response_survey_id'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_section_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_section')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_section_survey_id'))
    )
    op.create_table('survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single', 'multiple', 'likert', 'ranking', 'number', 'text', name='questionkind', native_enum=False, length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('help', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('show_if_question_id', sa.Integer(), nullable=True),
    sa.Column('show_if_options', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['section_id'], ['survey_section.id'], name=op.f('fk_survey_question_section_id_survey_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['show_if_question_id'], ['survey_question.id'], name=op.f('fk_survey_question_show_if_question_id_survey_question'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_question_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_question')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_question_survey_id'))
    )
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_question_section_id'), ['section_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], name=op.f('fk_survey_answer_question_id_survey_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], name=op.f('fk_survey_answer_response_id_survey_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_survey_answer'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_question_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_question_section_id'))

    op.drop_table('survey_question')
    op.drop_table('survey_section')
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_survey_id'))

    op.drop_table('survey_response')
    with op.batch_alter_table('survey_participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_participation_user_id'))

    op.drop_table('survey_participation')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_target')
        batch_op.drop_index(batch_op.f('ix_survey_status'))
        batch_op.drop_index(batch_op.f('ix_survey_owner_agency_id'))

    op.drop_table('survey')
    op.drop_table('participant_profile')
