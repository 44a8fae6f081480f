"""The life of a draft regulation: statuses, the one transition function, the comment
period and the response clock.

- :func:`transition` is the only place a status changes; ``ALLOWED`` lists every edge.
- The end of the comment period is computed on read (:func:`effective_status`), so pages
  and the policy are right at the period's last second without any periodic job; an
  operation that moves the draft on from there stores the closing first
  (:func:`store_due_status`).
- The comment period, the response deadline and the overdue flag are computed here and
  nowhere else (the response clock is the proposals' :class:`Clock`, read the same way).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_

from participate import audit
from participate.errors import RuleError
from participate.models import ArticleChange, Decision, DraftStatus, RegulationDraft, User
from participate.proposals.lifecycle import Clock
from participate.timeutil import aware, deadline_after, taipei_today, utcnow

D = DraftStatus

ALLOWED: dict[DraftStatus, frozenset[DraftStatus]] = {
    D.PREPARING: frozenset({D.OPEN}),
    D.OPEN: frozenset({D.CLOSED}),
    D.CLOSED: frozenset({D.RESPONDED}),
    D.RESPONDED: frozenset({D.PROMULGATED}),
}
PUBLIC_STATUSES = frozenset({D.OPEN, D.CLOSED, D.RESPONDED, D.PROMULGATED})

STATUS_LABELS: dict[DraftStatus, Any] = {
    D.PREPARING: _l("Being prepared"),
    D.OPEN: _l("Open for comment"),
    D.CLOSED: _l("Comment period over"),
    D.RESPONDED: _l("Responses published"),
    D.PROMULGATED: _l("Promulgated"),
}
CHANGE_LABELS: dict[ArticleChange, Any] = {
    ArticleChange.NEW: _l("New article"),
    ArticleChange.AMENDED: _l("Amended article"),
    ArticleChange.DELETED: _l("Deleted article"),
}
# The decisions a response row may carry (a proposal's "under study" is not one of them:
# the table answers each comment for the final text).
DECISIONS = (Decision.ADOPTED, Decision.PARTLY, Decision.NOT_ADOPTED)
DECISION_LABELS: dict[Decision, Any] = {
    Decision.ADOPTED: _l("Adopted"),
    Decision.PARTLY: _l("Partly adopted"),
    Decision.NOT_ADOPTED: _l("Not adopted"),
}


def cfg(name: str) -> Any:
    return current_app.config[name]


def at(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (SQLite hands back naive ones), default the clock."""
    return aware(now) if now is not None else utcnow()


def default_period_days() -> int:
    return int(cfg("REGULATION_COMMENT_DAYS"))


def min_period_days() -> int:
    return int(cfg("REGULATION_MIN_COMMENT_DAYS"))


def period_end(start: datetime, days: int) -> datetime:
    """The last moment to comment: the end of the Taipei day ``days`` days after ``start``."""
    return deadline_after(start, days)


def response_due(period_ends: datetime) -> datetime:
    """When the response table is due: ``REGULATION_RESPONSE_DAYS`` after the period."""
    return deadline_after(period_ends, int(cfg("REGULATION_RESPONSE_DAYS")))


def period_problem(days: int | None, reason: str) -> tuple[str, str] | None:
    """What is wrong with a chosen comment period, as (field, message), or None."""
    default, shortest = default_period_days(), min_period_days()
    if days is None:
        return "days", _("Give the length of the comment period in days.")
    if days < shortest or days > 365:
        return "days", _("The comment period must be between %(min)d and 365 days.", min=shortest)
    if days < default and not reason.strip():
        return "reason", _(
            "A period shorter than %(n)d days needs a stated reason; it is shown on the page.",
            n=default,
        )
    return None


# --------------------------------------------------------------------------- reading time


def effective_status(draft: RegulationDraft, now: datetime | None = None) -> DraftStatus:
    """The status at ``now``: an open draft whose period has ended is closed."""
    ends = aware(draft.comment_ends_at)
    if draft.status == D.OPEN and ends is not None and at(now) > ends:
        return D.CLOSED
    return draft.status


def is_public(draft: RegulationDraft) -> bool:
    return draft.status in PUBLIC_STATUSES


