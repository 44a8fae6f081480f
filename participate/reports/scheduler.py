"""When opinion analyses run: the one :class:`AnalysisState` row per discussion, the
requests that ask for a run, the analysis job itself and the Huey tasks that carry it.

Only this module writes ``AnalysisState``. Every change is a conditional ``UPDATE``
(``... WHERE scheduled_for IS NULL``): whichever process's update matches first owns the
discussion's queue slot, or its run, on SQLite and PostgreSQL alike, so two web workers
receiving votes at the same moment enqueue one task, and two consumers never run the same
discussion at once.

- :func:`request_analysis` is the outbox effect writers queue after a change that needs a
  fresh analysis (a vote, a statement hidden or restored); :func:`reanalyse_now` is staff's
  operation. Both hand the task to Huey through the outbox, after their commit.
- :func:`run_analysis` is the job: claim the run in one unit of work (committed, so other
  workers see the claim), compute outside any transaction, store the result or the failure
  and release the claim in another unit, then schedule a follow-up run if votes arrived
  meanwhile. The Huey task, the demo seeder and ``flask analyse`` all call it.
- :func:`catch_up` (every minute) fails runs whose worker died and reschedules requests
  whose task was lost.

The job lives here, next to the state it claims, and calls :mod:`participate.reports.engine`
for the computation: the engine knows nothing of scheduling, so nothing imports in a circle.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from huey import crontab
from sqlalchemy import case, func, or_, select, update

from participate import audit, jobs, outbox, policy
from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.jobs import app_periodic_task, app_task
from participate.models import Analysis, AnalysisState, AnalysisStatus, Discussion, VoteHistory
from participate.reports import engine
from participate.timeutil import aware, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "ReanalyseResult",
    "RunOutcome",
    "analyse_discussion",
    "analysis_catch_up",
    "backoff",
    "catch_up",
    "earliest_run",
    "reanalyse_now",
    "request_analysis",
    "run_analysis",
    "waiting",
]

# Clock differences between the process that scheduled a slot and the one running it.
TOLERANCE = timedelta(seconds=1)
# Triggers that skip the debounce, the back-off and the nothing-changed check.
FORCED_TRIGGERS = frozenset({"staff", "demo", "command"})
# What started a run, as the analysis history shows it (the API keeps the codes).
TRIGGER_LABELS: dict[str, Any] = {
    "vote": _l("New votes or statements"),
    "moderation": _l("A moderation decision"),
    "author": _l("An author deleted a statement"),
    "catch-up": _l("Catching up after a pause"),
    "staff": _l("Requested by agency staff"),
    "command": _l("Run from the command line"),
    "demo": _l("Demo data"),
}


def trigger_label(trigger: str | None) -> str:
    """Why an analysis ran, in the reader's language (never the stored code)."""
    if not trigger:
        return ""
    label = TRIGGER_LABELS.get(trigger)
    return str(label) if label is not None else _("Other reason")


DEAD_RUN_ERROR = "The worker stopped during this run (it died, or gave no result in time)."


# --- Settings (participate.config, ANALYSIS_*) ------------------------------------------------


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=float(current_app.config[name]))


def debounce() -> timedelta:
    """At most one vote-triggered run per this interval and discussion."""
    return _seconds("ANALYSIS_DEBOUNCE_SECONDS")


def min_delay() -> timedelta:
    """Even the first vote waits a moment, so a burst of votes makes one run, not two."""
    return _seconds("ANALYSIS_MIN_DELAY_SECONDS")


def grace() -> timedelta:
    """A slot overdue by more than this lost its task (consumer died, Redis flushed)."""
    return _seconds("ANALYSIS_GRACE_SECONDS")


def run_timeout() -> timedelta:
    """A run older than this is presumed dead (its worker was killed)."""
    return _seconds("ANALYSIS_RUN_TIMEOUT_SECONDS")


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failed runs: base·2^(n−1), capped."""
    if failures <= 0:
        return timedelta(0)
    base = float(current_app.config["ANALYSIS_RETRY_BASE_SECONDS"])
    cap = float(current_app.config["ANALYSIS_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(cap, base * 2 ** min(failures - 1, 20)))


def earliest_run(state: Any, now: datetime) -> datetime:
    """When the next vote-triggered run may start: debounce after the last start, back-off
    after failures. ``state`` is an AnalysisState row (or a row of its columns)."""
    when = now
    started = aware(state.last_started_at)
    if started is not None:
        when = max(when, started + debounce())
    finished = aware(state.last_finished_at)
    if state.failures and finished is not None:
        when = max(when, finished + backoff(state.failures))
    return when


# --- The state row and its queue slot ---------------------------------------------------------


def _ensure_state(discussion_id: int) -> None:
    """Make the discussion's state row if missing (two processes may race: one wins)."""
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


