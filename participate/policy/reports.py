"""Who may read the opinion report, re-run the analysis, see diagnostics and export."""

from __future__ import annotations

from typing import Any

from participate.models import Proposal, Role
from participate.policy.core import acts_for, can_view_proposal, is_active, is_moderator


def can_view_report(user: Any, proposal: Proposal) -> bool:
    """Public once the proposal is public; before that its author and moderators only."""
    return can_view_proposal(user, proposal)


def can_reanalyse(user: Any, proposal: Proposal) -> bool:
    """Staff of a responsible agency, moderators and admins."""
    return is_moderator(user) or acts_for(user, proposal)


def can_see_diagnostics(user: Any, proposal: Proposal) -> bool:
    """Run errors, timings and the stale-worker warning are for the same people."""
    return can_reanalyse(user, proposal)


def can_export(user: Any) -> bool:
    """Data exports of a report: agency staff, moderators and admins (the printable page is
    public like the report itself)."""
    return is_moderator(user) or (is_active(user) and user.role == Role.AGENCY_STAFF)
