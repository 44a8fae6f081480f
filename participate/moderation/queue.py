"""The moderation queue's items, and the calls that put things into it.

Other areas' operations call these explicitly, inside their own transaction (nothing
listens to the session):

- :func:`hold` — discussion's operations, when screening holds a statement or reply;
- :func:`sync_reports` — after a report is written (discussion's ``report``, moderation's
  ``report_proposal``): the report item is brought up to date and the content is hidden
  automatically at the threshold;
- :func:`flag_display_name` — registration, when the chosen display name has a banned word;
- :func:`open_proposal_review` — proposals' submit: the proposal waits here for review.

One open item per piece of content and kind. Nothing here commits; decisions are
moderation's operations.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from participate import audit
from participate.discussion.visibility import set_status
from participate.extensions import db
from participate.models import (
    ContentStatus,
    ItemKind,
    ItemState,
    ModerationItem,
    Proposal,
    RegulationComment,
    Reply,
    Report,
    Role,
    Statement,
    User,
)
from participate.moderation.content import (  # noqa: F401 - the queue's content helpers
    content_author_id,
    content_discussion_id,
    content_excerpt,
    load_content,
)
from participate.moderation.notices import notify
from participate.moderation.screening import banned_match, count_links
from participate.moderation.settings import cfg
from participate.regulations.visibility import set_comment_status
from participate.timeutil import aware, utcnow

KIND_WEIGHT = {
    ItemKind.APPEAL: 40,
    ItemKind.REPORT: 30,
    ItemKind.HELD: 20,
    ItemKind.PROPOSAL: 10,
    ItemKind.ACCOUNT: 5,
}


def priority(kind: ItemKind, report_count: int) -> int:
    """Urgency in the queue: the kind's weight, more for each distinct reporter (capped)."""
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
    """The open item of this kind for this content, created when missing (``obj`` must
    have its id: call after the flush that wrote it)."""
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
        priority=priority(kind, 0),
        opened_at=now or utcnow(),
    )
    db.session.add(item)
    return item


def hold(
    obj: Statement | Reply, kind: str, reason: str, now: datetime | None = None
) -> ModerationItem:
    """Screening held ``obj`` (written HIDDEN by the caller): it waits for a moderator,
    and a young author's account gets a look too."""
    item = ensure_item(ItemKind.HELD, obj, kind, reason, now)
    flag_new_account(obj.author_id, reason, now)
    return item


def flag_new_account(user_id: int | None, reason: str, now: datetime | None = None) -> None:
    """Put a young citizen account whose content was held or reported into the queue, once."""
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.CITIZEN:
        return
    created = aware(user.created_at)
    hours = int(cfg("MODERATION_FLAG_ACCOUNT_HOURS"))
    if not hours or created is None or (now or utcnow()) - created > timedelta(hours=hours):
        return
    if open_item("user", user.id, ItemKind.ACCOUNT) is None:
        ensure_item(ItemKind.ACCOUNT, user, "user", reason, now)


def flag_display_name(user: User, now: datetime | None = None) -> ModerationItem | None:
    """A new account whose display name has a banned word waits for a moderator's look
    (the account works meanwhile). Call after the flush that gave ``user`` its id."""
    if not user.display_name or banned_match(user.display_name) is None:
        return None
    return ensure_item(ItemKind.ACCOUNT, user, "user", "banned_term", now)


def open_proposal_review(proposal: Proposal, now: datetime | None = None) -> ModerationItem:
    """A submitted proposal waits in the queue; its waiting time starts at submission. What
    screening finds (banned words, many links) is noted on the item to guide the review."""
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


def sync_reports(content_type: str, content_id: int, now: datetime | None = None) -> bool:
    """Bring the report item of one piece of content up to date, and hide a statement or
    reply once ``MODERATION_REPORT_THRESHOLD`` distinct people reported it. Idempotent.
    Reports filed before a moderator's restore (or dismissal) do not count again. True
    when this call hid the content."""
    now = now or utcnow()
    obj = load_content(content_type, content_id)
    if obj is None:
        return False
    last_restore = db.session.scalar(
        select(func.max(ModerationItem.decided_at)).where(
            ModerationItem.content_type == content_type,
            ModerationItem.content_id == content_id,
            ModerationItem.decision.in_(["restore", "dismiss", "overturn"]),
        )
    )
    query = select(Report.reporter_id, Report.reason).where(
        Report.content_type == content_type, Report.content_id == content_id
    )
    if last_restore is not None:
        query = query.where(Report.created_at > last_restore)
    rows = db.session.execute(query).all()
    if not rows:
        return False
    reporters = {r.reporter_id for r in rows if r.reporter_id is not None}
    reasons: dict[str, int] = {}
    for r in rows:
        key = getattr(r.reason, "value", r.reason)
        reasons[key] = reasons.get(key, 0) + 1
    item = ensure_item(ItemKind.REPORT, obj, content_type, "reports", now)
    item.report_count = len(reporters)
    item.priority = priority(ItemKind.REPORT, len(reporters))
    item.detail = {**(item.detail or {}), "reasons": reasons}
    threshold = int(cfg("MODERATION_REPORT_THRESHOLD"))
    if not (
        threshold
        and len(reporters) >= threshold
        and isinstance(obj, Statement | Reply | RegulationComment)
        and obj.status == ContentStatus.VISIBLE
    ):
        return False
    if isinstance(obj, RegulationComment):
        set_comment_status(None, obj, ContentStatus.HIDDEN, "reports")
    else:
        set_status(None, obj, ContentStatus.HIDDEN, "reports")
    item.detail = {**item.detail, "auto_hidden": True}
    db.session.flush()
    audit.record(
        None,
        "moderation.auto_hide",
        content_type,
        content_id,
        "reports",
        item_id=item.id,
        reports=len(reporters),
    )
    notify(content_author_id(obj), "auto_hide", item, "reports", "", obj, now=now)
    flag_new_account(content_author_id(obj), "reports", now)
    return True
