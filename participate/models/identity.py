"""Identity levels: verified mobile numbers (as keyed hashes only), the one-time codes sent
to them, and moderators' holds on a proposal's public endorsement count.

Kept in tables of their own rather than columns on ``user_account``: the number a person
verified is a fact about the number (one account per number, kept after the account is
deleted, see :mod:`participate.identity.operations`), not about the account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, ForeignKey, Integer, String, Text, and_, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from participate.extensions import db
from participate.models.proposals import Proposal
from participate.timeutil import utcnow


class PhoneNumber(db.Model):
    """A verified mobile number, as HMAC-SHA256(secret, E.164 number): never the number.

    ``number_hash`` is unique: one account per number, guaranteed by the database even when
    two accounts verify the same number at once. ``user_id`` is unique too (one number per
    account); it becomes NULL when the account is deleted (``detached_at``), and the row
    stays for the retention period so the number cannot verify (and endorse) again.
    """

    __tablename__ = "phone_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), unique=True
    )
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class PhoneChallenge(db.Model):
    """One code sent by SMS: only its hash, when it expires, how many wrong tries it took.

    ``client_hash`` is a keyed hash of the client's address, so the per-client limit can
    count codes without keeping addresses.
    """

    __tablename__ = "phone_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EndorsementHold(db.Model):
    """A moderator holds a proposal's public count at ``held_count`` pending review.

    While ``released_at`` is NULL the page shows the held count as "under review" and the
    proposal cannot become established; endorsements are still recorded. The release
    publishes ``outcome`` on the proposal page.
    """

    __tablename__ = "endorsement_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    held_count: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(Text)


def unreleased_hold_on(proposal_id: Any) -> ColumnElement[bool]:
    """A hold on the proposal's count that is not released yet (an id or a column): the
    one condition the policy's query and the proposal's held count both use."""
    return and_(EndorsementHold.proposal_id == proposal_id, EndorsementHold.released_at.is_(None))


# The held count travels with the proposal (``Proposal.public_endorsement_count``): one
# indexed subquery per loaded proposal, instead of a query per proposal in a list.
Proposal.held_endorsement_count = column_property(
    select(EndorsementHold.held_count)
    .where(unreleased_hold_on(Proposal.id))
    .order_by(EndorsementHold.id.desc())
    .limit(1)
    .correlate_except(EndorsementHold)
    .scalar_subquery()
)
