"""Survey weighting: raking (iterative proportional fitting) with trimmed weights, the
effective sample size, and confidence intervals for (weighted) shares.

Pure: integer category codes and target shares in, dataclasses out. No database, no Flask.

Raking adjusts one weight per respondent so that the weighted share of each category of
each *dimension* (for example "age band x sex" and "region") matches a known population
share. One pass scales the weights within each category of the first dimension to its
target, then the second dimension, and so on; passes repeat until every weighted margin
is within ``tolerance`` of its target (Deming & Stephan, 1940). The fixed point is the
weighting closest to the starting weights (in the raking / multiplicative sense) that hits
every margin; for a 2 x 2 table it keeps the sample's odds ratio.

A target can be impossible: a category nobody in the sample belongs to, but that the
population has, or margins the sample's structure cannot meet at once (everyone young is
northern and the targets ask for young southerners). Raking then stops after
``max_iterations`` passes and says so (``converged=False`` with the remaining error); it
never loops forever.

Trimming: weights are capped at ``upper`` and floored at ``lower`` times the mean weight,
then raked again, a few rounds, because raking after a cap can push weights back out; the
result says whether the final weights both respect the caps and hit the margins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Dimension",
    "RakeResult",
    "Share",
    "effective_sample_size",
    "rake",
    "share",
    "wilson_interval",
]

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Dimension:
    """One raking margin: each respondent's category ``codes`` (n,) with values in
    ``targets``' keys, and the population share of each category (the shares are
    normalised to sum to 1)."""

    name: str
    codes: Sequence[int]
    targets: Mapping[int, float]


@dataclass(frozen=True)
class RakeResult:
    """``weights`` (n,) with mean 1; ``converged``: every margin within the tolerance (and,
    when trimming, every weight within its caps); ``iterations``: raking passes done in
    total; ``max_error``: the largest absolute gap between a weighted share and its
    target at the end; ``empty``: per dimension, target categories no respondent belongs
    to (they make the target impossible); ``trimmed``: weights that hit a cap in the last
    trimming round."""

    weights: np.ndarray
    converged: bool
    iterations: int
    max_error: float
    empty: dict[str, list[int]] = field(default_factory=dict)
    trimmed: int = 0

    @property
    def effective_n(self) -> float:
        return effective_sample_size(self.weights)


def effective_sample_size(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2: n for equal weights, less the
    more the weights vary."""
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    squares = float((w * w).sum())
    return total * total / squares if squares > 0 else 0.0


def _prepare(dimensions: Sequence[Dimension], n: int) -> list[tuple[str, np.ndarray, dict]]:
    prepared = []
    for dim in dimensions:
        codes = np.asarray(dim.codes, dtype=int)
        if codes.shape != (n,):
            raise ValueError(f"dimension {dim.name!r}: {codes.shape[0]} codes for {n} people")
        total = float(sum(dim.targets.values()))
        if total <= 0:
            raise ValueError(f"dimension {dim.name!r}: targets must have a positive sum")
        unknown = set(np.unique(codes).tolist()) - set(dim.targets)
        if unknown:
            raise ValueError(f"dimension {dim.name!r}: codes without a target: {sorted(unknown)}")
        targets = {int(k): float(v) / total for k, v in dim.targets.items()}
        prepared.append((dim.name, codes, targets))
    return prepared


def _margin_error(w: np.ndarray, prepared: list[tuple[str, np.ndarray, dict]]) -> float:
    total = float(w.sum())
    worst = 0.0
    for _name, codes, targets in prepared:
        for cat, target in targets.items():
            got = float(w[codes == cat].sum()) / total if total else 0.0
            worst = max(worst, abs(got - target))
    return worst


def _rake_passes(
    w: np.ndarray,
    prepared: list[tuple[str, np.ndarray, dict]],
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, int, float]:
    n = w.shape[0]
    error = _margin_error(w, prepared)
    done = 0
    while error > tolerance and done < max_iterations:
        for _name, codes, targets in prepared:
            total = float(w.sum())
            for cat, target in targets.items():
                members = codes == cat
                have = float(w[members].sum())
                if have > 0:
                    w[members] *= target * total / have
        w *= n / float(w.sum())  # keep the mean at 1 (only the ratios matter)
        done += 1
        error = _margin_error(w, prepared)
    return w, done, error


