"""Grouping participants on the opinion map: k-means, silhouettes and Pol.is's two levels.

Points in, labels out; no votes here (:mod:`nlp.opinion` builds the map). Split from
:mod:`nlp.opinion` to keep each module readable; :mod:`nlp.opinion` re-exports the public
names, so ``from nlp.opinion import choose_groups`` keeps working.

* :func:`choose_groups` — Pol.is's two levels (default), or direct k-means.
* :func:`base_clusters` — the 100 base clusters (also used by the bootstrap in
  :mod:`nlp.stability`).
* :func:`kmeans`, :func:`silhouette` — small seeded helpers used by :mod:`nlp.topics`.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.vq import vq

__all__ = [
    "Grouping",
    "choose_groups",
    "base_clusters",
    "kmeans",
    "silhouette",
    "canonical_labels",
    "SILHOUETTE_MARGIN",
    "FIT_SAMPLE",
    "modal_kmeans",
]

SILHOUETTE_MARGIN = 0.05
SIL_SAMPLE = 2_500  # points used to compute silhouettes
FIT_SAMPLE = 10_000  # points used to choose k and fit centres before refining on all


@dataclass(frozen=True)
class Grouping:
    """Result of :func:`choose_groups` for N clustered points.

    ``labels``: (N,) group index 0..k-1; ``k``; ``silhouette``: k → score for each k tried.
    """

    labels: np.ndarray
    k: int
    silhouette: dict[int, float] = field(default_factory=dict)


def _sq_dist(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared distances (N, k) without an (N, k, d) temporary (d is 2 here)."""
    out = (xy[:, 0:1] - centres[None, :, 0]) ** 2
    for dim in range(1, xy.shape[1]):
        out += (xy[:, dim : dim + 1] - centres[None, :, dim]) ** 2
    return out


