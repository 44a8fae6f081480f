"""Faults on purpose (issue 13): a job consumer killed with SIGKILL in the middle of an
analysis and of a mail delivery, with Redis as the queue storage and two real consumer
processes on one queue.

Each job is held in the middle by the test itself, with a database lock taken before it is
enqueued (the analysis waits to read the votes once its run is claimed and shown RUNNING;
the mail waits to record that it was sent), so the kill lands mid-job every time, without
timing. The consumer running it is the one the queue's in-flight record names
(:mod:`participate.jobs`); once its lease runs out the other consumer re-enqueues the task
and runs it: the analysis succeeds with every vote, the dead run is marked failed, and the
mail is in the outbox exactly once.
"""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from huey import RedisHuey
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from participate.extensions import db
from participate.models import (
    Analysis,
    MailMessage,
    Notification,
    NotificationKind,
)
from tests.consumer import consumer_process, redis_up, wait_for
from tests.reports_fixtures import bulk_votes, camp_votes, make_camps, make_proposal

REDIS_DB = 13
LEASE = 1.5  # seconds: a killed consumer's tasks are re-enqueued soon after


@pytest.fixture
def consumers(app, tmp_path) -> Iterator[dict[str, Any]]:
    """Two consumer processes (A and B) on one Redis queue, and this process's queue
    pointed at it (so what the test enqueues goes to them)."""
    from participate import jobs

    if not redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"participate-faults-{secrets.token_hex(4)}"
    queue = RedisHuey(name, url=f"redis://127.0.0.1:6379/{REDIS_DB}")
    queue.flush()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    settings = {
        "PARTICIPATE_HUEY_NAME": name,
        "PARTICIPATE_JOB_LEASE_SECONDS": str(LEASE),
        "PARTICIPATE_ANALYSIS_DEBOUNCE_SECONDS": "1",
        "PARTICIPATE_ANALYSIS_MIN_DELAY_SECONDS": "0.5",
        "PARTICIPATE_ANALYSIS_RETRY_BASE_SECONDS": "1",
        # A run not finished after this is presumed dead: the survivor may take it over.
        "PARTICIPATE_ANALYSIS_RUN_TIMEOUT_SECONDS": "4",
    }
    saved = jobs.huey.storage, jobs.huey._immediate
    with ExitStack() as stack:
        for label in ("a", "b"):
            (tmp_path / label).mkdir()
            env = dict(settings)
            if url.get_backend_name() == "postgresql":  # the consumer's sessions, by name
                env["PARTICIPATE_DATABASE_URL"] = url.update_query_dict(
                    {"application_name": f"{name}-{label}"}
                ).render_as_string(hide_password=False)
            stack.enter_context(
                consumer_process(app, tmp_path / label, "redis", REDIS_DB, env, workers=2)
            )
        jobs.huey.storage, jobs.huey._immediate = queue.storage, False
        try:
            # Both consumers are up once both hold a lease.
            assert wait_for(lambda: len(_leases(queue)) >= 2, 60), _leases(queue)
            yield {"queue": queue, "name": name}
        finally:
            jobs.huey.storage, jobs.huey._immediate = saved
            queue.flush()


def _leases(queue: RedisHuey) -> list[str]:
    from participate.jobs import ALIVE

    return [k for k in queue.storage.result_items() if k.startswith(ALIVE)]


def _running_task(task_name: str) -> dict[str, Any] | None:
    from participate.jobs import in_flight

    found = [e for e in in_flight().values() if e["name"] == task_name]
    return found[0] if found else None


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not _alive(pid), 20), f"consumer {pid} still alive"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"  # a zombie has stopped: its parent reaps it
    except FileNotFoundError:
        return False


