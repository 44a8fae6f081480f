"""Report rules: who may see and re-run an analysis, the analysis status transitions, and
the debounced scheduling the vote hook and the worker share.

Scheduling is coordinated through one :class:`AnalysisState` row per discussion, changed
only by conditional ``UPDATE`` statements (``... WHERE scheduled_for IS NULL``): whichever
process's update matches first owns the slot, on SQLite and PostgreSQL alike, so two web
workers receiving votes at the same moment enqueue one task, not two.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import defer

from participate import audit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisState,
    AnalysisStatus,
    Discussion,
)
from participate.policy import (  # noqa: F401 - re-exported for callers
    can_reanalyse,
    can_see_diagnostics,
    can_view_report,
)
from participate.timeutil import aware, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "RuleError",
    "ALLOWED",
    "transition",
    "can_view_report",
    "can_reanalyse",
    "can_see_diagnostics",
    "request_analysis",
    "reanalyse_now",
    "earliest_run",
    "latest_succeeded",
    "progress",
]

# The one place analysis statuses change: from -> allowed targets.
ALLOWED: dict[AnalysisStatus, set[AnalysisStatus]] = {
    AnalysisStatus.QUEUED: {AnalysisStatus.RUNNING, AnalysisStatus.FAILED},
    AnalysisStatus.RUNNING: {AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED},
    AnalysisStatus.SUCCEEDED: set(),
    AnalysisStatus.FAILED: set(),
}


def transition(analysis: Analysis, target: AnalysisStatus, now: datetime | None = None) -> None:
    """Move ``analysis`` to ``target`` or raise ValueError; stamps start/finish times."""
    current = analysis.status or AnalysisStatus.QUEUED
    if target not in ALLOWED[current]:
        raise ValueError(f"analysis {analysis.id}: {current} -> {target} is not allowed")
    now = now or utcnow()
    analysis.status = target
    if target == AnalysisStatus.RUNNING:
        analysis.started_at = now
    elif target in (AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED):
        analysis.finished_at = now


# --- Predicates -------------------------------------------------------------------------


# --- Scheduling -------------------------------------------------------------------------


def setting(name: str, default: float) -> float:
    """A report setting: the app config, else ``PARTICIPATE_<name>`` in the environment (the
    consumer process has no test overrides), else the default."""
    value = current_app.config.get(name)
    if value is None:
        raw = os.environ.get(f"PARTICIPATE_{name}")
        value = float(raw) if raw not in (None, "") else default
    return float(value)


def _debounce() -> timedelta:
    return timedelta(seconds=setting("ANALYSIS_DEBOUNCE_SECONDS", 30))


def _min_delay() -> timedelta:
    """Even the first vote waits a moment, so a burst of votes makes one run, not two."""
    return timedelta(seconds=setting("ANALYSIS_MIN_DELAY_SECONDS", 2))


def _grace() -> timedelta:
    return timedelta(seconds=setting("ANALYSIS_GRACE_SECONDS", 120))


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failed runs: base·2^(n−1), capped."""
    if failures <= 0:
        return timedelta(0)
    base = setting("ANALYSIS_RETRY_BASE_SECONDS", 30)
    cap = setting("ANALYSIS_RETRY_MAX_SECONDS", 3600)
    return timedelta(seconds=min(cap, base * 2 ** min(failures - 1, 20)))


def earliest_run(state: Any, now: datetime) -> datetime:
    """When the next vote-triggered run may start: debounce after the last start, back-off
    after failures."""
    when = now
    started = aware(state.last_started_at)
    if started is not None:
        when = max(when, started + _debounce())
    finished = aware(state.last_finished_at)
    if state.failures and finished is not None:
        when = max(when, finished + backoff(state.failures))
    return when


def _ensure_state(discussion_id: int) -> None:
    table = AnalysisState.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    db.session.execute(
        dialect_insert(table)
        .values(discussion_id=discussion_id, failures=0)
        .on_conflict_do_nothing(index_elements=["discussion_id"])
    )


def schedule_slot(discussion_id: int, when: datetime, now: datetime) -> bool:
    """Claim the discussion's one queue slot for ``when``; True if this caller owns it.

    The slot is free when nothing is scheduled or the scheduled task is overdue by more
    than the grace period (its message was lost: the consumer died, Redis was flushed).
    """
    st = AnalysisState.__table__
    grace = _grace()
    claimed = db.session.execute(
        update(st)
        .where(
            st.c.discussion_id == discussion_id,
            or_(st.c.scheduled_for.is_(None), st.c.scheduled_for < now - grace),
        )
        .values(scheduled_for=when)
    ).rowcount
    return bool(claimed)


