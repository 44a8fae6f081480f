"""A vote acknowledged is a vote kept: gunicorn (production settings: 2 workers x 4
threads) takes a vote load from many participants, its workers are killed with SIGKILL in
the middle of it (the master starts new ones, which take the rest of the load), and
afterwards every vote the server answered 200 for is in the database with the value it
acknowledged, once, with its history row, and the statements' counters match the votes.

Runs on the suite's database (SQLite, or PostgreSQL with PARTICIPATE_TEST_BACKEND).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import Flask, g, session
from sqlalchemy import func, insert, select

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS, CLIENTS = 2, 4, 8
PARTICIPANTS, STATEMENTS = 60, 12
KILL_AFTER = 150  # acknowledged votes before the workers are killed
VALUES = {"agree": 1, "disagree": -1, "pass": 0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers_of(master: int) -> list[int]:
    """The gunicorn master's children (its workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return found


def _prepare(app: Flask) -> tuple[list[int], list[tuple[str, str]], str]:
    """A consultation with statements and verified participants; each participant's signed
    session cookie and CSRF header, as logging in and opening a page would leave them."""
    from flask_login.utils import _create_identifier
    from flask_wtf.csrf import generate_csrf

    from participate.extensions import db
    from participate.models import Proposal, ProposalKind, ProposalStatus, Statement, User
    from participate.models.discussion import get_or_create_discussion
    from participate.timeutil import utcnow

    with app.app_context():
        proposal = Proposal(
            title="持久性測試", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.flush()
        discussion = get_or_create_discussion(proposal)
        now = utcnow()
        db.session.execute(
            insert(Statement),
            [
                {"discussion_id": discussion.id, "text": f"意見 {i}", "created_at": now}
                for i in range(STATEMENTS)
            ],
        )
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"durable-{i}@example.tw",
                    "display_name": f"投票者{i}",
                    "email_verified_at": now,
                    "privacy_accepted_at": now,
                    "created_at": now,
                    "session_version": 1,
                }
                for i in range(PARTICIPANTS)
            ],
        )
        db.session.commit()
        statement_ids = list(
            db.session.scalars(select(Statement.id).where(Statement.discussion_id == discussion.id))
        )
        user_ids = list(
            db.session.scalars(
                select(User.id).where(User.email.like("durable-%")).order_by(User.id)
            )
        )
        db.session.remove()
    serializer = app.session_interface.get_signing_serializer(app)
    logins = []
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        ident = _create_identifier()
        for uid in user_ids:
            session.clear()
            g.pop("csrf_token", None)
            token = generate_csrf()
            data = {
                "_user_id": f"{uid}:1",
                "_fresh": True,
                "_id": ident,
                "csrf_token": session["csrf_token"],
            }
            logins.append((serializer.dumps(data), token))
    return statement_ids, logins, app.config["SESSION_COOKIE_NAME"]


