"""A real Huey consumer process, on the same database the app uses: SQLite storage, and
Redis when a server answers. The consumer writes a heartbeat at start and runs a task
enqueued by name from another process, and /healthz then reports a live worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import delete, func, select

from participate.extensions import db
from participate.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parent.parent


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(params=["sqlite", "redis"])
def consumer(request, app, tmp_path):
    env = dict(os.environ)
    env.pop("PARTICIPATE_HUEY_IMMEDIATE", None)
    env["PARTICIPATE_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    env["PARTICIPATE_INSTANCE_PATH"] = str(tmp_path)
    if request.param == "sqlite":
        env.pop("PARTICIPATE_REDIS_URL", None)
        env["PARTICIPATE_HUEY_PATH"] = str(tmp_path / "huey.db")
        queue = SqliteHuey("participate", filename=env["PARTICIPATE_HUEY_PATH"])
    else:
        if not _redis_up():
            pytest.skip("no Redis at 127.0.0.1:6379")
        url = os.environ.get("PARTICIPATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        env["PARTICIPATE_REDIS_URL"] = url
        queue = RedisHuey("participate", url=url)
        queue.flush()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "participate.jobs.huey",
            "-w",
            "1",
            "-k",
            "thread",
            "-d",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        print(out.decode(errors="replace")[-3000:])  # shown by pytest only when the test fails


def _beats(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))
        db.session.remove()
        return n


def test_real_consumer_heartbeat_and_task(app, client, consumer):
    assert _wait_for(lambda: _beats(app) == 1), "consumer did not start (no heartbeat)"
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
    assert _wait_for(lambda: _beats(app) == 1), "the consumer did not run the queued task"
    assert client.get("/healthz").json["queue"]["worker_alive"] is True
