"""Notices to the people a moderation decision is about: in the app at once, by mail once
the decision has committed (the outbox runs ``tasks.queue_mail``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from participate import outbox
from participate.extensions import db
from participate.models import ModerationItem, ModerationNotice, User
from participate.moderation.content import content_excerpt
from participate.moderation.tasks import queue_mail
from participate.proposals.notifications import mark_moderation_read, notify_moderation
from participate.timeutil import utcnow


def notify(
    user_id: int | None,
    action: str,
    item: ModerationItem | None = None,
    reason: str | None = None,
    message: str = "",
    obj: Any = None,
    appealable: bool = False,
    now: datetime | None = None,
) -> ModerationNotice | None:
    """Tell ``user_id`` about a decision (``action`` keys ``labels.ACTION_TEXT``) inside the
    caller's transaction; the mail follows after the commit, never for a rolled-back one."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        return None
    notice = ModerationNotice(
        user_id=user_id,
        item_id=item.id if item is not None else None,
        action=action,
        reason=reason,
        message=message or "",
        content_type=item.content_type if item is not None else None,
        content_id=item.content_id if item is not None else None,
        excerpt=content_excerpt(obj) if obj is not None else "",
        appealable=appealable,
        created_at=now or utcnow(),
    )
    if user.email and user.is_verified:
        outbox.add(queue_mail)
    else:
        notice.emailed_at = now or utcnow()  # nothing to send
    db.session.add(notice)
    db.session.flush()
    notify_moderation(user_id, notice.id, action, notice.created_at)
    return notice


def mark_notices_read(user: User, now: datetime | None = None) -> None:
    """The person has seen their notices (the navigation count and their lines in the
    bell go away)."""
    at = now or utcnow()
    db.session.execute(
        db.update(ModerationNotice)
        .where(ModerationNotice.user_id == user.id, ModerationNotice.read_at.is_(None))
        .values(read_at=at)
    )
    mark_moderation_read(user.id, at)