@contextmanager
def _held(app, statement: str, **params: Any) -> Iterator[None]:
    """Hold a database lock (PostgreSQL: ``statement``; SQLite: the write lock) until the
    block ends; nothing is written by the holder."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        connection.execute(text(statement), params)
        try:
            yield
        finally:
            transaction.rollback()
            connection.close()
            db.session.remove()


def _waiting_on_lock(app, application_name: str) -> bool:
    with app.app_context():
        found = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = :name AND wait_event_type = 'Lock'"
            ),
            {"name": application_name},
        )
        db.session.remove()
    return bool(found)


def _sessions_of(app, application_name: str) -> int:
    with app.app_context():
        found = db.session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        )
        db.session.remove()
    return int(found or 0)


def _analyses(app, discussion_id: int) -> list[tuple[int, str, int, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Analysis.version, Analysis.status, Analysis.vote_count, Analysis.error)
            .where(Analysis.discussion_id == discussion_id)
            .order_by(Analysis.version)
        ).all()
        db.session.remove()
    return [(v, str(s), n, e) for v, s, n, e in rows]


def test_analysis_survives_its_consumer_killed_mid_run(app, consumers):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("holds the run mid-way with a table lock (PostgreSQL)")
    from participate.reports.scheduler import DEAD_RUN_ERROR, analyse_discussion

    camps = make_camps(app, people=16, vote=False)
    votes = camp_votes(camps)
    bulk_votes(app, camps.discussion_id, votes)

    # The run claims the discussion and shows RUNNING, then waits to read the votes.
    with _held(app, "LOCK TABLE vote_history IN ACCESS EXCLUSIVE MODE"):
        analyse_discussion(camps.discussion_id, trigger="staff")
        assert wait_for(
            lambda: [r for r in _analyses(app, camps.discussion_id) if r[1] == "running"], 60
        ), _analyses(app, camps.discussion_id)
        task = wait_for(lambda: _running_task("analyse_discussion"), 30)
        assert task, "the running analysis is not recorded as in flight"
        assert wait_for(
            lambda: (
                _waiting_on_lock(app, f"{consumers['name']}-a")
                or _waiting_on_lock(app, f"{consumers['name']}-b")
            ),
            30,
        )
        _kill(task["pid"])

    def succeeded():
        rows = _analyses(app, camps.discussion_id)
        return [r for r in rows if r[1] == "succeeded" and r[2] == len(votes)]

    assert wait_for(succeeded, 90), _analyses(app, camps.discussion_id)
    rows = _analyses(app, camps.discussion_id)
    # The dead run says why it has no result; nothing is left RUNNING; one result.
    assert [r[1] for r in rows] == ["failed", "succeeded"], rows
    assert rows[0][3] == DEAD_RUN_ERROR
    survivor = _running_task("analyse_discussion")
    assert survivor is None or survivor["pid"] != task["pid"]


def test_mail_survives_its_consumer_killed_mid_delivery_and_goes_out_once(
    app, consumers, make_user
):
    from participate.proposals.notifications import deliver_notifications

    person = make_user(email=f"fault-{secrets.token_hex(3)}@example.tw")
    proposal_id, _discussion_id = make_proposal(app)
    with app.app_context():
        notification = Notification(
            user_id=person.id, proposal_id=proposal_id, kind=NotificationKind.ACCEPTED
        )
        db.session.add(notification)
        db.session.commit()
        notification_id = notification.id
        db.session.remove()
    postgres = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"

    # PostgreSQL: the delivery waits on the notification's row to stamp it, its mail already
    # written in the same transaction. SQLite: every write waits on the test's write lock.
    lock = "SELECT id FROM notification WHERE id = :id FOR UPDATE"
    with _held(app, lock, id=notification_id):
        deliver_notifications()
        task = wait_for(lambda: _running_task("deliver_notifications"), 30)
        assert task, "the delivery is not recorded as in flight"
        if postgres:
            assert wait_for(
                lambda: (
                    _waiting_on_lock(app, f"{consumers['name']}-a")
                    or _waiting_on_lock(app, f"{consumers['name']}-b")
                ),
                30,
            )
        _kill(task["pid"])

    def mailed():
        with app.app_context():
            stamped = db.session.get(Notification, notification_id).emailed_at
            db.session.remove()
        return stamped

    assert wait_for(mailed, 60), "the delivery was lost with its consumer"
    if postgres:  # the killed consumer's sessions are gone: nothing of theirs can commit
        assert wait_for(
            lambda: (
                _sessions_of(app, f"{consumers['name']}-a") == 0
                or _sessions_of(app, f"{consumers['name']}-b") == 0
            ),
            30,
        )
    with app.app_context():
        sent = db.session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.recipient == person.email)
        )
        db.session.remove()
    assert sent == 1
    assert _running_task("deliver_notifications") is None


def test_a_task_left_in_flight_by_a_dead_consumer_is_enqueued_again_once(app):
    """The recovery itself, without a consumer: an in-flight record whose consumer holds no
    lease is re-enqueued by the first to look, and only by it."""
    from participate import jobs
    from participate.proposals.notifications import deliver_notifications

    if not redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    queue = RedisHuey(
        f"participate-faults-{secrets.token_hex(4)}", url=f"redis://127.0.0.1:6379/{REDIS_DB}"
    )
    saved = jobs.huey.storage, jobs.huey._immediate
    jobs.huey.storage, jobs.huey._immediate = queue.storage, False
    try:
        _recover_once(jobs, queue, deliver_notifications)
    finally:
        jobs.huey.storage, jobs.huey._immediate = saved
        queue.flush()


def _recover_once(jobs: Any, queue: RedisHuey, task_fn: Any) -> None:
    jobs.renew_lease()  # a consumer alive (this one) and one that is not
    task = task_fn.s()
    jobs.huey.put(
        jobs.INFLIGHT + task.id,
        {
            "consumer": "gone:1:abc",
            "pid": 1,
            "name": task.name,
            "message": jobs.huey.serialize_task(task),
            "started": 0.0,
        },
    )
    first = jobs.recover_lost_tasks()
    second = jobs.recover_lost_tasks()
    assert first == [task.id] and second == []
    assert jobs.INFLIGHT + task.id not in queue.storage.result_items()
    assert [t.id for t in jobs.huey.pending()] == [task.id]
