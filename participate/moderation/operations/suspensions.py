"""Suspending accounts: site-wide, so moderators only (``policy.can_suspend``). A suspended
person can still read, log in and appeal; every write is refused by the policy
(``policy.is_active``, ``policy.participation_refusal``) in each area's operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ItemKind, ItemState, ModerationItem, Role, User
from participate.moderation.labels import EXCLUSION_REASONS
from participate.moderation.notices import notify
from participate.moderation.operations.common import clean_message
from participate.timeutil import to_taipei, utcnow

# "Permanent" suspensions end in a distant year, so ``User.is_suspended`` needs no change.
PERMANENT = datetime(2999, 12, 31, tzinfo=UTC)
MAX_DAYS = 3650


def suspension_message(user: Any) -> str:
    """What the suspended person reads above every page: until when, and what still works."""
    until = to_taipei(user.suspended_until)
    if until is None or until.year >= PERMANENT.year:
        return _("Your account is suspended. You can read, but not post, vote or report.")
    return _(
        "Your account is suspended until %(until)s. You can read, but not post, vote or report.",
        until=until.strftime("%Y-%m-%d %H:%M"),
    )


def suspend_account(
    actor: User, user: User, days: int | None, reason: str, message: str, now: datetime
) -> ModerationItem:
    """The suspension itself, recorded as a decided account item (what an appeal refers
    to), audited, and the person notified (appealable). Checks only what differs between
    a moderator's page and a queue decision: who may be suspended by whom."""
    if user.role in (Role.ADMIN, Role.MODERATOR) and not policy.is_admin(actor, now):
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
    return item


def suspend(
    actor: User,
    user: User,
    days: int | None,
    reason: str,
    message: str = "",
    now: datetime | None = None,
) -> None:
    """Suspend for ``days`` days, or permanently when ``days`` is None or 0, for one of
    the published reasons."""
    now = now or utcnow()
    if not policy.can_suspend(actor):
        raise RuleError(_("You may not suspend accounts."), status=403)
    if reason not in EXCLUSION_REASONS:
        raise RuleError(_("Choose one of the published reasons."), field="reason")
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise RuleError(_("Choose between 1 and 3650 days."), field="days")
    suspend_account(actor, user, days, reason, clean_message(message), now)


def unsuspend(actor: User, user: User, now: datetime | None = None) -> None:
    """Lift a suspension at once; the person is told."""
    if not policy.can_suspend(actor):
        raise RuleError(_("You may not suspend accounts."), status=403)
    if not user.is_suspended(now):
        raise RuleError(_("This account is not suspended."), status=409)
    user.suspended_until = None
    db.session.flush()
    audit.record(actor, "moderation.unsuspend", "user", user.id, None)
    notify(user.id, "unsuspend", None, None, "", user, now=now)
