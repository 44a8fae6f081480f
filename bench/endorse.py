"""Endorsement throughput under contention: N threads endorse one proposal at once.

    .venv/bin/python -m bench.endorse                       # SQLite in a temp folder
    .venv/bin/python -m bench.endorse --url postgresql+psycopg://postgres@127.0.0.1/bench_db
    .venv/bin/python -m bench.endorse --users 2000 --threads 16

Every endorsement locks the proposal row (one writer at a time per proposal), so this
measures the serialised path a popular proposal takes on its busiest day. Prints figures;
asserts only that the count is exact.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import timedelta

from sqlalchemy import func, insert, select


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-endorse-")
    os.environ.setdefault("PARTICIPATE_INSTANCE_PATH", tmp)
    os.environ.setdefault("PARTICIPATE_HUEY_IMMEDIATE", "1")
    url = args.url or f"sqlite:///{tmp}/bench.db"

    from flask_migrate import upgrade

    from participate import create_app
    from participate.boundary import unit
    from participate.extensions import db
    from participate.models import (
        Endorsement,
        PhoneNumber,
        Proposal,
        ProposalKind,
        ProposalStatus,
        Role,
        User,
    )
    from participate.proposals import operations
    from participate.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENDORSEMENT_THRESHOLD": 10**9})
    with app.app_context():
        upgrade(revision="head")
        now = utcnow()
        stamp = int(time.time())
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"bench{stamp}-{i}@example.tw",
                    "display_name": f"b{i}",
                    "role": Role.CITIZEN,
                    "email_verified_at": now,
                    "privacy_accepted_at": now,
                    "created_at": now,
                    "email_digest": True,  # no mail on the hot path
                    "session_version": 1,
                }
                for i in range(args.users)
            ],
        )
        p = Proposal(
            kind=ProposalKind.PROPOSAL,
            status=ProposalStatus.ENDORSING,
            title="bench",
            opened_at=now,
            deadline=now + timedelta(days=60),
        )
        db.session.add(p)
        db.session.commit()
        pid = p.id
        ids = list(db.session.scalars(select(User.id).where(User.email.like(f"bench{stamp}-%"))))
        # Endorsing needs a verified mobile number (issue 18): one per account.
        db.session.execute(
            insert(PhoneNumber),
            [{"number_hash": f"bench{stamp}-{uid}", "user_id": uid} for uid in ids],
        )
        db.session.commit()

    chunks = [ids[i :: args.threads] for i in range(args.threads)]
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(chunk: list[int]) -> None:
        with app.test_request_context():
            for uid in chunk:
                t = time.perf_counter()
                with unit():
                    operations.endorse(db.session.get(User, uid), pid)
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    start = time.perf_counter()
    if args.threads == 1:  # inline, so a profiler sees the work
        worker(chunks[0])
    else:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - start
    with app.app_context():
        count = db.session.get(Proposal, pid).endorsement_count
        rows = db.session.scalar(
            select(func.count()).select_from(Endorsement).where(Endorsement.proposal_id == pid)
        )
    assert count == rows == args.users, (count, rows)
    lat = sorted(latencies)
    print(f"backend        {url.split(':', 1)[0]}")
    print(f"endorsements   {args.users} by {args.threads} threads, count exact ({count})")
    print(f"throughput     {args.users / elapsed:.0f} endorsements/s")
    print(
        f"latency ms     median {statistics.median(lat) * 1000:.1f}  "
        f"p95 {lat[int(len(lat) * 0.95)] * 1000:.1f}  max {lat[-1] * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
