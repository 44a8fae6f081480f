"""The small matching solver and the normal tail that replaced scipy.optimize and
scipy.special in the analysis: exact against brute force, and the textbook values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nlp.assignment import best_assignment, upper_tail


def _brute(cost: np.ndarray) -> float:
    n, m = cost.shape
    if n <= m:
        return min(
            sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n)
        )
    return _brute(cost.T)


@pytest.mark.parametrize("seed", range(40))
def test_matching_is_optimal_on_small_rectangular_matrices(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    # Integers half the time: ties, where only the total is defined.
    cost = rng.integers(-5, 6, size=(n, m)).astype(float) if seed % 2 else rng.normal(size=(n, m))
    rows, cols = best_assignment(cost)
    assert len(rows) == len(cols) == min(n, m)
    assert list(rows) == sorted(set(rows.tolist())) and len(set(cols.tolist())) == len(cols)
    assert math.isclose(float(cost[rows, cols].sum()), _brute(cost), abs_tol=1e-9)


def test_matching_maps_groups_to_their_largest_overlap():
    # Two runs' groups (rows: this run, columns: the last run): the overlap decides, not
    # the order; as the analysis calls it, on the negated overlap.
    overlap = np.array([[2.0, 40.0, 1.0], [30.0, 3.0, 0.0], [0.0, 1.0, 25.0]])
    rows, cols = best_assignment(-overlap)
    assert dict(zip(rows.tolist(), cols.tolist(), strict=True)) == {0: 1, 1: 0, 2: 2}


def test_matching_of_nothing_and_refusals():
    rows, cols = best_assignment(np.zeros((0, 3)))
    assert rows.size == cols.size == 0
    with pytest.raises(ValueError):
        best_assignment(np.array([[0.0, np.inf]]))
    with pytest.raises(ValueError):
        best_assignment(np.zeros(3))


def test_upper_tail_values():
    z = np.array([0.0, 1.2816, 1.96, -1.96, 40.0, np.nan])
    p = upper_tail(z)
    assert p[0] == 0.5
    assert abs(p[1] - 0.10) < 1e-4 and abs(p[2] - 0.025) < 1e-4
    assert abs(p[3] - 0.975) < 1e-4
    assert 0.0 <= p[4] < 1e-300  # far in the tail: tiny, never negative
    assert math.isnan(p[5])
    assert upper_tail(8.5) > 0.0  # 1 - Phi(8.5) would round to 0 and tie every such p-value
