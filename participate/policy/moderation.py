"""Who may moderate what: the queue, decisions, appeals, locks, suspensions, settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, false, select, true

from participate.extensions import db
from participate.models import (
    Appeal,
    Discussion,
    ItemKind,
    ModerationItem,
    ModerationNotice,
    Proposal,
    ProposalKind,
)
from participate.policy.core import (
    agency_staff_may_moderate,
    can_moderate,
    is_agency_staff,
    is_authenticated,
    is_moderator,
    responsible_clause,
)
from participate.timeutil import aware, utcnow


def can_see_queue(user: Any) -> bool:
    """Moderators; agency staff too when the site lets them moderate their consultations
    (they then see only those items)."""
    return is_moderator(user) or (agency_staff_may_moderate() and is_agency_staff(user))


def can_suspend(user: Any) -> bool:
    """Suspensions are site-wide, so only moderators (not agency staff) suspend."""
    return is_moderator(user)


def can_manage_site(user: Any) -> bool:
    """Banned words and the audit view: moderators and admins."""
    return is_moderator(user)


def can_moderate_item(user: Any, item: ModerationItem) -> bool:
    """Proposals, accounts and appeals are for moderators; statements and replies for
    whoever may moderate their discussion."""
    if item.content_type in ("user", "proposal") or item.kind in (ItemKind.APPEAL,):
        return is_moderator(user)
    discussion = db.session.get(Discussion, item.discussion_id) if item.discussion_id else None
    return can_moderate(user, discussion)


def moderated_items_clause(user: Any) -> ColumnElement[bool]:
    """:func:`can_moderate_item` as SQL, for the queue and its badge."""
    if is_moderator(user):
        return true()
    if not (agency_staff_may_moderate() and is_agency_staff(user)):
        return false()
    theirs = (
        select(Discussion.id)
        .join(Proposal, Discussion.proposal_id == Proposal.id)
        .where(Proposal.kind == ProposalKind.CONSULTATION, responsible_clause(user.agency_id))
    )
    return and_(
        ModerationItem.discussion_id.in_(theirs),
        ModerationItem.content_type.in_(["statement", "reply"]),
        ModerationItem.kind != ItemKind.APPEAL,
    )


def can_decide(user: Any, item: ModerationItem) -> bool:
    """Allowed, the item still open, and an appeal goes to someone other than the decider."""
    if not can_moderate_item(user, item) or not item.is_open:
        return False
    return not (item.excluded_moderator_id is not None and item.excluded_moderator_id == user.id)


def can_appeal(user: Any, notice: ModerationNotice, now: datetime | None = None) -> bool:
    """The person the decision was about, once, within the appeal window (a suspended
    person may appeal: that is what the appeal is for)."""
    if not is_authenticated(user) or notice.user_id != user.id:
        return False
    if not notice.appealable or notice.item_id is None:
        return False
    created = aware(notice.created_at)
    window = timedelta(days=int(current_app.config["MODERATION_APPEAL_DAYS"]))
    if created is not None and (now or utcnow()) - created > window:
        return False
    return db.session.scalar(select(Appeal.id).where(Appeal.item_id == notice.item_id)) is None
