"""Proposals (citizen 提案) and agency consultations (眾開講), their endorsements (附議),
response clocks, extensions, official point-by-point responses, follows and notifications.

Owned by the proposals area; the discussion area only reads ``Proposal`` and asks
:func:`participate.proposals.lifecycle.discussion_is_open` whether writes are allowed.
Status changes happen only in :func:`participate.proposals.lifecycle.transition`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import Agency, User, enum_column
from participate.timeutil import utcnow


class ProposalKind(enum.StrEnum):
    PROPOSAL = "proposal"  # a citizen's proposal: review, endorsement, response
    CONSULTATION = "consultation"  # an agency's own consultation: straight to discussion


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    ENDORSING = "endorsing"
    ESTABLISHED = "established"
    LAPSED = "lapsed"
    RESPONDED = "responded"
    OPEN = "open"  # consultations only
    CLOSED = "closed"


class RejectionReason(enum.StrEnum):
    """The published exclusion reasons a moderator must choose from when rejecting."""

    ABUSIVE = "abusive"  # threats, obscenity, defamation or insult
    INFRINGES_RIGHTS = "infringes_rights"
    DISCRIMINATION = "discrimination"
    IN_COURT = "in_court"
    UNCLEAR = "unclear"  # unclear or purely personal
    OUTSIDE_REMIT = "outside_remit"
    COMMERCIAL = "commercial"
    DUPLICATE = "duplicate"


class Decision(enum.StrEnum):
    ADOPTED = "adopted"
    PARTLY = "partly"
    NOT_ADOPTED = "not_adopted"
    UNDER_STUDY = "under_study"


class NotificationKind(enum.StrEnum):
    ACCEPTED = "accepted"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    ESTABLISHED = "established"
    LAPSED = "lapsed"
    ASSIGNED = "assigned"
    EXTENDED = "extended"
    RESPONDED = "responded"
    CLOSED = "closed"
    MODERATION = "moderation"  # a moderation notice (detail: notice id, action), in the bell


proposal_proposed_agency = Table(
    "proposal_proposed_agency",
    db.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True),
)

proposal_responsible_agency = Table(
    "proposal_responsible_agency",
    db.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True, index=True),
)


class Proposal(db.Model):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProposalKind] = mapped_column(
        enum_column(ProposalKind), default=ProposalKind.PROPOSAL, index=True
    )
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus), default=ProposalStatus.DRAFT, index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    # Content. For consultations ``problem`` holds the background and ``draft_text`` the
    # policy or regulation text; the measures are the questions put to the public.
    problem: Mapped[str] = mapped_column(Text, default="", server_default="")
    benefits: Mapped[str] = mapped_column(Text, default="", server_default="")
    draft_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    evidence_links: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The agency that opened a consultation (consultations only).
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)

    # Review.
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_message: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(
        enum_column(RejectionReason), nullable=True
    )

    # Endorsement (or, for consultations, the open period).
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    endorsement_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    established_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # lapsed/closed

    # The response clock.
    response_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    owner_agency: Mapped[Agency | None] = relationship(foreign_keys=[owner_agency_id])
    measures: Mapped[list[ProposalMeasure]] = relationship(
        back_populates="proposal",
        order_by="ProposalMeasure.position",
        cascade="all, delete-orphan",
    )
    proposed_agencies: Mapped[list[Agency]] = relationship(
        secondary=proposal_proposed_agency, order_by="Agency.id"
    )
    responsible_agencies: Mapped[list[Agency]] = relationship(
        secondary=proposal_responsible_agency, order_by="Agency.id"
    )
    extensions: Mapped[list[ResponseExtension]] = relationship(
        back_populates="proposal", order_by="ResponseExtension.id"
    )
    response: Mapped[AgencyResponse | None] = relationship(back_populates="proposal")

    @property
    def is_consultation(self) -> bool:
        return self.kind == ProposalKind.CONSULTATION

    # ``held_endorsement_count``: the count a moderator holds pending review, or None; a
    # column property defined beside EndorsementHold (models/identity.py), loaded with the
    # proposal by one indexed subquery, so lists show it without a query per row.

    @property
    def public_endorsement_count(self) -> int:
        """The count readers are shown everywhere (page, lists, API, open data): the held
        value while a moderator reviews the endorsements, the live count otherwise. Why:
        a hold that the page honoured and the API did not would publish what it holds."""
        held = getattr(self, "held_endorsement_count", None)
        return int(held) if held is not None else int(self.endorsement_count or 0)

    @property
    def endorsement_count_under_review(self) -> bool:
        return getattr(self, "held_endorsement_count", None) is not None


class ProposalMeasure(db.Model):
    """One suggested measure (or, in a consultation, one question to the public)."""

    __tablename__ = "proposal_measure"
    __table_args__ = (UniqueConstraint("proposal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship(back_populates="measures")


class Endorsement(db.Model):
    """One verified account's endorsement; never withdrawn, so the count only grows."""

    __tablename__ = "endorsement"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship()


class ResponseExtension(db.Model):
    """A public extension of the response clock: who, why, from which date to which."""

    __tablename__ = "response_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    previous_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    new_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="extensions")
    agency: Mapped[Agency | None] = relationship()


class AgencyResponse(db.Model):
    """The official answer: an overall answer plus one point per measure; a draft until
    ``published_at`` is set."""

    __tablename__ = "agency_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    overall: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    proposal: Mapped[Proposal] = relationship(back_populates="response")
    agency: Mapped[Agency | None] = relationship()
    points: Mapped[list[ResponsePoint]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="ResponsePoint.id"
    )


class ResponsePoint(db.Model):
    __tablename__ = "response_point"
    __table_args__ = (UniqueConstraint("response_id", "measure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("agency_response.id", ondelete="CASCADE"))
    measure_id: Mapped[int] = mapped_column(ForeignKey("proposal_measure.id", ondelete="CASCADE"))
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision), nullable=True)
    reasoning: Mapped[str] = mapped_column(Text, default="")
    responsible_unit: Mapped[str] = mapped_column(String(120), default="")
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    # Discussion statement ids the report area may attach to this point later.
    linked_statement_ids: Mapped[list[int] | None] = mapped_column(JSON)

    response: Mapped[AgencyResponse] = relationship(back_populates="points")
    measure: Mapped[ProposalMeasure] = relationship()


class Follow(db.Model):
    __tablename__ = "proposal_follow"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship()


class Notification(db.Model):
    """An in-app notice; ``emailed_at`` stays empty until mailed (at once or in the digest)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    proposal: Mapped[Proposal | None] = relationship()
