"""Benchmark on synthetic Pol.is exports with planted groups (``python -m nlp bench``).

For each shape (participants × statements × votes) a Pol.is export folder is written to a
temporary directory (``votes.csv`` in time order, ``comments.csv`` with short texts, every
50th statement moderated out), then ``python -m nlp analyze`` runs on it in a fresh process,
exactly as a user runs it. Printed per shape:

* ``import_s``: importing numpy/scipy/scikit-learn/polars and starting the segmenter,
  ``read_s``: reading the export (the command's ``load_s``), ``analyze_s``: the analysis
  (``nlp.analyze``: matrix, PCA, groups, bootstrap, statistics, texts, summary),
  ``bootstrap_s`` within it, ``command_s``: the whole command's wall time (interpreter start,
  imports and JSON output included), ``peak_mb``: the command's peak resident memory;
* ``analyze_cpu_s``, ``command_cpu_s``: the same as CPU seconds (all threads), which a
  busy machine does not inflate; the ratios to red-dwarf are given both ways;
* ``ari``: agreement of our groups with the planted ones (clustered participants);
* with ``--red-dwarf PYTHON`` (a Python whose environment has ``red-dwarf==0.4.0``; never a
  dependency of this project): red-dwarf's ``run_pipeline`` on the same votes in its own
  process: its pipeline time, its whole process time and peak memory, and the ratios;
* once: k-means for the 100 base clusters on 10,000 points, scikit-learn against our own
  numpy implementation (the choice in :mod:`nlp.clustering` rests on it).

Every figure is the best of ``--repeat`` runs (default 1). The load average is printed, since
the machine is shared.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["run", "write_export"]

SHAPES = [(3_000, 120, 90_000), (33_000, 783, 2_000_000)]
QUICK = [(3_000, 120, 90_000)]

_RED_DWARF = r"""
import json, sys, time, resource
t0 = time.perf_counter()
import numpy as np
from reddwarf.implementations.polis import run_pipeline
folder, mod = sys.argv[1], json.loads(sys.argv[2])
import csv
latest = {}
with open(folder + "/votes.csv", newline="") as fh:
    for row in csv.DictReader(fh):  # in time order: the last vote of a pair counts
        key = (int(row["voter-id"]), int(row["comment-id"]))
        latest[key] = {"participant_id": key[0], "statement_id": key[1],
                       "vote": int(row["vote"]), "modified": int(row["timestamp"])}
