"""Who may read the opinion report, re-run the analysis, see diagnostics and export."""

from __future__ import annotations

from typing import Any

from participate.models import Proposal
from participate.policy.core import acts_for, can_view_proposal, is_moderator


def can_view_report(user: Any, proposal: Proposal) -> bool:
    """Public once the proposal is public; before that its author and moderators only."""
    return can_view_proposal(user, proposal)


def can_reanalyse(user: Any, proposal: Proposal) -> bool:
    """Staff of a responsible agency, moderators and admins."""
    return is_moderator(user) or acts_for(user, proposal)


def can_see_diagnostics(user: Any, proposal: Proposal) -> bool:
    """Run errors, timings and the stale-worker warning are for the same people."""
    return can_reanalyse(user, proposal)


def can_export(user: Any, proposal: Proposal) -> bool:
    """The report's data exports (JSON, CSV): staff of an agency responsible for the
    proposal (``acts_for``), moderators and admins; not staff of other agencies. The report
    page and its printable version stay public like the proposal."""
    return can_view_report(user, proposal) and (is_moderator(user) or acts_for(user, proposal))
