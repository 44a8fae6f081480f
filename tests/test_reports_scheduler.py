"""The scheduler's contracts: a task is handed to Huey only after the write that asked for it
has committed (never for a write that rolled back), "re-analyse now" is an operation (policy,
audit, outbox; the caller's unit of work commits), the analysis job publishes its claim before
the computation and computes outside any transaction, and the ANALYSIS_* settings come from
the app's config.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from participate import outbox
from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisState,
    AnalysisStatus,
    AuditLog,
    Discussion,
    User,
)
from participate.reports import engine, scheduler
from tests.reports_fixtures import make_camps


@pytest.fixture()
def scheduled() -> Any:
    """The analysis tasks waiting in the real Huey storage (the tests run Huey in immediate
    mode: a task for now runs at once, a delayed one waits in its schedule)."""
    from participate.jobs import huey

    def waiting() -> list[tuple[int, dict[str, Any]]]:
        return [
            (task.args[0], task.kwargs)
            for task in huey.scheduled()
            if task.name.endswith("analyse_discussion")
        ]

    huey.storage.flush_schedule()
    yield waiting
    huey.storage.flush_schedule()


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_request_is_queued_after_its_commit_and_never_after_a_rollback(app, scheduled):
    camps = make_camps(app, people=4, vote=False)
    did = camps.discussion_id
    with app.app_context():
        with pytest.raises(RuntimeError), unit():
            assert scheduler.request_analysis(did) is True  # it owns the slot...
            assert [e.fn for e in outbox.pending()] == [scheduler._enqueue]
            assert scheduled() == []  # ...but nothing is handed to Huey inside the transaction
            raise RuntimeError("the write that asked for it failed")
        assert scheduled() == [] and outbox.pending() == []
        assert db.session.get(AnalysisState, did) is None  # the slot was rolled back too

        with unit():
            assert scheduler.request_analysis(did) is True
            assert scheduled() == []
        ((task_id, kwargs),) = scheduled()  # handed to Huey after the commit, for later
        assert task_id == did and kwargs["trigger"] == "vote"
        state = db.session.get(AnalysisState, did)
        assert state.requested_at is not None and state.scheduled_for is not None

        # The slot is taken: the next vote reads, writes nothing and queues nothing.
        with unit():
            assert scheduler.request_analysis(did) is False
        assert len(scheduled()) == 1
        db.session.remove()


def test_reanalyse_now_is_an_operation(app, make_user, scheduled):
    camps = make_camps(app, people=4)
    did = camps.discussion_id
    citizen, moderator = make_user().id, make_user(role="moderator").id

    def runs() -> list[tuple[str, int | None]]:
        return [(a.trigger, a.requested_by_id) for a in db.session.scalars(select(Analysis))]

    with app.test_request_context():  # the refusal's message is in the request's language
        discussion = db.session.get(Discussion, did)
        with pytest.raises(RuleError) as refused, unit():
            scheduler.reanalyse_now(db.session.get(User, citizen), discussion)
        assert refused.value.status == 403
        assert db.session.get(AnalysisState, did) is None and runs() == []

        # Allowed, but the unit of work around it fails: no run, no audit entry.
        with pytest.raises(RuntimeError), unit():
            scheduler.reanalyse_now(db.session.get(User, moderator), discussion)
            raise RuntimeError("the request failed after the operation")
        assert runs() == [] and _count(AuditLog, AuditLog.action == "analysis.requested") == 0

        with unit():
            result = scheduler.reanalyse_now(db.session.get(User, moderator), discussion)
            assert runs() == []  # the operation itself never enqueues
        assert result.queued and not result.running
        # handed to Huey after the commit, for now: it ran (immediate mode), as staff asked
        assert runs() == [("staff", moderator)] and scheduled() == []
        assert _count(AuditLog, AuditLog.action == "analysis.requested") == 1
        db.session.remove()


def test_the_claim_is_published_before_a_computation_outside_any_transaction(app, monkeypatch):
    camps = make_camps(app, people=8)
    seen: dict[str, Any] = {}
    real_compute = engine.compute

    def watching_compute(*args: Any, **kwargs: Any) -> dict:
        seen["in_transaction"] = db.session().in_transaction()
        with db.engine.connect() as other:  # what another worker sees meanwhile
            seen["running_since"] = other.execute(
                select(AnalysisState.running_since).where(
                    AnalysisState.discussion_id == camps.discussion_id
                )
            ).scalar_one()
            seen["row"] = other.execute(select(Analysis.status)).scalar_one()
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(engine, "compute", watching_compute)
    with app.app_context():
        out = scheduler.run_analysis(camps.discussion_id, "command", requeue=False)
        assert out.status == "succeeded"
        assert db.session.get(AnalysisState, camps.discussion_id).running_since is None
        db.session.remove()
    assert seen["in_transaction"] is False
    assert seen["running_since"] is not None
    assert seen["row"] == AnalysisStatus.RUNNING


def test_a_failure_while_storing_is_recorded_and_releases_the_claim(app, monkeypatch):
    camps = make_camps(app, people=8)

    def broken_store(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "store_success", broken_store)
    with app.app_context():
        out = scheduler.run_analysis(camps.discussion_id, "command", requeue=False)
        assert out.status == "failed" and out.error == "RuntimeError: disk full"
        row = db.session.get(Analysis, out.analysis_id)
        assert row.status == AnalysisStatus.FAILED and row.result is None
        assert row.error == "RuntimeError: disk full"
        state = db.session.get(AnalysisState, camps.discussion_id)
        assert state.running_since is None and state.failures == 1
        assert state.requested_at is not None  # still wanted: the retry will run it
        db.session.remove()


def test_settings_are_read_from_the_app_config(app, monkeypatch):
    from participate.config import load_config

    # The environment is read once, by config.py, when an app is built (as the consumer's
    # create_app() does); a running app goes by its own config.
    monkeypatch.setenv("PARTICIPATE_ANALYSIS_DEBOUNCE_SECONDS", "999")
    monkeypatch.setenv("PARTICIPATE_ANALYSIS_RETRY_BASE_SECONDS", "999")
    assert load_config()["ANALYSIS_DEBOUNCE_SECONDS"] == 999
    app.config.update(
        ANALYSIS_DEBOUNCE_SECONDS=7,
        ANALYSIS_RETRY_BASE_SECONDS=3,
        ANALYSIS_RETRY_MAX_SECONDS=10,
        ANALYSIS_RUN_TIMEOUT_SECONDS=60,
    )
    with app.app_context():
        assert scheduler.debounce() == timedelta(seconds=7)
        assert scheduler.run_timeout() == timedelta(seconds=60)
        assert [scheduler.backoff(n).total_seconds() for n in (0, 1, 2, 3)] == [0, 3, 6, 10]