def request_analysis(
    discussion_id: int, trigger: str = "vote", now: datetime | None = None
) -> bool:
    """Note that ``discussion_id`` has new input and make sure one run is scheduled.

    Cheap enough for the vote hot path: one SELECT in the common case (a run is already
    requested and scheduled). Returns True when this call enqueued a task.
    """
    now = now or utcnow()
    st = AnalysisState.__table__
    # Most votes arrive while a run is already requested and scheduled: a plain read sees
    # that and returns without writing, so concurrent voters never queue on this one row.
    seen = db.session.execute(
        select(st.c.requested_at, st.c.scheduled_for).where(st.c.discussion_id == discussion_id)
    ).first()
    if seen is not None and seen.requested_at is not None:
        pending = aware(seen.scheduled_for)
        if pending is not None and pending >= now - _grace():
            db.session.commit()
            return False
    row = db.session.execute(
        update(st)
        .where(st.c.discussion_id == discussion_id)
        .values(requested_at=func.coalesce(st.c.requested_at, now))
        .returning(st.c.scheduled_for, st.c.last_started_at, st.c.last_finished_at, st.c.failures)
    ).first()
    if row is None:
        _ensure_state(discussion_id)
        db.session.execute(
            update(st).where(st.c.discussion_id == discussion_id).values(requested_at=now)
        )
        row = db.session.execute(
            select(
                st.c.scheduled_for, st.c.last_started_at, st.c.last_finished_at, st.c.failures
            ).where(st.c.discussion_id == discussion_id)
        ).one()
    grace = _grace()
    scheduled = aware(row.scheduled_for)
    if scheduled is not None and scheduled >= now - grace:
        db.session.commit()
        return False
    when = max(earliest_run(row, now), now + _min_delay())
    owned = schedule_slot(discussion_id, when, now)
    db.session.commit()
    if owned:
        _enqueue(discussion_id, when, now, trigger)
    return owned


def _enqueue(
    discussion_id: int,
    when: datetime,
    now: datetime,
    trigger: str,
    requested_by: int | None = None,
) -> None:
    from participate.reports.tasks import analyse_discussion

    delay = max(0.0, (when - now).total_seconds())
    kwargs = {"trigger": trigger, "requested_by": requested_by}
    if delay <= 0:
        analyse_discussion(discussion_id, **kwargs)
    else:
        analyse_discussion.schedule(args=(discussion_id,), kwargs=kwargs, delay=delay)


def on_vote_recorded(discussion_id: int) -> None:
    """The ``hooks.vote_recorded`` callback: never lets a queue problem break a vote (the
    periodic catch-up finds the discussion later)."""
    try:
        request_analysis(discussion_id, "vote")
    except Exception:  # noqa: BLE001 - logged; the vote itself is already committed
        db.session.rollback()
        log.exception("could not schedule the analysis of discussion %s", discussion_id)


@dataclass(frozen=True)
class ReanalyseResult:
    queued: bool
    running: bool


def reanalyse_now(
    user: Any, discussion: Discussion, now: datetime | None = None
) -> ReanalyseResult:
    """Staff's "re-analyse now": skips the debounce and back-off, not the one-run rule.

    When a run is in flight, the request is noted and the worker runs again right after.
    """
    now = now or utcnow()
    if not can_reanalyse(user, discussion.proposal):
        raise RuleError(
            _("Only the responsible agency's staff and moderators can do this."), status=403
        )
    _ensure_state(discussion.id)
    st = AnalysisState.__table__
    db.session.execute(
        update(st).where(st.c.discussion_id == discussion.id).values(requested_at=now)
    )
    state = db.session.get(AnalysisState, discussion.id)
    db.session.refresh(state)
    running = state.running_since is not None
    # Take the slot even if a vote-triggered task is waiting: run now, not in 30 s.
    db.session.execute(
        update(st).where(st.c.discussion_id == discussion.id).values(scheduled_for=now)
    )
    audit.record(user, "analysis.requested", "discussion", discussion.id)
    db.session.commit()
    _enqueue(discussion.id, now, now, "staff", requested_by=user.id)
    return ReanalyseResult(queued=True, running=running)


# --- Reading ----------------------------------------------------------------------------


def latest_succeeded(discussion_id: int) -> Analysis | None:
    """The row every page reads (one indexed query; the result JSON is loaded on access,
    which the page cache avoids)."""
    return db.session.scalar(
        select(Analysis)
        .options(defer(Analysis.result))
        .where(
            Analysis.discussion_id == discussion_id,
            Analysis.status == AnalysisStatus.SUCCEEDED,
        )
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def latest_attempt(discussion_id: int) -> Analysis | None:
    return db.session.scalar(
        select(Analysis)
        .options(defer(Analysis.result))
        .where(Analysis.discussion_id == discussion_id)
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def progress(discussion_id: int, now: datetime | None = None) -> dict[str, Any]:
    """What the report says about work in flight (also the polling endpoint's JSON)."""
    now = now or utcnow()
    state = db.session.get(AnalysisState, discussion_id)
    latest = latest_succeeded(discussion_id)
    last = latest_attempt(discussion_id)
    running_since = aware(state.running_since) if state else None
    scheduled_for = aware(state.scheduled_for) if state else None
    out: dict[str, Any] = {
        "state": "idle",
        "latest_version": latest.version if latest else None,
        "latest_id": latest.id if latest else None,
        "running_since": running_since.isoformat() if running_since else None,
        "running_seconds": int((now - running_since).total_seconds()) if running_since else None,
        "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        "last_failed": bool(last and last.status == AnalysisStatus.FAILED),
    }
    if running_since is not None:
        out["state"] = "running"
    elif scheduled_for is not None:
        out["state"] = "queued"
    return out


def worker_stale_since(now: datetime | None = None) -> tuple[bool, datetime | None]:
    """(stale, last heartbeat): no consumer has written a heartbeat recently."""
    from participate.jobs import last_heartbeat

    now = now or utcnow()
    seen = aware(last_heartbeat())
    limit = current_app.config.get("HEARTBEAT_STALE_SECONDS", 180)
    stale = seen is None or (now - seen).total_seconds() > limit
    return stale, seen


def next_version(discussion_id: int) -> int:
    return (
        db.session.scalar(
            select(func.max(Analysis.version)).where(Analysis.discussion_id == discussion_id)
        )
        or 0
    ) + 1
