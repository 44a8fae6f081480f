"""Benchmark on synthetic conversations with planted groups (``python -m nlp bench``).

Each shape runs in a fresh subprocess so that peak memory (ru_maxrss) is that shape's own:
it includes the interpreter, numpy/scipy/sklearn and the generated votes. The analysis time
is the wall time of :func:`nlp.analyze` (no texts). ARI is against the planted groups, over
clustered participants. Also compares direct k-means with Pol.is-style base clusters.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

__all__ = ["run", "one"]

SHAPES = [
    (3_000, 120, 90_000),
    (33_000, 783, 2_000_000),
    (100_000, 2_000, 10_000_000),
]
QUICK = [(3_000, 120, 90_000), (10_000, 300, 400_000)]


def one(p: int, s: int, v: int, clustering: str = "direct", seed: int = 0) -> dict[str, object]:
    """Generate one planted conversation, analyse it, return measurements (in-process)."""
    import numpy as np  # noqa: PLC0415
    import sklearn.cluster  # noqa: F401, PLC0415  (import cost is not analysis time)
    import sklearn.metrics  # noqa: F401, PLC0415
    from sklearn.metrics import adjusted_rand_score  # noqa: PLC0415

    from nlp.analysis import analyze  # noqa: PLC0415
    from nlp.synthetic import planted_conversation  # noqa: PLC0415

    conv = planted_conversation(p, s, v, n_groups=3, noise=0.1, seed=seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    res = analyze(conv.participants, conv.statements, conv.values, seed=seed, clustering=clustering)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    members = np.concatenate([np.asarray(g.members) for g in res.groups]) if res.groups else []
    labels = (
        np.concatenate([np.full(g.size, g.id) for g in res.groups]) if res.groups else np.zeros(0)
    )
    ari = float(adjusted_rand_score(conv.groups[np.asarray(members, dtype=np.int64)], labels))
    return {
        "shape": f"{p}x{s}x{v}",
        "clustering": clustering,
        "votes": res.votes,
        "clustered": res.clustered,
        "k": res.k,
        "analyze_s": round(dt, 3),
        "peak_rss_mb": round(rss, 1),
        "rss_before_analyze_mb": round(rss_before, 1),
        "ari": round(ari, 4),
    }


def run(quick: bool = False, shapes: list[str] | None = None) -> int:
    """Run every shape in its own process; print one JSON line per run and a table."""
    todo = (
        [tuple(int(x) for x in sh.lower().split("x")) for sh in shapes]
        if shapes
        else (QUICK if quick else SHAPES)
    )
    rows = []
    for p, s, v in todo:
        for clustering in ("direct", "base"):
            code = (
                "import json,sys;from nlp.bench import one;"
                f"print(json.dumps(one({p},{s},{v},{clustering!r})))"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'shape':>24} {'clustering':>10} {'k':>2} {'time s':>7} {'peak MB':>8} {'ARI':>6}")
    for r in rows:
        print(
            f"{r['shape']:>24} {r['clustering']:>10} {r['k']:>2} {r['analyze_s']:>7} "
            f"{r['peak_rss_mb']:>8} {r['ari']:>6}"
        )
    return 0
