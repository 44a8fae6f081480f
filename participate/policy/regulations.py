"""Who may do what with draft regulations (法規預告), at a given moment.

**Who acts for a draft**: the agency that publishes it owns it; its active staff prepare,
publish, answer and record it, and so may an admin (as for consultations: admins act for
any agency once one owns the thing). Staff of another agency never do. Creating a draft
needs an agency, so only agency staff create one.

**Time** decides the rest: comments are accepted from publication to the end of the
period's last Taipei day (``lifecycle.comment_period_open``), the response table can be
written once the period is over, the final text once the response table is published.
Every predicate takes ``now`` so tests (and the pages) can ask about any moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from participate.models import ContentStatus, RegulationComment, RegulationDraft
from participate.policy.core import (
    is_active,
    is_admin,
    is_agency_staff,
    is_authenticated,
    is_moderator,
    is_verified,
)
from participate.policy.discussion import Refusal, account_refusal
from participate.regulations.lifecycle import (
    D,
    comment_period_open,
    effective_status,
    is_public,
)
from participate.timeutil import utcnow


def acts_for_draft(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    """Active staff of the draft's agency, or an admin."""
    if draft.agency_id is None:
        return False
    if is_admin(user, now):
        return True
    return is_agency_staff(user, now) and user.agency_id == draft.agency_id


def can_view_draft(user: Any, draft: RegulationDraft) -> bool:
    """Published drafts are public; one being prepared only for who acts for it."""
    return is_public(draft) or acts_for_draft(user, draft)


def can_create_draft(user: Any, now: datetime | None = None) -> bool:
    """Agency staff publish drafts for their own agency (admins belong to none)."""
    return is_agency_staff(user, now)


def can_edit_draft(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    """Change the draft and its comparison table, or publish it: before publication."""
    return draft.status == D.PREPARING and acts_for_draft(user, draft, now)


def can_publish_draft(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    return can_edit_draft(user, draft, now)


def comment_refusal(
    user: Any, draft: RegulationDraft, now: datetime | None = None
) -> Refusal | None:
    """Why ``user`` may not comment on ``draft`` now, or None: the period first (closed,
    or not open yet), then the account (logged in, confirmed, not suspended)."""
    now = now or utcnow()
    if not comment_period_open(draft, now):
        return Refusal("closed", _("The comment period is over. You can still read the comments."))
    refusal = account_refusal(user, now)
    if refusal is not None and refusal.code == "login_required":
        return Refusal(refusal.code, _("Log in to comment on the draft."), refusal.status)
    if refusal is not None and refusal.code == "unverified":
        return Refusal(refusal.code, _("Confirm your email address to comment on the draft."))
    return refusal


def can_comment(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    return comment_refusal(user, draft, now) is None


def can_reply_comment(user: Any, comment: RegulationComment, now: datetime | None = None) -> bool:
    """Reply in a visible comment's thread while the period is open."""
    return comment.is_visible and can_comment(user, comment.draft, now)


def can_vote_comment(user: Any, comment: RegulationComment, now: datetime | None = None) -> bool:
    """Agree or disagree with someone else's visible comment while the period is open."""
    return (
        can_reply_comment(user, comment, now)
        and is_authenticated(user)
        and comment.author_id != user.id
    )


def can_delete_comment(user: Any, comment: RegulationComment, now: datetime | None = None) -> bool:
    """Authors withdraw their own comment while the period is open (afterwards it is part
    of the record the response table answers)."""
    return (
        is_active(user, now)
        and comment.author_id == user.id
        and not comment.is_deleted
        and comment_period_open(comment.draft, now)
    )


def can_report_comment(user: Any, now: datetime | None = None) -> bool:
    """Flag a comment for the moderators: confirmed, unsuspended accounts."""
    return is_verified(user, now)


def can_moderate_comments(user: Any) -> bool:
    """Hide and restore comments on drafts: the site's moderators (agency staff do not
    moderate the comments on their own drafts)."""
    return is_moderator(user)


def can_view_comment(user: Any, comment: RegulationComment) -> bool:
    """Visible comments of readable drafts; hidden ones only to the moderators. A
    withdrawn comment stays as a placeholder in its thread."""
    if not can_view_draft(user, comment.draft):
        return False
    return comment.status == ContentStatus.VISIBLE or can_moderate_comments(user)


def can_respond_draft(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    """Write and publish the collated response table: who acts for the draft, once the
    comment period is over and until the table is published."""
    return effective_status(draft, now) == D.CLOSED and acts_for_draft(user, draft, now)


def can_record_final_text(user: Any, draft: RegulationDraft, now: datetime | None = None) -> bool:
    """Record the promulgated text: who acts for the draft, once the responses are out."""
    return draft.status == D.RESPONDED and acts_for_draft(user, draft, now)


def can_export_comments(user: Any, draft: RegulationDraft) -> bool:
    """The comments and the response table as CSV: anyone who can read the draft (the
    open data has the same rows)."""
    return is_public(draft)
