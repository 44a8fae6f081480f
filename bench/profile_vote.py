"""Where a vote request's time goes (not a test): a few hundred votes through Flask's test
client on a temporary database, under cProfile; prints the top functions by cumulative and
own time, and the SQL statements one vote runs.

    .venv/bin/python bench/profile_vote.py [--db postgresql --url ...] [--votes 300]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.votes import prepare  # noqa: E402
from bench.wrkload import app_env, database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--no-limits", action="store_true")
    args = parser.parse_args()
    with database(args.db, args.url) as (url, tmp):
        env = app_env(url, tmp, args.redis)
        if args.no_limits:
            env["PARTICIPATE_RATELIMIT_ENABLED"] = "0"
        setup = prepare(env, max(10, args.votes // 10 + 1), 10)
        for key, value in env.items():
            os.environ[key] = value
        from sqlalchemy import event

        from participate import create_app
        from participate.extensions import db

        app = create_app()
        client = app.test_client()
        name = setup["cookie_name"]
        jobs = [(login, sid) for login in setup["logins"] for sid in setup["statements"]][
            : args.votes + 1
        ]

        def one(login: tuple, sid: int) -> None:
            _uid, cookie, token = login
            client.set_cookie(name, cookie)
            resp = client.post(
                f"/discussion/statements/{sid}/vote",
                data={"value": "agree"},
                headers={"Accept": "application/json", "X-CSRFToken": token},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
            assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:300])

        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        listen = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        one(*jobs[0])
        event.remove(engine, "before_cursor_execute", listen)
        print(f"--- SQL of one vote ({len(statements)} statements)")
        for sql in statements:
            print("  ", " ".join(sql.split())[:160])
        import time

        from bench.bare_app import app as bare_app

        bare_client = bare_app.test_client()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(300):
            bare_client.get("/bare")
        bare_ms = (time.perf_counter() - started) / 300 * 1000
        bare_cpu = (time.process_time() - cpu) / 300 * 1000
        print(f"--- {bare_ms:.2f} ms a bare Flask request (test client; {bare_cpu:.2f} ms CPU)")
        half = len(jobs) // 2
        started, cpu = time.perf_counter(), time.process_time()
        for login, sid in jobs[1:half]:
            one(login, sid)
        per_vote = (time.perf_counter() - started) / max(1, half - 1) * 1000
        per_cpu = (time.process_time() - cpu) / max(1, half - 1) * 1000
        print(
            f"--- {per_vote:.2f} ms a vote without the profiler ({half - 1} votes; "
            f"{per_cpu:.2f} ms of this process's CPU: steadier than wall time on a busy machine)"
        )
        jobs = jobs[half - 1 :]
        profiler = cProfile.Profile()
        profiler.enable()
        for login, sid in jobs[1:]:
            one(login, sid)
        profiler.disable()
        stats = pstats.Stats(profiler)
        print(f"--- {args.votes} votes")
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(20)
        stats.print_callees(
            "_finish_request|run_outbox|views.py.*\\(vote\\)|operations.py.*\\(vote\\)"
        )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
