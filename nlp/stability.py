"""How much a reader can lean on each finding: bootstrap over participants, Wilson intervals.

* :func:`bootstrap_groups` — resample the grouped participants with replacement, group them
  again (k-means with the same k from a seeded k-means++ start, on the same map), and for each
  original group report

  - ``together``: the share of its members who land in the group matched to it (Hungarian
    matching on overlap), averaged over resamples: "how often its members stay together";
  - ``jaccard``: Hennig's (2007) cluster-wise bootstrap Jaccard, the best Jaccard similarity
    between the group and any resampled group, over the participants drawn, averaged;
  - ``recovered``: the share of resamples with that Jaccard at least 0.75.

  A group is **solid** when its mean Jaccard is at least 0.75 (Hennig: below 0.6 a cluster
  should not be trusted, at 0.75 and above it is stable), else **fragile**. The same
  resamples, at the level of the base clusters, redo the choice of k (silhouette rule of
  :mod:`nlp.clustering`); ``k_share`` is how often the k we report is chosen again.
  The map itself (the PCA axes) is held fixed: with hundreds of voters per statement the
  axes move far less than the group boundaries.
* :func:`wilson` — 95 % Wilson score intervals for shares (agree / seen).

Cost: one weighted Lloyd run per start and resample, O(N·k) per iteration. Resamples:
``resamples_for(n)`` — 50 up to 2,000 grouped participants, 30 up to 10,000, 12 above;
above ``FIT_SAMPLE`` participants each resample draws 10,000 of them (m-out-of-n bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlp.assignment import best_assignment
from nlp.clustering import (
    FIT_SAMPLE,
    _kmeans,
    _lloyd,
    _nearest,
    _pick_k,
    _silhouette_dist,
    _sq_dist,
    base_clusters,
)
from nlp.results import GroupStability

__all__ = [
    "Z95",
    "SOLID_JACCARD",
    "SOLID_K_SHARE",
    "BootstrapResult",
    "wilson",
    "resamples_for",
    "bootstrap_groups",
]

Z95 = 1.959963984540054
SOLID_JACCARD = 0.75  # Hennig (2007): stable cluster
SOLID_K_SHARE = 0.75  # the reported k chosen again in at least 3 resamples of 4


def wilson(part: np.ndarray | int, seen: np.ndarray | int, z: float = Z95):
    """Wilson score interval for part/seen; arrays broadcast. (0, 1) when seen is 0."""
    k = np.asarray(part, dtype=np.float64)
    n = np.asarray(seen, dtype=np.float64)
    safe = np.maximum(n, 1.0)
    p = k / safe
    denom = 1.0 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return lo, hi


def resamples_for(n: int) -> int:
    """Number of bootstrap resamples for ``n`` grouped participants (fits the time budget)."""
    if n <= 2_000:
        return 50
    if n <= 10_000:
        return 30
    return 12  # each resample costs a k-means on 10,000 points: 2 M votes stay under 1 s


def _group(together: float, jaccard: float, recovered: float) -> GroupStability:
    verdict = "solid" if jaccard >= SOLID_JACCARD else "fragile"
    return GroupStability(together, jaccard, recovered, verdict)


@dataclass(frozen=True)
class BootstrapResult:
    """``groups[g]`` for label g; ``k_counts``: k → resamples choosing it; ``resamples``;
    ``drawn``: participants drawn per resample."""

    groups: list[GroupStability]
    k_counts: dict[int, int]
    resamples: int
    drawn: int

    @property
    def k_share(self) -> float:
        total = sum(self.k_counts.values())
        chosen = len(self.groups)
        return self.k_counts.get(chosen, 0) / total if total else 0.0


def bootstrap_groups(
    xy: np.ndarray,
    labels: np.ndarray,
    seed: int = 0,
    resamples: int | None = None,
    max_groups: int = 5,
) -> BootstrapResult:
    """Bootstrap the grouping of points ``xy`` (N, 2) with ``labels`` (N,) in 0..k-1.

    Deterministic for a given seed and input (points are taken in canonical order).
    """
    n = xy.shape[0]
    k = int(labels.max()) + 1 if n else 0
    b = resamples_for(n) if resamples is None else resamples
    if k < 2 or n < 3 or b <= 0:
        return BootstrapResult([_group(1.0, 1.0, 1.0)] * max(k, 0), {}, 0, 0)
    pts = np.round(xy, 9)
    order = np.lexsort(pts.T[::-1])
    pts, lab0 = pts[order], labels[order]
    rng = np.random.default_rng([seed, 77])
    m = min(n, FIT_SAMPLE)
    together = np.zeros(k)
    jacc = np.zeros(k)
    recovered = np.zeros(k)
    size0 = np.bincount(lab0, minlength=k).astype(np.float64)
    for r in range(b):
        w = np.bincount(rng.integers(0, n, size=m), minlength=n).astype(np.float64)
        drawn = np.nonzero(w)[0]
        _, cen = _kmeans(pts[drawn], k, seed + r, weights=w[drawn], n_init=1)
        lab = _nearest(pts, cen)
        # overlap over drawn participants (counted once each)
        overlap = np.zeros((k, k))
        np.add.at(overlap, (lab0[drawn], lab[drawn]), 1.0)
        rows, cols = best_assignment(-overlap)
        mapped = np.empty(k, dtype=np.int64)
        mapped[cols] = rows
        same = mapped[lab] == lab0
        together += np.bincount(lab0, weights=same.astype(np.float64), minlength=k) / size0
        a = overlap.sum(axis=1, keepdims=True)
        bsz = overlap.sum(axis=0, keepdims=True)
        union = a + bsz - overlap
        jac = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0).max(axis=1)
        jacc += jac
        recovered += jac >= SOLID_JACCARD
    groups = [
        _group(float(together[g] / b), float(jacc[g] / b), float(recovered[g] / b))
        for g in range(k)
    ]
    k_counts = _k_choice(pts, seed, b, max_groups, n)
    return BootstrapResult(groups, k_counts, b, m)


def _k_choice(pts: np.ndarray, seed: int, b: int, max_groups: int, n: int) -> dict[int, int]:
    """Redo the choice of k on ``b`` resamples, at the level of the base clusters: each
    resample redraws the base clusters' sizes (multinomial), then weighted k-means on the
    base centres (Lloyd from the full data's centres for that k) and the size-weighted
    silhouette pick k as in :mod:`nlp.clustering`."""
    base_lab, cen, size = base_clusters(pts, seed)
    nb = cen.shape[0]
    if nb < 3:
        return {}
    dist = np.sqrt(_sq_dist(cen, cen))
    k_hi = min(max(2, min(max_groups, 9)), nb, 2 + nb // 12 if nb > 12 else nb)
    rng = np.random.default_rng([seed, 78])
    counts: dict[int, int] = {}
    p = size / size.sum()
    starts = {k: _kmeans(cen, k, seed, weights=size, n_init=3)[1] for k in range(2, k_hi + 1)}
    for _ in range(b):
        w = rng.multinomial(n, p).astype(np.float64)
        keep = w > 0
        if keep.sum() < 3:
            continue
        c, d, ww = cen[keep], dist[np.ix_(keep, keep)], w[keep]
        scores = {}
        for k in range(2, min(k_hi, int(keep.sum())) + 1):
            lab = _lloyd(c, ww, starts[k])[0]
            if np.unique(lab).size < 2:
                continue
            scores[k] = round(_silhouette_dist(d, lab, ww), 12)
        if scores:
            kk = _pick_k(scores)
            counts[kk] = counts.get(kk, 0) + 1
    return dict(sorted(counts.items()))