def _state(discussion_id: int) -> AnalysisState | None:
    """The row as the database has it now (the conditional updates bypass the ORM)."""
    return db.session.scalar(
        select(AnalysisState)
        .where(AnalysisState.discussion_id == discussion_id)
        .execution_options(populate_existing=True)
    )


def _schedule_slot(discussion_id: int, when: datetime, now: datetime) -> bool:
    """Claim the discussion's one queue slot for ``when``; True if this caller owns it.

    The slot is free when nothing is scheduled or the scheduled task is overdue by more
    than the grace period (its message was lost: the consumer died, Redis was flushed).
    """
    st = AnalysisState.__table__
    claimed = db.session.execute(
        update(st)
        .where(
            st.c.discussion_id == discussion_id,
            or_(st.c.scheduled_for.is_(None), st.c.scheduled_for < now - grace()),
        )
        .values(scheduled_for=when)
    ).rowcount
    return bool(claimed)


def _take_due_slot(discussion_id: int, when: datetime, now: datetime) -> bool:
    """Re-queue from inside a run: the slot is ours if it is free or due (our own task)."""
    st = AnalysisState.__table__
    owned = db.session.execute(
        update(st)
        .where(
            st.c.discussion_id == discussion_id,
            or_(st.c.scheduled_for.is_(None), st.c.scheduled_for <= now + TOLERANCE),
        )
        .values(scheduled_for=when)
    ).rowcount
    return bool(owned)


def _enqueue(
    discussion_id: int, when: datetime, trigger: str, requested_by: int | None = None
) -> None:
    """Hand the run to Huey. Always an outbox effect: the task is queued only once the slot
    it fills is committed, so a worker never picks up a task whose slot was rolled back."""
    delay = max(0.0, (when - utcnow()).total_seconds())
    kwargs = {"trigger": trigger, "requested_by": requested_by}
    if delay <= 0:
        analyse_discussion(discussion_id, **kwargs)
    else:
        analyse_discussion.schedule(args=(discussion_id,), kwargs=kwargs, delay=delay)


# --- Requests ---------------------------------------------------------------------------------


def waiting(state: tuple[Any, Any] | None, now: datetime) -> bool:
    """Whether a discussion whose state reads ``(requested_at, scheduled_for)`` already has
    a run requested and its task queued (not lost): new input then needs no request.

    The vote reads the state in its own query, before its commit, and asks this instead of
    queueing :func:`request_analysis` (a second transaction per vote). The one gap: a run
    claimed between that read and the vote's commit may miss the vote and, its request
    taken, schedule no follow-up; :func:`catch_up` finds any discussion whose newest vote
    is past its last analysis within a minute, so the vote is analysed then.
    """
    if state is None or state[0] is None:
        return False
    pending = aware(state[1])
    return pending is not None and pending >= now - grace()


def request_analysis(
    discussion_id: int, trigger: str = "vote", now: datetime | None = None
) -> bool:
    """Note that ``discussion_id`` has new input and make sure one run is scheduled.

    The outbox effect writers queue (``outbox.add(scheduler.request_analysis, id, "vote")``)
    so it runs after their commit; a failure here is logged by the outbox and never undoes
    the vote (the catch-up finds the discussion later). Cheap enough for the vote hot path:
    one SELECT in the common case (a run is already requested and scheduled). Returns True
    when this call queued a task.
    """
    now = now or utcnow()
    st = AnalysisState.__table__
    # Most votes arrive while a run is already requested and scheduled: a plain read sees
    # that and returns without writing, so concurrent voters never queue on this one row.
    seen = db.session.execute(
        select(st.c.requested_at, st.c.scheduled_for).where(st.c.discussion_id == discussion_id)
    ).first()
    if waiting(tuple(seen) if seen is not None else None, now):
        return False
    columns = (st.c.scheduled_for, st.c.last_started_at, st.c.last_finished_at, st.c.failures)
    row = db.session.execute(
        update(st)
        .where(st.c.discussion_id == discussion_id)
        .values(requested_at=func.coalesce(st.c.requested_at, now))
        .returning(*columns)
    ).first()
    if row is None:
        _ensure_state(discussion_id)
        db.session.execute(
            update(st).where(st.c.discussion_id == discussion_id).values(requested_at=now)
        )
        row = db.session.execute(select(*columns).where(st.c.discussion_id == discussion_id)).one()
    scheduled = aware(row.scheduled_for)
    if scheduled is not None and scheduled >= now - grace():
        return False
    when = max(earliest_run(row, now), now + min_delay())
    if not _schedule_slot(discussion_id, when, now):
        return False
    outbox.add(_enqueue, discussion_id, when, trigger, None)
    return True


