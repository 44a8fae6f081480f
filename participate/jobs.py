"""The Huey instance and the job wrapper.

The queue is chosen from the environment at import (the consumer imports this module
by name): Redis when ``PARTICIPATE_REDIS_URL`` is set, else Huey's SQLite storage in the
instance folder. Tasks never push an app context at import; :func:`app_task` enters one
per run, creating the app lazily in the consumer process.
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
    redis_url = os.environ.get("PARTICIPATE_REDIS_URL")
    if redis_url:
        return RedisHuey("participate", url=redis_url, immediate=immediate)
    path = os.environ.get("PARTICIPATE_HUEY_PATH") or str(INSTANCE / "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("participate", filename=path, immediate=immediate)


huey = _make_huey()
_app: Flask | None = None


def _app_for_job() -> Flask:
    global _app
    if _app is None:
        from participate import create_app

        _app = create_app()
    return _app


def in_app_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return fn(*args, **kwargs)
        with _app_for_job().app_context():
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
    """Upsert this consumer's row; worker threads start together, so tolerate the race."""
    from sqlalchemy.exc import IntegrityError

    from participate.extensions import db
    from participate.models import WorkerHeartbeat
    from participate.timeutil import utcnow

    for _attempt in range(3):
        row = db.session.get(WorkerHeartbeat, worker_name())
        if row is None:
            db.session.add(WorkerHeartbeat(name=worker_name(), seen_at=utcnow()))
        else:
            row.seen_at = utcnow()
        try:
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()


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


def register_area_tasks() -> None:
    """Import each area's tasks so the consumer knows them by name."""
    from importlib import import_module

    for module in (
        "participate.proposals.tasks",
        "participate.discussion.tasks",
        "participate.reports.tasks",
        "participate.moderation.tasks",
        "participate.api.tasks",
    ):
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if not (exc.name and module.startswith(exc.name)):
                raise


register_area_tasks()
