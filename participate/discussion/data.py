"""What the discussion holds about a person, for "download my data".

On account deletion nothing here changes: statements, replies and votes stay (the
conversation keeps its shape and its numbers) and are shown as by "deleted user", because
the account's display name is erased (``User.public_name`` is then empty).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import Reply, Report, Statement, User, Vote, VoteHistory


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def personal_data(user: User) -> tuple[str, dict[str, Any]]:
    statements = db.session.scalars(
        select(Statement).where(Statement.author_id == user.id).order_by(Statement.id)
    )
    replies = db.session.scalars(select(Reply).where(Reply.author_id == user.id).order_by(Reply.id))
    votes = db.session.execute(
        select(Vote.statement_id, Vote.value, Vote.updated_at)
        .where(Vote.participant_id == user.id)
        .order_by(Vote.id)
    )
    history = db.session.execute(
        select(VoteHistory.statement_id, VoteHistory.value, VoteHistory.created_at)
        .where(VoteHistory.participant_id == user.id)
        .order_by(VoteHistory.id)
    )
    reports = db.session.scalars(
        select(Report).where(Report.reporter_id == user.id).order_by(Report.id)
    )
    return "discussion", {
        "statements": [
            {
                "id": s.id,
                "discussion_id": s.discussion_id,
                "text": s.text,
                "created_at": _iso(s.created_at),
                "status": s.status.value,
            }
            for s in statements
        ],
        "replies": [
            {
                "id": r.id,
                "statement_id": r.statement_id,
                "body": r.body,
                "created_at": _iso(r.created_at),
                "edited_at": _iso(r.edited_at),
                "deleted_at": _iso(r.deleted_at),
            }
            for r in replies
        ],
        "votes": [
            {"statement_id": sid, "value": value, "at": _iso(at)} for sid, value, at in votes
        ],
        "vote_history": [
            {"statement_id": sid, "value": value, "at": _iso(at)} for sid, value, at in history
        ],
        "reports": [
            {
                "content_type": r.content_type,
                "content_id": r.content_id,
                "reason": r.reason.value,
                "text": r.text,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
    }