@dataclass(frozen=True)
class ReanalyseResult:
    queued: bool
    running: bool  # a run was in flight: the new one follows right after it


def reanalyse_now(
    user: Any, discussion: Discussion, now: datetime | None = None
) -> ReanalyseResult:
    """Staff's "re-analyse now": skips the debounce and back-off, not the one-run rule.

    When a run is in flight, the request is noted and the worker runs again right after.
    Never commits: the request boundary does, and the outbox then queues the task.
    """
    now = now or utcnow()
    if not policy.can_reanalyse(user, discussion.proposal):
        raise RuleError(
            _("Only the responsible agency's staff and moderators can do this."), status=403
        )
    _ensure_state(discussion.id)
    st = AnalysisState.__table__
    # Take the slot even if a vote-triggered task is waiting: run now, not in 30 s.
    db.session.execute(
        update(st)
        .where(st.c.discussion_id == discussion.id)
        .values(requested_at=now, scheduled_for=now)
    )
    state = _state(discussion.id)
    running = state is not None and state.running_since is not None
    audit.record(user, "analysis.requested", "discussion", discussion.id)
    outbox.add(_enqueue, discussion.id, now, "staff", user.id)
    return ReanalyseResult(queued=True, running=running)


# --- The job ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    """``status``: started-and-succeeded/failed, or why nothing ran."""

    status: str  # "succeeded" | "failed" | "busy" | "too_soon" | "nothing" | "unchanged"
    analysis_id: int | None = None
    retry_at: datetime | None = None
    error: str | None = None


def _claim(discussion_id: int, now: datetime, force: bool) -> bool:
    """Start the discussion's run unless one is in flight (or, unforced, unless nothing is
    requested or the debounce has not passed). Frees the queue slot if it was due."""
    _ensure_state(discussion_id)
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
                st.c.last_started_at <= now - debounce() + TOLERANCE,
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
    return bool(claimed)


def _release(discussion_id: int, failed: bool, started: datetime | None = None) -> None:
    """End the discussion's run: reset or count failures for the back-off."""
    st = AnalysisState.__table__
    values: dict[str, Any] = {"running_since": None, "last_finished_at": utcnow()}
    if failed:
        values["failures"] = st.c.failures + 1
        # The input is still unanalysed: keep it requested so a retry (or catch-up) runs.
        values["requested_at"] = func.coalesce(st.c.requested_at, started or utcnow())
    else:
        values["failures"] = 0
    db.session.execute(update(st).where(st.c.discussion_id == discussion_id).values(**values))


def _requeue(
    discussion_id: int, when: datetime, now: datetime, trigger: str, requested_by: int | None
) -> None:
    if _take_due_slot(discussion_id, when, now):
        outbox.add(_enqueue, discussion_id, when, trigger, requested_by)


def _follow_up(discussion_id: int, trigger: str) -> None:
    """Votes arrived during the run (or it failed): make sure one more run is scheduled."""
    now = utcnow()
    state = _state(discussion_id)
    if state is None or state.requested_at is None:
        return
    when = max(earliest_run(state, now), now + min_delay())
    if _schedule_slot(discussion_id, when, now):
        outbox.add(_enqueue, discussion_id, when, trigger, None)