def _lloyd(
    xy: np.ndarray, w: np.ndarray, centres: np.ndarray, max_iter: int = 100, tol: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted Lloyd iterations from ``centres`` (k, d); returns labels, centres, inertia.

    Nearest centres by scipy's ``vq`` (compiled; 4× the numpy distance array for 10,000
    points and 100 centres, measured 2.8 against 11.2 ms a pass).

    Stops when no label changes or, with ``tol`` > 0, when no centre moved by more than
    ``tol`` times the data's mean variance (squared), scikit-learn's criterion.
    """
    n, k = xy.shape[0], centres.shape[0]
    centres = centres.copy()
    labels = np.full(n, -1, dtype=np.int32)
    limit = tol * float(np.mean(np.var(xy, axis=0))) if tol > 0 else -1.0
    for _ in range(max_iter):
        before = centres.copy() if limit >= 0 else None
        new, near = vq(xy, centres, check_finite=False)
        if np.array_equal(new, labels):
            break
        labels = new.astype(np.int32)
        mass = np.bincount(labels, weights=w, minlength=k)
        for dim in range(xy.shape[1]):
            sums = np.bincount(labels, weights=w * xy[:, dim], minlength=k)
            centres[:, dim] = np.divide(sums, mass, out=centres[:, dim].copy(), where=mass > 0)
        empty = np.nonzero(mass == 0)[0]
        if empty.size:  # re-seed empty clusters at the points farthest from their centre
            far = np.argsort(-near, kind="stable")[: empty.size]
            centres[empty] = xy[far]
        elif before is not None and float(((centres - before) ** 2).sum(axis=1).max()) <= limit:
            break
    labels, near = vq(xy, centres, check_finite=False)
    inertia = float((w * near**2).sum())
    return labels.astype(np.int32), centres, inertia


def _kmeans_pp(
    xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, greedy: bool = True
) -> np.ndarray:
    """Greedy weighted k-means++ seeding (Arthur & Vassilvitskii, 2007; the greedy variant
    scikit-learn uses): each new centre is the best of 2 + ln(k) candidates drawn with
    probability proportional to weight × squared distance. Returns (k, d) centres."""
    n = xy.shape[0]
    trials = 2 + int(np.log(k)) if k > 1 and greedy else 1
    centres = np.empty((k, xy.shape[1]))
    centres[0] = xy[rng.choice(n, p=w / w.sum())]
    d2 = _sq_dist(xy, centres[:1])[:, 0]
    for c in range(1, k):
        prob = w * d2
        tot = prob.sum()
        if tot <= 0:
            centres[c] = xy[int(rng.integers(n))]
            continue
        cdf = np.cumsum(prob)
        cand = np.minimum(np.searchsorted(cdf, rng.random(trials) * cdf[-1]), n - 1)
        cand_d2 = np.minimum(d2[:, None], _sq_dist(xy, xy[cand]))  # (n, trials)
        best = int(np.argmin((w[:, None] * cand_d2).sum(axis=0)))
        centres[c] = xy[cand[best]]
        d2 = cand_d2[:, best]
    return centres


def _kmeans(
    xy: np.ndarray,
    k: int,
    seed: int,
    weights: np.ndarray | None = None,
    n_init: int = 3,
    tol: float = 0.0,
    greedy: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means, best of ``n_init`` seeded k-means++ starts: labels (N,), centres (k, d).

    Own vectorised implementation for low-dimensional points: an (N, k) distance array per
    iteration, centres by ``bincount``. Deterministic for a given seed.
    """
    w = np.ones(xy.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    best: tuple[np.ndarray, np.ndarray] | None = None
    best_inertia = np.inf
    for run in range(n_init):
        rng = np.random.default_rng([seed, k, run])
        lab, cen, inertia = _lloyd(xy, w, _kmeans_pp(xy, w, k, rng, greedy), tol=tol)
        if inertia < best_inertia - 1e-9:
            best, best_inertia = (lab, cen), inertia
    assert best is not None
    return best


def _silhouette_dist(
    dist: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Mean silhouette (Rousseeuw, 1987) from a precomputed (m, m) distance matrix.

    ``weights`` (m,): point i stands for ``weights[i]`` coincident points (a base cluster
    standing for its members): distances are averaged over members and the mean is
    weighted, which approximates the participants' silhouette from the base centres.
    """
    m = dist.shape[0]
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    uniq, lab = np.unique(labels, return_inverse=True)
    k = uniq.size
    if k < 2:
        return 0.0
    onehot = np.zeros((m, k))
    onehot[np.arange(m), lab] = w
    size = onehot.sum(axis=0)
    sums = dist @ onehot  # (m, k): total (weighted) distance of each point to each cluster
    rows = np.arange(m)
    own_size = size[lab] - 1
    a = np.divide(sums[rows, lab], own_size, out=np.zeros(m), where=own_size > 0)
    mean_other = sums / size[None, :]
    mean_other[rows, lab] = np.inf
    b = mean_other.min(axis=1)
    denom = np.maximum(a, b)
    sil = np.divide(b - a, denom, out=np.zeros(m), where=denom > 0)
    sil[own_size <= 0] = 0.0  # singleton clusters score 0 by convention
    return float((sil * w).sum() / w.sum())


def _sample_dist(
    xy: np.ndarray, seed: int, sample: int = SIL_SAMPLE
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded sample indices (at most ``sample``) and their (m, m) Euclidean distances."""
    n = xy.shape[0]
    idx = np.arange(n)
    if n > sample:
        idx = np.sort(np.random.default_rng([seed, 2]).choice(n, size=sample, replace=False))
    pts = xy[idx]
    return idx, np.sqrt(_sq_dist(pts, pts))


def _silhouette(xy: np.ndarray, labels: np.ndarray, seed: int, sample: int = SIL_SAMPLE) -> float:
    """Mean silhouette of points ``xy`` (N, d) with ``labels`` (N,): exact up to ``sample``
    points, else on a seeded uniform sample of that size."""
    idx, dist = _sample_dist(xy, seed, sample)
    return _silhouette_dist(dist, labels[idx])


kmeans = _kmeans
silhouette = _silhouette


BASE_K = 100  # Pol.is's base clusters
GROUP_INITS = 10  # k-means starts on the base centres (100 points: cheap)


def choose_groups(
    xy: np.ndarray, max_groups: int = 5, seed: int = 0, method: str = "polis"
) -> Grouping:
    """Cluster 2-D points ``xy`` (N, 2) into k groups, k in 2..max_groups by best silhouette.

    ``method="polis"`` (default) is Pol.is's two-level recipe: up to ``BASE_K`` base clusters
    by k-means on the points, then k-means on the base centres weighted by their sizes for
    each k, k chosen by the silhouette over the base centres (weighted by size); each point
    takes its base cluster's group. The group k-means keeps the fixed point that most
    random starts reach, pooled over ``BASE_RUNS`` base clusterings (:func:`_choose_modal`).
    ``"base"`` is the same two levels with the lowest-inertia group k-means of one base
    clustering, ``"refined"`` that solution refined by Lloyd on the points, ``"direct"``
    k-means on the points themselves. Both see the points in a canonical order (sorted by
    coordinates), so the row order of participants cannot change the result.
    Degenerate inputs (N < 3 or a single distinct point) give one group (k = 1), or k = 0 for
    N = 0; k never exceeds the number of distinct points. Among k whose silhouette is within
    ``SILHOUETTE_MARGIN`` of the best, the smallest wins.
    """
    n = xy.shape[0]
    max_groups = int(max(1, min(max_groups, 9)))
    if n == 0:
        return Grouping(np.zeros(0, dtype=np.int32), 0)
    rounded = np.round(xy, 9)
    order = np.lexsort(rounded.T[::-1])  # canonical: by x, then y
    pts = rounded[order]
    distinct = 1 + int(np.count_nonzero((pts[1:] != pts[:-1]).any(axis=1))) if n else 0
    if n < 3 or distinct < 2 or max_groups < 2:
        return Grouping(np.zeros(n, dtype=np.int32), 1)
    if method == "polis":
        lab, scores = _choose_modal(pts, max_groups, seed, distinct)
    elif method in ("base", "refined"):
        lab, scores = _choose_polis(pts, max_groups, seed, distinct, refine=method == "refined")
    elif method == "direct":
        lab, scores = _choose_direct(pts, max_groups, seed, distinct)
    else:
        raise ValueError(f"unknown clustering method {method!r}")
    if lab is None:
        return Grouping(np.zeros(n, dtype=np.int32), 1)
    labels = np.empty(n, dtype=np.int32)
    labels[order] = lab
    labels = canonical_labels(labels)
    return Grouping(labels, int(labels.max()) + 1, scores)


def _pick_k(scores: dict[int, float]) -> int:
    # Parsimony: the smallest k whose silhouette is within ``SILHOUETTE_MARGIN`` of the best.
    # Why: silhouettes of neighbouring k are often equal within their sampling noise (a
    # 0.001 difference is not evidence for one more group), and every extra group must be
    # described to readers.
    best = max(scores.values())
    return min(k for k in scores if scores[k] >= best - SILHOUETTE_MARGIN)


def _sk_kmeans(
    pts: np.ndarray, k: int, seed: int, weights: np.ndarray | None = None, n_init: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's KMeans (k-means++, Lloyd): labels (N,), centres (k, d)."""
    from sklearn.cluster import KMeans  # noqa: PLC0415

    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, algorithm="lloyd")
    km.fit(pts, sample_weight=weights)
    return km.labels_.astype(np.int32), km.cluster_centers_


def base_clusters(
    pts: np.ndarray, seed: int, distinct: int | None = None, base_k: int = BASE_K
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pol.is's base clusters of points (N, 2): labels (N,), centres (B, 2), sizes (B,).

    Up to ``base_k`` clusters (fewer when there are fewer distinct points; then every
    distinct point is its own cluster). Above ``FIT_SAMPLE`` points the centres are fitted
    on a seeded sample and every point joins its nearest centre (one assignment pass):
    the base clusters only summarise the map, and 10,000 points place 100 centres well.
    Empty clusters are dropped.
    """
    key = (
        hashlib.blake2b(np.ascontiguousarray(pts).tobytes(), digest_size=16).digest(),
        seed,
        base_k,
    )
    if _BASE_CACHE and _BASE_CACHE[0] == key:  # the bootstrap asks again for the same points
        return _BASE_CACHE[1]
    out = _base_clusters(pts, seed, distinct, base_k)
    _BASE_CACHE[:] = [key, out]
    return out


_BASE_CACHE: list = []
GREEDY_BASE = True


def _base_clusters(
    pts: np.ndarray, seed: int, distinct: int | None, base_k: int, fit_sample: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fit_sample = fit_sample or FIT_SAMPLE
    n = pts.shape[0]
    if distinct is None:
        distinct = np.unique(pts, axis=0).shape[0]
    if distinct <= base_k:
        uniq, lab = np.unique(pts, axis=0, return_inverse=True)
        lab = lab.reshape(-1).astype(np.int32)
        return lab, uniq, np.bincount(lab).astype(np.float64)
    fit = pts
    if n > fit_sample:
        pick = np.sort(np.random.default_rng([seed, 1]).choice(n, size=fit_sample, replace=False))
        fit = pts[pick]
    # Own k-means, stopped by scikit-learn's tolerance: 0.24 s for k = 100 on 10,000 points
    # against 0.13-0.18 s for scikit-learn's, whose import alone costs the command 1.0 s
    # (measured by ``python -m nlp bench``); ``analyze`` imports no scikit-learn.
    _, cen = _kmeans(fit, base_k, seed, n_init=1, tol=1e-4, greedy=GREEDY_BASE)
    lab = _nearest(pts, cen)
    size = np.bincount(lab, minlength=cen.shape[0]).astype(np.float64)
    used = size > 0
    remap = (np.cumsum(used) - 1).astype(np.int32)
    return remap[lab], cen[used], size[used]


def _nearest(pts: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return vq(pts, centres, check_finite=False)[0].astype(np.int32)


def _choose_polis(
    pts: np.ndarray, max_groups: int, seed: int, distinct: int, refine: bool = True
) -> tuple[np.ndarray | None, dict[int, float]]:
    """Two-level clustering of canonically ordered points; returns labels and silhouettes.

    Pol.is's ``max-k-fn`` bounds k by 2 + (number of base clusters) // 12. The silhouette is
    the base centres' silhouette with each centre weighted by its size (Pol.is weights the
    k-means but not the silhouette). Why weighted: unweighted, the sparse outskirts (many
    small base clusters) outvote the dense middle; on the SSIS conversation that picks k = 3
    where Pol.is and the participant-level silhouette have 2 (measured in tests/nlp).
    """
    base_lab, cen, size = base_clusters(pts, seed, distinct)
    nb = cen.shape[0]
    dist = np.sqrt(_sq_dist(cen, cen))
    k_hi = min(max_groups, nb, 2 + nb // 12 if nb > 12 else nb)
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    for k in range(2, k_hi + 1):
        # Own k-means: on 100 points scikit-learn's per-call overhead dominates (measured
        # 2.1 ms against 12.4 ms for 10 starts); see base_clusters for the other level.
        lab, _ = _kmeans(cen, k, seed, weights=size, n_init=GROUP_INITS)
        if np.unique(lab).size < 2:
            continue
        scores[k] = round(_silhouette_dist(dist, lab, size), 12)
        fits[k] = lab
    if not scores:
        return None, {}
    group_of_base = fits[_pick_k(scores)]
    labels = group_of_base[base_lab]
    if refine:
        labels = _refine(pts, cen, size, group_of_base, seed)
    return labels, scores


BASE_RUNS = 5  # base clusterings pooled by the default method
EXTRA_FIT = 3_000  # points fitting the extra base clusterings of big conversations
MODAL_STARTS = 100  # random starts of the group k-means on the base centres, per k
MODAL_TOLERANCE = 0.02  # fixed points within 2 % of the lowest inertia compete


def _batch_lloyd(
    x: np.ndarray, w: np.ndarray, starts: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Lloyd from R starts at once on a few points: ``starts`` (R, k, d) → labels
    (R, n) and inertia (R,). Starts whose labels stop changing drop out of the loop."""
    r, k, d = starts.shape
    n = x.shape[0]
    cen = starts.copy()
    lab = np.full((r, n), -1)
    active = np.arange(r)
    for _ in range(max_iter):
        c = cen[active]
        d2 = (x[None, :, 0, None] - c[:, None, :, 0]) ** 2
        for j in range(1, d):
            d2 += (x[None, :, j, None] - c[:, None, :, j]) ** 2
        new = d2.argmin(axis=-1)
        moved = (new != lab[active]).any(axis=1)
        active, new = active[moved], new[moved]
        if not active.size:
            break
        lab[active] = new
        m = active.size
        flat = (new + (np.arange(m) * k)[:, None]).ravel()
        mass = np.bincount(flat, weights=np.tile(w, m), minlength=m * k).reshape(m, k)
        upd = cen[active]
        for j in range(d):
            tot = np.bincount(flat, weights=np.tile(w * x[:, j], m), minlength=m * k)
            np.divide(tot.reshape(m, k), mass, out=upd[:, :, j], where=mass > 0)
        cen[active] = upd
    d2 = (x[None, :, 0, None] - cen[:, None, :, 0]) ** 2
    for j in range(1, d):
        d2 += (x[None, :, j, None] - cen[:, None, :, j]) ** 2
    lab = d2.argmin(axis=-1)
    inertia = (w[None, :] * np.take_along_axis(d2, lab[..., None], axis=-1)[..., 0]).sum(axis=1)
    return lab, inertia


def _first_seen_labels(lab: np.ndarray, k: int) -> np.ndarray:
    """Labels 0..k-1 of each row of ``lab`` renumbered by first appearance, so equal
    partitions are equal rows."""
    r, n = lab.shape
    first = np.full((r, k), n)
    rows = np.repeat(np.arange(r), n)
    np.minimum.at(first, (rows, lab.ravel()), np.tile(np.arange(n), r))
    rank = np.argsort(np.argsort(first, axis=1, kind="stable"), axis=1, kind="stable")
    return np.take_along_axis(rank, lab, axis=1)


def modal_kmeans(
    x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, starts: int = MODAL_STARTS
) -> np.ndarray | None:
    """The fixed point of weighted k-means on the points ``x`` (n, d) that most random
    starts reach: labels (n,), or None when no start gives k groups.

    Starts are k distinct points drawn uniformly, as Pol.is's ``init-clusters`` (its first
    k distinct base centres) are in effect. Only fixed points within ``MODAL_TOLERANCE`` of
    the lowest inertia compete; ties go to the lower inertia.
    Why: on 100 base centres weighted k-means has many fixed points of nearly equal
    inertia (UberX: within 0.5 %), and Pol.is, warm-started over the conversation's life,
    ends in one of them. The one with the widest basin is Pol.is's in most base
    clusterings (bench/polis_fidelity.py); the lowest inertia alone is not.
    """
    n = x.shape[0]
    if n < k:
        return None
    picks = np.argsort(rng.random((starts, n)), axis=1)[:, :k]  # k distinct, uniform
    lab, inertia = _batch_lloyd(x, w, x[picks])
    srt = np.sort(lab, axis=1)
    full = (srt[:, 1:] != srt[:, :-1]).sum(axis=1) + 1 == k
    if not full.any():
        return None
    lab, inertia = lab[full], inertia[full]
    near = inertia <= inertia.min() * (1 + MODAL_TOLERANCE) + 1e-12
    lab, inertia = _first_seen_labels(lab[near], k), inertia[near]
    uniq, inv, counts = np.unique(lab, axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    best_inertia = np.full(uniq.shape[0], np.inf)
    np.minimum.at(best_inertia, inv, inertia)
    winner = np.lexsort((best_inertia, -counts))[0]
    return uniq[winner].astype(np.int32)


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie, 1985)."""
    n = a.size
    if n < 2:
        return 1.0
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a.astype(np.int64) * kb + b, minlength=ka * kb).reshape(ka, kb)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1)).sum() / 2)

    both, ra, rb = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = ra * rb / (n * (n - 1) / 2)
    top = (ra + rb) / 2 - expected
    return 1.0 if top == 0 else (both - expected) / top


def _choose_modal(
    pts: np.ndarray, max_groups: int, seed: int, distinct: int
) -> tuple[np.ndarray | None, dict[int, float]]:
    """Pol.is's two levels, pooled over ``BASE_RUNS`` base clusterings.

    Each base clustering (the first is :func:`base_clusters`'s, shared with the bootstrap;
    above ``FIT_SAMPLE`` points the others are fitted on ``EXTRA_FIT`` points) gets, for each
    k, the modal weighted k-means of its centres (:func:`modal_kmeans`) and that solution's
    size-weighted silhouette over the centres. k is chosen on the silhouettes averaged over
    the runs (smallest within ``SILHOUETTE_MARGIN`` of the best, as elsewhere); among the
    runs' groupings for that k the one that agrees best with the others (highest summed
    adjusted Rand index over the points) wins.
    Why pool: the base clusters are a random quantisation of the map and move the group
    boundary; one base clustering gives Pol.is's groups on UberX in 9 of 12 seeds, the
    pooled medoid in 11 of 12 (bench/polis_fidelity.py).
    """
    runs = 1 if distinct <= BASE_K else BASE_RUNS

    def one_run(run: int) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, float]]:
        if run == 0:
            base_lab, cen, size = base_clusters(pts, seed, distinct)
        else:
            base_lab, cen, size = _base_clusters(
                pts, seed * 1_000 + run, distinct, BASE_K, min(FIT_SAMPLE, EXTRA_FIT)
            )
        nb = cen.shape[0]
        dist = np.sqrt(_sq_dist(cen, cen))
        k_hi = min(max_groups, nb, 2 + nb // 12 if nb > 12 else nb)
        per_k: dict[int, np.ndarray] = {}
        sil: dict[int, float] = {}
        for k in range(2, k_hi + 1):
            lab = modal_kmeans(cen, size, k, np.random.default_rng([seed, run, k, 5]))
            if lab is not None:
                per_k[k] = lab
                sil[k] = _silhouette_dist(dist, lab, size)
        return base_lab, per_k, sil

    # The runs are independent (each has its own seeds) and are numpy work on arrays of
    # thousands of points, which releases the GIL: two threads take the five runs of a big
    # conversation in a little over half the time on two cores; results come back in run
    # order, so the outcome is the same as one after the other.
    if runs > 1 and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="base-runs") as pool:
            done = list(pool.map(one_run, range(runs)))
    else:
        done = [one_run(run) for run in range(runs)]
    fits: list[tuple[np.ndarray, dict[int, np.ndarray]]] = []
    sums: dict[int, list[float]] = {}
    for base_lab, per_k, sil in done:
        for k, value in sil.items():
            sums.setdefault(k, []).append(value)
        fits.append((base_lab, per_k))
    scores = {k: round(float(np.mean(v)), 12) for k, v in sums.items() if len(v) == len(fits)}
    if not scores:
        return None, {}
    k = _pick_k(scores)
    labelings = [per_k[k][base_lab] for base_lab, per_k in fits]
    if len(labelings) == 1:
        return labelings[0], scores
    agree = np.array([[_ari(a, b) for b in labelings] for a in labelings])
    return labelings[int(np.argmax(agree.sum(axis=1)))], scores


REFINE_STARTS = 3  # k-means++ starts beside the two-level solution


def _refine(
    pts: np.ndarray, cen: np.ndarray, size: np.ndarray, group_of_base: np.ndarray, seed: int
) -> np.ndarray:
    """Groups on the participants themselves for the k the two levels chose.

    Lloyd iterations on the points from the two-level solution's centres and from
    ``REFINE_STARTS`` seeded k-means++ starts; the lowest within-group sum of squares wins.
    Why: 100 base clusters quantise the map, and a weighted k-means on them has many fixed
    points on a continuous opinion space. On vTaiwan UberX the two-level solution alone
    agrees with Pol.is's groups at ARI 0.71, the participant-level optimum at 0.83 (SSIS:
    0.96 both; bench/polis_fidelity.py). Above ``FIT_SAMPLE`` points the starts run on a
    seeded sample and the winner is refined on everyone.
    """
    k = int(group_of_base.max()) + 1
    mass = np.bincount(group_of_base, weights=size, minlength=k)
    two_level = np.stack(
        [
            np.bincount(group_of_base, weights=size * cen[:, d], minlength=k) / mass
            for d in range(cen.shape[1])
        ],
        axis=1,
    )
    n = pts.shape[0]
    fit = pts
    if n > FIT_SAMPLE:
        pick = np.random.default_rng([seed, 3]).choice(n, size=FIT_SAMPLE, replace=False)
        fit = pts[np.sort(pick)]
    w = np.ones(fit.shape[0])
    starts = [two_level]
    for run in range(REFINE_STARTS):
        starts.append(_kmeans_pp(fit, w, k, np.random.default_rng([seed, k, run])))
    best, best_inertia = None, np.inf
    for start in starts:
        lab, centres, inertia = _lloyd(fit, w, start)
        if np.unique(lab).size == k and inertia < best_inertia - 1e-9:
            best, best_inertia = centres, inertia
    if best is None:
        return group_of_base_labels(group_of_base, pts, cen)
    return _lloyd(pts, np.ones(n), best, max_iter=50)[0] if fit is not pts else _nearest(pts, best)


def group_of_base_labels(group_of_base: np.ndarray, pts: np.ndarray, cen: np.ndarray):
    """Each point's group through its nearest base centre."""
    return group_of_base[_nearest(pts, cen)]


