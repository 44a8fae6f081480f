"""Benchmark of ``similar.json``, the duplicate warning while people type (not a test).

    .venv/bin/python bench/similar.py                    # 3,000 statements, SQLite, 10 s of wrk
    .venv/bin/python bench/similar.py --statements 1000 --seconds 5
    .venv/bin/python bench/similar.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

In one process, per question about one discussion of ``--statements`` statements:

- the previous path, reproduced here: read the newest 3,000 texts and ask
  ``nlp.similar.near_duplicates``, whose cache is keyed by the texts themselves (so every
  question reads and hashes them all, and a cold cache builds the index);
- the path now: ``discussion.similar.index_for`` (one aggregate query for the watermark,
  the cached index) and its query;
- one rebuild, what the first question after a new statement pays.

Then gunicorn (one sync worker, rate limits off) serves the app and, in the same run, a bare
Flask route (``bench.similar:bare``); ``wrk`` drives each for ``--seconds`` and the ratio of
requests per second is printed. ``apt-get install -y wrk`` first. With a PostgreSQL URL a
throwaway database is created next to the one named and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

bare = Flask("bare")


@bare.route("/ok")
def _ok() -> str:
    return "ok"


def _texts(n: int, seed: int = 7) -> list[str]:
    from bench.search import OBJECTS, SUBJECTS, VERBS

    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
        f"{rng.choice(SUBJECTS)}也{rng.choice(VERBS)}{rng.choice(OBJECTS)}（{i}）"
        for i in range(n)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _wrk(url: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses\n{out}")
    assert found, out
    return float(found.group(1))


def _ms(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"


def in_process(env: dict[str, str], n: int, questions: list[str]) -> int:
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from nlp.similar import near_duplicates
    from participate import create_app
    from participate.discussion import similar
    from participate.extensions import db
    from participate.models import ContentStatus, Proposal, ProposalKind, ProposalStatus, Statement
    from participate.models.discussion import get_or_create_discussion
    from participate.timeutil import utcnow

    app = create_app()
    with app.app_context():
        upgrade(revision="head")
        proposal = Proposal(
            title="重複意見提示壓測", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.flush()
        discussion = get_or_create_discussion(proposal)
        now = utcnow()
        db.session.execute(
            insert(Statement),
            [{"discussion_id": discussion.id, "text": t, "created_at": now} for t in _texts(n)],
        )
        db.session.commit()
        did, pid = discussion.id, proposal.id

        def before(text: str) -> list[object]:
            rows = db.session.execute(
                select(Statement.id, Statement.text)
                .where(Statement.discussion_id == did, Statement.status == ContentStatus.VISIBLE)
                .order_by(Statement.id.desc())
                .limit(3000)
            ).all()
            return near_duplicates(text, [r.text for r in rows], top=5, threshold=0.5)

        def after(text: str) -> list[object]:
            return similar.index_for(did).query(text, 5, 0.5)

        before(questions[0])  # jieba loaded, the old cache warm
        t = time.perf_counter()
        similar.index_for(did)
        rebuild = time.perf_counter() - t
        timings: dict[str, list[float]] = {"before": [], "after": []}
        for _round in range(3):
            for name, ask in (("before", before), ("after", after)):
                for q in questions:
                    t = time.perf_counter()
                    ask(q)
                    timings[name].append(time.perf_counter() - t)
        assert [before(q) for q in questions[:5]] and [after(q) for q in questions[:5]]
        b, a = statistics.median(timings["before"]), statistics.median(timings["after"])
        print(f"in process, {n} statements, {len(timings['after'])} questions each:")
        print(f"  previous path (read and hash 3,000 texts, warm cache): {_ms(timings['before'])}")
        print(f"  now (watermark query + cached index): {_ms(timings['after'])}")
        print(f"  ratio: {b / a:.1f}x faster per question; one rebuild: {rebuild * 1000:.0f} ms")
        db.engine.dispose()
    return pid


def served(env: dict[str, str], pid: int, question: str, seconds: int) -> None:
    port_app, port_bare = _free_port(), _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    common = ["--workers", "1", "--log-level", "warning"]
    servers = [
        subprocess.Popen(
            [gunicorn, *common, "--bind", f"127.0.0.1:{port_app}", "wsgi:app"],
            cwd=ROOT,
            env={**os.environ, **env},
        ),
        subprocess.Popen(
            [gunicorn, *common, "--bind", f"127.0.0.1:{port_bare}", "bench.similar:bare"],
            cwd=ROOT,
            env={**os.environ, **env},
        ),
    ]
    try:
        _wait(port_app)
        _wait(port_bare)
        url = (
            f"http://127.0.0.1:{port_app}/proposals/{pid}/discussion/similar.json"
            f"?text={quote(question)}"
        )
        subprocess.run(["curl", "-sf", "-o", "/dev/null", url], check=True)  # build it once
        app_rps = _wrk(url, seconds)
        bare_rps = _wrk(f"http://127.0.0.1:{port_bare}/ok", seconds)
        print(f"gunicorn, 1 worker, wrk -t1 -c4 -d{seconds}s:")
        print(f"  similar.json: {app_rps:.0f} requests/s")
        print(f"  bare Flask route: {bare_rps:.0f} requests/s")
        print(f"  similar.json runs at {app_rps / bare_rps:.2f} of the bare route's rate")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--url", help="a PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="bench-similar-"))
    pg_admin = pg_name = None
    if args.url:
        import psycopg
        from sqlalchemy.engine import make_url

        pg_admin = make_url(args.url)
        pg_name = f"bench_similar_{secrets.token_hex(4)}"
        conninfo = pg_admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        database = pg_admin.set(database=pg_name).render_as_string(hide_password=False)
    else:
        database = f"sqlite:///{tmp / 'bench.db'}"
    env = {
        "PARTICIPATE_DATABASE_URL": database,
        "PARTICIPATE_INSTANCE_PATH": str(tmp),
        "PARTICIPATE_HUEY_PATH": str(tmp / "huey.db"),
        "PARTICIPATE_RATELIMIT_ENABLED": "0",
        "PARTICIPATE_SECRET_KEY": secrets.token_hex(32),
    }
    questions = [t.replace("應該", "要").replace("，", "") for t in _texts(40, seed=11)]
    try:
        pid = in_process(env, args.statements, questions)
        served(env, pid, questions[0], args.seconds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg_admin is not None:
            import psycopg

            conninfo = pg_admin.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
