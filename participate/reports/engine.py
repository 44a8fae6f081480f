"""One analysis run: claim the discussion, read its votes, call ``nlp.analyze``, store a row.

Used by the Huey task (normal path) and, synchronously, by the demo seeder and the
``flask analyse`` command. Every outcome leaves the state row consistent: a failure is
recorded on its own analysis row with the error text and never touches the last
succeeded row, which the pages keep showing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import case, func, or_, select, update

from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisState,
    AnalysisStatus,
    ContentStatus,
    Statement,
    Vote,
    VoteHistory,
)
from participate.reports import rules
from participate.timeutil import aware, utcnow

log = logging.getLogger(__name__)

TOLERANCE = timedelta(seconds=1)
# Parameters a run accepts, with their checks; anything else is refused (and recorded).
DEFAULT_PARAMS: dict[str, Any] = {
    "seed": 0,
    "max_groups": 5,
    "fdr": 0.1,
    "min_votes": 7,
    "clustering": "direct",
}


class AnalysisInputError(ValueError):
    """The discussion's data or the run's parameters cannot be analysed."""


@dataclass(frozen=True)
class RunOutcome:
    """``status``: started-and-succeeded/failed, or why nothing ran."""

    status: str  # "succeeded" | "failed" | "busy" | "too_soon" | "nothing" | "unchanged"
    analysis_id: int | None = None
    retry_at: datetime | None = None
    error: str | None = None


def run_timeout() -> timedelta:
    """A run older than this is presumed dead (its worker was killed)."""
    return timedelta(seconds=rules.setting("ANALYSIS_RUN_TIMEOUT_SECONDS", 900))


def check_params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then ``ANALYSIS_PARAMS`` from the config, then the run's own overrides."""
    params = dict(DEFAULT_PARAMS)
    params.update(current_app.config.get("ANALYSIS_PARAMS") or {})
    params.update(overrides or {})
    unknown = set(params) - set(DEFAULT_PARAMS)
    if unknown:
        raise AnalysisInputError(f"unknown analysis parameters: {sorted(unknown)}")
    if not isinstance(params["max_groups"], int) or not 2 <= params["max_groups"] <= 9:
        raise AnalysisInputError(
            f"max_groups must be an integer 2..9, not {params['max_groups']!r}"
        )
    if not isinstance(params["seed"], int):
        raise AnalysisInputError("seed must be an integer")
    if params["fdr"] is not None and not (
        isinstance(params["fdr"], int | float) and 0 < params["fdr"] < 1
    ):
        raise AnalysisInputError("fdr must be between 0 and 1, or null")
    if not isinstance(params["min_votes"], int) or params["min_votes"] < 1:
        raise AnalysisInputError("min_votes must be a positive integer")
    if params["clustering"] not in ("direct", "base"):
        raise AnalysisInputError("clustering must be 'direct' or 'base'")
    return params


# --- Claiming ---------------------------------------------------------------------------


def _take_slot(discussion_id: int, when: datetime, now: datetime) -> bool:
    """Re-queue from inside a task: the slot is ours if it is free or due (our own)."""
    st = AnalysisState.__table__
    owned = db.session.execute(
        update(st)
        .where(
            st.c.discussion_id == discussion_id,
            or_(st.c.scheduled_for.is_(None), st.c.scheduled_for <= now + TOLERANCE),
        )
        .values(scheduled_for=when)
    ).rowcount
    db.session.commit()
    return bool(owned)


