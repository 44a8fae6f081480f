"""The shared predicates every area's policy is composed of.

Each question is answered once here: who is an active participant, who moderates, which
proposals are public, which agencies answer for a proposal and who acts for them. The area
predicates (``policy.proposals``, ``policy.discussion``...) combine these, so two pages can
never disagree about them.

**Consultation ownership**, decided once: the agency that opens a consultation owns it
(``Proposal.owner_agency_id``, shown as its author and on its agency page), and it is also
the first of the agencies *responsible* for it. Staff of any responsible agency may act on
it (close it early, answer it, seed statements, re-run the analysis, moderate it when the
site lets agency staff moderate). For a citizen's proposal the responsible agencies are the
ones a moderator assigned once it was established; the agencies the author suggested are
only a suggestion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, or_, select

from participate.models import Discussion, Proposal, ProposalKind, Role
from participate.models.proposals import proposal_responsible_agency
from participate.policy.mfa import second_factor_ok
from participate.proposals.lifecycle import PUBLIC_STATUSES
from participate.timeutil import utcnow


def is_authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_active(user: Any, now: datetime | None = None) -> bool:
    """Logged in, not deleted, not suspended: may write anything at all."""
    return (
        is_authenticated(user)
        and user.deleted_at is None
        and not user.is_suspended(now or utcnow())
    )


def is_verified(user: Any, now: datetime | None = None) -> bool:
    """Active with a confirmed email address: may take part (post, vote, endorse...)."""
    return is_active(user, now) and user.is_verified


def is_moderator(user: Any, now: datetime | None = None) -> bool:
    """An active moderator or admin (admins hold every moderator power), with the second
    factor (every staff predicate asks :func:`participate.policy.mfa.second_factor_ok`)."""
    return (
        is_active(user, now)
        and user.role in (Role.MODERATOR, Role.ADMIN)
        and second_factor_ok(user)
    )


def is_admin(user: Any, now: datetime | None = None) -> bool:
    return is_active(user, now) and user.role == Role.ADMIN and second_factor_ok(user)


def is_agency_staff(user: Any, now: datetime | None = None) -> bool:
    return (
        is_active(user, now)
        and user.role == Role.AGENCY_STAFF
        and user.agency_id is not None
        and second_factor_ok(user)
    )


def is_public(proposal: Proposal) -> bool:
    """Anyone may read it: it passed review (or is a consultation). Drafts, proposals in
    review, sent back or rejected are seen by their author and the moderators only."""
    return proposal.status in PUBLIC_STATUSES


def public_clause() -> ColumnElement[bool]:
    """:func:`is_public` as SQL, for lists, search, the API and the open-data dumps."""
    return Proposal.status.in_(PUBLIC_STATUSES)


def can_view_proposal(user: Any, proposal: Proposal) -> bool:
    """The proposal, its discussion and its report: public, or its author or a moderator."""
    if is_public(proposal):
        return True
    if not is_authenticated(user) or user.deleted_at is not None:
        return False
    return user.id == proposal.author_id or is_moderator(user)


def agencies_of(proposal: Proposal) -> set[int]:
    """Ids of the agencies responsible for ``proposal`` (see the module docstring)."""
    ids = {agency.id for agency in proposal.responsible_agencies or []}
    if proposal.kind == ProposalKind.CONSULTATION and proposal.owner_agency_id is not None:
        ids.add(proposal.owner_agency_id)
    return ids


def responsible_clause(agency_id: int | None) -> ColumnElement[bool]:
    """:func:`agencies_of` as SQL: the proposals ``agency_id`` is responsible for."""
    assigned = select(proposal_responsible_agency.c.proposal_id).where(
        proposal_responsible_agency.c.agency_id == agency_id
    )
    return or_(
        Proposal.id.in_(assigned),
        and_(Proposal.kind == ProposalKind.CONSULTATION, Proposal.owner_agency_id == agency_id),
    )


def acts_for(user: Any, proposal: Proposal, now: datetime | None = None) -> bool:
    """Active staff of a responsible agency, or an admin once some agency is responsible."""
    ids = agencies_of(proposal)
    if not ids:
        return False
    return is_admin(user, now) or (is_agency_staff(user, now) and user.agency_id in ids)


def agency_staff_may_moderate() -> bool:
    return bool(current_app.config["MODERATION_AGENCY_STAFF"])


def can_moderate(user: Any, discussion: Discussion | None = None) -> bool:
    """Moderators moderate everything; agency staff only the discussions of consultations
    their agency is responsible for, and only when the site allows it."""
    if is_moderator(user):
        return True
    if discussion is None or not agency_staff_may_moderate() or not is_agency_staff(user):
        return False
    proposal = discussion.proposal
    return proposal.kind == ProposalKind.CONSULTATION and acts_for(user, proposal)