def _cap(w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Clip to [lo, hi] and rescale to mean 1, repeatedly (the rescaling can push a clipped
    weight back past its cap; it converges geometrically when lo <= 1 <= hi)."""
    n = w.shape[0]
    for _ in range(200):
        w = np.clip(w, lo, hi)
        w *= n / float(w.sum())
        if not ((w < lo - 1e-12) | (w > hi + 1e-12)).any():
            break
    return w


def rake(
    dimensions: Sequence[Dimension],
    base_weights: Sequence[float] | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 100,
    lower: float | None = None,
    upper: float | None = None,
    trim_rounds: int = 10,
) -> RakeResult:
    """Weights (mean 1) whose weighted category shares match every dimension's targets.

    ``base_weights`` (n,) start the iteration (design weights; all 1 by default).
    ``lower``/``upper``: trim weights to [lower, upper] x the mean weight, re-raking after
    each cap, at most ``trim_rounds`` rounds. Raking stops at ``tolerance`` (the largest
    absolute error of a weighted share) or after ``max_iterations`` passes per round.
    """
    if not dimensions:
        raise ValueError("rake needs at least one dimension")
    n = len(dimensions[0].codes)
    if n == 0:
        return RakeResult(np.zeros(0), False, 0, 1.0)
    prepared = _prepare(dimensions, n)
    w = (
        np.ones(n, dtype=float)
        if base_weights is None
        else np.asarray(base_weights, dtype=float).copy()
    )
    if w.shape != (n,) or (w <= 0).any():
        raise ValueError("base weights must be positive, one per respondent")
    w *= n / float(w.sum())
    empty = {
        name: sorted(cat for cat, t in targets.items() if t > 0 and not (codes == cat).any())
        for name, codes, targets in prepared
    }
    empty = {k: v for k, v in empty.items() if v}
    w, iterations, error = _rake_passes(w, prepared, tolerance, max_iterations)
    trimmed = 0
    if lower is not None or upper is not None:
        if (lower is not None and lower > 1) or (upper is not None and upper < 1):
            raise ValueError("the caps must include the mean weight, 1")
        lo = lower if lower is not None else 0.0
        hi = upper if upper is not None else math.inf
        for _round in range(trim_rounds):
            outside = (w < lo - 1e-12) | (w > hi + 1e-12)
            if not outside.any():
                trimmed = 0
                break
            trimmed = int(outside.sum())
            w = _cap(w, lo, hi)
            w, more, error = _rake_passes(w, prepared, tolerance, max_iterations)
            iterations += more
        else:
            # The last rake may have pushed weights past the caps again: cap once more and
            # report the margins as they then are.
            outside = (w < lo - 1e-12) | (w > hi + 1e-12)
            trimmed = int(outside.sum())
            if trimmed:
                w = _cap(w, lo, hi)
                error = _margin_error(w, prepared)
        within_caps = not ((w < lo - 1e-9) | (w > hi + 1e-9)).any()
        converged = error <= tolerance and within_caps
    else:
        converged = error <= tolerance
    return RakeResult(
        weights=w,
        converged=bool(converged and not empty),
        iterations=iterations,
        max_error=float(error),
        empty=empty,
        trimmed=trimmed,
    )


@dataclass(frozen=True)
class Share:
    """A share with its 95% interval: ``value`` in [0, 1], ``low``/``high`` the Wilson
    bounds, ``n`` the (effective) number of people it rests on."""

    value: float
    low: float
    high: float
    n: float


def wilson_interval(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a share ``p`` of ``n`` people (n may be an effective,
    non-integer size). Better than p ± z·se for small n and shares near 0 or 1."""
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(
    chosen: Sequence[bool] | np.ndarray, weights: Sequence[float] | np.ndarray | None = None
) -> Share:
    """The (weighted) share of people for whom ``chosen`` is true, with its 95% interval;
    a weighted share uses Kish's effective sample size of the same people for the
    interval."""
    c = np.asarray(chosen, dtype=bool)
    if c.size == 0:
        return Share(0.0, 0.0, 1.0, 0.0)
    if weights is None:
        p = float(c.mean())
        n = float(c.size)
    else:
        w = np.asarray(weights, dtype=float)
        total = float(w.sum())
        p = float(w[c].sum()) / total if total > 0 else 0.0
        n = effective_sample_size(w)
    low, high = wilson_interval(p, n)
    return Share(p, low, high, n)
