"""Where a vote's CPU goes, piece by piece (not a test): votes sent straight to the app's
WSGI callable (the vote's lane in front, as gunicorn calls it) in one thread, on a
temporary database, with the CPU time of each step of the lane summed by this thread's
clock (``time.thread_time``: waiting for the database or Redis is not counted).

    .venv/bin/python bench/vote_pieces.py [--db postgresql --url ...] [--votes 3000]

The pieces are the lane's own steps (``participate.discussion.lane``): reading the body and
the cookie, the session, the CSRF check, the rate limit, the one read
(``queries.vote_context``), the operation (``operations.vote``), the commit with its
outbox, and the JSON answer. A piece is timed by wrapping the function the lane calls, so
the sum is a little above the whole; compare runs of the same machine, not across days.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.votes import prepare  # noqa: E402
from bench.wrkload import app_env, database  # noqa: E402


def _environ(path: str, cookie: str, token: str, value: str) -> dict[str, Any]:
    """What gunicorn hands the app for the site script's vote."""
    body = f"value={value}".encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "application/json",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_CSRFTOKEN": token,
        "HTTP_COOKIE": cookie,
    }


def _timed(owner: Any, name: str, label: str, spent: dict[str, float]) -> None:
    """Replace ``owner.name`` by a wrapper adding its thread CPU time to ``spent[label]``."""
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.thread_time() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--votes", type=int, default=3000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="'' for none")
    args = parser.parse_args()
    warm = 50
    with database(args.db, args.url) as (url, tmp):
        env = app_env(url, tmp, args.redis)
        setup = prepare(env, (args.votes + warm) // 20 + 2, 20)
        os.environ.update(env)
        from participate import create_app
        from participate.discussion import lane

        app = create_app()
        if not isinstance(app.wsgi_app, lane.VoteLane):
            sys.exit("the vote's lane is off (PARTICIPATE_VOTE_LANE): nothing to break down")
        rng = random.Random(3)
        name = setup["cookie_name"]
        jobs = [
            (f"/discussion/statements/{sid}/vote", f"{name}={cookie}", token)
            for _uid, cookie, token in setup["logins"]
            for sid in setup["statements"]
        ]
        rng.shuffle(jobs)
        environs = [
            _environ(path, cookie, token, rng.choice(["agree", "disagree", "pass"]))
            for path, cookie, token in jobs[: args.votes + warm]
        ]
        statuses: dict[str, int] = {}

        def start_response(status: str, headers: list, exc_info: Any = None) -> None:
            statuses[status] = statuses.get(status, 0) + 1

        for environ in environs[:warm]:
            b"".join(app(environ, start_response))
        answered_before = app.wsgi_app.answered
        spent: dict[str, float] = {}
        _timed(lane, "_read_fields", "body", spent)
        _timed(lane, "parse_cookie", "cookie", spent)
        _timed(app.session_interface, "load", "session", spent)
        _timed(lane.csrf, "good", "csrf", spent)
        _timed(lane.ratelimit, "enforce", "rate limit (Redis)", spent)
        _timed(lane.queries, "vote_context", "read (vote_context)", spent)
        _timed(lane.operations, "vote", "writes (operations.vote)", spent)
        _timed(lane.boundary, "commit", "commit and outbox", spent)
        _timed(lane, "_json", "JSON answer", spent)
        measured = environs[warm:]
        started = time.thread_time()
        for environ in measured:
            b"".join(app(environ, start_response))
        whole = time.thread_time() - started
        answered = app.wsgi_app.answered - answered_before
        print(f"{args.db}: {len(measured)} votes, {answered} answered by the lane; {statuses}")
        print(f"CPU per vote: {1000 * whole / len(measured):.3f} ms")
        for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            share = 100 * seconds / whole
            print(f"  {label:26s} {1e6 * seconds / len(measured):7.1f} us  {share:4.1f}%")


if __name__ == "__main__":
    main()
