"""The analysis through a real Huey consumer process, on the test database (SQLite or
PostgreSQL, whichever the suite runs on) with Huey's SQLite storage and with Redis.

Votes arrive through the discussion's vote operation in this process; the analysis request it
queues in the outbox enqueues, after the commit, into the consumer's queue; the consumer
analyses and writes the analysis row; the report page then shows the groups. A run forced to
fail (a corrupted vote row) records the error, keeps the previous report, and is retried with
back-off once the data is fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

from participate.extensions import db
from participate.models import Analysis, AnalysisState, AnalysisStatus, VoteHistory
from tests.consumer import consumer_process, wait_for
from tests.reports_fixtures import bulk_votes, camp_votes, cast, make_camps

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "redis"])
def worker(request, app, tmp_path):
    """A consumer process, and this process's queue pointed at the same storage."""
    from participate.jobs import huey

    fast = {
        "ANALYSIS_DEBOUNCE_SECONDS": 1,
        "ANALYSIS_MIN_DELAY_SECONDS": 0.5,
        "ANALYSIS_RETRY_BASE_SECONDS": 1,
    }
    env = {f"PARTICIPATE_{k}": str(v) for k, v in fast.items()}
    with consumer_process(
        app, tmp_path, request.param, redis_db=14, env_extra=env, workers=2
    ) as queue:
        saved_storage, saved_immediate = huey.storage, huey._immediate
        huey._immediate = False
        huey.storage = queue.storage
        app.config.update(fast)
        try:
            yield queue
        finally:
            huey.storage, huey._immediate = saved_storage, saved_immediate


def _analyses(app, discussion_id: int) -> list[tuple[int, str, int, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Analysis.version, Analysis.status, Analysis.vote_count, Analysis.error)
            .where(Analysis.discussion_id == discussion_id)
            .order_by(Analysis.version)
        ).all()
        db.session.remove()
        return [(v, str(s), n, e) for v, s, n, e in rows]


def test_votes_to_report_through_a_real_consumer(app, client, worker, make_user, login):
    # Most votes are already there (written in bulk, without a request); the last four
    # people vote through the discussion's operation, whose request schedules the analysis.
    camps = make_camps(app, people=24, vote=False)
    votes = camp_votes(camps)
    late = set(camps.user_ids[-4:])
    bulk_votes(app, camps.discussion_id, [v for v in votes if v[0] not in late])
    for uid, sid, value in votes:
        if uid in late:
            cast(app, uid, sid, value)
    total = len(votes)

    def complete():
        rows = _analyses(app, camps.discussion_id)
        return [r for r in rows if r[1] == "succeeded" and r[2] == total]

    done = wait_for(complete, 90)
    assert done, f"no complete analysis: {_analyses(app, camps.discussion_id)}"
    # The debounce held: far fewer runs than the 40 votes that asked for one.
    assert len(_analyses(app, camps.discussion_id)) < 10

    page = client.get(f"/proposals/{camps.proposal_id}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "第 1 群" in html and "第 2 群" in html
    assert "<svg" in html and "map-desc" in html

    # Corrupt the data: a vote row with an impossible value. The next real vote schedules a
    # run, which fails, records why, and leaves the last good report in place.
    with app.app_context():
        db.session.execute(
            insert(VoteHistory).values(
                discussion_id=camps.discussion_id,
                statement_id=camps.statement_ids[0],
                participant_id=camps.user_ids[0],
                value=5,
            )
        )
        db.session.commit()
    good_version = done[-1][0]
    extra = make_user()
    cast(app, extra.id, camps.statement_ids[0], 1)

    failed = wait_for(
        lambda: [r for r in _analyses(app, camps.discussion_id) if r[1] == "failed"], 60
    )
    assert failed, _analyses(app, camps.discussion_id)
    assert "value other than -1, 0, 1" in failed[0][3]
    with app.app_context():
        state = db.session.get(AnalysisState, camps.discussion_id)
        assert state.failures >= 1 and state.requested_at is not None
        db.session.remove()

    page = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "第 1 群" in page  # the old report is still shown to the public...
    assert "value other than" not in page  # ...without the error

    staff = make_user(role="moderator")
    login(client, staff)
    page = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "value other than -1, 0, 1" in page and "第 1 群" in page

    # Fix the data: the back-off retry (1 s, 2 s, ...) then succeeds with the extra vote.
    with app.app_context():
        db.session.execute(delete(VoteHistory).where(VoteHistory.value == 5))
        db.session.commit()

    def recovered():
        return [
            r
            for r in _analyses(app, camps.discussion_id)
            if r[1] == "succeeded" and r[0] > good_version and r[2] == total + 1
        ]

    assert wait_for(recovered, 60), _analyses(app, camps.discussion_id)
    with app.app_context():
        state = db.session.get(AnalysisState, camps.discussion_id)
        assert state.failures == 0
        running = db.session.scalar(
            select(func.count())
            .select_from(Analysis)
            .where(Analysis.status == AnalysisStatus.RUNNING)
        )
        db.session.remove()
    assert running == 0
