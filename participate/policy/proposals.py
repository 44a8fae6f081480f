"""Who may do what with proposals and consultations, at a given moment.

Views ask these to decide what to show; the operations ask them again before writing.
Time matters (an endorsement period ends, a consultation closes), so each predicate takes
``now`` and reads the lifecycle's *effective* status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from participate.models import Proposal, ProposalKind, ProposalStatus
from participate.policy.core import (
    acts_for,
    is_active,
    is_agency_staff,
    is_moderator,
    is_public,
    is_verified,
)
from participate.policy.identity import meets_level
from participate.proposals.lifecycle import effective_status, in_election_freeze

S = ProposalStatus
P = ProposalKind


def can_propose(user: Any, now: datetime) -> bool:
    """Confirmed email and the identity level proposing needs (a verified mobile number by
    default), outside an election freeze."""
    return is_verified(user, now) and meets_level(user, "propose") and not in_election_freeze(now)


def can_edit(user: Any, proposal: Proposal, now: datetime) -> bool:
    """The author, while the proposal is a draft or was sent back for changes."""
    return (
        is_active(user, now)
        and proposal.kind == P.PROPOSAL
        and proposal.author_id == user.id
        and proposal.status in (S.DRAFT, S.CHANGES_REQUESTED)
    )


def can_submit(user: Any, proposal: Proposal, now: datetime) -> bool:
    return can_edit(user, proposal, now) and can_propose(user, now)


def can_review(user: Any, proposal: Proposal, now: datetime) -> bool:
    """Accept, send back or reject a proposal waiting for review: moderators."""
    return (
        is_moderator(user, now) and proposal.kind == P.PROPOSAL and proposal.status == S.IN_REVIEW
    )


def can_endorse(user: Any, proposal: Proposal, now: datetime) -> bool:
    """Verified, active, with the identity level endorsing needs (a verified mobile
    number by default), the proposal open for endorsement now, and no election freeze.

    Endorsing one's own proposal is allowed (as on join.gov.tw). Having endorsed already
    is checked by the operation against the database, under the row lock.
    """
    return (
        is_verified(user, now)
        and proposal.kind == P.PROPOSAL
        and effective_status(proposal, now) == S.ENDORSING
        and not in_election_freeze(now)
        and meets_level(user, "endorse")
    )


def can_assign_agencies(user: Any, proposal: Proposal, now: datetime) -> bool:
    return is_moderator(user, now) and proposal.status == S.ESTABLISHED


def can_extend(user: Any, proposal: Proposal, now: datetime) -> bool:
    """Move the response deadline later (publicly, with a reason)."""
    return (
        proposal.kind == P.PROPOSAL
        and proposal.status == S.ESTABLISHED
        and proposal.response_due_at is not None
        and acts_for(user, proposal, now)
    )


def can_respond(user: Any, proposal: Proposal, now: datetime) -> bool:
    """Write or publish the official response: a responsible agency's staff, once the
    proposal is established and assigned, or once the consultation has closed."""
    if not acts_for(user, proposal, now):
        return False
    status = effective_status(proposal, now)
    if proposal.kind == P.CONSULTATION:
        return status == S.CLOSED
    return status == S.ESTABLISHED and proposal.response_due_at is not None


def can_open_consultation(user: Any, now: datetime) -> bool:
    """Agency staff open consultations for their own agency (admins belong to none)."""
    return is_agency_staff(user, now)


def can_close_consultation(user: Any, proposal: Proposal, now: datetime) -> bool:
    return (
        proposal.kind == P.CONSULTATION
        and effective_status(proposal, now) == S.OPEN
        and acts_for(user, proposal, now)
    )


def can_follow(user: Any, proposal: Proposal, now: datetime) -> bool:
    return is_active(user, now) and is_public(proposal)


def can_report_proposal(user: Any, proposal: Proposal, now: datetime) -> bool:
    """Flag a published proposal for the moderators."""
    return is_verified(user, now) and is_public(proposal)