def _choose_direct(
    pts: np.ndarray, max_groups: int, seed: int, distinct: int
) -> tuple[np.ndarray | None, dict[int, float]]:
    """k-means on the points (own vectorised implementation, best of 3 seeded k-means++
    starts); above ``FIT_SAMPLE`` points, k and the centres come from a seeded sample and
    are refined by Lloyd iterations on all points. Silhouettes on a sample of 2,500."""
    n = pts.shape[0]
    fit = pts
    if n > FIT_SAMPLE:
        pick = np.random.default_rng([seed, 1]).choice(n, size=FIT_SAMPLE, replace=False)
        fit = pts[np.sort(pick)]
    sil_idx, sil_dist = _sample_dist(fit, seed)  # shared by every k: same sample, one matrix
    scores: dict[int, float] = {}
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    k_hi = min(max_groups, distinct, n - 1)
    for k in range(2, k_hi + 1):
        lab, cen = _kmeans(fit, k, seed)
        if np.unique(lab).size < 2:
            continue
        scores[k] = round(_silhouette_dist(sil_dist, lab[sil_idx]), 12)
        fits[k] = (lab, cen)
    if not scores:
        return None, {}
    lab, cen = fits[_pick_k(scores)]
    if fit is not pts:
        lab = _lloyd(pts, np.ones(n), cen, max_iter=50)[0]
    return lab, scores


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    uniq = np.unique(labels)
    sizes = np.array([(labels == u).sum() for u in uniq])
    first = np.array([int(np.argmax(labels == u)) for u in uniq])
    order = np.lexsort((first, -sizes))
    mapping = np.empty(int(uniq.max()) + 1, dtype=np.int32)
    mapping[uniq[order]] = np.arange(uniq.size, dtype=np.int32)
    return mapping[labels]
