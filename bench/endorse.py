"""Endorsement throughput on one popular proposal (not a test): gunicorn with production
settings (2 workers x 4 threads, Redis for the rate limits), wrk sending each of many
distinct participants' one endorsement, next to the framework's floor (a bare Flask JSON
route, same settings, same run); then a check that the count is exact.

    .venv/bin/python bench/endorse.py --db sqlite
    .venv/bin/python bench/endorse.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Every endorsement moves the one proposal's count (the row is held from that UPDATE to the
commit), so this measures the serialised path a popular proposal takes on its busiest day.
The threshold is out of reach unless ``--threshold`` sets it: then the endorsements after
it must be refused and the count must stop exactly there.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
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


def prepare(env: dict[str, str], users: int) -> dict:
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from participate import create_app
    from participate.extensions import db
    from participate.models import PhoneNumber, Proposal, ProposalKind, ProposalStatus, Role, User
    from participate.timeutil import utcnow

    app = create_app()
    with app.app_context():
        upgrade(revision="head")
        now = utcnow()
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"bench-{i}@bench.invalid",
                    "display_name": f"b{i}",
                    "role": Role.CITIZEN,
                    "email_verified_at": now,
                    "privacy_accepted_at": now,
                    "created_at": now,
                    "email_digest": True,  # no mail on the hot path
                    "session_version": 1,
                }
                for i in range(users)
            ],
        )
        p = Proposal(
            kind=ProposalKind.PROPOSAL,
            status=ProposalStatus.ENDORSING,
            title="附議壓力測試",
            opened_at=now,
            deadline=now + timedelta(days=60),
        )
        db.session.add(p)
        db.session.commit()
        ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        # Endorsing needs a verified mobile number (issue 18): one per account.
        db.session.execute(
            insert(PhoneNumber),
            [{"number_hash": f"bench-{uid}", "user_id": uid} for uid in ids],
        )
        db.session.commit()
        setup = {
            "proposal_id": p.id,
            "logins": signed_sessions(app, ids, {}),
            "cookie_name": app.config["SESSION_COOKIE_NAME"],
        }
        db.engine.dispose()
    return setup


def stored(env: dict[str, str], proposal_id: int) -> dict:
    from sqlalchemy import func, select

    from participate import create_app
    from participate.extensions import db
    from participate.models import Endorsement, Proposal

    app = create_app()
    with app.app_context():
        p = db.session.get(Proposal, proposal_id)
        rows = db.session.scalar(
            select(func.count()).select_from(Endorsement).where(Endorsement.proposal_id == p.id)
        )
        out = {"count": p.endorsement_count, "rows": rows, "status": p.status.value}
        db.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--threshold", type=int, default=10**9)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="'' for none")
    args = parser.parse_args()
    with database(args.db, args.url) as (url, tmp):
        env = app_env(url, tmp, args.redis)
        env["PARTICIPATE_ENDORSEMENT_THRESHOLD"] = str(args.threshold)
        # The write limit is per address and every wrk client is 127.0.0.1: raised, still
        # checked (its cost is in the figures).
        env["PARTICIPATE_WRITE_RATE_LIMIT"] = "10000000 per minute"
        print(f"Preparing {args.db}: {args.users} participants, one proposal")
        setup = prepare(env, args.users)
        name = setup["cookie_name"]
        jobs = [
            f"/proposals/{setup['proposal_id']}/endorse\t{name}={cookie}\t{token}\t"
            for _uid, cookie, token in setup["logins"]
        ]
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads; wrk 2 threads, "
            f"{args.connections} connections, {args.seconds:g} s; threshold {args.threshold}"
        )
        bare_cpu: dict = {}
        bare = floor(args.workers, args.threads, args.seconds, args.connections, bare_cpu)
        with gunicorn("wsgi:app", env, args.workers, args.threads) as base:
            cpu: dict = {}
            with cpu_accounting(cpu):
                result = run_wrk(base, "/", args.seconds, args.connections, jobs=jobs)
        print(describe("bare", bare))
        print(describe_cpu(bare, bare_cpu))
        print(describe("endorse", result))
        print(describe_cpu(result, cpu))
        print(f"ratio endorse/bare: {result['rate'] / bare['rate']:.3f}")
        state = stored(env, setup["proposal_id"])
        expected_max = min(args.threshold, result["ok"] + args.connections)
        print(
            f"database: count {state['count']}, rows {state['rows']}, status {state['status']}; "
            f"acknowledged {result['ok']}; jobs wrapped: {bool(result['wrapped'])}"
        )
        ok = (
            state["count"] == state["rows"]
            and result["ok"] <= state["rows"] <= expected_max
            and state["rows"] <= args.threshold
            and result["s5xx"] == 0
            and not result["wrapped"]
        )
        print("consistency:", "OK (exact count)" if ok else "MISMATCH")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
