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

from flask_babel import gettext as _

from participate import audit, outbox, policy, search
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ContentStatus, Discussion, Reply, Statement, User
from participate.reports import scheduler
from participate.timeutil import utcnow

ALLOWED = {
    ContentStatus.VISIBLE: {ContentStatus.HIDDEN},
    ContentStatus.HIDDEN: {ContentStatus.VISIBLE},
}


def vote_changed(discussion_id: int) -> None:
    """The votes' outbox effect: one "this discussion changed" mark per discussion and
    transaction (the outbox coalesces), asked of the scheduler after the commit. Not
    skipped on a remembered "a run is already scheduled": a run forced meanwhile by staff
    or taken by another process consumes that request, and the vote would then wait for
    some later vote to be analysed."""
    scheduler.request_analysis(discussion_id, "vote", utcnow())


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
