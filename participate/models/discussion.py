"""The discussion attached to each proposal or consultation: statements, replies, votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.proposals import Proposal
from participate.timeutil import utcnow


class Discussion(db.Model):
    __tablename__ = "discussion"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship(backref=db.backref("discussion", uselist=False))


def get_or_create_discussion(proposal: Proposal) -> Discussion:
    """Every proposal and consultation has exactly one discussion, made on first need."""
    found = db.session.scalar(db.select(Discussion).where(Discussion.proposal_id == proposal.id))
    if found is None:
        found = Discussion(proposal_id=proposal.id)
        db.session.add(found)
        db.session.flush()
    return found
