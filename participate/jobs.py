"""The Huey instance and the job wrapper.

The queue is chosen from the environment at import (the consumer imports this module
by name, before any app exists): Redis when ``PARTICIPATE_REDIS_URL`` is set, else Huey's
SQLite storage in the instance folder; ``PARTICIPATE_HUEY_NAME`` names the queue. Tasks
never push an app context at import; :func:`app_task` enters one per run, creating the app
lazily in the consumer process, and runs the task as one unit of work.

**A killed consumer loses no job.** Huey removes a task from the queue when a consumer takes
it, so a consumer killed mid-task (SIGKILL, the machine lost, an out-of-memory kill) would
take the task with it. Every task a consumer starts is therefore also written to the queue's
storage as *in flight* (its serialized message and the consumer that runs it) and removed
when it ends, however it ends; each consumer renews a lease on its own name every
``JOB_LEASE_SECONDS / 3`` and, on the same beat, re-enqueues the in-flight tasks of consumers
whose lease has run out. So a task runs **at least once**; what must happen only once is
guarded where it is written: an analysis run by its claim on ``AnalysisState`` (the dead run
is failed and redone), a mail by the row stamped in the same transaction that records it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import PeriodicTask, Task

from participate.config import INSTANCE

log = logging.getLogger(__name__)


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


# --- Tasks in flight and the consumers' leases -----------------------------------------------

INFLIGHT = "participate:inflight:"
ALIVE = "participate:alive:"
_CONSUMER_IDS: dict[int, str] = {}


def consumer_id() -> str:
    """This consumer process, unique even when a restarted container gets the same pid
    again, and per process when Huey forks its workers (``-k process``): each child holds
    its own lease, so one child killed is found out while its siblings live on."""
    pid = os.getpid()
    if pid not in _CONSUMER_IDS:
        _CONSUMER_IDS[pid] = f"{worker_name()}:{secrets.token_hex(3)}"
    return _CONSUMER_IDS[pid]


def lease_seconds() -> float:
    """How long a consumer that stopped renewing its lease is still presumed alive."""
    try:
        return max(0.5, float(os.environ.get("PARTICIPATE_JOB_LEASE_SECONDS") or 30))
    except ValueError:
        return 30.0


@huey.pre_execute()
def _mark_in_flight(task: Task) -> None:
    """Before a task runs: note it, with its message, under this consumer's name."""
    if isinstance(task, PeriodicTask) or huey.immediate:
        return  # periodic tasks come again by themselves; immediate mode has no consumer
    entry = {"consumer": consumer_id(), "pid": os.getpid(), "name": task.name}
    entry["message"] = huey.serialize_task(task)
    entry["started"] = time.time()
    huey.put(INFLIGHT + task.id, entry)


@huey.post_execute()
def _clear_in_flight(task: Task, value: Any, exc: BaseException | None) -> None:
    """After it ran, succeeded or failed (Huey's own retries then re-enqueue it)."""
    if isinstance(task, PeriodicTask) or huey.immediate:
        return
    huey.delete(INFLIGHT + task.id)


def in_flight() -> dict[str, dict[str, Any]]:
    """The tasks being run now (task id -> consumer, pid, task name, start time)."""
    found = {}
    for key, raw in huey.storage.result_items().items():
        if key.startswith(INFLIGHT):
            entry = huey.serializer.deserialize(raw)
            found[key[len(INFLIGHT) :]] = {k: v for k, v in entry.items() if k != "message"}
    return found


def renew_lease(now: float | None = None) -> None:
    huey.put(ALIVE + consumer_id(), now or time.time())


