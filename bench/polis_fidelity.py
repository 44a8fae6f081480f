"""Agreement of our opinion groups with the groups Pol.is recorded, on the real exports.

For each conversation in ../shared/data/polis (or the folders given) and each clustering
method, prints the adjusted Rand index against Pol.is's ``group-id`` (participants both
placed in a group), our k and group sizes, and the spread of that ARI over 10 shuffles of
the participants: each shuffle gives the participants new random ids (so their row order in
the matrix changes) and puts the latest vote of each pair in random row order. Also
prints the agreement of Pol.is's own recipe with itself when its k-means starts differ
(``--polis-self``), the reference for how exactly any batch method can be expected to match.

    .venv/bin/python bench/polis_fidelity.py [--methods polis,base,refined] [--shuffles 10]
        [--seeds 0] [--polis-self 20] [DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "polis"
NAMES = ["ssis.land-bank-farmland.2rumnecbeh.2021-08-01", "vtaiwan.uberx"]


def _ari(theirs: dict[int, int], res) -> tuple[float, int]:
    from sklearn.metrics import adjusted_rand_score

    ours = {m: g.id for g in res.groups for m in g.members}
    common = sorted(set(theirs) & set(ours))
    return adjusted_rand_score([theirs[c] for c in common], [ours[c] for c in common]), len(common)


def _shuffled(ex, rng: np.random.Generator):
    """New random participant ids and the latest vote of each pair in random row order."""
    uniq = np.unique(ex.participants)
    new_ids = rng.permutation(uniq.size) + 10_000
    mapping = dict(zip(uniq.tolist(), new_ids.tolist(), strict=True))
    key = ex.participants.astype(np.int64) * 100_000 + ex.statements
    _, last_rev = np.unique(key[::-1], return_index=True)
    order = rng.permutation(key.size - 1 - last_rev)
    pids = np.array([mapping[p] for p in ex.participants[order].tolist()])
    return pids, ex.statements[order], ex.values[order], mapping


def main(argv: list[str] | None = None) -> int:
    from nlp import analyze
    from nlp.polis_io import load_export, polis_groups

    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--methods", default="polis,base,refined")
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--polis-self", type=int, default=0)
    args = ap.parse_args(argv)
    dirs = [Path(d) for d in args.dirs] or [DATA / n for n in NAMES]
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"{'conversation':>14} {'method':>7} {'seed':>4} {'k':>2} {'sizes':>14} "
        f"{'ARI':>6} {'shuffled min..max':>18} {'spread':>6} {'s/run':>6}"
    )
    for folder in dirs:
        ex = load_export(folder)
        theirs = polis_groups(folder)
        name = folder.name[:14]
        for method in args.methods.split(","):
            for seed in seeds:
                t0 = time.perf_counter()
                res = analyze(
                    ex.participants,
                    ex.statements,
                    ex.values,
                    None,
                    ex.moderated_out,
                    seed=seed,
                    clustering=method,
                )
                dt = time.perf_counter() - t0
                ari, _ = _ari(theirs, res)
                shuffled = []
                rng = np.random.default_rng(1234)
                for _ in range(args.shuffles):
                    pids, sids, vals, mapping = _shuffled(ex, rng)
                    r2 = analyze(
                        pids, sids, vals, None, ex.moderated_out, seed=seed, clustering=method
                    )
                    th2 = {mapping[p]: g for p, g in theirs.items() if p in mapping}
                    shuffled.append(_ari(th2, r2)[0])
                lo, hi = (min(shuffled), max(shuffled)) if shuffled else (ari, ari)
                sizes = "/".join(str(g.size) for g in res.groups)
                print(
                    f"{name:>14} {method:>7} {seed:>4} {res.k:>2} {sizes:>14} {ari:>6.3f} "
                    f"{lo:>8.3f}..{hi:<8.3f} {hi - lo:>6.3f} {dt:>6.2f}",
                    flush=True,
                )
        if args.polis_self:
            _polis_self(ex, theirs, name, args.polis_self)
    return 0


def _polis_self(ex, theirs, name: str, runs: int) -> None:
    """Pol.is's recipe as its code runs it from scratch: k-means started from the first k
    distinct points in participant order (Pol.is's ``init-clusters``), 20 iterations for the
    groups, unweighted silhouette over the base centres; run in ``runs`` random participant
    orders. Prints its agreement with the export and with itself."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from nlp.opinion import (
        build_matrix,
        in_conversation,
        pca,
        polis_projection_inputs,
        project,
    )

    vm = build_matrix(ex.participants, ex.statements, ex.values, ex.moderated_out)
    res, centred = pca(vm)
    pc = polis_projection_inputs(vm)
    xy = project(centred, res.components, pc.seen, pc.columns)
    idx = np.nonzero(in_conversation(pc.raw, pc.columns))[0]
    pts = xy[idx]
    pids = vm.participant_ids[idx]
    common = np.array([p in theirs for p in pids.tolist()])
    truth = np.array([theirs[p] for p in pids[common].tolist()])

    def first_distinct(x: np.ndarray, k: int) -> np.ndarray:
        _, first = np.unique(np.round(x, 9), axis=0, return_index=True)
        return np.sort(first)[:k]

    labs, aris = [], []
    for r in range(runs):
        order = np.random.default_rng(r).permutation(len(pts))
        x = pts[order]
        km = KMeans(100, init=x[first_distinct(x, 100)], n_init=1, max_iter=100).fit(x)
        used = np.unique(km.labels_)
        bl = np.searchsorted(used, km.labels_)
        bc = km.cluster_centers_[used]
        bw = np.bincount(bl).astype(float)
        best = None
        for k in range(2, 6):
            g = KMeans(k, init=bc[first_distinct(bc, k)], n_init=1, max_iter=20)
            g.fit(bc, sample_weight=bw)
            if np.unique(g.labels_).size < 2:
                continue
            s = silhouette_score(bc, g.labels_)
            if best is None or s > best[0]:
                best = (s, g.labels_[bl])
        lab = np.empty(len(x), dtype=int)
        lab[order] = best[1]
        labs.append(lab)
        aris.append(adjusted_rand_score(truth, lab[common]))
    pair = [adjusted_rand_score(labs[i], labs[j]) for i in range(runs) for j in range(i + 1, runs)]
    print(
        f"{name:>14} Pol.is recipe from scratch, {runs} participant orders: ARI vs export "
        f"mean {np.mean(aris):.3f} median {np.median(aris):.3f} min {min(aris):.3f} "
        f"max {max(aris):.3f}; run vs run mean {np.mean(pair):.3f} median {np.median(pair):.3f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
