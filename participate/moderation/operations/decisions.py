"""Decisions on queue items: hide, restore, reject with a published reason, dismiss, one
item or many at once, and proposals (accept, ask for changes, reject) through the
proposals area's own operations. Taking an item (claim) so two moderators do not work on
the same one. Each decision resolves the item, is audited, and tells the author."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ContentStatus, ItemKind, ModerationItem, Proposal, User
from participate.moderation.content import HIDEABLE_TYPES, content_author_id, load_content
from participate.moderation.labels import EXCLUSION_REASONS
from participate.moderation.notices import notify
from participate.moderation.operations.appeals import decide_appeal
from participate.moderation.operations.common import (
    audit_item,
    change_visibility,
    clean_message,
    require_decider,
    resolve,
)
from participate.moderation.operations.suspensions import suspend_account

# The proposals area's review operations, as named today (-> proposals.operations).
from participate.proposals import operations as proposal_operations
from participate.timeutil import utcnow

DECISIONS = ("hide", "restore", "reject", "dismiss", "approve", "request_edit", "suspend")
BULK_DECISIONS = ("hide", "restore", "reject", "dismiss")
BULK_MAX = 200


def _apply(
    actor: Any,
    item: ModerationItem,
    action: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> None:
    """One decision on one content item (shared by single and bulk decisions)."""
    obj = load_content(item.content_type, item.content_id)
    if obj is None:
        raise RuleError(_("The content no longer exists."), status=404)
    if action in ("hide", "reject"):
        if item.content_type not in HIDEABLE_TYPES:
            raise RuleError(_("That decision does not apply to this item."), status=409)
        if action == "reject" and reason not in EXCLUSION_REASONS:
            raise RuleError(_("Choose one of the published reasons."), field="reason")
        change_visibility(actor, obj, ContentStatus.HIDDEN, reason or action)
        resolve(item, actor, action, reason, message, now)
        audit_item(actor, action, item, reason, message=message)
        notify(content_author_id(obj), action, item, reason, message, obj, appealable=True, now=now)
    elif action == "restore":
        if item.content_type not in HIDEABLE_TYPES:
            raise RuleError(_("That decision does not apply to this item."), status=409)
        changed = change_visibility(actor, obj, ContentStatus.VISIBLE, reason or "restore")
        resolve(item, actor, "restore", reason, message, now)
        audit_item(actor, "restore", item, reason, message=message)
        # The author hears back when their content was hidden or held, not when reports
        # on visible content are merely set aside.
        if changed:
            notify(content_author_id(obj), "restore", item, reason, message, obj, now=now)
    elif action == "dismiss":
        resolve(item, actor, "dismiss", reason, message, now)
        audit_item(actor, "dismiss", item, reason, message=message)
    else:
        raise RuleError(_("Unknown decision."), field="action")


def decide(
    actor: User,
    item: ModerationItem,
    action: str,
    reason: str | None = None,
    message: str = "",
    now: datetime | None = None,
) -> ModerationItem:
    """The decision on one queue item: content, an account (suspend or dismiss), a
    proposal in review (the proposals area's operations) or an appeal."""
    now = now or utcnow()
    require_decider(actor, item)
    message = clean_message(message)
    reason = reason or None
    if item.kind == ItemKind.APPEAL:
        return decide_appeal(actor, item, action, message, now)
    if item.kind == ItemKind.PROPOSAL:
        return _decide_proposal(actor, item, action, reason, message, now)
    if item.content_type == "user":
        if action == "suspend":
            user = db.session.get(User, item.content_id)
            if user is None:
                raise RuleError(_("The account no longer exists."), status=404)
            resolve(item, actor, "suspend", reason, message, now)
            audit_item(actor, "resolve", item, reason, decision="suspend")
            suspend_account(actor, user, None, reason or "manual", message, now)
            return item
        if action != "dismiss":
            raise RuleError(_("That decision does not apply to this item."), field="action")
    if item.content_type == "proposal" and action not in ("dismiss",):
        raise RuleError(_("That decision does not apply to this item."), field="action")
    _apply(actor, item, action, reason, message, now)
    return item


def _decide_proposal(
    actor: User,
    item: ModerationItem,
    action: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> ModerationItem:
    """The one review of a proposal: the queue item is resolved and the proposals area's
    operation changes its status and tells the author, in the same transaction."""
    proposal = db.session.get(Proposal, item.content_id)
    if proposal is None:
        raise RuleError(_("The proposal no longer exists."), status=404)
    if action not in ("approve", "request_edit", "reject"):
        raise RuleError(_("That decision does not apply to this item."), field="action")
    if action == "reject" and reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if action == "request_edit" and not message:
        raise RuleError(_("Tell the author what to change."), field="message")
    resolve(item, actor, action, reason, message, now)
    audit_item(actor, action, item, reason, message=message)
    if action == "approve":
        proposal_operations.accept_proposal(actor, proposal, now)
    elif action == "request_edit":
        proposal_operations.request_changes(actor, proposal, message, now)
    else:
        proposal_operations.reject_proposal(actor, proposal, reason or "", message, now)
    return item


def claim(actor: User, item: ModerationItem, release: bool = False) -> None:
    """Take an item (or give it back) so two moderators do not work on the same one."""
    if not policy.can_decide(actor, item):
        raise RuleError(_("You may not moderate this."), status=403)
    item.assigned_to_id = None if release else actor.id
    db.session.flush()
    audit.record(
        actor,
        "moderation.release" if release else "moderation.claim",
        item.content_type,
        item.content_id,
        None,
        item_id=item.id,
    )


def hide(actor: User, item: ModerationItem, reason: str | None = None, message: str = "") -> Any:
    return decide(actor, item, "hide", reason, message)


def restore(actor: User, item: ModerationItem, message: str = "") -> Any:
    return decide(actor, item, "restore", None, message)


def reject(actor: User, item: ModerationItem, reason: str, message: str = "") -> Any:
    return decide(actor, item, "reject", reason, message)


def dismiss(actor: User, item: ModerationItem) -> Any:
    return decide(actor, item, "dismiss")


def approve_proposal(actor: User, item: ModerationItem) -> Any:
    return decide(actor, item, "approve")


def request_edit(actor: User, item: ModerationItem, message: str) -> Any:
    return decide(actor, item, "request_edit", None, message)


@dataclass
class BulkResult:
    done: int
    skipped: list[int]


def bulk_decide(
    actor: User,
    item_ids: Sequence[int],
    action: str,
    reason: str | None = None,
    message: str = "",
    now: datetime | None = None,
) -> BulkResult:
    """Hide, restore, reject or dismiss many content items in one transaction. Items the
    actor may not decide, already decided ones and proposals are skipped and listed."""
    now = now or utcnow()
    if action not in BULK_DECISIONS:
        raise RuleError(_("Choose a decision for the selected items."), field="action")
    if action == "reject" and reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if not policy.can_see_queue(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    message = clean_message(message)
    ids = sorted({int(i) for i in item_ids})[:BULK_MAX]
    if not ids:
        raise RuleError(_("Select at least one item."), field="items")
    items = db.session.scalars(select(ModerationItem).where(ModerationItem.id.in_(ids))).all()
    if not any(policy.can_moderate_item(actor, i) for i in items):
        raise RuleError(_("You may not moderate this."), status=403)
    done, skipped = 0, []
    found = {i.id for i in items}
    skipped.extend(i for i in ids if i not in found)
    for item in items:
        applicable = item.content_type in HIDEABLE_TYPES or action == "dismiss"
        if (
            not policy.can_decide(actor, item)
            or item.kind in (ItemKind.APPEAL, ItemKind.PROPOSAL)
            or not applicable
        ):
            skipped.append(item.id)
            continue
        _apply(actor, item, action, reason, message, now)
        done += 1
    return BulkResult(done, sorted(skipped))
