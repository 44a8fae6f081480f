"""The app end to end at Pol.is's largest shape: import, analysis, report page.

Writes a planted-group Pol.is export (33,000 participants x 783 statements, 2,000,000 vote
events: ``nlp.bench.write_export``, plus the ``participants-votes.csv`` a real export has),
compiles the app's modules to bytecode (as an installation has them), makes a fresh
database (PostgreSQL: a throwaway database, dropped and recreated; SQLite: a file),
migrates it and adds one proposal (setup, not measured), then measures, each in a fresh
process as an operator runs it:

- ``flask import-polis DIR --proposal ID``: wall time (process start included) and the
  process's peak RSS (``getrusage(RUSAGE_CHILDREN)`` of a wrapper that runs only it);
- ``flask analyse --proposal ID``: the same, and the run's own read/analyse timings;
- the report page (``/proposals/ID/report``) through the test client: first render, then
  the best of five.

Run::

    .venv/bin/python bench/import_scale.py [--backend postgresql|sqlite|both]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432] [--db participate_bench_import]
        [--shape 33000x783x2000000] [--no-wide] [--export DIR] [--exclusive] [--import-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRAPPER = (
    "import resource,subprocess,sys,time;t=time.perf_counter();"
    "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
    "w=time.perf_counter()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN);"
    "sys.stderr.write(p.stderr);sys.stdout.write(p.stdout);"
    "print('\\n@@%f %f %d %f'%(w,r.ru_maxrss/1024,p.returncode,r.ru_utime+r.ru_stime))"
)


class BackendCPU:
    """CPU seconds the PostgreSQL server processes of one database spend while a command
    runs, sampled from /proc every 0.1 s (a backend's last sample before it exits counts).
    With the command's own CPU time, a figure that does not grow with the machine's load
    the way wall time does (other jobs sharing the cores)."""

    def __init__(self, url: str | None, database: str | None) -> None:
        self.url, self.database = url, database
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                        "pg_backend_pid()",
                        (self.database,),
                    )
                ]
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick
                time.sleep(0.1)

    def __enter__(self) -> BackendCPU:
        if self.url:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.url:
            self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def measured(
    args: list[str], env: dict[str, str], server: tuple[str, str] | None = None
) -> tuple[str, str]:
    """Run ``flask ARGS`` in a fresh process; its stdout and a line of figures: wall
    seconds, peak RSS, the process's CPU seconds (and the database server's, on
    PostgreSQL)."""
    cmd = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "flask", *args]
    with BackendCPU(*(server or (None, None))) as backend:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    body, _, tail = proc.stdout.rpartition("\n@@")
    wall, peak, rc, cpu = tail.split() if tail else ("0", "0", "1", "0")
    if proc.returncode or int(rc):
        raise SystemExit(f"flask {' '.join(args)} failed:\n{body}\n{proc.stderr[-3000:]}")
    figures = f"{float(wall):.2f} s wall, peak {float(peak):.0f} MB, CPU {float(cpu):.2f} s"
    if server:
        figures += f" + database server CPU {backend.seconds:.2f} s"
    load = os.getloadavg()[0]
    return body.strip(), f"{figures} (load average {load:.1f} on {os.cpu_count()} cores)"


def write_export(folder: Path, p: int, s: int, v: int, wide: bool) -> None:
    import numpy as np
    import polars as pl

    from nlp.bench import write_export as nlp_write_export

    nlp_write_export(folder, p, s, v)
    if not wide:
        return
    # participants-votes.csv: each participant's latest vote per comment, as Pol.is writes it.
    votes = pl.read_csv(folder / "votes.csv", columns=["comment-id", "voter-id", "vote"])
    latest = votes.group_by(["voter-id", "comment-id"], maintain_order=True).last()
    matrix = np.full((p, s), 9, dtype=np.int8)
    matrix[latest["voter-id"].to_numpy(), latest["comment-id"].to_numpy()] = latest[
        "vote"
    ].to_numpy()
    voted = matrix != 9
    frame = {
        "participant": np.arange(p),
        "group-id": np.zeros(p, dtype=np.int64),
        "n-comments": np.zeros(p, dtype=np.int64),
        "n-votes": voted.sum(axis=1),
        "n-agree": (matrix == 1).sum(axis=1),
        "n-disagree": (matrix == -1).sum(axis=1),
    }
    df = pl.DataFrame(frame).with_columns(
        pl.Series(str(c), np.where(voted[:, c], matrix[:, c], None).tolist(), dtype=pl.Int8)
        for c in range(s)
    )
    df.write_csv(folder / "participants-votes.csv")


def setup(backend: str, args: argparse.Namespace, tmp: Path) -> tuple[str, int]:
    """A fresh, migrated database with one open consultation; its URL and proposal id."""
    if backend == "postgresql":
        import psycopg

        admin = args.url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
            conn.execute(f'CREATE DATABASE "{args.db}"')
        url = f"{args.url}/{args.db}"
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    from flask_migrate import upgrade

    from participate import create_app
    from participate.extensions import db
    from participate.models import Proposal, ProposalKind, ProposalStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(revision="head")
        proposal = Proposal(
            title="規模測試", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN
        )
        db.session.add(proposal)
        db.session.commit()
        pid = proposal.id
        db.session.remove()
        db.engine.dispose()
    return url, pid


def report_page(url: str, pid: int) -> str:
    from participate import create_app
    from participate.reports import present

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    times, cpu = [], []
    for i in range(6):
        if i == 0:
            present._CACHE.clear()
            present._MAPS.clear()
        t, c = time.perf_counter(), time.process_time()
        resp = client.get(f"/proposals/{pid}/report")
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert resp.status_code == 200, resp.status_code
    return (
        f"report page: first {times[0] * 1000:.0f} ms, then best {min(times[1:]) * 1000:.0f} ms "
        f"wall, {min(cpu[1:]) * 1000:.0f} ms CPU ({len(resp.data) / 1024:.0f} KiB; load average "
        f"{os.getloadavg()[0]:.1f})"
    )


def run(backend: str, args: argparse.Namespace, export: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-import-{backend}-"))
    url, pid = setup(backend, args, tmp)
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PARTICIPATE_INSTANCE_PATH": str(tmp),
        "PARTICIPATE_DATABASE_URL": url,
        "PARTICIPATE_HUEY_IMMEDIATE": "1",
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "wsgi:app",
    }
    extra = ["--exclusive"] if args.exclusive else []
    server = None
    if backend == "postgresql":
        server = (args.url.replace("postgresql+psycopg://", "postgresql://") + "/postgres", args.db)
    out, figures = measured(
        ["import-polis", str(export), "--proposal", str(pid), *extra], env, server
    )
    print(f"[{backend}] {out}")
    print(f"[{backend}] flask import-polis {' '.join(extra)}: {figures}", flush=True)
    if args.import_only:
        return
    out, figures = measured(["analyse", "--proposal", str(pid)], env, server)
    print(f"[{backend}] {out}")
    print(f"[{backend}] flask analyse: {figures}", flush=True)

    from participate import create_app
    from participate.extensions import db
    from participate.models import Analysis

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        row = db.session.scalars(db.select(Analysis).order_by(Analysis.id.desc())).first()
        t = row.timings
        keys = ("read_s", "analyze_s", "total_s", "nlp_analyze_s", "nlp_bootstrap_s")
        print(f"[{backend}] run timings: " + ", ".join(f"{k} {t.get(k)}" for k in keys))
        db.session.remove()
        db.engine.dispose()
    print(f"[{backend}] {report_page(url, pid)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    ap.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--db", default="participate_bench_import")
    ap.add_argument("--shape", default="33000x783x2000000")
    ap.add_argument("--no-wide", action="store_true", help="no participants-votes.csv")
    ap.add_argument("--exclusive", action="store_true", help="import-polis --exclusive")
    ap.add_argument("--import-only", action="store_true", help="stop after the import")
    ap.add_argument("--export", type=Path, help="use this export folder instead of writing one")
    args = ap.parse_args(argv)
    p, s, v = (int(x) for x in args.shape.lower().split("x"))
    os.environ.setdefault("PARTICIPATE_HUEY_IMMEDIATE", "1")
    os.environ.setdefault("PARTICIPATE_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-inst-"))

    export = args.export or Path(tempfile.mkdtemp(prefix="bench-export-"))
    t0 = time.perf_counter()
    if args.export is None:
        write_export(export, p, s, v, wide=not args.no_wide)
    size = sum(f.stat().st_size for f in export.iterdir()) / 2**20
    print(
        f"export {export} ({p}x{s}x{v}) ready in {time.perf_counter() - t0:.1f} s ({size:.0f} MB)"
    )
    # As installed (pip compiles every module): the commands start from bytecode, not by
    # compiling the app's 200-odd modules (0.4-0.5 s per process on this machine).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "participate", "nlp", "wsgi.py"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
        run(backend, args, export)
    print(f"this script's peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
