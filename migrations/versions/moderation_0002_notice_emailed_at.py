"""moderation: notices are mailed after the decision commits (emailed_at marks sent)

Revision ID: moderation_0002
Revises: moderation_0001
Create Date: 2026-11-27 08:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "moderation_0002"
down_revision = "moderation_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("moderation_notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("moderation_notice", schema=None) as batch_op:
        batch_op.drop_column("emailed_at")
