"""Proposal lifecycle rules as plain functions (owned by the proposals area)."""

from __future__ import annotations

from datetime import datetime

from participate.models import Proposal, ProposalStatus
from participate.timeutil import utcnow

OPEN_FOR_DISCUSSION = {
    ProposalStatus.ENDORSING,
    ProposalStatus.ESTABLISHED,
    ProposalStatus.OPEN,
    ProposalStatus.RESPONDED,
}


def discussion_is_open(proposal: Proposal, now: datetime | None = None) -> bool:
    """May people post and vote in this proposal's discussion right now?

    The discussion area asks only this; the proposals area decides (deadlines included).
    """
    now = now or utcnow()
    return proposal.status in OPEN_FOR_DISCUSSION
