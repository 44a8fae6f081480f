"""Benchmark of the opinion report on the real vTaiwan UberX conversation (1,921 people).

Prints: import and analysis time, report page render time (first view and cached), page
and map size, and the cost the analysis request a vote queues (an outbox effect run after
the vote's commit) adds to each vote. Run:

    .venv/bin/python bench/reports.py [path/to/vtaiwan.uberx]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    folder = Path(
        sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared/data/polis/vtaiwan.uberx"
    )
    tmp = tempfile.mkdtemp(prefix="bench-reports-")
    os.environ["PARTICIPATE_INSTANCE_PATH"] = tmp
    os.environ["PARTICIPATE_HUEY_IMMEDIATE"] = "1"
    from flask_migrate import upgrade

    from participate import create_app
    from participate.boundary import unit
    from participate.extensions import db
    from participate.models import Proposal, ProposalKind, ProposalStatus, Statement, User
    from participate.reports import present, scheduler

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        upgrade(revision="head")
        from participate.discussion.polis import import_polis

        proposal = Proposal(
            title="UberX", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.commit()
        t = time.perf_counter()
        imported = import_polis(folder, proposal)
        print(f"import: {time.perf_counter() - t:.2f} s ({imported.vote_events} vote events)")
        t = time.perf_counter()
        out = scheduler.run_analysis(imported.discussion_id, "command", requeue=False)
        print(f"analysis (first, incl. jieba start): {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        out = scheduler.run_analysis(imported.discussion_id, "command", requeue=False)
        print(f"analysis (second, with previous): {time.perf_counter() - t:.2f} s  {out.status}")
        pid = proposal.id
        did = imported.discussion_id
        statement_id = db.session.scalar(
            db.select(Statement.id).where(Statement.discussion_id == did).limit(1)
        )
        db.session.remove()

    client = app.test_client()
    times = []
    for i in range(12):
        if i == 0:
            present._CACHE.clear()
        t = time.perf_counter()
        resp = client.get(f"/proposals/{pid}/report")
        times.append(time.perf_counter() - t)
    html = resp.get_data(as_text=True)
    start = html.index("<svg xmlns")
    svg = html[start : html.index("</svg>", start)]
    print(
        f"report page: first {times[0] * 1000:.0f} ms, then median "
        f"{statistics.median(times[1:]) * 1000:.0f} ms; {len(resp.data) / 1024:.0f} KiB "
        f"(map {len(svg) / 1024:.1f} KiB, {svg.count('<use ')} markers)"
    )
    t = time.perf_counter()
    for _ in range(20):
        client.get(f"/proposals/{pid}/report/status.json")
    print(f"status.json: {(time.perf_counter() - t) / 20 * 1000:.1f} ms")

    # The cost of the vote's after-commit effect: one request_analysis call per vote, slot
    # already taken. Each vote is one unit of work, as a request is, so the effect runs.
    with app.app_context():
        from participate.discussion import operations, queries
        from participate.models import Role
        from participate.timeutil import utcnow

        user = User(
            email="bench@example.tw",
            display_name="bench",
            role=Role.CITIZEN,
            email_verified_at=utcnow(),
            privacy_accepted_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        with unit():
            scheduler.request_analysis(did)
        n = 200
        t = time.perf_counter()
        for _ in range(n):
            scheduler.request_analysis(did)
        hook = (time.perf_counter() - t) / n
        statement = queries.load_statement(statement_id)
        t = time.perf_counter()
        for i in range(n):
            with unit():
                operations.vote(user, statement, (1, -1, 0)[i % 3])
        total = (time.perf_counter() - t) / n
        print(
            f"vote hook: {hook * 1000:.2f} ms per vote (a whole vote incl. hook: "
            f"{total * 1000:.2f} ms) on SQLite"
        )


if __name__ == "__main__":
    main()
