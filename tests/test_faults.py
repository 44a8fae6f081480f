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
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
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
    Vote,
)
from tests.consumer import consumer_process, redis_up, wait_for
from tests.reports_fixtures import bulk_votes, camp_votes, make_camps, make_proposal

ROOT = Path(__file__).resolve().parent.parent
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
        # The run timeout stays the default (15 minutes): a killed consumer's run is taken
        # over because its lease ran out, not because the run is old.
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


# --------------------------------------------------------------------------- database outage


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _gunicorn(app, tmp_path) -> Iterator[str]:
    """The app under gunicorn (2 workers, 2 threads), on the test's database; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "PARTICIPATE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PARTICIPATE_SECRET_KEY": app.config["SECRET_KEY"],
        "PARTICIPATE_INSTANCE_PATH": str(tmp_path),
        "PARTICIPATE_HUEY_PATH": str(tmp_path / "huey.db"),  # no consumer: votes just queue
        "PARTICIPATE_RATELIMIT_ENABLED": "0",
    }
    env.pop("PARTICIPATE_REDIS_URL", None)
    env.pop("PARTICIPATE_HUEY_IMMEDIATE", None)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cmd = [gunicorn, "-w", "2", "--threads", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _answers(f"{base}/healthz"), 60), (
            tmp_path / "gunicorn.log"
        ).read_text()[-3000:]
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        print((tmp_path / "gunicorn.log").read_text(errors="replace")[-6000:])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 600
    except httpx.HTTPError:
        return False


@contextmanager
def _admin() -> Iterator[Any]:
    import psycopg

    admin = make_url(os.environ["PARTICIPATE_TEST_DATABASE_URL"])
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        yield conn


class _VoteLoad:
    """Clients voting in threads, each on its own people (so one pair's votes are in order),
    every answer kept with the moment its request started."""

    def __init__(self, base: str, cookie_name: str, people: list[tuple[int, str]], sids: list[int]):
        self.base, self.cookie_name = base, cookie_name
        self.people, self.sids = people, sids
        # start, status, content type, body, Retry-After, end
        self.answers: list[tuple[float, int, str, str, str, float]] = []
        self.last: dict[tuple[int, int], tuple[int, str]] = {}  # pair -> status, value
        self.stop = threading.Event()
        self.failures: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        self.ready: list[threading.Event] = []  # a client has its pages and votes from now

    def _client(self, mine: list[tuple[int, str]], ready: threading.Event) -> None:
        try:
            self._vote(mine, ready)
        except BaseException as exc:  # noqa: BLE001 - the test reads it, the thread ends
            self.failures.append(exc)

    def _vote(self, mine: list[tuple[int, str]], ready: threading.Event) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            sessions = []
            for uid, cookie in mine:  # a page first: the session gets its CSRF token
                page = client.get("/proposals/", headers={"Cookie": f"{self.cookie_name}={cookie}"})
                token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
                assert token, page.text[:500]
                fresh = page.cookies.get(self.cookie_name) or cookie
                sessions.append((uid, fresh, token.group(1)))
            ready.set()
            n = 0
            while not self.stop.is_set():
                uid, cookie, token = sessions[n % len(sessions)]
                sid = self.sids[(n // len(sessions)) % len(self.sids)]
                value = ("agree", "disagree", "pass")[n % 3]
                n += 1
                started = time.monotonic()
                try:
                    resp = client.post(
                        f"/discussion/statements/{sid}/vote",
                        data={"value": value},
                        headers={
                            "Accept": "application/json",
                            "X-CSRFToken": token,
                            "Cookie": f"{self.cookie_name}={cookie}",
                        },
                    )
                except httpx.HTTPError as exc:
                    self.answers.append((started, 0, "", type(exc).__name__, "", 0.0))
                    continue
                kind = resp.headers.get("content-type", "")
                retry = resp.headers.get("retry-after", "")
                answer = (started, resp.status_code, kind, resp.text[:300], retry, time.monotonic())
                self.answers.append(answer)
                self.last[(uid, sid)] = (resp.status_code, value)

    def __enter__(self) -> _VoteLoad:
        per = max(1, len(self.people) // 4)
        for i in range(4):
            mine = self.people[i * per : (i + 1) * per]
            ready = threading.Event()
            self.ready.append(ready)
            thread = threading.Thread(target=self._client, args=(mine, ready), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def since(self, moment: float) -> list[tuple[float, int, str, str, str, float]]:
        return [a for a in list(self.answers) if a[0] >= moment]

    def all_voting(self) -> bool:
        """Every client has loaded its pages (its CSRF tokens) and votes: a slow client's
        first page must not meet the outage the others' votes were waited for."""
        return all(ready.is_set() for ready in self.ready)

    def ok_since(self, moment: float) -> int:
        if self.failures:
            raise self.failures[0]
        return sum(1 for a in self.since(moment) if a[1] == 200)


def test_database_outage_mid_vote_load_is_a_503_then_votes_work_again(app, tmp_path):
    """gunicorn on PostgreSQL under a vote load; the database stops serving (every session
    of it terminated, new connections refused), then comes back. Meanwhile every answer is
    a 503 with Retry-After (JSON for the votes, the plain page for a page), never a 500 or a
    hang; afterwards the votes go through again on the same server, and every vote answered
    200 last is the one stored."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("stops and restores a PostgreSQL database")
    camps = make_camps(app, people=8, vote=False)
    serializer = app.session_interface.get_signing_serializer(app)
    people = [
        (uid, serializer.dumps({"_user_id": f"{uid}:1", "_fresh": True})) for uid in camps.user_ids
    ]
    name = url.database
    with _gunicorn(app, tmp_path) as base, _admin() as admin:
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        with _VoteLoad(base, cookie_name, people, camps.statement_ids) as load:

            def voting() -> bool:  # 20 votes went through and every client is voting
                return load.ok_since(0) >= 20 and load.all_voting()

            assert wait_for(voting, 60), load.answers[-5:]
            try:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                down = time.monotonic()
                assert wait_for(lambda: len(load.since(down)) >= 20, 60), load.answers[-5:]
                page = httpx.get(f"{base}/proposals/", timeout=30)
                health = httpx.get(f"{base}/healthz", timeout=30)
            finally:
                restoring = time.monotonic()  # what starts from here may find it back
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            back = time.monotonic()
            assert wait_for(lambda: load.ok_since(back) >= 20, 60), load.answers[-5:]
        # Asked once the database was down and answered before it was back.
        during = [a for a in load.answers if down <= a[0] and a[5] < restoring]
    assert all(a[1] != 500 for a in load.answers), [a for a in load.answers if a[1] == 500][:3]
    assert during and all(a[1] == 503 for a in during), [a for a in during if a[1] != 503]
    assert all(a[2].startswith("application/json") and a[4] for a in during), during[:3]
    assert all('"code":"unavailable"' in a[3].replace(" ", "") for a in during), during[:3]
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "text/html" in page.headers["content-type"] and "503" in page.text
    assert health.status_code == 503
    # Every pair whose last vote was acknowledged holds that vote.
    with app.app_context():
        stored = {
            (p, s): v
            for p, s, v in db.session.execute(
                select(Vote.participant_id, Vote.statement_id, Vote.value).where(
                    Vote.discussion_id == camps.discussion_id
                )
            ).all()
        }
        db.session.remove()
    numbers = {"agree": 1, "disagree": -1, "pass": 0}
    acked = {pair: numbers[v] for pair, (status, v) in load.last.items() if status == 200}
    assert acked and all(stored.get(pair) == value for pair, value in acked.items())


# --------------------------------------------------------------------------- mail sent once


def test_two_deliveries_at_once_mail_a_notification_once(app, make_user):
    """Two deliveries of the same waiting notification at the same moment (two consumers,
    or two worker threads): both see it unsent, both try to take it; one mails it."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("lines the two deliveries up on a row lock (PostgreSQL)")
    from participate.proposals.notifications import deliver_pending

    person = make_user(email=f"twice-{secrets.token_hex(3)}@example.tw")
    proposal_id, _discussion_id = make_proposal(app)
    with app.app_context():
        notification = Notification(
            user_id=person.id, proposal_id=proposal_id, kind=NotificationKind.ACCEPTED
        )
        db.session.add(notification)
        db.session.commit()
        notification_id = notification.id
        db.session.remove()
    results: list[int] = []

    def deliver() -> None:
        with app.app_context():
            results.append(deliver_pending(digest=False))
            db.session.remove()

    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    lock = "SELECT id FROM notification WHERE id = :id FOR UPDATE"
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    with _held(app, lock, id=notification_id):
        for thread in threads:
            thread.start()

        def both_waiting() -> bool:
            with app.app_context():
                waiting = db.session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND wait_event_type = 'Lock'"
                    ),
                    {"name": name},
                )
                db.session.remove()
            return waiting == 2

        assert wait_for(both_waiting, 30)
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [0, 1]
    with app.app_context():
        sent = db.session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.recipient == person.email)
        )
        assert db.session.get(Notification, notification_id).emailed_at is not None
        db.session.remove()
    assert sent == 1