def _not_started(
    discussion_id: int,
    now: datetime,
    force: bool,
    trigger: str,
    requested_by: int | None,
    requeue: bool,
) -> RunOutcome:
    """The claim failed: say why, and re-queue when the run is still wanted."""
    state = _state(discussion_id)
    running = aware(state.running_since)
    if running is not None and running >= now - run_timeout():
        when = now + (timedelta(seconds=5) if force else debounce())
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
        return RunOutcome("nothing")
    when = earliest_run(state, now)
    if requeue:
        _requeue(discussion_id, when, now, trigger, requested_by)
    return RunOutcome("too_soon", retry_at=when)


def run_analysis(
    discussion_id: int,
    trigger: str = "vote",
    requested_by: int | None = None,
    params: dict[str, Any] | None = None,
    force: bool | None = None,
    requeue: bool = True,
) -> RunOutcome:
    """Run the analysis of one discussion if the debounce allows; see :class:`RunOutcome`.

    A sequence of units of work, so the long computation holds no transaction and other
    workers see the claim as soon as it is made: (1) claim and add the RUNNING row,
    (2) read the input snapshot, compute outside any transaction, (3) store the result (or
    the failure) and release the claim, queueing a follow-up run when ``requeue``.

    ``force`` (default: for staff, demo and command triggers) skips the debounce, the
    back-off and the nothing-changed check, never the one-run-in-flight rule.
    """
    if force is None:
        force = trigger in FORCED_TRIGGERS
    now = utcnow()
    with unit():
        claimed = _claim(discussion_id, now, force)
        if not claimed and _end_dead_run(discussion_id, now):
            claimed = _claim(discussion_id, now, force)
        if not claimed:
            return _not_started(discussion_id, now, force, trigger, requested_by, requeue)
        state = _state(discussion_id)
        attempt = (state.failures if state else 0) + 1
        # The claim is ours, so a run still RUNNING is one whose worker died (its claim ran
        # out): say so on its row now rather than at the next catch-up.
        engine.fail_abandoned(discussion_id, DEAD_RUN_ERROR, now)
        analysis_id = engine.start_run(discussion_id, trigger, requested_by, params, attempt, now)
    jobs.note_owner(_owner_key(discussion_id))
    try:
        return _run_claimed(
            discussion_id, analysis_id, now, force, trigger, requested_by, params, requeue
        )
    finally:
        jobs.clear_owner(_owner_key(discussion_id))


def _owner_key(discussion_id: int) -> str:
    return f"analysis:{discussion_id}"


def _end_dead_run(discussion_id: int, now: datetime) -> bool:
    """The run in flight belongs to a consumer that lost its lease (killed mid-run): end it
    as failed now, as the catch-up would after the run timeout, so its input is requested
    again. Only one caller ends it (the update matches the run it saw)."""
    state = _state(discussion_id)
    since = state.running_since if state else None
    if since is None or not jobs.owner_gone(_owner_key(discussion_id)):
        return False
    st = AnalysisState.__table__
    ended = db.session.execute(
        update(st)
        .where(st.c.discussion_id == discussion_id, st.c.running_since <= since)
        .values(running_since=None)
    ).rowcount
    if not ended:
        return False
    log.warning("analysis of discussion %s: its consumer died mid-run; run again", discussion_id)
    engine.fail_abandoned(discussion_id, DEAD_RUN_ERROR, now)
    _release(discussion_id, failed=True, started=now)
    return True


def _run_claimed(
    discussion_id: int,
    analysis_id: int,
    now: datetime,
    force: bool,
    trigger: str,
    requested_by: int | None,
    params: dict[str, Any] | None,
    requeue: bool,
) -> RunOutcome:
    t0 = time.perf_counter()
    try:
        with unit():  # one consistent snapshot of the input, closed before the computation
            checked = engine.check_params(params)
            inputs = engine.load_inputs(discussion_id)
            previous = engine.previous_run(discussion_id)
        t_read = time.perf_counter()
        if not force and engine.unchanged(previous, inputs, checked):
            with unit():
                engine.discard_run(analysis_id)
                _release(discussion_id, failed=False)
            return RunOutcome("unchanged", previous.id if previous else None)
        data = engine.compute(inputs, checked, previous)
        t_an = time.perf_counter()
        with unit():
            timings = {
                "read_s": round(t_read - t0, 4),
                "analyze_s": round(t_an - t_read, 4),
                "total_s": round(time.perf_counter() - t0, 4),
            }
            engine.store_success(analysis_id, data, inputs, params, checked, previous, timings)
            _release(discussion_id, failed=False)
            if requeue:
                _follow_up(discussion_id, "vote")
    except Exception as exc:  # noqa: BLE001 - recorded on the row, then retried with back-off
        log.exception("analysis %s of discussion %s failed", analysis_id, discussion_id)
        message = f"{type(exc).__name__}: {exc}"[:2000]
        with unit():
            engine.store_failure(analysis_id, message)
            _release(discussion_id, failed=True, started=now)
            if requeue:
                _follow_up(discussion_id, "retry")
        return RunOutcome("failed", analysis_id, error=message)
    return RunOutcome("succeeded", analysis_id)


