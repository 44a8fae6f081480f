"""The one visibility transition of comments on draft regulations (VISIBLE <-> HIDDEN).

Moderators hide and restore through it (the moderation queue's decisions and appeals), and
so does the site's own rule that hides content reported by enough people
(``moderation.queue.sync_reports``, actor None). It never commits. Kept apart from
:mod:`participate.regulations.operations` because moderation's queue calls it while the
comment operations call the queue, as :mod:`participate.discussion.visibility` is.

A hidden or restored comment changes what the keywords of its article count, so it asks
for a fresh analysis after the commit.
"""

from __future__ import annotations

from flask_babel import gettext as _

from participate import audit, outbox, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ContentStatus, RegulationComment, User
from participate.models.regulations import COMMENT_CONTENT_TYPE
from participate.regulations.tasks import analyse_draft_comments

ALLOWED = {
    ContentStatus.VISIBLE: {ContentStatus.HIDDEN},
    ContentStatus.HIDDEN: {ContentStatus.VISIBLE},
}


def request_analysis(draft_id: int) -> None:
    """Queue a fresh keyword and topic analysis of ``draft_id``'s comments for after the
    commit (once per transaction, however many comments changed)."""
    outbox.add(analyse_draft_comments, draft_id)


def set_comment_status(
    actor: User | None,
    comment: RegulationComment,
    status: ContentStatus,
    reason: str | None = None,
) -> None:
    """Hide or restore ``comment``. ``actor`` must moderate comments; None is the site's
    own rule (hiding after reports). A transition that is not allowed is a 409."""
    if actor is not None and not policy.can_moderate_comments(actor):
        raise RuleError(_("Only moderators can hide or restore content."), status=403)
    if status not in ALLOWED[comment.status]:
        raise RuleError(_("That change is not possible now."), status=409)
    before = comment.status.value
    comment.status = status
    db.session.flush()
    audit.record(
        actor,
        "reg_comment.status",
        COMMENT_CONTENT_TYPE,
        comment.id,
        reason,
        before=before,
        after=status.value,
    )
    request_analysis(comment.draft_id)
