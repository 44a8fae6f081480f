"""Appeals: the person a decision was about contests it once, within the appeal window
(``policy.can_appeal``); a different moderator than the first decider upholds or
overturns it (``policy.can_decide`` excludes the first)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Appeal,
    ContentStatus,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    User,
)
from participate.moderation.content import load_content
from participate.moderation.notices import notify
from participate.moderation.operations.common import (
    audit_item,
    change_visibility,
    clean_message,
    resolve,
)
from participate.moderation.queue import priority
from participate.timeutil import utcnow


def appeal(user: User, notice: ModerationNotice, text: str, now: datetime | None = None) -> Appeal:
    """The author contests a decision, once; it goes to the queue for another moderator."""
    now = now or utcnow()
    if not policy.can_appeal(user, notice, now):
        raise RuleError(_("This decision cannot be appealed (again)."), status=403)
    text = clean_message(
        text, field="text", empty=_l("Explain why the decision should be reconsidered.")
    )
    decided = db.session.get(ModerationItem, notice.item_id)
    if decided is None:
        raise RuleError(_("This decision cannot be appealed (again)."), status=404)
    entry = Appeal(item_id=decided.id, user_id=user.id, text=text, created_at=now)
    try:
        with savepoint():  # the same appeal sent twice at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("This decision cannot be appealed (again)."), status=409) from exc
    review = ModerationItem(
        kind=ItemKind.APPEAL,
        state=ItemState.OPEN,
        content_type=decided.content_type,
        content_id=decided.content_id,
        discussion_id=decided.discussion_id,
        subject_user_id=user.id,
        reason="appeal",
        detail={"text": text, "decision": decided.decision, "reason": decided.decision_reason},
        report_count=decided.report_count,
        priority=priority(ItemKind.APPEAL, 0),
        opened_at=now,
        excluded_moderator_id=decided.decided_by_id,
        appeal_of_id=decided.id,
    )
    db.session.add(review)
    db.session.flush()
    entry.review_item_id = review.id
    audit.record(
        user,
        "moderation.appeal",
        decided.content_type,
        decided.content_id,
        None,
        item_id=decided.id,
        appeal_item_id=review.id,
    )
    return entry


def decide_appeal(
    actor: User, item: ModerationItem, action: str, message: str, now: datetime
) -> ModerationItem:
    """Uphold, or overturn: the first decision is reversed (content shown or hidden again,
    a suspension lifted). The caller checked that ``actor`` may decide ``item``."""
    if action not in ("uphold", "overturn"):
        raise RuleError(_("Choose to uphold or overturn the decision."), field="action")
    original = item.appeal_of
    obj = load_content(item.content_type, item.content_id)
    if action == "overturn" and original is not None:
        if original.decision in ("hide", "reject"):
            change_visibility(actor, obj, ContentStatus.VISIBLE, "appeal")
        elif original.decision == "restore":
            change_visibility(actor, obj, ContentStatus.HIDDEN, "appeal")
        elif original.decision == "suspend" and isinstance(obj, User):
            obj.suspended_until = None
    resolve(item, actor, action, None, message, now)
    audit_item(
        actor,
        f"appeal_{action}",
        item,
        None,
        message=message,
        original_decision=original.decision if original else None,
    )
    notify(
        item.subject_user_id,
        "appeal_overturned" if action == "overturn" else "appeal_upheld",
        item,
        None,
        message,
        obj,
        now=now,
    )
    return item