# --- Catch-up ---------------------------------------------------------------------------------


def catch_up(now: datetime | None = None) -> dict[str, int]:
    """Find discussions whose analysis was missed and schedule them (the periodic task).

    - runs presumed dead (``running_since`` older than the run timeout): marked failed;
    - requested work with no live queued task (lost message, consumer restarted);
    - votes newer than the last analysis' watermark with no request at all (votes written
      by an import or while the request could not reach the database).

    Each step is its own unit of work; returns how many discussions each step found.
    """
    now = now or utcnow()
    st = AnalysisState.__table__
    counts = {"dead": 0, "rescheduled": 0, "missed": 0}
    with unit():
        dead = list(
            db.session.scalars(
                select(st.c.discussion_id).where(st.c.running_since < now - run_timeout())
            )
        )
        for discussion_id in dead:
            engine.fail_abandoned(discussion_id, DEAD_RUN_ERROR, now)
            _release(discussion_id, failed=True, started=now)
        counts["dead"] = len(dead)

    with unit():
        waiting = list(
            db.session.scalars(
                select(st.c.discussion_id).where(
                    st.c.requested_at.is_not(None),
                    st.c.running_since.is_(None),
                    or_(st.c.scheduled_for.is_(None), st.c.scheduled_for < now - grace()),
                )
            )
        )
        for discussion_id in waiting:
            when = earliest_run(_state(discussion_id), now)
            if _schedule_slot(discussion_id, when, now):
                outbox.add(_enqueue, discussion_id, when, "catch-up", None)
                counts["rescheduled"] += 1

    with unit():
        newest = select(
            VoteHistory.discussion_id, func.max(VoteHistory.id).label("last_id")
        ).group_by(VoteHistory.discussion_id)
        analysed = dict(
            db.session.execute(
                select(Analysis.discussion_id, func.max(Analysis.last_vote_id))
                .where(Analysis.status == AnalysisStatus.SUCCEEDED)
                .group_by(Analysis.discussion_id)
            ).all()
        )
        busy = set(
            db.session.scalars(
                select(st.c.discussion_id).where(
                    or_(
                        st.c.requested_at.is_not(None),
                        st.c.running_since.is_not(None),
                        st.c.scheduled_for.is_not(None),
                    )
                )
            )
        )
        for discussion_id, last_id in db.session.execute(newest).all():
            if discussion_id in busy:
                continue
            if analysed.get(discussion_id) is None or analysed[discussion_id] < last_id:
                if request_analysis(discussion_id, "catch-up", now):
                    counts["missed"] += 1
    return counts


# --- Huey tasks -------------------------------------------------------------------------------
# Both run through participate.jobs' one wrapper (an app context, a unit of work). Failures of
# the analysis itself are recorded on the analysis row and retried by the job with the
# back-off above; Huey's own ``retries`` only cover errors before anything could be recorded
# (the database unreachable, say). They return nothing on purpose: Huey would keep every
# returned value in its result store until someone reads it, and nobody does (the outcome is
# the analysis row).


@app_task(retries=3, retry_delay=20, retry_backoff=2)
def analyse_discussion(
    discussion_id: int,
    trigger: str = "vote",
    requested_by: int | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Analyse one discussion now if the debounce allows (else it re-queues itself)."""
    outcome = run_analysis(discussion_id, trigger, requested_by, params)
    log.info("analysis of discussion %s: %s", discussion_id, outcome.status)


@app_periodic_task(crontab(minute="*"))
def analysis_catch_up() -> None:
    """Every minute: reschedule lost or missed analyses and fail runs whose worker died."""
    counts = catch_up()
    if any(counts.values()):
        log.info("analysis catch-up: %s", counts)
