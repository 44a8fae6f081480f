"""What the moderation area holds about a person, for "download my data" and deletion.

Exported: the notices the person received and the appeals they wrote. On account deletion
their appeal texts are erased and their notices deleted; queue items and the audit log keep
only ids (the record that a decision happened stays, as the transparency page needs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from participate.extensions import db
from participate.models import Appeal, ModerationItem, ModerationNotice, User


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def personal_data(user: User) -> tuple[str, dict[str, Any]]:
    notices = db.session.scalars(
        select(ModerationNotice)
        .where(ModerationNotice.user_id == user.id)
        .order_by(ModerationNotice.id)
    )
    appeals = db.session.scalars(
        select(Appeal).where(Appeal.user_id == user.id).order_by(Appeal.id)
    )
    return "moderation", {
        "notices": [
            {
                "action": n.action,
                "reason": n.reason,
                "message": n.message,
                "content_type": n.content_type,
                "content_id": n.content_id,
                "created_at": _iso(n.created_at),
            }
            for n in notices
        ],
        "appeals": [{"text": a.text, "created_at": _iso(a.created_at)} for a in appeals],
        "suspended_until": _iso(user.suspended_until),
    }


def delete_personal_data(user: User) -> None:
    db.session.execute(delete(ModerationNotice).where(ModerationNotice.user_id == user.id))
    db.session.execute(update(Appeal).where(Appeal.user_id == user.id).values(text=""))
    review_ids = select(Appeal.review_item_id).where(Appeal.user_id == user.id)
    db.session.execute(
        update(ModerationItem).where(ModerationItem.id.in_(review_ids)).values(detail={})
    )
