"""What the draft regulations area holds about a person, for "download my data".

On account deletion nothing here changes: comments and their agree/disagree votes stay
(the response table answers them) and are shown as by "deleted user", because the
account's display name is erased.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import RegulationComment, RegulationCommentVote, User


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def personal_data(user: User) -> tuple[str, dict[str, Any]]:
    comments = db.session.scalars(
        select(RegulationComment)
        .where(RegulationComment.author_id == user.id)
        .order_by(RegulationComment.id)
    )
    votes = db.session.execute(
        select(
            RegulationCommentVote.comment_id,
            RegulationCommentVote.value,
            RegulationCommentVote.updated_at,
        )
        .where(RegulationCommentVote.user_id == user.id)
        .order_by(RegulationCommentVote.id)
    )
    return "regulations", {
        "comments": [
            {
                "id": c.id,
                "draft_id": c.draft_id,
                "article_id": c.article_id,
                "parent_id": c.parent_id,
                "body": c.body,
                "created_at": _iso(c.created_at),
                "deleted_at": _iso(c.deleted_at),
                "status": c.status.value,
            }
            for c in comments
        ],
        "votes": [
            {"comment_id": cid, "value": value, "updated_at": _iso(at)} for cid, value, at in votes
        ],
    }
