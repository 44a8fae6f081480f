"""Reads of the identity area: the endorsement integrity figures of a proposal, the
public state of its count (held or not), an account's level for its page.

The integrity figures, for staff of the responsible agencies and moderators:

- endorsements per hour (Asia/Taipei hours, from the first endorsement to the last);
- the share from accounts younger than a day when they endorsed;
- the share from numbers verified less than an hour before the endorsement;
- bursts: hours with more than ``INTEGRITY_BURST_FACTOR`` times the proposal's own median
  hourly rate (the median of the hours that had endorsements) and at least
  ``INTEGRITY_BURST_MIN`` endorsements.

Computed in Python over (endorsed at, account created at, number verified at) rows: one
query, the same figures on SQLite and PostgreSQL, and a proposal has at most tens of
thousands of endorsements.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from flask import current_app
from sqlalchemy import select

from participate.extensions import db
from participate.models import Endorsement, EndorsementHold, PhoneNumber, User
from participate.timeutil import aware, to_taipei

NEW_ACCOUNT = timedelta(days=1)
FRESH_NUMBER = timedelta(hours=1)


@dataclass
class HourCount:
    hour: datetime  # the start of the hour, Asia/Taipei
    count: int
    burst: bool = False


@dataclass
class Integrity:
    total: int = 0
    new_accounts: int = 0
    fresh_numbers: int = 0
    median_per_hour: float = 0.0
    hours: list[HourCount] = field(default_factory=list)

    @property
    def bursts(self) -> list[HourCount]:
        return [h for h in self.hours if h.burst]

    @property
    def new_account_share(self) -> float:
        return self.new_accounts / self.total if self.total else 0.0

    @property
    def fresh_number_share(self) -> float:
        return self.fresh_numbers / self.total if self.total else 0.0


def integrity(proposal_id: int) -> Integrity:
    """The figures of the module docstring for one proposal."""
    rows = db.session.execute(
        select(Endorsement.created_at, User.created_at, PhoneNumber.verified_at)
        .join(User, User.id == Endorsement.user_id)
        .outerjoin(PhoneNumber, PhoneNumber.user_id == Endorsement.user_id)
        .where(Endorsement.proposal_id == proposal_id)
    ).all()
    result = Integrity(total=len(rows))
    if not rows:
        return result
    per_hour: Counter[datetime] = Counter()
    for endorsed, created, verified in rows:
        endorsed, created, verified = aware(endorsed), aware(created), aware(verified)
        if created is not None and endorsed - created < NEW_ACCOUNT:
            result.new_accounts += 1
        if verified is not None and timedelta(0) <= endorsed - verified < FRESH_NUMBER:
            result.fresh_numbers += 1
        per_hour[to_taipei(endorsed).replace(minute=0, second=0, microsecond=0)] += 1
    cfg = current_app.config
    result.median_per_hour = float(median(per_hour.values()))
    limit = max(cfg["INTEGRITY_BURST_FACTOR"] * result.median_per_hour, 0)
    first, last = min(per_hour), max(per_hour)
    hour = first
    while hour <= last:  # every hour in between, empty ones too, so the table reads as a clock
        count = per_hour.get(hour, 0)
        burst = count > limit and count >= cfg["INTEGRITY_BURST_MIN"]
        result.hours.append(HourCount(hour, count, burst))
        hour += timedelta(hours=1)
    return result


def public_hold(proposal_id: int) -> EndorsementHold | None:
    """What the proposal page says about its count: the active hold, else the last
    released one (its outcome stays published)."""
    return db.session.scalar(
        select(EndorsementHold)
        .where(EndorsementHold.proposal_id == proposal_id)
        .order_by(EndorsementHold.released_at.is_(None).desc(), EndorsementHold.id.desc())
        .limit(1)
    )


def personal_data(user: User) -> tuple[str, Any]:
    """``personal_data``: whether a number is verified and when; the site has no number
    to give (only its keyed hash, which means nothing without the key)."""
    row = db.session.scalar(select(PhoneNumber).where(PhoneNumber.user_id == user.id))
    if row is None:
        return "mobile_number", None
    return "mobile_number", {
        "verified": True,
        "verified_at": aware(row.verified_at).isoformat(),
        "kept": "HMAC-SHA256 of the number; the number itself is not stored",
    }
