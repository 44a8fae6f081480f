"""What the moderation operations share: the decider check, resolving an item, its audit
entry, the moderator's message, and showing or hiding content through the discussion's one
visibility transition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from participate import audit, policy
from participate.discussion.operations import set_status
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ContentStatus,
    Discussion,
    ItemKind,
    ItemState,
    ModerationItem,
    RegulationComment,
    Reply,
    Statement,
)
from participate.regulations.visibility import set_comment_status
from participate.text import Message, accept_text

MESSAGE_MAX = 2000


def clean_message(message: str | None, field: str = "message", empty: Message | None = None) -> str:
    """The moderator's (or appellant's) words as stored (``text.accept_text``: optional,
    unless ``empty`` gives the message for a missing one); refused when too long."""
    text = accept_text(message, field, multiline=True, required=empty is not None, empty=empty)
    if len(text) > MESSAGE_MAX:
        raise RuleError(
            _("Keep the message under %(max)d characters.", max=MESSAGE_MAX), field=field
        )
    return text


def discussion(discussion_id: int | None) -> Discussion | None:
    return db.session.get(Discussion, discussion_id) if discussion_id else None


def require_decider(actor: Any, item: ModerationItem) -> None:
    """``policy.can_decide``, with a message for each way it can fail."""
    if not policy.can_moderate_item(actor, item):
        raise RuleError(_("You may not moderate this."), status=403)
    if not item.is_open:
        raise RuleError(_("This item was already decided."), status=409)
    if not policy.can_decide(actor, item):
        raise RuleError(
            _("An appeal must be decided by a different moderator than the first decision."),
            status=403,
        )


def resolve(
    item: ModerationItem,
    actor: Any,
    decision: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> None:
    """Close ``item`` with the decision; other open report and held items on the same
    content are settled by it too (an appeal settles only itself)."""
    item.state = ItemState.RESOLVED
    item.decision = decision
    item.decision_reason = reason
    item.decision_message = message or None
    item.decided_by_id = actor.id
    item.decided_at = now
    if item.kind == ItemKind.APPEAL:
        return
    for other in db.session.scalars(
        select(ModerationItem).where(
            ModerationItem.content_type == item.content_type,
            ModerationItem.content_id == item.content_id,
            ModerationItem.state == ItemState.OPEN,
            ModerationItem.kind.in_([ItemKind.REPORT, ItemKind.HELD]),
            ModerationItem.id != item.id,
        )
    ):
        other.state = ItemState.RESOLVED
        other.decision = decision
        other.decided_by_id = actor.id
        other.decided_at = now


def audit_item(
    actor: Any, action: str, item: ModerationItem, reason: str | None, **detail: Any
) -> None:
    """The audit entry of a decision on ``item`` (``moderation.<action>``)."""
    audit.record(
        actor,
        f"moderation.{action}",
        item.content_type,
        item.content_id,
        reason,
        item_id=item.id,
        kind=item.kind.value,
        **detail,
    )


def change_visibility(actor: Any, obj: Any, status: ContentStatus, reason: str | None) -> bool:
    """Show or hide a statement or reply through ``discussion.operations.set_status``, a
    comment on a draft regulation through ``regulations.visibility.set_comment_status``
    (both ask the policy and queue the fresh analysis); False when ``obj`` is not content
    or already has that status (confirming an automatic hide is no change)."""
    if not isinstance(obj, Statement | Reply | RegulationComment) or obj.status == status:
        return False
    if isinstance(obj, RegulationComment):
        set_comment_status(actor, obj, status, reason)
    else:
        set_status(actor, obj, status, reason)
    return True
