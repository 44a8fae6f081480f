"""The Huey instance and the job wrapper.

The queue is chosen from the environment at import (the consumer imports this module
by name, before any app exists): Redis when ``PARTICIPATE_REDIS_URL`` is set, else Huey's
SQLite storage in the instance folder; ``PARTICIPATE_HUEY_NAME`` names the queue. Tasks
never push an app context at import; :func:`app_task` enters one per run, creating the app
lazily in the consumer process, and runs the task as one unit of work.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab

from participate.config import INSTANCE


def _make_huey() -> Huey:
    immediate = os.environ.get("PARTICIPATE_HUEY_IMMEDIATE", "").lower() in {"1", "true", "yes"}
    # The queue's name prefixes its keys: sites (or test runs) sharing one Redis database
    # keep their tasks apart by naming their queues differently.
    name = os.environ.get("PARTICIPATE_HUEY_NAME") or "participate"
    redis_url = os.environ.get("PARTICIPATE_REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, immediate=immediate)
    path = os.environ.get("PARTICIPATE_HUEY_PATH") or str(INSTANCE / "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey(name, filename=path, immediate=immediate)


huey = _make_huey()
_app: Flask | None = None


def _app_for_job() -> Flask:
    global _app
    if _app is None:
        from participate import create_app

        _app = create_app()
    return _app


def in_app_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a job as one unit of work: inside an app context (the consumer's own, made once),
    committed once when it returns, rolled back when it raises, its outbox run after."""

    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from participate.boundary import unit

        if has_app_context():  # immediate mode: inside the request that queued it
            with unit():
                return fn(*args, **kwargs)
        with _app_for_job().app_context(), unit():
            return fn(*args, **kwargs)

    return run


def app_task(**task_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a Huey task that runs inside an app context (the one wrapper for jobs)."""

    def decorator(fn: Callable[..., Any]) -> Any:
        return huey.task(name=fn.__name__, **task_kwargs)(in_app_context(fn))

    return decorator


def app_periodic_task(schedule: Callable[..., bool], **task_kwargs: Any) -> Callable[..., Any]:
    def decorator(fn: Callable[..., Any]) -> Any:
        return huey.periodic_task(schedule, name=fn.__name__, **task_kwargs)(in_app_context(fn))

    return decorator


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_heartbeat() -> None:
    """Upsert this consumer's row in one statement: worker threads start together."""
    from participate.extensions import db
    from participate.models import WorkerHeartbeat
    from participate.timeutil import utcnow

    table = WorkerHeartbeat.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    db.session.execute(
        insert(table)
        .values(name=worker_name(), seen_at=now)
        .on_conflict_do_update(index_elements=[table.c.name], set_={"seen_at": now})
    )


@app_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Lets pages say "analyses are stale since ..." when no consumer is running."""
    record_heartbeat()


@huey.on_startup()
def _startup_heartbeat() -> None:
    in_app_context(record_heartbeat)()


def last_heartbeat() -> Any:
    from sqlalchemy import func, select

    from participate.extensions import db
    from participate.models import WorkerHeartbeat

    return db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))


def queue_status() -> dict[str, Any]:
    """For /healthz: is the queue storage reachable, how much waits, when a worker last ran."""
    from participate.timeutil import aware, utcnow

    status: dict[str, Any] = {"backend": type(huey).__name__}
    try:
        status["pending"] = huey.pending_count()
        status["ok"] = True
    except Exception as exc:  # noqa: BLE001 - reported, not raised: healthz must answer
        status["ok"] = False
        status["error"] = str(exc)[:200]
    seen = aware(last_heartbeat())
    status["last_heartbeat"] = seen.isoformat() if seen else None
    stale = current_app.config["HEARTBEAT_STALE_SECONDS"]
    status["worker_alive"] = bool(seen and (utcnow() - seen).total_seconds() < stale)
    return status
