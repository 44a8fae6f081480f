"""Reads of the report area, shared by the report pages, the API, the response link-up and
the voting card: the analysis rows pages show, what is in flight, whether a worker lives.

Nothing here writes. The analysis rows are written by :mod:`participate.reports.engine`
and the scheduling state by :mod:`participate.reports.scheduler`; pages only read the
latest *succeeded* row, so a running or failed analysis never hides the last good report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from participate.discussion import tallies
from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisState,
    AnalysisStatus,
    AuditLog,
    ContentStatus,
    PolisParticipant,
    Statement,
)
from participate.timeutil import aware, utcnow

# Case-study pages the data's publisher asks to link, by export folder name (prefix).
POLIS_CASE_STUDIES = {
    "vtaiwan.uberx": "https://compdemocracy.org/case-studies/2015-vtaiwan-uberx",
    "ssis.land-bank-farmland": "https://compdemocracy.org/case-studies/2021-san-juan-island",
}


# --- Analysis rows --------------------------------------------------------------------------


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
    """The newest row whatever its status: staff see its error when it failed."""
    return db.session.scalar(
        select(Analysis)
        .options(defer(Analysis.result))
        .where(Analysis.discussion_id == discussion_id)
        .order_by(Analysis.version.desc())
        .limit(1)
    )


def history(discussion_id: int, limit: int = 8) -> list[Analysis]:
    """The newest runs, for the staff's run history (results not loaded)."""
    return list(
        db.session.scalars(
            select(Analysis)
            .options(defer(Analysis.result))
            .where(Analysis.discussion_id == discussion_id)
            .order_by(Analysis.version.desc())
            .limit(limit)
        )
    )


def next_version(discussion_id: int) -> int:
    """The version number a new run of this discussion gets."""
    return (
        db.session.scalar(
            select(func.max(Analysis.version)).where(Analysis.discussion_id == discussion_id)
        )
        or 0
    ) + 1


# --- Work in flight -------------------------------------------------------------------------


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


def oldest_waiting_request() -> datetime | None:
    """Since when the oldest discussion has waited for an analysis (None: nothing waits)."""
    return aware(
        db.session.scalar(
            select(func.min(AnalysisState.requested_at)).where(
                AnalysisState.requested_at.is_not(None)
            )
        )
    )


def worker_stale_since(now: datetime | None = None) -> tuple[bool, datetime | None]:
    """(stale, last heartbeat): no consumer has written a heartbeat recently."""
    from participate.jobs import last_heartbeat

    now = now or utcnow()
    seen = aware(last_heartbeat())
    limit = current_app.config["HEARTBEAT_STALE_SECONDS"]
    stale = seen is None or (now - seen).total_seconds() > limit
    return stale, seen


# --- The discussion as the report shows it ----------------------------------------------------


def visible_texts(discussion_id: int) -> dict[int, str]:
    """The statements a report may quote: those visible *now*, so a statement hidden after
    the analysis leaves the report at once."""
    return dict(
        db.session.execute(
            select(Statement.id, Statement.text).where(
                Statement.discussion_id == discussion_id,
                Statement.status == ContentStatus.VISIBLE,
            )
        ).all()
    )


def vote_count(discussion_id: int) -> int:
    """Current votes of the discussion (to say how many arrived since the analysis): the sum
    of its statements' counters, which every vote keeps (one row per statement, where
    counting the votes themselves reads 2M index entries at Pol.is's largest shape), plus
    the votes not folded into them yet (``participate.discussion.tallies``; PostgreSQL)."""
    st = Statement.__table__
    unfolded = tallies.unfolded_in(discussion_id)
    folded = (
        select(func.sum(st.c.agree_count + st.c.disagree_count + st.c.pass_count))
        .where(st.c.discussion_id == discussion_id)
        .scalar_subquery()
    )
    return int(
        db.session.scalar(select(func.coalesce(folded, 0) + func.coalesce(unfolded, 0))) or 0
    )


def is_polis_import(discussion_id: int) -> bool:
    """Was this conversation imported from Pol.is (the report then credits its source)?"""
    return (
        db.session.scalar(
            select(PolisParticipant.id)
            .where(PolisParticipant.discussion_id == discussion_id)
            .limit(1)
        )
        is not None
        or db.session.scalar(
            select(Statement.id)
            .where(Statement.discussion_id == discussion_id, Statement.polis_id.is_not(None))
            .limit(1)
        )
        is not None
    )


def polis_case_study(discussion_id: int) -> str | None:
    """The case-study link of an imported conversation (the importer records the folder)."""
    detail = db.session.scalar(
        select(AuditLog.detail)
        .where(
            AuditLog.action == "discussion.import_polis",
            AuditLog.target_type == "discussion",
            AuditLog.target_id == discussion_id,
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    source = str((detail or {}).get("source") or "")
    for prefix, url in POLIS_CASE_STUDIES.items():
        if source.startswith(prefix):
            return url
    return None
