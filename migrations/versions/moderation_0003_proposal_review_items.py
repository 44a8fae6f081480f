"""moderation: every proposal waiting for review has its queue item (data only)

The moderation queue is the one review surface for proposals: submitting opens the item
(``moderation.queue.open_proposal_review``). Proposals that entered review before that
(when a flush listener and a repair on every queue page opened the items) get theirs here,
once, instead of on a GET: reason "proposal_review", waiting since the proposal's
submission, at the queue's weight for proposals.

Revision ID: moderation_0003
Revises: api_0001
Create Date: 2026-12-02 10:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "moderation_0003"
down_revision = "api_0001"
branch_labels = None
depends_on = None

# moderation.queue.KIND_WEIGHT[ItemKind.PROPOSAL], as of this revision (a migration keeps
# its own copy: the application's constant may change later).
PROPOSAL_WEIGHT = 10

proposal = sa.table(
    "proposal",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("author_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
)
discussion = sa.table(
    "discussion",
    sa.column("id", sa.Integer),
    sa.column("proposal_id", sa.Integer),
)
item = sa.table(
    "moderation_item",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("state", sa.String),
    sa.column("content_type", sa.String),
    sa.column("content_id", sa.Integer),
    sa.column("discussion_id", sa.Integer),
    sa.column("subject_user_id", sa.Integer),
    sa.column("reason", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("report_count", sa.Integer),
    sa.column("priority", sa.Integer),
    sa.column("opened_at", sa.DateTime(timezone=True)),
)


def upgrade():
    bind = op.get_bind()
    has_open_item = (
        sa.select(item.c.id)
        .where(
            item.c.content_type == "proposal",
            item.c.content_id == proposal.c.id,
            item.c.kind == "proposal",
            item.c.state == "open",
        )
        .exists()
    )
    waiting = bind.execute(
        sa.select(
            proposal.c.id,
            proposal.c.author_id,
            proposal.c.submitted_at,
            discussion.c.id.label("discussion_id"),
        )
        .select_from(proposal.outerjoin(discussion, discussion.c.proposal_id == proposal.c.id))
        .where(proposal.c.status == "in_review", ~has_open_item)
        .order_by(proposal.c.id)
    ).all()
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "proposal",
            "state": "open",
            "content_type": "proposal",
            "content_id": row.id,
            "discussion_id": row.discussion_id,
            "subject_user_id": row.author_id,
            "reason": "proposal_review",
            "detail": {},
            "report_count": 0,
            "priority": PROPOSAL_WEIGHT,
            "opened_at": row.submitted_at or now,
        }
        for row in waiting
    ]
    if rows:
        bind.execute(sa.insert(item), rows)


def downgrade():
    # Nothing to undo: the items are ordinary queue items (some may have been decided
    # since), and the code before this revision opened the same items on its own.
    pass
