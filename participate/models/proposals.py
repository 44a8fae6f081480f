"""Proposals (citizen 提案) and agency consultations (眾開講).

Owned by the proposals area; the discussion area only reads ``Proposal`` and asks
:func:`participate.proposals.rules.discussion_is_open` whether writes are allowed.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import User, enum_column
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

    author: Mapped[User | None] = relationship()