def test_every_acknowledged_vote_survives_killed_workers(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    from participate.extensions import db
    from participate.models import Statement, Vote, VoteHistory

    statement_ids, logins, cookie_name = _prepare(app)
    port = _free_port()
    env = {
        **os.environ,
        "PARTICIPATE_ENV": "production",
        "PARTICIPATE_SECRET_KEY": app.config["SECRET_KEY"],
        "PARTICIPATE_PHONE_HMAC_KEY": "durability-test-" + "k" * 32,
        "PARTICIPATE_DATABASE_URL": database_url,
        "PARTICIPATE_INSTANCE_PATH": str(tmp_path / "instance"),
        "PARTICIPATE_HUEY_PATH": str(tmp_path / "huey.db"),
        "PARTICIPATE_RATELIMIT_ENABLED": "0",
    }
    env.pop("PARTICIPATE_REDIS_URL", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
            "wsgi:app",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    # Every (participant, statement) once, spread over the clients.
    jobs = [
        (p, s, ("agree", "disagree", "pass")[(p + s) % 3])
        for p in range(len(logins))
        for s in range(len(statement_ids))
    ]
    acked: dict[tuple[int, int], int] = {}
    acked_lock = threading.Lock()
    killed = threading.Event()
    after_kill = {"acked": 0, "failed": 0}

    def ready() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/no-such-page")
            conn.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            conn.close()

    def client(mine: list[tuple[int, int, str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for p, s, word in mine:
            cookie, token = logins[p]
            statement_id = statement_ids[s]
            for _attempt in range(200):  # a refused connection while no worker is up
                try:
                    conn.request(
                        "POST",
                        f"/discussion/statements/{statement_id}/vote",
                        body=f"value={word}",
                        headers={
                            "Cookie": f"{cookie_name}={cookie}",
                            "X-CSRFToken": token,
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/json",
                        },
                    )
                    resp = conn.getresponse()
                    body = resp.read()
                except (OSError, http.client.HTTPException):
                    # The worker died with this request in flight: its outcome is unknown
                    # (not acknowledged); the next vote goes on a new connection.
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    with acked_lock:
                        if killed.is_set():
                            after_kill["failed"] += 1
                    time.sleep(0.05)
                    if not killed.is_set():
                        continue
                    break
                if resp.status == 200:
                    assert json.loads(body)["value"] == VALUES[word]
                    with acked_lock:
                        acked[(p, s)] = VALUES[word]
                        if killed.is_set():
                            after_kill["acked"] += 1
                break
        conn.close()

    try:
        for _ in range(600):
            if ready():
                break
            time.sleep(0.1)
        assert ready(), "gunicorn did not start"
        threads = [
            threading.Thread(target=client, args=(jobs[i::CLIENTS],)) for i in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        while len(acked) < KILL_AFTER and any(t.is_alive() for t in threads):
            time.sleep(0.01)
        workers = _workers_of(server.pid)
        assert len(workers) == WORKERS
        killed.set()
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    # The load went on past the kill: new workers answered.
    assert after_kill["acked"] > 0
    with app.app_context():
        stored = {
            (row.participant_id, row.statement_id): row.value
            for row in db.session.execute(
                select(Vote.participant_id, Vote.statement_id, Vote.value)
            )
        }
        history = dict(
            db.session.execute(
                select(Vote.id, func.count(VoteHistory.id))
                .join(
                    VoteHistory,
                    (VoteHistory.participant_id == Vote.participant_id)
                    & (VoteHistory.statement_id == Vote.statement_id),
                )
                .group_by(Vote.id)
            ).all()
        )
        counters = db.session.execute(
            select(
                Statement.id, Statement.agree_count, Statement.disagree_count, Statement.pass_count
            )
        ).all()
        counted = {
            (sid, value): n
            for sid, value, n in db.session.execute(
                select(Vote.statement_id, Vote.value, func.count()).group_by(
                    Vote.statement_id, Vote.value
                )
            )
        }
        vote_ids = list(db.session.scalars(select(Vote.id)))
        db.session.remove()
    user_ids = sorted({p for p, _s in stored}) if stored else []
    assert len(acked) >= KILL_AFTER
    # Every acknowledged vote is stored with its value (ids map through the login order).
    from participate.models import User

    with app.app_context():
        ids = list(
            db.session.scalars(
                select(User.id).where(User.email.like("durable-%")).order_by(User.id)
            )
        )
        db.session.remove()
    missing = [
        (p, s) for (p, s), value in acked.items() if stored.get((ids[p], statement_ids[s])) != value
    ]
    assert missing == []
    # Nothing stored twice, one history row per vote (each pair was voted once), and the
    # counters are the votes' own counts: the counter moved in the vote's transaction.
    assert len(stored) == len(vote_ids)
    assert set(history.values()) <= {1} and len(history) == len(vote_ids)
    for sid, agree, disagree, passes in counters:
        assert (agree, disagree, passes) == (
            counted.get((sid, 1), 0),
            counted.get((sid, -1), 0),
            counted.get((sid, 0), 0),
        )
    assert user_ids  # the load reached the database at all