def _claim(discussion_id: int, now: datetime, force: bool) -> bool:
    st = AnalysisState.__table__
    conds = [
        st.c.discussion_id == discussion_id,
        or_(st.c.running_since.is_(None), st.c.running_since < now - run_timeout()),
    ]
    if not force:
        conds.append(st.c.requested_at.is_not(None))
        conds.append(
            or_(
                st.c.last_started_at.is_(None),
                st.c.last_started_at <= now - rules._debounce() + TOLERANCE,
            )
        )
    claimed = db.session.execute(
        update(st)
        .where(*conds)
        .values(
            running_since=now,
            last_started_at=now,
            requested_at=None,
            scheduled_for=case(
                (st.c.scheduled_for <= now + TOLERANCE, None), else_=st.c.scheduled_for
            ),
        )
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _requeue(
    discussion_id: int, when: datetime, now: datetime, trigger: str, requested_by: int | None
) -> None:
    if _take_slot(discussion_id, when, now):
        rules._enqueue(discussion_id, when, now, trigger, requested_by)


# --- Reading the discussion -------------------------------------------------------------


@dataclass
class Inputs:
    participants: list[int]
    statements: list[int]
    values: list[int]
    texts: dict[int, str]
    hidden: list[int]
    last_vote_id: int | None
    last_vote_at: datetime | None
    vote_events: int
    vote_count: int
    authors: set[int]


def load_inputs(discussion_id: int) -> Inputs:
    """Vote events in order (the history, so changed votes count as Pol.is does) and the
    statements; hidden statements are passed as moderated out."""
    rows = db.session.execute(
        select(Statement.id, Statement.text, Statement.status, Statement.author_id).where(
            Statement.discussion_id == discussion_id
        )
    ).all()
    texts = {r.id: r.text for r in rows if r.status == ContentStatus.VISIBLE}
    hidden = sorted(r.id for r in rows if r.status != ContentStatus.VISIBLE)
    events = db.session.execute(
        select(
            VoteHistory.id,
            VoteHistory.participant_id,
            VoteHistory.statement_id,
            VoteHistory.value,
            VoteHistory.created_at,
        )
        .where(VoteHistory.discussion_id == discussion_id)
        .order_by(VoteHistory.id)
    ).all()
    vote_count = (
        db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.discussion_id == discussion_id)
        )
        or 0
    )
    if not events and vote_count:
        # Data written without history (a bulk import): current votes, oldest change first.
        events = db.session.execute(
            select(Vote.id, Vote.participant_id, Vote.statement_id, Vote.value, Vote.updated_at)
            .where(Vote.discussion_id == discussion_id)
            .order_by(Vote.updated_at, Vote.id)
        ).all()
    bad = [e for e in events if e[3] not in (-1, 0, 1)]
    if bad:
        raise AnalysisInputError(
            f"{len(bad)} vote(s) with a value other than -1, 0, 1 (first: vote event {bad[0][0]}"
            f", value {bad[0][3]})"
        )
    last = max(events, key=lambda e: e[0]) if events else None
    return Inputs(
        participants=[e[1] for e in events],
        statements=[e[2] for e in events],
        values=[e[3] for e in events],
        texts=texts,
        hidden=hidden,
        last_vote_id=last[0] if last else None,
        last_vote_at=last[4] if last else None,
        vote_events=len(events),
        vote_count=int(vote_count),
        authors={r.author_id for r in rows if r.author_id is not None},
    )


def _fingerprint(inputs: Inputs) -> dict[str, Any]:
    return {
        "last_vote_id": inputs.last_vote_id,
        "vote_events": inputs.vote_events,
        "statements": sorted(inputs.texts),
        "hidden": inputs.hidden,
    }


# --- The run ----------------------------------------------------------------------------


