"""A real Huey consumer process, on the same database the app uses: SQLite storage, and
Redis when a server answers. The consumer writes a heartbeat at start and runs a task
enqueued by name from another process, and /healthz then reports a live worker."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from participate.extensions import db
from participate.models import WorkerHeartbeat
from tests.consumer import consumer_process, wait_for


@pytest.fixture(params=["sqlite", "redis"])
def consumer(request, app, tmp_path):
    # No schedule: its first-tick heartbeat could land after the test deletes the rows.
    with consumer_process(app, tmp_path, request.param, redis_db=15, periodic=False) as queue:
        yield queue


def _beats(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))
        db.session.remove()
        return n


def test_real_consumer_heartbeat_and_task(app, client, consumer):
    assert wait_for(lambda: _beats(app) == 1), "consumer did not start (no heartbeat)"
    assert client.get("/healthz").json["queue"]["worker_alive"] is True

    with app.app_context():
        db.session.execute(delete(WorkerHeartbeat))
        db.session.commit()
    assert client.get("/healthz").json["queue"]["worker_alive"] is False

    # Enqueue the heartbeat task by name, as another process would (Huey identifies a task by
    # module and name), and let the consumer run its own implementation.
    def heartbeat() -> None:  # never runs here: only its identity is sent
        raise AssertionError

    heartbeat.__module__ = "participate.jobs"
    consumer.task(name="heartbeat")(heartbeat)()
    assert wait_for(lambda: _beats(app) == 1), "the consumer did not run the queued task"
    assert client.get("/healthz").json["queue"]["worker_alive"] is True
