"""The optional participant profile: who took part, for representativeness and weighting.

Asked once, with its purpose stated (Personal Data Protection Act), every field optional,
deletable at any time, part of "download my data" and erased with the account. Nothing of
it is ever shown per person: pages and exports show only counts of 5 or more people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from participate.extensions import db
from participate.timeutil import utcnow


class ParticipantProfile(db.Model):
    __tablename__ = "participant_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # Codes from participate.participants.population; None = not answered.
    age_band: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(8))
    county: Mapped[str | None] = mapped_column(String(3))
    indigenous: Mapped[bool] = mapped_column(Boolean, default=False)
    hakka: Mapped[bool] = mapped_column(Boolean, default=False)
    new_immigrant: Mapped[bool] = mapped_column(Boolean, default=False)
    consented_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def groups(self) -> list[str]:
        return [g for g in ("indigenous", "hakka", "new_immigrant") if getattr(self, g)]
