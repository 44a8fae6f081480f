"""Opinion analyses of a discussion: versioned snapshot rows written by the worker.

Pages read only the latest *succeeded* :class:`Analysis` of a discussion; the worker appends
rows and never edits a succeeded one, so a failed or running analysis never hides the last
good report. :class:`AnalysisState` is one small row per discussion that only
:mod:`participate.reports.scheduler` updates, with single conditional ``UPDATE`` statements,
which is what makes the debounce safe across processes (at most one task queued and one run
in flight).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import enum_column
from participate.models.discussion import Discussion
from participate.timeutil import utcnow


class AnalysisStatus(enum.StrEnum):
    """Lifecycle of one analysis row; changed only through
    :func:`participate.reports.engine.transition`."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Analysis(db.Model):
    """One run of the opinion analysis over a discussion's votes up to a watermark."""

    __tablename__ = "analysis"
    __table_args__ = (
        UniqueConstraint("discussion_id", "version", name="uq_analysis_discussion_version"),
        Index("ix_analysis_discussion_status_version", "discussion_id", "status", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[AnalysisStatus] = mapped_column(
        enum_column(AnalysisStatus), default=AnalysisStatus.QUEUED
    )
    # Why it ran: "vote", "catch-up", "staff", "demo", "retry", "command".
    trigger: Mapped[str] = mapped_column(String(16), default="vote")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # Input watermark: the last vote event read, when it was cast, and how many there were.
    last_vote_id: Mapped[int | None] = mapped_column(Integer)
    last_vote_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_events: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)  # current votes analysed
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    discussion: Mapped[Discussion] = relationship()


class AnalysisState(db.Model):
    """Per-discussion scheduling state (the debounce), one row per analysed discussion.

    ``requested_at``: earliest vote (or request) not yet covered by a started run.
    ``scheduled_for``: a task is queued to run at this time (NULL: none queued).
    ``running_since``: a run is in flight since then (NULL: none).
    ``last_started_at``: start of the latest run, for "at most one run per N seconds".
    """

    __tablename__ = "analysis_state"

    discussion_id: Mapped[int] = mapped_column(
        ForeignKey("discussion.id", ondelete="CASCADE"), primary_key=True
    )
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Consecutive failures, for the retry back-off; reset by a success.
    failures: Mapped[int] = mapped_column(Integer, default=0)
