"""The moderation queue's items: one open item per piece of content and kind, opened by
the other areas' operations through the functions here (a proposal submitted for review,
content held by screening) and decided by moderation's operations.

Nothing here commits or decides: it finds, opens and describes items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    Discussion,
    ItemKind,
    ItemState,
    ModerationItem,
    Proposal,
    Reply,
    Statement,
    User,
)
from participate.timeutil import aware, utcnow

KIND_WEIGHT = {
    ItemKind.APPEAL: 40,
    ItemKind.REPORT: 30,
    ItemKind.HELD: 20,
    ItemKind.PROPOSAL: 10,
    ItemKind.ACCOUNT: 5,
}


def load_content(content_type: str, content_id: int) -> Any:
    model = {"statement": Statement, "reply": Reply, "proposal": Proposal, "user": User}.get(
        content_type
    )
    return db.session.get(model, content_id) if model is not None else None


def content_author_id(obj: Any) -> int | None:
    if isinstance(obj, User):
        return obj.id
    return getattr(obj, "author_id", None)


def content_excerpt(obj: Any, length: int = 120) -> str:
    if isinstance(obj, Statement):
        text = obj.text
    elif isinstance(obj, Reply):
        text = obj.body
    elif isinstance(obj, Proposal):
        text = obj.title
    elif isinstance(obj, User):
        text = obj.display_name
    else:
        text = ""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def content_discussion_id(obj: Any) -> int | None:
    if isinstance(obj, Statement):
        return obj.discussion_id
    if isinstance(obj, Reply):
        return db.session.scalar(
            select(Statement.discussion_id).where(Statement.id == obj.statement_id)
        )
    if isinstance(obj, Proposal):
        return db.session.scalar(select(Discussion.id).where(Discussion.proposal_id == obj.id))
    return None


def _priority(kind: ItemKind, report_count: int) -> int:
    return KIND_WEIGHT.get(kind, 0) + 10 * min(report_count, 10)


def open_item(content_type: str, content_id: int, kind: ItemKind) -> ModerationItem | None:
    return db.session.scalar(
        select(ModerationItem).where(
            ModerationItem.content_type == content_type,
            ModerationItem.content_id == content_id,
            ModerationItem.kind == kind,
            ModerationItem.state == ItemState.OPEN,
        )
    )


def ensure_item(
    kind: ItemKind,
    obj: Any,
    content_type: str,
    reason: str,
    now: datetime | None = None,
    **detail: Any,
) -> ModerationItem:
    """The open item of this kind for this content, created when missing."""
    found = open_item(content_type, obj.id, kind)
    if found is not None:
        if detail:
            found.detail = {**(found.detail or {}), **detail}
        return found
    item = ModerationItem(
        kind=kind,
        state=ItemState.OPEN,
        content_type=content_type,
        content_id=obj.id,
        discussion_id=content_discussion_id(obj),
        subject_user_id=content_author_id(obj),
        reason=reason,
        detail=detail,
        report_count=0,
        priority=_priority(kind, 0),
        opened_at=now or utcnow(),
    )
    db.session.add(item)
    return item


def open_proposal_review(proposal: Proposal, now: datetime | None = None) -> ModerationItem:
    """A submitted proposal waits in the queue; its waiting time starts at submission. What
    screening finds (banned words, many links) is noted on the item to guide the review."""
    from participate.moderation.screening import banned_match, count_links

    submitted = aware(proposal.submitted_at) or now or utcnow()
    item = ensure_item(ItemKind.PROPOSAL, proposal, "proposal", "proposal_review", submitted)
    text = "\n".join([proposal.title or "", proposal.summary or "", proposal.problem or ""])
    flags = []
    if banned_match(text) is not None:
        flags.append("banned_term")
    if count_links(text) >= 5:
        flags.append("links")
    if flags and not (item.detail or {}).get("flags"):
        item.detail = {**(item.detail or {}), "flags": flags}
        item.priority = (item.priority or 0) + 15
    return item
