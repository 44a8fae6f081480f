"""The proposal lifecycle: statuses, the allowed transitions, deadlines and clocks.

- :func:`transition` is the only place a status changes; ``ALLOWED`` lists every edge.
- Time-based states (a lapsed endorsement, a closed consultation) are computed on read by
  :func:`effective_status`, so pages are right even when the periodic task has not run;
  the sweep (``operations.sweep``, a periodic job) stores them.
- Deadlines and the response clock are computed here and nowhere else.

Plain functions on the models and the config: the policy, the operations, the views, the
API and the search all read the lifecycle from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_

from participate import audit
from participate.errors import RuleError
from participate.models import (
    Decision,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RejectionReason,
    User,
)
from participate.timeutil import (
    add_working_days,
    aware,
    deadline_after,
    taipei_today,
    utcnow,
)

S = ProposalStatus
P = ProposalKind

# Every allowed status change, per kind. Anything else is refused by :func:`transition`.
ALLOWED: dict[ProposalKind, dict[ProposalStatus, frozenset[ProposalStatus]]] = {
    P.PROPOSAL: {
        S.DRAFT: frozenset({S.IN_REVIEW}),
        S.IN_REVIEW: frozenset({S.ENDORSING, S.CHANGES_REQUESTED, S.REJECTED}),
        S.CHANGES_REQUESTED: frozenset({S.IN_REVIEW}),
        S.ENDORSING: frozenset({S.ESTABLISHED, S.LAPSED}),
        S.ESTABLISHED: frozenset({S.RESPONDED}),
    },
    P.CONSULTATION: {
        S.OPEN: frozenset({S.CLOSED}),
        S.CLOSED: frozenset({S.RESPONDED}),
    },
}

PUBLIC_STATUSES = frozenset({S.ENDORSING, S.ESTABLISHED, S.LAPSED, S.RESPONDED, S.OPEN, S.CLOSED})
OPEN_FOR_DISCUSSION = frozenset({S.ENDORSING, S.ESTABLISHED, S.OPEN})

REJECTION_LABELS: dict[RejectionReason, Any] = {
    RejectionReason.ABUSIVE: _l("Threats, obscenity, defamation or insult"),
    RejectionReason.INFRINGES_RIGHTS: _l("Infringes the rights of others"),
    RejectionReason.DISCRIMINATION: _l("Discrimination"),
    RejectionReason.IN_COURT: _l("Concerns a case before the courts"),
    RejectionReason.UNCLEAR: _l("Unclear or a purely personal matter"),
    RejectionReason.OUTSIDE_REMIT: _l("Outside the remit of the Executive Yuan"),
    RejectionReason.COMMERCIAL: _l("Commercial or advertising content"),
    RejectionReason.DUPLICATE: _l("Duplicates a proposal that is still open"),
}

DECISION_LABELS: dict[Decision, Any] = {
    Decision.ADOPTED: _l("Adopted"),
    Decision.PARTLY: _l("Partly adopted"),
    Decision.NOT_ADOPTED: _l("Not adopted"),
    Decision.UNDER_STUDY: _l("Under study"),
}

STATUS_LABELS: dict[ProposalStatus, Any] = {
    S.DRAFT: _l("Draft"),
    S.IN_REVIEW: _l("In review"),
    S.CHANGES_REQUESTED: _l("Changes requested"),
    S.REJECTED: _l("Not accepted"),
    S.ENDORSING: _l("Open for endorsement"),
    S.ESTABLISHED: _l("Established, awaiting response"),
    S.LAPSED: _l("Lapsed"),
    S.RESPONDED: _l("Responded"),
    S.OPEN: _l("Consultation open"),
    S.CLOSED: _l("Consultation closed"),
}

MAX_MEASURES = 10


# --------------------------------------------------------------------------- time


def _at(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (SQLite hands back naive ones), default the clock."""
    return aware(now) if now is not None else utcnow()


def cfg(name: str) -> Any:
    return current_app.config[name]


def status_after_deadline(status: ProposalStatus, expired: bool) -> ProposalStatus:
    """The effective status of a stored ``status`` once its deadline has (or has not)
    passed: an endorsement period lapses, a consultation closes."""
    if expired and status == S.ENDORSING:
        return S.LAPSED
    if expired and status == S.OPEN:
        return S.CLOSED
    return status


def effective_status(proposal: Proposal, now: datetime | None = None) -> ProposalStatus:
    """The status as it is at ``now``, even if the periodic task has not stored it yet."""
    now = _at(now)
    deadline = aware(proposal.deadline)
    return status_after_deadline(proposal.status, deadline is not None and now > deadline)


