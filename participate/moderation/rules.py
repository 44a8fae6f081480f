"""Moderation rules: who may moderate what, and one function per moderator action.

Every action checks its permission predicate again (views check first to show buttons),
writes in one transaction, records an append-only audit entry (who, what, which item,
reason) through :func:`participate.audit.record`, notifies the author, and commits.

Content visibility has two states in the discussion model (VISIBLE/HIDDEN); this module
changes it only through :func:`_set_visibility`, which applies the same transition table as
``discussion.rules.set_status`` but does not commit, so a bulk decision is one transaction
and an automatic hide can run inside the reporter's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Appeal,
    BannedTerm,
    ContentStatus,
    Discussion,
    DiscussionModeration,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    Proposal,
    ProposalKind,
    RejectionReason,
    Reply,
    Report,
    Role,
    Statement,
    ThreadLock,
    User,
)
from participate.moderation.queue import (  # noqa: F401 - re-exported for callers
    KIND_WEIGHT,
    _priority,
    content_author_id,
    content_discussion_id,
    content_excerpt,
    ensure_item,
    load_content,
    open_item,
)
from participate.moderation.settings import cfg
from participate.policy import (  # noqa: F401 - re-exported for callers
    can_appeal,
    can_decide,
    can_manage_site,
    can_moderate,
    can_moderate_item,
    can_see_queue,
    can_suspend,
)
from participate.policy import is_active as _active
from participate.timeutil import aware, utcnow

__all__ = [
    "RuleError",
    "PERMANENT",
    "EXCLUSION_REASONS",
    "can_moderate",
    "can_moderate_item",
    "can_suspend",
    "can_manage_site",
    "can_decide",
    "can_appeal",
    "hide",
    "restore",
    "reject",
    "request_edit",
    "approve_proposal",
    "dismiss",
    "claim",
    "decide",
    "bulk_decide",
    "lock",
    "unlock",
    "suspend",
    "unsuspend",
    "appeal",
    "set_premoderation",
    "add_banned_term",
    "remove_banned_term",
    "mark_notices_read",
]

# "Permanent" suspensions end in a distant year, so ``User.is_suspended`` needs no change.
PERMANENT = datetime(2999, 12, 31, tzinfo=UTC)
# The published exclusion reasons (the same list proposals are rejected with).
EXCLUSION_REASONS: dict[str, Any] = {
    RejectionReason.ABUSIVE.value: _l("Threats, obscenity, defamation or insults"),
    RejectionReason.INFRINGES_RIGHTS.value: _l("Infringes the rights of others"),
    RejectionReason.DISCRIMINATION.value: _l("Discrimination or hate"),
    RejectionReason.IN_COURT.value: _l("A matter before the courts"),
    RejectionReason.UNCLEAR.value: _l("Unclear or purely personal"),
    RejectionReason.OUTSIDE_REMIT.value: _l("Outside the government's remit"),
    RejectionReason.COMMERCIAL.value: _l("Advertising or commercial content"),
    RejectionReason.DUPLICATE.value: _l("Duplicate or spam"),
}
REASON_LABELS: dict[str, Any] = {
    "reports": _l("Reported by participants"),
    "premoderation": _l("Pre-moderation"),
    "banned_term": _l("Banned word"),
    "links": _l("Many links"),
    "new_account": _l("New account"),
    "flood_similar": _l("Same text from several accounts"),
    "proposal_review": _l("Proposal waiting for review"),
    "appeal": _l("Appeal against a decision"),
    "manual": _l("Moderator's decision"),
}
CONTENT_TYPES = ("statement", "reply", "proposal", "user")
MESSAGE_MAX = 2000


# --- Predicates -------------------------------------------------------------------------


def discussion_agency_ids(discussion_id: int | None) -> set[int]:
    """The agencies responsible for the consultation a discussion belongs to (none for
    citizens' proposals: only moderators moderate those)."""
    discussion = db.session.get(Discussion, discussion_id) if discussion_id else None
    if discussion is None or discussion.proposal.kind != ProposalKind.CONSULTATION:
        return set()
    return policy.agencies_of(discussion.proposal)


def _discussion(discussion_id: int | None) -> Discussion | None:
    return db.session.get(Discussion, discussion_id) if discussion_id else None


# --- Content helpers --------------------------------------------------------------------


def _set_visibility(obj: Any, status: ContentStatus) -> bool:
    """Hide or restore a statement or reply; False when it already had that status."""
    if not isinstance(obj, Statement | Reply):
        return False
    if obj.status == status:
        return False
    obj.status = status
    if isinstance(obj, Statement) and has_request_context():
        # The opinion report counts only visible statements: ask for a fresh analysis once
        # this request has committed (see views._after_request).
        from flask import g

        g.setdefault("moderation_reanalyse", set()).add(obj.discussion_id)
    return True


# --- Notices ----------------------------------------------------------------------------

ACTION_TEXT: dict[str, Any] = {
    "hide": _l("A moderator hid your contribution."),
    "reject": _l("A moderator removed your contribution."),
    "restore": _l("Your contribution is shown again."),
    "held": _l("Your contribution waits for a moderator's review."),
    "auto_hide": _l(
        "Your contribution was hidden after several reports; a moderator will review it."
    ),
    "suspend": _l("Your account is suspended."),
    "unsuspend": _l("Your account's suspension was lifted."),
    "lock": _l("A discussion you took part in was locked."),
    "appeal_upheld": _l("Your appeal was reviewed; the decision stands."),
    "appeal_overturned": _l("Your appeal was accepted; the decision was reversed."),
    "alert": _l("The moderation queue needs attention."),
    "edit_request": _l("A moderator asked you to change your proposal."),
}


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
    """An in-app notice and an email, inside the caller's transaction."""
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
    if not (user.email and user.is_verified):
        notice.emailed_at = now or utcnow()  # nothing to send
    db.session.add(notice)
    mail_due()
    return notice


def mail_due() -> None:
    """Remember that notices wait for mail; :func:`deliver_mail` runs after the commit
    (at the end of the request, or from the periodic task), so a slow or failing mail
    server never breaks or delays a decision or a report."""
    db.session.info["moderation_mail_due"] = True
    if has_request_context():
        from flask import g

        g.moderation_mail_due = True


def deliver_mail(limit: int = 200) -> int:
    """Send the mail of notices not yet mailed; each one is marked in its own commit."""
    import logging

    sent = 0
    rows = db.session.scalars(
        select(ModerationNotice)
        .where(ModerationNotice.emailed_at.is_(None))
        .order_by(ModerationNotice.id)
        .limit(limit)
    ).all()
    for notice in rows:
        user = db.session.get(User, notice.user_id)
        try:
            if user is not None and user.email and user.deleted_at is None:
                _mail_notice(user, notice)
            notice.emailed_at = utcnow()
            db.session.commit()
            sent += 1
        except Exception:  # noqa: BLE001 - retried by the periodic task
            logging.getLogger(__name__).exception("moderation mail for notice %s", notice.id)
            db.session.rollback()
    return sent


def reason_label(reason: str | None) -> str:
    if not reason:
        return ""
    label = EXCLUSION_REASONS.get(reason) or REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


def _mail_notice(user: User, notice: ModerationNotice) -> None:
    from participate.mail import send_mail

    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hant_TW")
    with force_locale(locale):
        lines = [str(ACTION_TEXT.get(notice.action, notice.action))]
        if notice.excerpt:
            lines.append(_("Concerning: %(excerpt)s", excerpt=notice.excerpt))
        if notice.reason:
            lines.append(_("Reason: %(reason)s", reason=reason_label(notice.reason)))
        if notice.message:
            lines.append(_("Message from the moderators: %(message)s", message=notice.message))
        link = current_app.config.get("BASE_URL", "").rstrip("/") + "/moderation/notices"
        if has_request_context():
            link = url_for("moderation.notices", _external=True)
        if notice.appealable:
            lines.append(_("If you think this is wrong, you can appeal once: %(link)s", link=link))
        else:
            lines.append(_("Details: %(link)s", link=link))
        if notice.action == "alert":
            subject = _("participate: the moderation queue needs attention")
        else:
            subject = _("participate: a moderation decision about your account")
    send_mail(user.email or "", subject, "\n\n".join(lines))


# --- Decisions --------------------------------------------------------------------------


def _clean_message(message: str | None) -> str:
    text = (message or "").replace("\r\n", "\n").strip()
    if len(text) > MESSAGE_MAX:
        raise RuleError(
            _("Keep the message under %(max)d characters.", max=MESSAGE_MAX), field="message"
        )
    return text


def _require_decider(actor: Any, item: ModerationItem) -> None:
    if not can_moderate_item(actor, item):
        raise RuleError(_("You may not moderate this."), status=403)
    if not item.is_open:
        raise RuleError(_("This item was already decided."), status=409)
    if item.excluded_moderator_id is not None and item.excluded_moderator_id == actor.id:
        raise RuleError(
            _("An appeal must be decided by a different moderator than the first decision."),
            status=403,
        )


def _resolve(
    item: ModerationItem,
    actor: Any,
    decision: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> None:
    item.state = ItemState.RESOLVED
    item.decision = decision
    item.decision_reason = reason
    item.decision_message = message or None
    item.decided_by_id = actor.id
    item.decided_at = now
    # Other open items on the same content are settled by the same decision.
    if item.kind != ItemKind.APPEAL:
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


def _audit(
    actor: Any, action: str, item: ModerationItem, reason: str | None, **detail: Any
) -> None:
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


def _apply(
    actor: Any,
    item: ModerationItem,
    action: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> None:
    """One decision on one content item, without committing (shared by single and bulk)."""
    obj = load_content(item.content_type, item.content_id)
    if obj is None:
        raise RuleError(_("The content no longer exists."), status=404)
    if action in ("hide", "reject"):
        if item.content_type not in ("statement", "reply"):
            raise RuleError(_("That decision does not apply to this item."), status=409)
        if action == "reject" and reason not in EXCLUSION_REASONS:
            raise RuleError(_("Choose one of the published reasons."), field="reason")
        _set_visibility(obj, ContentStatus.HIDDEN)
        _resolve(item, actor, action, reason, message, now)
        _audit(actor, action, item, reason, message=message)
        notify(content_author_id(obj), action, item, reason, message, obj, appealable=True, now=now)
    elif action == "restore":
        if item.content_type not in ("statement", "reply"):
            raise RuleError(_("That decision does not apply to this item."), status=409)
        changed = _set_visibility(obj, ContentStatus.VISIBLE)
        _resolve(item, actor, "restore", reason, message, now)
        _audit(actor, "restore", item, reason, message=message)
        # The author hears back when their content was hidden or held, not when reports
        # on visible content are merely set aside.
        if changed:
            notify(content_author_id(obj), "restore", item, reason, message, obj, now=now)
    elif action == "dismiss":
        _resolve(item, actor, "dismiss", reason, message, now)
        _audit(actor, "dismiss", item, reason, message=message)
    else:
        raise RuleError(_("Unknown decision."), field="action")


DECISIONS = ("hide", "restore", "reject", "dismiss", "approve", "request_edit", "suspend")


def decide(
    actor: User,
    item: ModerationItem,
    action: str,
    reason: str | None = None,
    message: str = "",
    now: datetime | None = None,
) -> ModerationItem:
    """The decision on one queue item (proposals go through the proposals area's rules)."""
    now = now or utcnow()
    _require_decider(actor, item)
    message = _clean_message(message)
    reason = reason or None
    if item.kind == ItemKind.APPEAL:
        return _decide_appeal(actor, item, action, message, now)
    if item.kind == ItemKind.PROPOSAL:
        return _decide_proposal(actor, item, action, reason, message, now)
    if item.content_type == "user":
        if action == "suspend":
            user = db.session.get(User, item.content_id)
            if user is None:
                raise RuleError(_("The account no longer exists."), status=404)
            _resolve(item, actor, "suspend", reason, message, now)
            _audit(actor, "resolve", item, reason, decision="suspend")
            _suspend(actor, user, None, reason or "manual", message, now)
            db.session.commit()
            return item
        if action != "dismiss":
            raise RuleError(_("That decision does not apply to this item."), field="action")
    if item.content_type == "proposal" and action not in ("dismiss",):
        raise RuleError(_("That decision does not apply to this item."), field="action")
    _apply(actor, item, action, reason, message, now)
    db.session.commit()
    return item


def _decide_proposal(
    actor: User,
    item: ModerationItem,
    action: str,
    reason: str | None,
    message: str,
    now: datetime,
) -> ModerationItem:
    """Delegates to the proposals area's review functions (they notify the author and
    commit); the queue item is resolved in the same transaction."""
    from participate.proposals import operations as proposal_rules

    proposal = db.session.get(Proposal, item.content_id)
    if proposal is None:
        raise RuleError(_("The proposal no longer exists."), status=404)
    mapping = {"approve": "accept", "request_edit": "changes", "reject": "reject"}
    if action not in mapping:
        raise RuleError(_("That decision does not apply to this item."), field="action")
    if action == "reject" and reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if action == "request_edit" and not message:
        raise RuleError(_("Tell the author what to change."), field="message")
    _resolve(item, actor, action, reason, message, now)
    _audit(actor, action, item, reason, message=message)
    if action == "approve":
        proposal_rules.accept_proposal(actor, proposal, now)
    elif action == "request_edit":
        proposal_rules.request_changes(actor, proposal, message, now)
    else:
        proposal_rules.reject_proposal(actor, proposal, reason or "", message, now)
    return item


def claim(actor: User, item: ModerationItem, release: bool = False) -> None:
    """Take an item (or give it back) so two moderators do not work on the same one."""
    if not can_decide(actor, item):
        raise RuleError(_("You may not moderate this."), status=403)
    item.assigned_to_id = None if release else actor.id
    audit.record(
        actor,
        "moderation.release" if release else "moderation.claim",
        item.content_type,
        item.content_id,
        None,
        item_id=item.id,
    )
    db.session.commit()


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
    if action not in ("hide", "restore", "reject", "dismiss"):
        raise RuleError(_("Choose a decision for the selected items."), field="action")
    if action == "reject" and reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if not can_see_queue(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    message = _clean_message(message)
    ids = sorted({int(i) for i in item_ids})[:200]
    if not ids:
        raise RuleError(_("Select at least one item."), field="items")
    items = db.session.scalars(select(ModerationItem).where(ModerationItem.id.in_(ids))).all()
    done, skipped = 0, []
    found = {i.id for i in items}
    skipped.extend(i for i in ids if i not in found)
    for item in items:
        applicable = item.content_type in ("statement", "reply") or action == "dismiss"
        if (
            not can_decide(actor, item)
            or item.kind in (ItemKind.APPEAL, ItemKind.PROPOSAL)
            or not applicable
        ):
            skipped.append(item.id)
            continue
        _apply(actor, item, action, reason, message, now)
        done += 1
    if done == 0 and skipped and not any(can_moderate_item(actor, i) for i in items):
        db.session.rollback()
        raise RuleError(_("You may not moderate this."), status=403)
    db.session.commit()
    return BulkResult(done, sorted(skipped))


# --- Appeals ----------------------------------------------------------------------------


def appeal(user: User, notice: ModerationNotice, text: str, now: datetime | None = None) -> Appeal:
    """The author contests a decision, once; a different moderator reviews it."""
    now = now or utcnow()
    if not can_appeal(user, notice, now):
        raise RuleError(_("This decision cannot be appealed (again)."), status=403)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise RuleError(_("Explain why the decision should be reconsidered."), field="text")
    if len(text) > MESSAGE_MAX:
        raise RuleError(
            _("Keep the message under %(max)d characters.", max=MESSAGE_MAX), field="text"
        )
    decided = db.session.get(ModerationItem, notice.item_id)
    if decided is None:
        raise RuleError(_("This decision cannot be appealed (again)."), status=404)
    entry = Appeal(item_id=decided.id, user_id=user.id, text=text, created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
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
        priority=_priority(ItemKind.APPEAL, 0),
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
    db.session.commit()
    return entry


REVERSAL = {"hide": "restore", "reject": "restore", "auto_hide": "restore", "suspend": "unsuspend"}


def _decide_appeal(
    actor: User, item: ModerationItem, action: str, message: str, now: datetime
) -> ModerationItem:
    if action not in ("uphold", "overturn"):
        raise RuleError(_("Choose to uphold or overturn the decision."), field="action")
    original = item.appeal_of
    obj = load_content(item.content_type, item.content_id)
    if action == "overturn" and original is not None:
        if original.decision in ("hide", "reject"):
            _set_visibility(obj, ContentStatus.VISIBLE)
        elif original.decision == "restore":
            _set_visibility(obj, ContentStatus.HIDDEN)
        elif original.decision == "suspend" and isinstance(obj, User):
            obj.suspended_until = None
    _resolve(item, actor, action, None, message, now)
    _audit(
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
    db.session.commit()
    return item


# --- Locks ------------------------------------------------------------------------------


def find_lock(discussion_id: int | None, statement_id: int | None = None) -> ThreadLock | None:
    """The lock on a whole discussion, or on one statement's thread."""
    if discussion_id is None:
        return None
    clauses = [ThreadLock.statement_id.is_(None)]
    if statement_id is not None:
        clauses.append(ThreadLock.statement_id == statement_id)
    return db.session.scalar(
        select(ThreadLock)
        .where(ThreadLock.discussion_id == discussion_id, db.or_(*clauses))
        .order_by(ThreadLock.statement_id.is_(None).desc())
        .limit(1)
    )


def lock(
    actor: User,
    discussion: Discussion,
    statement: Statement | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> ThreadLock:
    """Stop new statements, replies and votes in a discussion (or one thread); reading and
    reporting go on."""
    if not can_moderate(actor, discussion):
        raise RuleError(_("You may not moderate this."), status=403)
    if statement is not None and statement.discussion_id != discussion.id:
        raise RuleError(_("That statement belongs to another discussion."), status=400)
    sid = statement.id if statement is not None else None
    existing = db.session.scalar(
        select(ThreadLock).where(
            ThreadLock.discussion_id == discussion.id,
            ThreadLock.statement_id.is_(None) if sid is None else ThreadLock.statement_id == sid,
        )
    )
    if existing is not None:
        raise RuleError(_("This is already locked."), status=409)
    entry = ThreadLock(
        discussion_id=discussion.id,
        statement_id=sid,
        locked_by_id=actor.id,
        reason=(reason or "").strip()[:64],
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        actor,
        "moderation.lock",
        "statement" if sid else "discussion",
        sid or discussion.id,
        entry.reason or None,
        discussion_id=discussion.id,
    )
    db.session.commit()
    return entry


def unlock(actor: User, entry: ThreadLock) -> None:
    if not can_moderate(actor, _discussion(entry.discussion_id)):
        raise RuleError(_("You may not moderate this."), status=403)
    audit.record(
        actor,
        "moderation.unlock",
        "statement" if entry.statement_id else "discussion",
        entry.statement_id or entry.discussion_id,
        None,
        discussion_id=entry.discussion_id,
    )
    db.session.delete(entry)
    db.session.commit()


# --- Suspensions ------------------------------------------------------------------------


def _suspend(
    actor: User, user: User, days: int | None, reason: str, message: str, now: datetime
) -> None:
    if user.role in (Role.ADMIN, Role.MODERATOR) and not actor.is_admin:
        raise RuleError(_("Only an admin can suspend a moderator or admin."), status=403)
    if user.id == actor.id:
        raise RuleError(_("You cannot suspend yourself."), status=409)
    until = PERMANENT if not days else now + timedelta(days=days)
    user.suspended_until = until
    item = ModerationItem(
        kind=ItemKind.ACCOUNT,
        state=ItemState.RESOLVED,
        content_type="user",
        content_id=user.id,
        subject_user_id=user.id,
        reason="manual",
        detail={},
        opened_at=now,
        decision="suspend",
        decision_reason=reason,
        decision_message=message or None,
        decided_by_id=actor.id,
        decided_at=now,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        actor,
        "moderation.suspend",
        "user",
        user.id,
        reason,
        until=until.isoformat(),
        permanent=not days,
        item_id=item.id,
    )
    notify(user.id, "suspend", item, reason, message, user, appealable=True, now=now)


def suspend(
    actor: User,
    user: User,
    days: int | None,
    reason: str,
    message: str = "",
    now: datetime | None = None,
) -> None:
    """Suspend for ``days`` days, or permanently when ``days`` is None or 0. The person
    can still read and log in, and sees why; every write is refused."""
    now = now or utcnow()
    if not can_suspend(actor):
        raise RuleError(_("You may not suspend accounts."), status=403)
    if reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if days is not None and not 0 <= days <= 3650:
        raise RuleError(_("Choose between 1 and 3650 days."), field="days")
    _suspend(actor, user, days, reason, _clean_message(message), now)
    db.session.commit()


def unsuspend(actor: User, user: User, now: datetime | None = None) -> None:
    if not can_suspend(actor):
        raise RuleError(_("You may not suspend accounts."), status=403)
    if not user.is_suspended(now):
        raise RuleError(_("This account is not suspended."), status=409)
    user.suspended_until = None
    audit.record(actor, "moderation.unsuspend", "user", user.id, None)
    notify(user.id, "unsuspend", None, None, "", user, now=now)
    db.session.commit()


# --- Settings ---------------------------------------------------------------------------


def set_premoderation(actor: User, discussion: Discussion, enabled: bool) -> None:
    if not can_moderate(actor, discussion):
        raise RuleError(_("You may not moderate this."), status=403)
    row = db.session.get(DiscussionModeration, discussion.id)
    if row is None:
        row = DiscussionModeration(discussion_id=discussion.id)
        db.session.add(row)
    row.premoderation = bool(enabled)
    row.updated_at = utcnow()
    audit.record(
        actor,
        "moderation.premoderation_on" if enabled else "moderation.premoderation_off",
        "discussion",
        discussion.id,
        None,
    )
    db.session.commit()


def add_banned_term(actor: User, term: str, is_regex: bool = False, action: str = "hold") -> Any:
    from participate.moderation.screening import compile_term

    if not can_manage_site(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    term = (term or "").strip()
    if not term or len(term) > 200:
        raise RuleError(_("Enter a word or pattern (at most 200 characters)."), field="term")
    if action not in ("hold", "reject"):
        raise RuleError(_("Choose hold or reject."), field="action")
    if compile_term(term, is_regex, action) is None:
        raise RuleError(_("This pattern is not a valid regular expression."), field="term")
    if db.session.scalar(select(BannedTerm.id).where(BannedTerm.term == term)):
        raise RuleError(_("This word is already on the list."), field="term")
    row = BannedTerm(term=term, is_regex=is_regex, action=action, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "moderation.term_add", "banned_term", row.id, None, on_match=action)
    db.session.commit()
    return row


def remove_banned_term(actor: User, row: BannedTerm) -> None:
    if not can_manage_site(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    audit.record(actor, "moderation.term_remove", "banned_term", row.id, None)
    db.session.delete(row)
    db.session.commit()


def mark_notices_read(user: User, now: datetime | None = None) -> None:
    db.session.execute(
        db.update(ModerationNotice)
        .where(ModerationNotice.user_id == user.id, ModerationNotice.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    db.session.commit()


def unread_notices(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ModerationNotice)
            .where(ModerationNotice.user_id == user.id, ModerationNotice.read_at.is_(None))
        )
        or 0
    )


def open_count(user: Any) -> int:
    """Open items this user may decide (the navigation badge)."""
    query = (
        select(func.count())
        .select_from(ModerationItem)
        .where(ModerationItem.state == ItemState.OPEN)
    )
    query = query.where(policy.moderated_items_clause(user))
    return db.session.scalar(query) or 0


# --- Reports and automatic hiding -------------------------------------------------------


def sync_reports(content_type: str, content_id: int, now: datetime | None = None) -> bool:
    """Bring the report item of one piece of content up to date and hide it at the
    threshold. Idempotent: called from the flush listener and from ``hooks.report_filed``.
    Reports filed before a moderator's "restore" do not count again. True if it hid."""
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
    reporters = {r.reporter_id for r in rows if r.reporter_id is not None}
    if not rows:
        return False
    reasons: dict[str, int] = {}
    for r in rows:
        key = getattr(r.reason, "value", r.reason)
        reasons[key] = reasons.get(key, 0) + 1
    item = ensure_item(ItemKind.REPORT, obj, content_type, "reports", now)
    item.report_count = len(reporters)
    item.priority = _priority(ItemKind.REPORT, len(reporters))
    item.detail = {**(item.detail or {}), "reasons": reasons}
    threshold = int(cfg("MODERATION_REPORT_THRESHOLD"))
    if (
        threshold
        and len(reporters) >= threshold
        and isinstance(obj, Statement | Reply)
        and obj.status == ContentStatus.VISIBLE
    ):
        _set_visibility(obj, ContentStatus.HIDDEN)
        item.detail = {**item.detail, "auto_hidden": True}
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
    return False


def report_proposal(
    user: User, proposal: Proposal, reason: str, text: str = "", now: datetime | None = None
) -> Report:
    """Flag a published proposal; stored in the discussion area's Report table (its
    content_type is a plain string) so all reports live in one place."""
    from participate.models import ReportReason

    if not _active(user, now) or not user.is_verified:
        raise RuleError(_("Log in with a confirmed email address to report content."), 403)
    try:
        reason_value = ReportReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose a reason."), field="reason") from exc
    text = (text or "").strip()
    if len(text) > 1000:
        raise RuleError(_("Keep the explanation under 1000 characters."), field="text")
    exists = db.session.scalar(
        select(Report.id).where(
            Report.content_type == "proposal",
            Report.content_id == proposal.id,
            Report.reporter_id == user.id,
        )
    )
    if exists:
        raise RuleError(_("You have already reported this."), status=409)
    entry = Report(
        content_type="proposal",
        content_id=proposal.id,
        discussion_id=content_discussion_id(proposal),
        reporter_id=user.id,
        reason=reason_value,
        text=text,
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise RuleError(_("You have already reported this."), status=409) from exc
    audit.record(user, "report.create", "proposal", proposal.id, reason_value.value)
    db.session.commit()
    return entry


def flag_new_account(user_id: int | None, reason: str, now: datetime | None = None) -> None:
    """Put a young account whose content was held or reported into the queue, once."""
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
