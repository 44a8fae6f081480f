"""Vote load benchmark (not a test): gunicorn with production settings on 127.0.0.1, many
concurrent clients casting votes, then a check that every acknowledged vote is stored once.

    .venv/bin/python bench/votes.py --db sqlite
    .venv/bin/python bench/votes.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Participants are created in bulk and logged in by signing their session cookies with the
benchmark's own secret key (what the login form would set), so the run measures votes, not
password hashing. Each participant votes once on each statement, and a share of the votes
is cast again with another value (exercising the change path). Loopback only; bounded by
``--votes`` and ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str], participants: int, statements: int) -> dict:
    """Migrate the database and create a consultation, statements and participants."""
    for key, value in env.items():
        os.environ[key] = value
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from participate import create_app
    from participate.extensions import db
    from participate.models import Proposal, ProposalKind, ProposalStatus, Statement, User
    from participate.models.discussion import get_or_create_discussion
    from participate.timeutil import utcnow

    app = create_app()
    with app.app_context():
        upgrade(revision="head")
        proposal = Proposal(
            title="投票壓力測試", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.flush()
        discussion = get_or_create_discussion(proposal)
        now = utcnow()
        db.session.execute(
            insert(Statement),
            [
                {"discussion_id": discussion.id, "text": f"測試意見 {i}", "created_at": now}
                for i in range(statements)
            ],
        )
        tag = secrets.token_hex(3)
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"bench-{tag}-{i}@bench.invalid",
                    "display_name": f"壓測{i}",
                    "email_verified_at": now,
                    "privacy_accepted_at": now,
                    "created_at": now,
                    "session_version": 1,
                }
                for i in range(participants)
            ],
        )
        db.session.commit()
        user_ids = list(
            db.session.scalars(
                select(User.id).where(User.email.like(f"bench-{tag}-%")).order_by(User.id)
            )
        )
        statement_ids = list(
            db.session.scalars(select(Statement.id).where(Statement.discussion_id == discussion.id))
        )
        serializer = app.session_interface.get_signing_serializer(app)
        logins = []
        for uid in user_ids:
            # What the login form would store; the CSRF token is fetched from a page later.
            logins.append((uid, serializer.dumps({"_user_id": f"{uid}:1", "_fresh": True}), ""))
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        discussion_id = discussion.id
        proposal_id = proposal.id
        db.engine.dispose()
    return {
        "discussion_id": discussion_id,
        "statements": statement_ids,
        "logins": logins,
        "cookie_name": cookie_name,
        "proposal_id": proposal_id,
    }


def stored(env: dict[str, str], discussion_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from participate import create_app
    from participate.extensions import db
    from participate.models import AnalysisState, Statement, Vote, VoteHistory

    app = create_app()
    with app.app_context():
        votes = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.discussion_id == discussion_id)
        )
        history = db.session.scalar(
            select(func.count())
            .select_from(VoteHistory)
            .where(VoteHistory.discussion_id == discussion_id)
        )
        counters = db.session.scalar(
            select(
                func.sum(Statement.agree_count + Statement.disagree_count + Statement.pass_count)
            ).where(Statement.discussion_id == discussion_id)
        )
        dupes = db.session.scalar(
            select(func.count()).select_from(
                select(Vote.participant_id, Vote.statement_id)
                .where(Vote.discussion_id == discussion_id)
                .group_by(Vote.participant_id, Vote.statement_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        # The votes' after-commit effect: an analysis requested (and not yet started, as no
        # consumer runs) unless the server was started without it.
        requested = db.session.scalar(
            select(AnalysisState.requested_at).where(AnalysisState.discussion_id == discussion_id)
        )
        db.engine.dispose()
    return {
        "votes": votes,
        "history": history,
        "counters": int(counters or 0),
        "dupes": dupes,
        "analysis_requested": requested is not None,
    }


async def log_in(client: object, setup: dict) -> None:
    """Open one page per participant: the server puts a CSRF token into the session and the
    page, as for a browser; keep the refreshed session cookie and the token."""
    import re

    name = setup["cookie_name"]
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        uid, cookie, _ = setup["logins"][i]
        async with sem:
            resp = await client.get(
                f"/proposals/{setup['proposal_id']}/discussion/vote",
                headers={"Cookie": f"{name}={cookie}"},
            )
        token = re.search(r'name="csrf-token" content="([^"]+)"', resp.text).group(1)
        fresh = resp.cookies.get(name) or cookie
        setup["logins"][i] = (uid, fresh, token)

    await asyncio.gather(*(one(i) for i in range(len(setup["logins"]))))


async def run_load(
    base: str, setup: dict, concurrency: int, max_votes: int, seconds: float, change_share: float
) -> dict:
    import httpx

    rng = random.Random(7)
    jobs: list[tuple[int, int, str]] = []
    for idx in range(len(setup["logins"])):
        for sid in setup["statements"]:
            jobs.append((idx, sid, rng.choice(["agree", "disagree", "pass"])))
    rng.shuffle(jobs)
    jobs = jobs[:max_votes]
    changes = [
        (i, s, {"agree": "disagree", "disagree": "pass", "pass": "agree"}[v])
        for i, s, v in rng.sample(jobs, int(len(jobs) * change_share))
    ]
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs + changes:  # changes after first votes: each is a real change
        queue.put_nowait(job)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    acked = {"first": 0, "changed": 0, "unchanged": 0}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await log_in(client, setup)

        async def worker() -> None:
            while time.perf_counter() < deadline:
                try:
                    idx, sid, value = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                uid, cookie, token = setup["logins"][idx]
                started = time.perf_counter()
                try:
                    resp = await client.post(
                        f"/discussion/statements/{sid}/vote",
                        data={"value": value},
                        headers={
                            "Accept": "application/json",
                            "X-CSRFToken": token,
                            "Cookie": f"{setup['cookie_name']}={cookie}",
                        },
                    )
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - started)
                if resp.status_code == 200:
                    body = resp.json()
                    if body["previous"] is None:
                        acked["first"] += 1
                    elif body["changed"]:
                        acked["changed"] += 1
                    else:
                        acked["unchanged"] += 1
                else:
                    key = f"HTTP {resp.status_code}"
                    errors[key] = errors.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "acked": acked, "elapsed": elapsed}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--statements", type=int, default=40)
    parser.add_argument("--votes", type=int, default=10000, help="first votes to cast (max)")
    parser.add_argument("--change-share", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="'' for none")
    parser.add_argument(
        "--without-hooks",
        action="store_true",
        help="the server drops the analysis request votes queue after their commit",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="participate-bench-"))
    pg_name = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(args.url)
        pg_name = f"participate_bench_{secrets.token_hex(4)}"
        conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = admin.set(database=pg_name).render_as_string(hide_password=False)
    env = {
        "PARTICIPATE_ENV": "production",
        "PARTICIPATE_SECRET_KEY": secrets.token_urlsafe(48),
        "PARTICIPATE_DATABASE_URL": url,
        "PARTICIPATE_INSTANCE_PATH": str(tmp / "instance"),
        "PARTICIPATE_HUEY_PATH": str(tmp / "huey.db"),
    }
    if args.redis:
        env["PARTICIPATE_REDIS_URL"] = args.redis
    server = None
    try:
        print(
            f"Preparing {args.db}: {args.participants} participants, {args.statements} statements"
        )
        setup = prepare(env, args.participants, args.statements)
        port = free_port()
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),  # the one next to this Python
            "--workers", str(args.workers),
            "--threads", str(args.threads),
            "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning",
            "bench.wsgi_without_vote_hooks:app" if args.without_hooks else "wsgi:app",
        ]  # fmt: skip
        server = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)  # let both workers finish importing
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads; "
            f"{args.concurrency} concurrent clients; redis={'yes' if args.redis else 'no'}; "
            f"vote hooks {'off' if args.without_hooks else 'on'}"
        )
        result = asyncio.run(
            run_load(base, setup, args.concurrency, args.votes, args.seconds, args.change_share)
        )
        lat = result["latencies"]
        acked = result["acked"]
        total_ok = sum(acked.values())
        print(f"requests: {len(lat)} in {result['elapsed']:.1f} s")
        print(f"acknowledged votes: {total_ok}  ({total_ok / result['elapsed']:.0f} votes/s)")
        print(
            f"latency ms: p50 {pct(lat, 50):.1f}  p95 {pct(lat, 95):.1f}  "
            f"p99 {pct(lat, 99):.1f}  max {max(lat) * 1000 if lat else 0:.1f}  "
            f"mean {statistics.fmean(lat) * 1000 if lat else 0:.1f}"
        )
        print(f"errors: {result['errors'] or 'none'}")
        db_state = stored(env, setup["discussion_id"])
        expected_history = acked["first"] + acked["changed"]
        print(
            f"database: {db_state['votes']} votes (acknowledged first votes {acked['first']}), "
            f"{db_state['history']} history rows (acknowledged changes included "
            f"{expected_history}), counters sum {db_state['counters']}, "
            f"duplicate pairs {db_state['dupes']}"
        )
        requested = "yes" if db_state["analysis_requested"] else "no"
        print(f"analysis requested by the votes: {requested}")
        ok = (
            db_state["votes"] == acked["first"]
            and db_state["history"] == expected_history
            and db_state["counters"] == db_state["votes"]
            and db_state["dupes"] == 0
            and db_state["analysis_requested"] == (not args.without_hooks)
        )
        print("consistency:", "OK (no lost or duplicated votes)" if ok else "MISMATCH")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if pg_name and not args.keep:
            import psycopg

            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
