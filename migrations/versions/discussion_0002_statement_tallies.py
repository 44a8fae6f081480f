"""discussion: statement tallies, the votes not yet folded into a statement's counters

On PostgreSQL a vote moves its voter's shard row here instead of the statement's counters
(the statement's row was a lock every voter of a popular statement queued for); a job
folds the rows into the counters. Existing counters stay as they are: the table starts
empty.

Revision ID: discussion_0002
Revises: identity_0001
Create Date: 2026-12-01 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "discussion_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_tally",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("agree_count", sa.Integer(), nullable=False),
        sa.Column("disagree_count", sa.Integer(), nullable=False),
        sa.Column("pass_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_statement_tally_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "shard", name=op.f("pk_statement_tally")),
    )


def downgrade() -> None:
    op.drop_table("statement_tally")