def expired_clause(now: datetime) -> Any:
    """SQL: the proposal's deadline (endorsement or consultation) has passed at ``now``."""
    return and_(Proposal.deadline.is_not(None), Proposal.deadline < now)


def status_clause(status: ProposalStatus, now: datetime) -> Any:
    """SQL condition matching proposals whose *effective* status is ``status``."""
    expired = expired_clause(now)
    if status == S.ENDORSING:
        return and_(Proposal.status == S.ENDORSING, ~expired)
    if status == S.LAPSED:
        return or_(Proposal.status == S.LAPSED, and_(Proposal.status == S.ENDORSING, expired))
    if status == S.OPEN:
        return and_(Proposal.status == S.OPEN, ~expired)
    if status == S.CLOSED:
        return or_(Proposal.status == S.CLOSED, and_(Proposal.status == S.OPEN, expired))
    return Proposal.status == status


def in_election_freeze(now: datetime | None = None) -> bool:
    """Within the configured election freeze (inclusive Taipei dates)?"""
    start, end = cfg("ELECTION_FREEZE_START"), cfg("ELECTION_FREEZE_END")
    if not start or not end:
        return False
    today = taipei_today(now or utcnow())
    return start <= today <= end


def reaction_window_end(proposal: Proposal) -> datetime | None:
    responded = aware(proposal.responded_at)
    if responded is None:
        return None
    return responded + timedelta(days=cfg("REACTION_DAYS_AFTER_RESPONSE"))


def discussion_is_open(proposal: Proposal, now: datetime | None = None) -> bool:
    """May people post and vote in this proposal's discussion right now?

    Open while endorsing, established (awaiting the answer) or while a consultation is
    open, and for ``REACTION_DAYS_AFTER_RESPONSE`` days after the response is published;
    closed otherwise. Deadlines count even if the periodic task has not run yet.
    """
    now = _at(now)
    status = effective_status(proposal, now)
    if status in OPEN_FOR_DISCUSSION:
        return True
    end = reaction_window_end(proposal)
    return status == S.RESPONDED and end is not None and now <= end


@dataclass
class Clock:
    """What the public sees about the response deadline."""

    started_at: datetime | None
    due_at: datetime | None
    days_left: int | None
    overdue_days: int
    answered_at: datetime | None
    late_days: int

    @property
    def running(self) -> bool:
        return self.due_at is not None and self.answered_at is None

    @property
    def overdue(self) -> bool:
        return self.running and self.overdue_days > 0


def response_clock(proposal: Proposal, now: datetime | None = None) -> Clock | None:
    due = aware(proposal.response_due_at)
    if due is None:
        return None
    now = _at(now)
    answered = aware(proposal.responded_at)
    left = (taipei_today(due) - taipei_today(now)).days
    overdue_days = max(0, -left) if now > due and answered is None else 0
    late = max(0, (taipei_today(answered) - taipei_today(due)).days) if answered else 0
    return Clock(
        started_at=aware(proposal.response_started_at),
        due_at=due,
        days_left=left if answered is None else None,
        overdue_days=overdue_days,
        answered_at=answered,
        late_days=late,
    )


# --------------------------------------------------------------------------- transition


def transition(
    proposal: Proposal,
    new: ProposalStatus,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
    **detail: Any,
) -> None:
    """The one place a status changes: refuse edges not in ``ALLOWED``, stamp, audit."""
    old = proposal.status
    if new not in ALLOWED.get(proposal.kind, {}).get(old, frozenset()):
        raise RuleError(
            _(
                "This action is not possible while the proposal is %(status)s.",
                status=str(STATUS_LABELS[old]),
            ),
            status=409,
        )
    proposal.status = new
    if new == S.IN_REVIEW:
        proposal.submitted_at = now
        proposal.review_due_at = add_working_days(now, cfg("REVIEW_WORKING_DAYS"))
    elif new in (S.ENDORSING, S.CHANGES_REQUESTED, S.REJECTED):
        proposal.reviewed_at = now
        proposal.reviewer_id = getattr(actor, "id", None)
    if new == S.ENDORSING:
        proposal.opened_at = now
        proposal.deadline = deadline_after(now, cfg("ENDORSEMENT_DAYS"))
        proposal.review_message = None
    elif new == S.ESTABLISHED:
        proposal.established_at = now
    elif new in (S.LAPSED, S.CLOSED):
        proposal.ended_at = now
    elif new == S.RESPONDED:
        proposal.responded_at = now
    audit.record(
        actor,
        f"proposal.{new.value}",
        "proposal",
        proposal.id,
        reason=reason,
        before=old.value,
        after=new.value,
        **detail,
    )
