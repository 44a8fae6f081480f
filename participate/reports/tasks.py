"""Huey tasks of the report area: analyse one discussion, and the periodic catch-up.

The consumer imports this module through ``participate.jobs.register_area_tasks``. Both
tasks run inside an app context through :func:`participate.jobs.app_task`. Failures of the
analysis itself are recorded on the analysis row and retried by the engine with an
exponential back-off (see ``rules.backoff``); Huey's own ``retries`` only cover errors
before anything could be recorded (the database unreachable, say).
"""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab

from participate.jobs import app_periodic_task, app_task

log = logging.getLogger(__name__)


@app_task(retries=3, retry_delay=20, retry_backoff=2)
def analyse_discussion(
    discussion_id: int,
    trigger: str = "vote",
    requested_by: int | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Analyse one discussion now if the debounce allows (else it re-queues itself).

    Returns nothing on purpose: Huey would keep every returned value in its result store
    until someone reads it, and nobody does (the outcome is the analysis row)."""
    from participate.reports.engine import run_analysis

    # No session cleanup here: the app context this runs in (the consumer's own, or the
    # request's in immediate mode) removes its session when it ends.
    outcome = run_analysis(discussion_id, trigger, requested_by, params)
    log.info("analysis of discussion %s: %s", discussion_id, outcome.status)


@app_periodic_task(crontab(minute="*"))
def analysis_catch_up() -> None:
    """Every minute: reschedule lost or missed analyses and fail runs whose worker died."""
    from participate.reports.engine import catch_up

    counts = catch_up()
    if any(counts.values()):
        log.info("analysis catch-up: %s", counts)