def run_analysis(
    discussion_id: int,
    trigger: str = "vote",
    requested_by: int | None = None,
    params: dict[str, Any] | None = None,
    force: bool | None = None,
    requeue: bool = True,
) -> RunOutcome:
    """Run the analysis of one discussion if the debounce allows; see :class:`RunOutcome`.

    ``force`` (default: for staff, demo and command triggers) skips the debounce, the
    back-off and the nothing-changed check, never the one-run-in-flight rule.
    """
    from nlp import analyze

    if force is None:
        force = trigger in ("staff", "demo", "command")
    now = utcnow()
    rules._ensure_state(discussion_id)
    db.session.commit()
    state = db.session.get(AnalysisState, discussion_id)
    db.session.refresh(state)
    if not _claim(discussion_id, now, force):
        db.session.refresh(state)
        running = aware(state.running_since)
        if running is not None and running >= now - run_timeout():
            when = now + (timedelta(seconds=5) if force else rules._debounce())
            if requeue:
                _requeue(discussion_id, when, now, trigger, requested_by)
            return RunOutcome("busy", retry_at=when)
        if state.requested_at is None:
            st = AnalysisState.__table__
            db.session.execute(
                update(st)
                .where(st.c.discussion_id == discussion_id, st.c.scheduled_for <= now + TOLERANCE)
                .values(scheduled_for=None)
            )
            db.session.commit()
            return RunOutcome("nothing")
        when = rules.earliest_run(state, now)
        if requeue:
            _requeue(discussion_id, when, now, trigger, requested_by)
        return RunOutcome("too_soon", retry_at=when)

    db.session.refresh(state)
    t0 = time.perf_counter()
    previous = rules.latest_succeeded(discussion_id)
    analysis = Analysis(
        discussion_id=discussion_id,
        version=rules.next_version(discussion_id),
        status=AnalysisStatus.QUEUED,
        trigger=trigger[:16],
        requested_by_id=requested_by,
        attempt=(state.failures or 0) + 1,
        parameters={"requested": params or {}},
        timings={},
        vote_events=0,
        vote_count=0,
    )
    db.session.add(analysis)
    rules.transition(analysis, AnalysisStatus.RUNNING, now)
    db.session.commit()
    analysis_id = analysis.id
    try:
        checked = check_params(params)
        inputs = load_inputs(discussion_id)
        t_read = time.perf_counter()
        fingerprint = _fingerprint(inputs)
        if (
            not force
            and previous is not None
            and (previous.parameters or {}).get("input") == fingerprint
            and (previous.parameters or {}).get("nlp") == checked
        ):
            # Nothing new since the last good run (a catch-up after a no-op vote change).
            db.session.delete(analysis)
            _release(discussion_id, failed=False)
            db.session.commit()
            return RunOutcome("unchanged", previous.id)
        with np.errstate(all="ignore"):  # degenerate matrices: nlp copes, numpy would warn
            result = analyze(
                inputs.participants,
                inputs.statements,
                inputs.values,
                statement_texts=inputs.texts,
                moderated_out=inputs.hidden,
                previous=previous.result if previous is not None else None,
                **checked,
            )
        t_an = time.perf_counter()
        data = result.to_json_dict()
        voters = set(inputs.participants)
        data["platform"] = {
            "voters": len(voters),
            "authors": len(inputs.authors),
            "participants": len(voters | inputs.authors),
            "statements_visible": len(inputs.texts),
            "statements_hidden": len(inputs.hidden),
        }
        analysis.result = data
        analysis.parameters = {
            "requested": params or {},
            "nlp": checked,
            "input": fingerprint,
            "previous_version": previous.version if previous else None,
        }
        analysis.last_vote_id = inputs.last_vote_id
        analysis.last_vote_at = inputs.last_vote_at
        analysis.vote_events = inputs.vote_events
        analysis.vote_count = inputs.vote_count
        analysis.timings = {
            "read_s": round(t_read - t0, 4),
            "analyze_s": round(t_an - t_read, 4),
            **{f"nlp_{k}": v for k, v in data.get("timings", {}).items()},
        }
        rules.transition(analysis, AnalysisStatus.SUCCEEDED)
        _release(discussion_id, failed=False)
        db.session.commit()
        analysis.timings = {**analysis.timings, "total_s": round(time.perf_counter() - t0, 4)}
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - recorded on the row, then retried with back-off
        db.session.rollback()
        log.exception("analysis %s of discussion %s failed", analysis_id, discussion_id)
        message = f"{type(exc).__name__}: {exc}"[:2000]
        analysis = db.session.get(Analysis, analysis_id)
        analysis.error = message
        rules.transition(analysis, AnalysisStatus.FAILED)
        _release(discussion_id, failed=True, started=now)
        db.session.commit()
        if requeue:
            _follow_up(discussion_id, "retry")
        return RunOutcome("failed", analysis_id, error=message)
    if requeue:
        _follow_up(discussion_id, "vote")
    return RunOutcome("succeeded", analysis_id)