votes = list(latest.values())
t1 = time.perf_counter()
c1 = time.process_time()
res = run_pipeline(votes=votes, mod_out_statement_ids=mod, random_state=0)
t2 = time.perf_counter()
out = {"pipeline_s": t2 - t1, "pipeline_cpu_s": time.process_time() - c1, "read_s": t1 - t0,
       "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
try:
    s = res.projected_participants
    out["groups"] = {str(int(p)): int(c) for p, c in zip(s.index, s["cluster_id"]) if c == c}
except Exception as exc:  # pragma: no cover - depends on red-dwarf's result type
    out["groups_error"] = repr(exc)
print(json.dumps(out))
"""


def write_export(folder: Path, p: int, s: int, v: int, seed: int = 0) -> tuple[list, object]:
    """Write a planted conversation as a Pol.is export; returns (moderated ids, truth)."""
    import numpy as np  # noqa: PLC0415

    from nlp.synthetic import planted_conversation  # noqa: PLC0415

    conv = planted_conversation(p, s, v, n_groups=3, noise=0.1, seed=seed)
    n = conv.participants.size
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(1_600_000_000_000, 1_610_000_000_000, size=n))
    # Participants vote at the same time as each other: interleave their events in time.
    order = rng.permutation(n)
    parts, stmts, vals = conv.participants[order], conv.statements[order], conv.values[order]
    with open(folder / "votes.csv", "w", encoding="utf-8") as fh:
        fh.write("timestamp,datetime,comment-id,voter-id,vote\n")
        fh.writelines(
            f"{t},Tue Jun 30 15:49:52 WIB 2015,{c},{a},{b}\n"
            for t, c, a, b in zip(
                ts.tolist(), stmts.tolist(), parts.tolist(), vals.tolist(), strict=True
            )
        )
    themes = ["長照服務人力", "捷運票價", "空氣污染標準", "社會住宅", "基本工資", "健保給付"]
    moderated = [c for c in range(s) if c % 50 == 49]
    with open(folder / "comments.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees",
             "moderated", "comment-body"]
        )  # fmt: skip
        for c in range(s):
            text = f"我覺得{themes[c % len(themes)]}應該檢討，第 {c} 則意見"
            w.writerow([0, "", c, 0, 0, 0, -1 if c in moderated else 1, text])
    return moderated, conv.groups


def _measured(cmd: list[str], env: dict[str, str]) -> tuple[str, float, float, float]:
    """Run ``cmd`` under a fresh wrapper process, so that RUSAGE_CHILDREN's peak RSS is that
    command's own; returns its stdout, wall seconds, peak RSS in MB and CPU seconds (user +
    system, all threads: the figure that does not grow with the machine's load)."""
    wrapper = (
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;"
        "sys.stderr.write(p.stderr);sys.stdout.write(p.stdout);"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print('\\n@@%f %f %d %f'%(w,r.ru_maxrss/1024,p.returncode,r.ru_utime+r.ru_stime))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    body, _, tail = proc.stdout.rpartition("\n@@")
    wall, peak, rc, cpu = tail.split()
    if int(rc) != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {proc.stderr[-1000:]}")
    return body, float(wall), float(peak), float(cpu)


def _kmeans_choice() -> str:
    import numpy as np  # noqa: PLC0415

    from nlp.clustering import _kmeans, _sk_kmeans  # noqa: PLC0415

    x = np.random.default_rng(0).normal(size=(10_000, 2))
    _sk_kmeans(x[:200], 3, 0)
    best = {}
    for name, fn in (
        ("scikit-learn", lambda: _sk_kmeans(x, 100, 0)),
        ("own numpy", lambda: _kmeans(x, 100, 0, n_init=1)),
    ):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        best[name] = min(times)
    return ", ".join(f"{k} {v:.3f} s" for k, v in best.items())


def run(
    quick: bool = False,
    shapes: list[str] | None = None,
    red_dwarf: str | None = None,
    repeat: int = 1,
) -> int:
    """Run every shape; print one JSON line per shape and a table."""
    import numpy as np  # noqa: PLC0415
    from sklearn.metrics import adjusted_rand_score  # noqa: PLC0415

    todo = (
        [tuple(int(x) for x in sh.lower().split("x")) for sh in shapes]
        if shapes
        else (QUICK if quick else SHAPES)
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"base clusters (k=100, 10,000 points): {_kmeans_choice()}", flush=True)
    rows = []
    for p, s, v in todo:
        with tempfile.TemporaryDirectory(prefix="nlp-bench-") as tmp:
            folder = Path(tmp)
            moderated, truth = write_export(folder, p, s, v)
            best: dict[str, float] = {}
            js: dict = {}
            for _ in range(max(1, repeat)):
                out, wall, peak, cpu = _measured(
                    [sys.executable, "-m", "nlp", "analyze", str(folder)], env
                )
                js = json.loads(out)
                t = js["timings"]
                cur = {
                    "import_s": t.get("import_s", 0.0),
                    "read_s": t["load_s"],
                    "analyze_s": t["analyze_s"],
                    "analyze_cpu_s": t.get("analyze_cpu_s", 0.0),
                    "bootstrap_s": t.get("bootstrap_s", 0.0),
                    "command_s": wall,
                    "command_cpu_s": cpu,
                    "peak_mb": peak,
                }
                best = {k: min(best.get(k, np.inf), x) for k, x in cur.items()}
            members = [m for g in js["groups"] for m in g["members"]]
            labels = [g["id"] for g in js["groups"] for _ in g["members"]]
            ari = adjusted_rand_score(truth[np.asarray(members, dtype=np.int64)], labels)
            row = {
                "shape": f"{p}x{s}x{v}",
                "votes": js["votes"],
                "k": js["k"],
                **{k: round(x, 3) for k, x in best.items()},
                "ari": round(float(ari), 4),
            }
            if red_dwarf:
                try:
                    rd_out, rd_wall, rd_peak, rd_cpu = _measured(
                        [red_dwarf, "-c", _RED_DWARF, str(folder), json.dumps(moderated)], env
                    )
                    rd = json.loads(rd_out.strip().splitlines()[-1])
                    row["red_dwarf_pipeline_s"] = round(rd["pipeline_s"], 3)
                    row["red_dwarf_command_s"] = round(rd_wall, 3)
                    row["red_dwarf_command_cpu_s"] = round(rd_cpu, 3)
                    row["red_dwarf_pipeline_cpu_s"] = round(rd.get("pipeline_cpu_s", 0.0), 3)
                    row["red_dwarf_peak_mb"] = round(rd_peak, 1)
                    row["speedup_analysis"] = round(rd["pipeline_s"] / best["analyze_s"], 1)
                    row["speedup_command"] = round(rd_wall / best["command_s"], 1)
                    if best["analyze_cpu_s"] > 0 and rd.get("pipeline_cpu_s"):
                        row["speedup_analysis_cpu"] = round(
                            rd["pipeline_cpu_s"] / best["analyze_cpu_s"], 1
                        )
                    row["speedup_command_cpu"] = round(rd_cpu / best["command_cpu_s"], 1)
                    if "groups" in rd:
                        mem = [int(m) for m in rd["groups"]]
                        row["red_dwarf_ari"] = round(
                            float(
                                adjusted_rand_score(
                                    truth[np.asarray(mem, dtype=np.int64)],
                                    list(rd["groups"].values()),
                                )
                            ),
                            4,
                        )
                except (RuntimeError, ValueError, KeyError) as exc:
                    row["red_dwarf_error"] = str(exc)[-300:]
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(
        f"{'shape':>22} {'k':>2} {'import s':>8} {'read s':>7} {'analyze s':>9} {'boot s':>7} "
        f"{'command s':>9} {'an cpu s':>8} {'cmd cpu s':>9} {'peak MB':>8} {'ARI':>6}"
    )
    for r in rows:
        print(
            f"{r['shape']:>22} {r['k']:>2} {r['import_s']:>8} {r['read_s']:>7} {r['analyze_s']:>9} "
            f"{r['bootstrap_s']:>7} {r['command_s']:>9} {r['analyze_cpu_s']:>8} "
            f"{r['command_cpu_s']:>9} {r['peak_mb']:>8} {r['ari']:>6}"
        )
    return 0
