"""Start a real Huey consumer process for a test, on the test's database.

One helper for every test that needs a consumer: it picks the queue storage (Huey's SQLite
storage in the test's folder, or a Redis database of its own), starts
``huey_consumer participate.worker.huey`` with the test database's URL, and stops it after.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from huey import Huey, RedisHuey, SqliteHuey

ROOT = Path(__file__).resolve().parent.parent


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], Any], seconds: float = 60.0) -> Any:
    """Poll until ``predicate`` returns something truthy (returned), or None at the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    return None


@contextmanager
def consumer_process(
    app: Any,
    tmp_path: Path,
    storage: str,
    redis_db: int,
    env_extra: dict[str, str] | None = None,
    workers: int = 1,
    periodic: bool = True,
) -> Iterator[Huey]:
    """Yield a Huey instance on the consumer's storage, for enqueueing from the test.

    ``storage`` is "sqlite" or "redis" (skipped when no Redis answers); each test module
    passes its own ``redis_db``, and each consumer gets a queue name of its own, so two test
    runs on one Redis server (parallel CI jobs, several worktrees) never share a queue.
    ``periodic=False`` starts it without its schedule, for a test that must know which task
    wrote what (the per-minute heartbeat would otherwise race the test's own writes).
    """
    env = dict(os.environ)
    env.pop("PARTICIPATE_HUEY_IMMEDIATE", None)
    # A queue name of its own: test runs sharing the Redis server (and database) never take
    # each other's tasks, and flushing this queue leaves theirs alone.
    name = f"participate-test-{secrets.token_hex(4)}"
    env["PARTICIPATE_HUEY_NAME"] = name
    env["PARTICIPATE_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    env["PARTICIPATE_INSTANCE_PATH"] = str(tmp_path)
    env.update(env_extra or {})
    if storage == "sqlite":
        env.pop("PARTICIPATE_REDIS_URL", None)
        env["PARTICIPATE_HUEY_PATH"] = str(tmp_path / "huey.db")
        queue: Huey = SqliteHuey(name, filename=env["PARTICIPATE_HUEY_PATH"])
    else:
        if not redis_up():
            pytest.skip("no Redis at 127.0.0.1:6379")
        url = f"redis://127.0.0.1:6379/{redis_db}"
        env["PARTICIPATE_REDIS_URL"] = url
        queue = RedisHuey(name, url=url)
        queue.flush()
    cmd = [sys.executable, "-m", "huey.bin.huey_consumer", "participate.worker.huey"]
    cmd += ["-w", str(workers), "-k", "thread", "-d", "0.1", "-m", "0.5"]
    if not periodic:
        cmd.append("--no-periodic")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    time.sleep(0.2)
    if proc.poll() is not None:
        pytest.fail(proc.communicate()[0].decode(errors="replace")[-3000:])
    try:
        yield queue
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        if storage == "redis":
            queue.flush()  # this run's queue name is never used again: leave no keys behind
        print(out.decode(errors="replace")[-6000:])  # pytest shows it only when a test fails
