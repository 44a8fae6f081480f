"""The one visibility transition of statements and replies (VISIBLE <-> HIDDEN).

Moderators hide and restore through it, and so does the site's own rule that hides content
reported by enough people (``moderation.queue.sync_reports``, actor None). It never
commits, so a moderation decision or a report hides inside its own transaction. Kept apart
from :mod:`participate.discussion.operations` (which re-exports it) because moderation's
queue calls it while discussion's operations call the queue.

Hiding or restoring a statement changes what the opinion report counts, so it asks for a
fresh analysis after the commit: :func:`request_analysis` is the one place this area names
the reports area's scheduler.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from participate import audit, outbox, policy, search
from participate.errors import RuleError
from participate.extensions import db
from participate.models import AnalysisState, ContentStatus, Discussion, Reply, Statement, User
from participate.reports import scheduler
from participate.timeutil import aware, utcnow

ALLOWED = {
    ContentStatus.VISIBLE: {ContentStatus.HIDDEN},
    ContentStatus.HIDDEN: {ContentStatus.VISIBLE},
}


# Per process: discussion id -> until when a vote need not ask for an analysis (see
# :func:`vote_changed`). Plain dict operations, safe under the GIL across a worker's threads.
_PENDING_UNTIL: dict[int, datetime] = {}
# How long a seen "run requested and scheduled" is trusted without reading it again.
PENDING_TRUST = timedelta(seconds=1)


def vote_changed(discussion_id: int) -> None:
    """The votes' outbox effect: one "this discussion changed" mark per discussion, not a
    read and a transaction per vote. When this process saw, less than
    :data:`PENDING_TRUST` ago, that a run is requested and its task scheduled for later,
    a vote committed now is one that run will read (it claims no earlier than its slot),
    so there is nothing to ask; otherwise the scheduler's request runs as for any change.
    (A staff-forced run may start before its slot; a vote in the second after that is
    marked by the next vote after the second.)"""
    now = utcnow()
    until = _PENDING_UNTIL.get(discussion_id)
    if until is not None and now < until:
        return
    scheduler.request_analysis(discussion_id, "vote", now)
    seen = db.session.execute(
        select(AnalysisState.requested_at, AnalysisState.scheduled_for).where(
            AnalysisState.discussion_id == discussion_id
        )
    ).first()
    slot = aware(seen.scheduled_for) if seen is not None else None
    if seen is not None and seen.requested_at is not None and slot is not None:
        _PENDING_UNTIL[discussion_id] = min(now + PENDING_TRUST, slot - scheduler.TOLERANCE)
    else:
        _PENDING_UNTIL.pop(discussion_id, None)


def forget_pending() -> None:
    """Drop what :func:`vote_changed` remembers (tests empty the tables between runs)."""
    _PENDING_UNTIL.clear()


def request_analysis(discussion_id: int, trigger: str = "vote") -> None:
    """Queue a fresh opinion analysis of ``discussion_id`` for after the commit (the same
    effect queued twice in one transaction runs once); ``trigger`` is shown in the
    analysis history ("vote", "moderation", "author")."""
    outbox.add(scheduler.request_analysis, discussion_id, trigger)


def _discussion_of(item: Statement | Reply) -> Discussion:
    return item.discussion if isinstance(item, Statement) else item.statement.discussion


def set_status(
    actor: User | None,
    item: Statement | Reply,
    status: ContentStatus,
    reason: str | None = None,
) -> None:
    """Hide or restore ``item``. ``actor`` must moderate its discussion; None is the site's
    own rule (hiding after reports), which callers in a request never pass (the view's
    ``current_user`` is never None). A transition that is not allowed (hiding what is
    hidden) is a 409: callers that only want a state check it first."""
    discussion = _discussion_of(item)
    if actor is not None and not policy.can_moderate(actor, discussion):
        raise RuleError(_("Only moderators can hide or restore content."), status=403)
    if status not in ALLOWED[item.status]:
        raise RuleError(_("That change is not possible now."), status=409)
    kind = "statement" if isinstance(item, Statement) else "reply"
    before = item.status.value
    item.status = status
    db.session.flush()
    audit.record(actor, f"{kind}.status", kind, item.id, reason, before=before, after=status.value)
    if isinstance(item, Statement):
        outbox.add(search.index_statement, item.id)
        request_analysis(discussion.id, "moderation")