def test_a_run_held_by_a_consumer_without_lease_is_known_gone(app):
    """What lets the next claim end a dead consumer's analysis at once: the owner record
    names a consumer with no live lease. A command or a web process (no lease of its own)
    records no owner, so nobody ends its run before the run timeout."""
    from participate import jobs

    if not redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    queue = RedisHuey(
        f"participate-faults-{secrets.token_hex(4)}", url=f"redis://127.0.0.1:6379/{REDIS_DB}"
    )
    saved = jobs.huey.storage, jobs.huey._immediate
    jobs.huey.storage, jobs.huey._immediate = queue.storage, False
    try:
        key = "analysis:1"
        assert not jobs.owner_gone(key)  # nobody recorded
        jobs.huey.put(jobs.OWNER + key, "gone:1:abc")
        assert jobs.owner_gone(key)  # recorded, never held a lease
        jobs.huey.put(jobs.ALIVE + "gone:1:abc", 1e12)  # a lease renewed "now" (far ahead)
        assert not jobs.owner_gone(key)
        jobs.note_owner(key)  # this test process is no consumer: the record goes
        assert not jobs.owner_gone(key)
        assert jobs.OWNER + key not in queue.storage.result_items()
    finally:
        jobs.huey.storage, jobs.huey._immediate = saved
        queue.flush()