def recover_lost_tasks(now: float | None = None) -> list[str]:
    """Re-enqueue the tasks of consumers whose lease ran out; the ids re-enqueued.

    Taking the entry is one atomic pop in the storage, so when several consumers look at
    once, each lost task is re-enqueued by exactly one of them.
    """
    now = now or time.time()
    entries = huey.storage.result_items()
    alive: dict[str, float] = {}
    for key, raw in entries.items():
        if key.startswith(ALIVE):
            alive[key[len(ALIVE) :]] = float(huey.serializer.deserialize(raw))
    recovered = []
    for key in entries:
        if not key.startswith(INFLIGHT):
            continue
        entry = huey.get(key, peek=True)
        if not entry or entry.get("consumer") == consumer_id():
            continue
        if now - alive.get(entry["consumer"], 0.0) <= lease_seconds():
            continue
        entry = huey.get(key)  # the atomic pop: whoever gets it re-enqueues it
        if not entry:
            continue
        huey.enqueue(huey.deserialize_task(entry["message"]))
        recovered.append(key[len(INFLIGHT) :])
        log.warning(
            "re-enqueued task %s (%s): its consumer %s stopped during it",
            key[len(INFLIGHT) :],
            entry.get("name"),
            entry["consumer"],
        )
    for consumer, seen in alive.items():  # forget consumers long gone
        if consumer != consumer_id() and now - seen > 100 * lease_seconds():
            huey.delete(ALIVE + consumer)
    return recovered


OWNER = "participate:owner:"


def in_consumer() -> bool:
    """Is this process a job consumer holding a lease (not a web worker or a command)?"""
    return _lease_thread is not None and _lease_pid == os.getpid()


def note_owner(key: str) -> None:
    """Record that this consumer holds ``key`` (a claim written in the database, such as an
    analysis run), so others can tell when it died holding it. Outside a consumer there is
    no lease to judge by: the record is removed, and only the claim's own timeout applies."""
    try:
        if in_consumer():
            huey.put(OWNER + key, consumer_id())
        else:
            huey.delete(OWNER + key)
    except Exception:  # noqa: BLE001 - the queue storage is down: the claim's timeout decides
        log.warning("could not record the owner of %s", key, exc_info=True)


def clear_owner(key: str) -> None:
    try:
        huey.delete(OWNER + key)
    except Exception:  # noqa: BLE001 - a stale record names a live or a dead consumer: harmless
        log.warning("could not clear the owner of %s", key, exc_info=True)


def owner_gone(key: str, now: float | None = None) -> bool:
    """Did the consumer recorded as holding ``key`` lose its lease (killed, machine lost)?
    False when nobody is recorded (then the claim's own timeout decides)."""
    try:
        owner = huey.get(OWNER + key, peek=True)
        if not owner or owner == consumer_id():
            return False
        seen = huey.get(ALIVE + owner, peek=True)
    except Exception:  # noqa: BLE001 - cannot tell: presume alive, the timeout decides
        log.warning("could not read the owner of %s", key, exc_info=True)
        return False
    return seen is None or (now or time.time()) - float(seen) > lease_seconds()


_lease_thread: threading.Thread | None = None
_lease_pid: int | None = None
_lease_lock = threading.Lock()


def _lease_loop() -> None:
    while True:
        time.sleep(lease_seconds() / 3)
        try:
            renew_lease()
            recover_lost_tasks()
        except Exception:  # noqa: BLE001 - the storage may be back on the next beat
            log.exception("renewing the consumer's lease failed")


@huey.on_startup()
def _start_lease() -> None:
    """Once per consumer process (this runs in each worker thread): take the lease now,
    recover what a dead consumer left, and keep renewing it from a daemon thread."""
    global _lease_thread, _lease_pid
    with _lease_lock:
        if _lease_thread is not None and _lease_pid == os.getpid():
            return
        renew_lease()
        _lease_thread = threading.Thread(target=_lease_loop, name="lease", daemon=True)
        _lease_pid = os.getpid()
        _lease_thread.start()
    try:
        recover_lost_tasks()
    except Exception:  # noqa: BLE001 - the lease thread tries again
        log.exception("recovering lost tasks at start-up failed")


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
