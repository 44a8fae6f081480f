"""Time in one place: stored in UTC, shown in Asia/Taipei.

Every "now" in the app comes from :func:`utcnow` so tests can freeze it by setting
``app.config["FROZEN_NOW"]`` (a timezone-aware datetime) without patching modules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

TAIPEI = ZoneInfo("Asia/Taipei")


def utcnow() -> datetime:
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen
    return datetime.now(UTC)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; treat them as the UTC they were stored as."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def to_taipei(dt: datetime | None) -> datetime | None:
    dt = aware(dt)
    return dt.astimezone(TAIPEI) if dt else None


def taipei_today(now: datetime | None = None) -> date:
    return (aware(now) or utcnow()).astimezone(TAIPEI).date()


def end_of_taipei_day(day: date) -> datetime:
    """Deadlines end at 23:59:59 Taipei time on their last day, as citizens read them."""
    local = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=TAIPEI)
    return local.astimezone(UTC)


def deadline_after(start: datetime, days: int) -> datetime:
    """The public deadline ``days`` calendar days after ``start``, at the end of that Taipei day."""
    return end_of_taipei_day(taipei_today(start) + timedelta(days=days))


def add_working_days(start: datetime, days: int) -> datetime:
    """Working days (Mon-Fri) after ``start``; public holidays are not modelled."""
    day = taipei_today(start)
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return end_of_taipei_day(day)


def days_left(deadline: datetime | None, now: datetime | None = None) -> int | None:
    """Whole Taipei calendar days until ``deadline`` (negative when past)."""
    if deadline is None:
        return None
    return (taipei_today(deadline) - taipei_today(now or utcnow())).days