def _release(discussion_id: int, failed: bool, started: datetime | None = None) -> None:
    st = AnalysisState.__table__
    values: dict[str, Any] = {"running_since": None, "last_finished_at": utcnow()}
    if failed:
        values["failures"] = st.c.failures + 1
        # The input is still unanalysed: keep it requested so a retry (or catch-up) runs.
        values["requested_at"] = func.coalesce(st.c.requested_at, started or utcnow())
    else:
        values["failures"] = 0
    db.session.execute(update(st).where(st.c.discussion_id == discussion_id).values(**values))


def _follow_up(discussion_id: int, trigger: str) -> None:
    """Votes arrived during the run (or it failed): make sure one more run is scheduled."""
    now = utcnow()
    state = db.session.get(AnalysisState, discussion_id)
    db.session.refresh(state)
    if state.requested_at is None:
        return
    when = max(rules.earliest_run(state, now), now + rules._min_delay())
    if rules.schedule_slot(discussion_id, when, now):
        db.session.commit()
        rules._enqueue(discussion_id, when, now, trigger)
    else:
        db.session.commit()


# --- Catch-up ---------------------------------------------------------------------------


def catch_up(now: datetime | None = None) -> dict[str, int]:
    """Find discussions whose analysis was missed and schedule them (the periodic task).

    - runs presumed dead (``running_since`` older than the run timeout): marked failed;
    - requested work with no live queued task (lost message, consumer restarted);
    - votes newer than the last analysis' watermark with no request at all (votes written
      by an import or while the hook could not reach the database).
    """
    now = now or utcnow()
    st = AnalysisState.__table__
    counts = {"dead": 0, "rescheduled": 0, "missed": 0}
    dead = db.session.execute(
        select(st.c.discussion_id).where(st.c.running_since < now - run_timeout())
    ).scalars()
    for discussion_id in list(dead):
        running = db.session.scalars(
            select(Analysis).where(
                Analysis.discussion_id == discussion_id,
                Analysis.status == AnalysisStatus.RUNNING,
            )
        )
        for row in running:
            row.error = "The worker stopped during this run (no result after the run timeout)."
            rules.transition(row, AnalysisStatus.FAILED, now)
        _release(discussion_id, failed=True, started=now)
        counts["dead"] += 1
    db.session.commit()

    grace = rules._grace()
    waiting = db.session.execute(
        select(st.c.discussion_id).where(
            st.c.requested_at.is_not(None),
            st.c.running_since.is_(None),
            or_(st.c.scheduled_for.is_(None), st.c.scheduled_for < now - grace),
        )
    ).scalars()
    for discussion_id in list(waiting):
        state = db.session.get(AnalysisState, discussion_id)
        db.session.refresh(state)
        when = rules.earliest_run(state, now)
        if rules.schedule_slot(discussion_id, when, now):
            db.session.commit()
            rules._enqueue(discussion_id, when, now, "catch-up")
            counts["rescheduled"] += 1
    db.session.commit()

    newest = select(VoteHistory.discussion_id, func.max(VoteHistory.id).label("last_id")).group_by(
        VoteHistory.discussion_id
    )
    analysed = dict(
        db.session.execute(
            select(Analysis.discussion_id, func.max(Analysis.last_vote_id))
            .where(Analysis.status == AnalysisStatus.SUCCEEDED)
            .group_by(Analysis.discussion_id)
        ).all()
    )
    failed_or_pending = set(
        db.session.execute(
            select(st.c.discussion_id).where(
                or_(
                    st.c.requested_at.is_not(None),
                    st.c.running_since.is_not(None),
                    st.c.scheduled_for.is_not(None),
                )
            )
        ).scalars()
    )
    for discussion_id, last_id in db.session.execute(newest).all():
        if discussion_id in failed_or_pending:
            continue
        if analysed.get(discussion_id) is None or analysed[discussion_id] < last_id:
            if rules.request_analysis(discussion_id, "catch-up", now):
                counts["missed"] += 1
    return counts
