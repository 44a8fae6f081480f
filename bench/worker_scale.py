"""The worker's analysis at Pol.is's largest shape, on PostgreSQL.

Creates a throwaway database, migrates it, writes a discussion with 783 statements, 33,000
participants and 2,000,000 vote events with planted groups (COPY, setup only, not measured),
then runs ``flask analyse --proposal ID`` in a fresh process, the worker's own job: read the
votes in bulk, analyse, store the result. Prints that command's wall time (process start
included) and peak memory, the run's own read/analyse timings, and the report page's render
time. Run (PostgreSQL reachable at the URL's server; the database named by --db is dropped
and recreated):

    .venv/bin/python bench/worker_scale.py [--url postgresql+psycopg://postgres@127.0.0.1:5432]
        [--db participate_bench_scale] [--shape 33000x783x2000000]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--db", default="participate_bench_scale")
    ap.add_argument("--shape", default="33000x783x2000000")
    args = ap.parse_args(argv)
    p, s, v = (int(x) for x in args.shape.lower().split("x"))

    import psycopg

    admin = args.url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    url = f"{args.url}/{args.db}"
    tmp = tempfile.mkdtemp(prefix="bench-scale-")
    env = {
        **os.environ,
        "PARTICIPATE_INSTANCE_PATH": tmp,
        "PARTICIPATE_DATABASE_URL": url,
        "PARTICIPATE_HUEY_IMMEDIATE": "1",
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "wsgi:app",
    }
    os.environ.update(
        {k: env[k] for k in ("PARTICIPATE_INSTANCE_PATH", "PARTICIPATE_HUEY_IMMEDIATE")}
    )

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from nlp.synthetic import planted_conversation
    from participate import create_app
    from participate.extensions import db
    from participate.models import Proposal, ProposalKind, ProposalStatus, Role, Statement, User
    from participate.models.discussion import get_or_create_discussion
    from participate.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    t0 = time.perf_counter()
    with app.app_context():
        upgrade(revision="head")
        proposal = Proposal(
            title="規模測試", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.flush()
        discussion = get_or_create_discussion(proposal)
        db.session.flush()
        pid, did = proposal.id, discussion.id
        themes = ["長照服務人力", "捷運票價", "空氣污染標準", "社會住宅", "基本工資", "健保給付"]
        db.session.execute(
            insert(Statement),
            [
                {"discussion_id": did, "text": f"我覺得{themes[i % 6]}應該檢討，第 {i} 則意見"}
                for i in range(s)
            ],
        )
        now = utcnow()
        db.session.execute(
            insert(User),
            [{"display_name": f"p{i}", "role": Role.CITIZEN, "created_at": now} for i in range(p)],
        )
        db.session.commit()
        sids = [
            r[0]
            for r in db.session.execute(
                db.select(Statement.id).where(Statement.discussion_id == did).order_by(Statement.id)
            )
        ]
        uids = [r[0] for r in db.session.execute(db.select(User.id).order_by(User.id))]
        conv = planted_conversation(p, s, v, n_groups=3, noise=0.1, seed=0)
        import numpy as np

        order = np.random.default_rng(0).permutation(conv.participants.size)
        parts = np.asarray(uids)[conv.participants[order]]
        stmts = np.asarray(sids)[conv.statements[order]]
        vals = conv.values[order]
        raw = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cur:
            with cur.copy(
                "COPY vote_history (discussion_id, statement_id, participant_id, value, "
                "created_at) FROM STDIN (FORMAT csv)"
            ) as copy:
                buf = io.StringIO()
                stamp = now.isoformat()
                for a, b, c in zip(stmts.tolist(), parts.tolist(), vals.tolist(), strict=True):
                    buf.write(f"{did},{a},{b},{c},{stamp}\n")
                copy.write(buf.getvalue())
        db.session.commit()
    print(f"setup (not measured): {time.perf_counter() - t0:.1f} s, {v} vote events", flush=True)

    wrapper = (
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:]);w=time.perf_counter()-t;"
        "print('@@%f %f %d'%(w,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,"
        "p.returncode))"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "flask", "analyse",
         "--proposal", str(pid)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    tail = out.stdout.rpartition("@@")[2].split()
    print(out.stdout.rpartition("@@")[0].strip())
    if out.returncode or not tail or tail[2] != "0":
        print(out.stderr[-3000:])
        return 1
    print(
        f"flask analyse (fresh process, start included): {float(tail[0]):.2f} s, "
        f"peak {float(tail[1]):.0f} MB"
    )

    with app.app_context():
        from participate.models import Analysis

        row = db.session.scalars(
            db.select(Analysis).where(Analysis.discussion_id == did).order_by(Analysis.id.desc())
        ).first()
        t = row.timings
        print(
            "run timings: read {read_s} s, analyse {analyze_s} s, total {total_s} s; "
            "nlp: analyze {nlp_analyze_s} s, bootstrap {nlp_bootstrap_s} s".format(
                **{
                    k: t.get(k)
                    for k in ("read_s", "analyze_s", "total_s", "nlp_analyze_s", "nlp_bootstrap_s")
                }
            )
        )
        db.session.remove()
    from participate.reports import present

    client = app.test_client()
    times = []
    for i in range(6):
        if i == 0:
            present._CACHE.clear()
            present._MAPS.clear()
        t = time.perf_counter()
        resp = client.get(f"/proposals/{pid}/report")
        times.append(time.perf_counter() - t)
    print(
        f"report page: first {times[0] * 1000:.0f} ms, then best "
        f"{min(times[1:]) * 1000:.0f} ms, {len(resp.data) / 1024:.0f} KiB, status "
        f"{resp.status_code}"
    )
    print(f"this script's peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
