"""Vote load benchmark (not a test): gunicorn with production settings (2 workers x 4
threads, Redis for the rate limits) on 127.0.0.1, driven by wrk with many distinct
participants, next to the framework's floor (a bare Flask JSON route, same settings, same
run); then a check that every acknowledged vote is stored once.

    .venv/bin/python bench/votes.py --db sqlite
    .venv/bin/python bench/votes.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Participants are created in bulk and logged in by signing their session cookies (CSRF token
included) with the benchmark's own secret key, so the run measures votes, not password
hashing. Every request is a first vote of one participant on one statement (the jobs are
sized so that wrk does not run out: a participant's votes are spread over the run). wrk
stops with requests in flight, so up to ``--connections`` votes may be stored without wrk
having read their 2xx: "lost" is an acknowledged vote missing from the database, which must be 0.

Each vote is sent as the site's script sends it (urlencoded, ``Accept: application/json``),
so the vote's lane (``participate/discussion/lane.py``) answers it; with
``PARTICIPATE_VOTE_LANE=0`` in the environment the view answers every vote instead.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wrkload import (  # noqa: E402
    app_env,
    cpu_accounting,
    database,
    describe,
    describe_cpu,
    floor,
    gunicorn,
    run_wrk,
    signed_sessions,
)


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
        logins = signed_sessions(app, user_ids, {})
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
    from participate.boundary import unit
    from participate.discussion import tallies
    from participate.extensions import db
    from participate.models import AnalysisState, Statement, Vote, VoteHistory

    app = create_app()
    with app.app_context():
        with unit():  # PostgreSQL: the votes' tallies into the counters (no consumer ran)
            tallies.fold(discussion_id)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--statements", type=int, default=40)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="'' for none")
    parser.add_argument("--no-limits", action="store_true", help="rate limiter off (its cost)")
    parser.add_argument(
        "--without-hooks",
        action="store_true",
        help="the server drops the analysis request votes queue after their commit",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    with database(args.db, args.url, args.keep) as (url, tmp):
        env = app_env(url, tmp, args.redis)
        if args.no_limits:
            env["PARTICIPATE_RATELIMIT_ENABLED"] = "0"
        print(
            f"Preparing {args.db}: {args.participants} participants, {args.statements} statements"
        )
        setup = prepare(env, args.participants, args.statements)
        rng = random.Random(7)
        pairs = [(i, s) for i in range(len(setup["logins"])) for s in setup["statements"]]
        rng.shuffle(pairs)
        cookie_name = setup["cookie_name"]
        jobs = []
        for idx, sid in pairs:
            _uid, cookie, token = setup["logins"][idx]
            value = rng.choice(["agree", "disagree", "pass"])
            jobs.append(
                f"/discussion/statements/{sid}/vote\t{cookie_name}={cookie}\t{token}\tvalue={value}"
            )
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads; wrk 2 threads, "
            f"{args.connections} connections, {args.seconds:g} s; "
            f"redis={'yes' if args.redis else 'no'}; limits {'off' if args.no_limits else 'on'}; "
            f"vote hooks {'off' if args.without_hooks else 'on'}"
        )
        bare_cpu: dict = {}
        bare = floor(args.workers, args.threads, args.seconds, args.connections, bare_cpu)
        target = "bench.wsgi_without_vote_hooks:app" if args.without_hooks else "wsgi:app"
        with gunicorn(target, env, args.workers, args.threads) as base:
            cpu: dict = {}
            with cpu_accounting(cpu):
                result = run_wrk(base, "/", args.seconds, args.connections, jobs=jobs)
        print(describe("bare", bare))
        print(describe_cpu(bare, bare_cpu))
        print(describe("votes", result))
        print(describe_cpu(result, cpu))
        print(f"ratio votes/bare: {result['rate'] / bare['rate']:.3f}")
        db_state = stored(env, setup["discussion_id"])
        lost = max(0, result["ok"] - db_state["votes"])
        unread = db_state["votes"] - result["ok"]
        print(
            f"database: {db_state['votes']} votes for {result['ok']} acknowledged "
            f"(lost {lost}; stored but not read by wrk at its stop {max(unread, 0)}), "
            f"{db_state['history']} history rows, counters sum {db_state['counters']}, "
            f"duplicate pairs {db_state['dupes']}; jobs wrapped: {bool(result['wrapped'])}"
        )
        requested = "yes" if db_state["analysis_requested"] else "no"
        print(f"analysis requested by the votes: {requested}")
        ok = (
            lost == 0
            and unread <= args.connections
            and not result["wrapped"]
            and db_state["history"] == db_state["votes"]
            and db_state["counters"] == db_state["votes"]
            and db_state["dupes"] == 0
            and db_state["analysis_requested"] == (not args.without_hooks)
            and result["s5xx"] == 0
        )
        print("consistency:", "OK (no lost or duplicated votes)" if ok else "MISMATCH")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
