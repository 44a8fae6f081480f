"""The words moderation shows people: the published exclusion reasons, what each queue
reason means and what each notice says. Plain data, imported by the operations, the mail
and the pages alike, so a reason reads the same in all of them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from participate.models import RejectionReason
from participate.models.discussion import ReportReason

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
# What a participant may report content for (the report form's choices).
REPORT_REASONS: dict[str, Any] = {
    ReportReason.SPAM.value: _l("Spam or advertising"),
    ReportReason.ABUSE.value: _l("Abuse or harassment"),
    ReportReason.OFF_TOPIC.value: _l("Off topic"),
    ReportReason.PERSONAL_DATA.value: _l("Personal data"),
    ReportReason.MISINFORMATION.value: _l("Misinformation"),
    ReportReason.OTHER.value: _l("Other"),
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
# A decision once taken, as the queue and an item's page name it.
DECISION_LABELS: dict[str, Any] = {
    "hide": _l("Hidden"),
    "reject": _l("Removed with a published reason"),
    "restore": _l("Restored"),
    "dismiss": _l("Reports dismissed"),
    "auto_hide": _l("Hidden automatically after reports"),
    "approve": _l("Proposal accepted"),
    "request_edit": _l("Changes requested"),
    "suspend": _l("Account suspended"),
    "uphold": _l("Decision upheld"),
    "overturn": _l("Decision overturned"),
}
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


def reason_label(reason: str | None) -> str:
    """A stored reason key in the reader's language (unknown keys as they are)."""
    if not reason:
        return ""
    label = EXCLUSION_REASONS.get(reason) or REPORT_REASONS.get(reason) or REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


def decision_label(decision: str | None) -> str:
    """A stored decision key in the reader's language (never the key itself)."""
    if not decision:
        return ""
    label = DECISION_LABELS.get(decision)
    return str(label) if label is not None else _("Other decision")
