"""One function per moderator action (and the author's appeal), split along what they act
on: queue decisions, appeals, locks, suspensions, the moderators' settings, reports of
proposals. Each asks the policy, writes, flushes, records the audit entry and notifies
(``moderation.notices``: the mail goes out after the commit); none commits.

Content is shown or hidden only through the discussion's ``set_status``; proposals are
decided through the proposals area's operations.
"""

from participate.moderation.operations.appeals import appeal, decide_appeal
from participate.moderation.operations.decisions import (
    BULK_DECISIONS,
    DECISIONS,
    BulkResult,
    approve_proposal,
    bulk_decide,
    claim,
    decide,
    dismiss,
    hide,
    reject,
    request_edit,
    restore,
)
from participate.moderation.operations.locks import lock, unlock
from participate.moderation.operations.reports import report_proposal
from participate.moderation.operations.settings import (
    add_banned_term,
    remove_banned_term,
    set_premoderation,
)
from participate.moderation.operations.suspensions import (
    PERMANENT,
    suspend,
    suspension_message,
    unsuspend,
)

__all__ = [
    "BULK_DECISIONS",
    "DECISIONS",
    "PERMANENT",
    "BulkResult",
    "add_banned_term",
    "appeal",
    "approve_proposal",
    "bulk_decide",
    "claim",
    "decide",
    "decide_appeal",
    "dismiss",
    "hide",
    "lock",
    "reject",
    "remove_banned_term",
    "report_proposal",
    "request_edit",
    "restore",
    "set_premoderation",
    "suspend",
    "suspension_message",
    "unlock",
    "unsuspend",
]