def comment_period_open(draft: RegulationDraft, now: datetime | None = None) -> bool:
    """May people comment right now? From publication to the period's last second."""
    now = at(now)
    start, ends = aware(draft.published_at), aware(draft.comment_ends_at)
    return (
        draft.status == D.OPEN and start is not None and ends is not None and start <= now <= ends
    )


def days_left(draft: RegulationDraft, now: datetime | None = None) -> int | None:
    """Whole Taipei days until the period ends (0 on its last day), None when not open."""
    if not comment_period_open(draft, now):
        return None
    ends = aware(draft.comment_ends_at)
    assert ends is not None
    return (taipei_today(ends) - taipei_today(at(now))).days


def is_short_period(draft: RegulationDraft) -> bool:
    return draft.period_days is not None and draft.period_days < default_period_days()


def response_clock(draft: RegulationDraft, now: datetime | None = None) -> Clock | None:
    """The response deadline as the public sees it, once the comment period is over:
    due date, days left, overdue days, when answered and how late."""
    due = aware(draft.response_due_at)
    if due is None or effective_status(draft, now) in (D.PREPARING, D.OPEN):
        return None
    now = at(now)
    answered = aware(draft.responded_at)
    left = (taipei_today(due) - taipei_today(now)).days
    overdue_days = max(0, -left) if now > due and answered is None else 0
    late = max(0, (taipei_today(answered) - taipei_today(due)).days) if answered else 0
    return Clock(
        started_at=aware(draft.comment_ends_at),
        due_at=due,
        days_left=left if answered is None else None,
        overdue_days=overdue_days,
        answered_at=answered,
        late_days=late,
    )


def is_overdue(draft: RegulationDraft, now: datetime | None = None) -> bool:
    clock = response_clock(draft, now)
    return clock is not None and clock.overdue


def overdue_clause(now: datetime) -> Any:
    """SQL: :func:`is_overdue` (period over, no response table, its deadline passed)."""
    return and_(
        RegulationDraft.status.in_([D.OPEN, D.CLOSED]),
        RegulationDraft.responded_at.is_(None),
        RegulationDraft.response_due_at.is_not(None),
        RegulationDraft.response_due_at < now,
    )


def status_clause(status: DraftStatus, now: datetime) -> Any:
    """SQL: drafts whose *effective* status is ``status``."""
    ended = and_(
        RegulationDraft.comment_ends_at.is_not(None), RegulationDraft.comment_ends_at < now
    )
    if status == D.OPEN:
        return and_(RegulationDraft.status == D.OPEN, ~ended)
    if status == D.CLOSED:
        return or_(
            RegulationDraft.status == D.CLOSED, and_(RegulationDraft.status == D.OPEN, ended)
        )
    return RegulationDraft.status == status


def public_clause() -> Any:
    """SQL: :func:`is_public`."""
    return RegulationDraft.status.in_(PUBLIC_STATUSES)


# --------------------------------------------------------------------------- transition


def transition(
    draft: RegulationDraft,
    new: DraftStatus,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
    **detail: Any,
) -> None:
    """The one place a status changes: refuse edges not in ``ALLOWED``, stamp, audit."""
    old = draft.status
    if new not in ALLOWED.get(old, frozenset()):
        raise RuleError(
            _(
                "This action is not possible while the draft is %(status)s.",
                status=str(STATUS_LABELS[old]),
            ),
            status=409,
        )
    draft.status = new
    if new == D.CLOSED:
        draft.closed_at = aware(draft.comment_ends_at) or now
    elif new == D.RESPONDED:
        draft.responded_at = now
    elif new == D.PROMULGATED:
        draft.promulgated_at = now
    audit.record(
        actor,
        f"regulation.{new.value}",
        "regulation",
        draft.id,
        reason=reason,
        before=old.value,
        after=new.value,
        **detail,
    )


def store_due_status(draft: RegulationDraft, now: datetime) -> bool:
    """Store the closing of a period that has ended (the site's own change, actor None)."""
    if draft.status == D.OPEN and effective_status(draft, now) == D.CLOSED:
        transition(draft, D.CLOSED, None, now, reason="period_ended")
        return True
    return False
