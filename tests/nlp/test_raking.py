"""Raking, trimming, effective sample size, Wilson intervals and small-cell suppression,
against examples worked out by hand (the arithmetic is written in the comments)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from nlp.disclosure import suppress, suppress_vector
from nlp.raking import Dimension, effective_sample_size, rake, share, wilson_interval

M, F = 0, 1
N, S = 0, 1


def _people(table: dict[tuple[int, int], int]) -> tuple[list[int], list[int]]:
    sex, region = [], []
    for (s, r), count in sorted(table.items()):
        sex += [s] * count
        region += [r] * count
    return sex, region


def _weight_of(result, sex, region, s, r):
    idx = [i for i in range(len(sex)) if sex[i] == s and region[i] == r]
    values = {round(float(result.weights[i]), 9) for i in idx}
    assert len(values) == 1, "people in the same cell must get the same weight"
    return values.pop()


def test_independent_table_is_fitted_in_one_pass():
    """Sample: (M,N)=2, (M,S)=1, (F,N)=4, (F,S)=2 (9 people); targets 50/50 on both.

    Sex pass: M has 3 of 9 -> wants 4.5, factor 1.5; F has 6 -> 4.5, factor 0.75.
    Region pass: N = 2*1.5 + 4*0.75 = 6 -> 4.5, factor 0.75; S = 1*1.5 + 2*0.75 = 3 ->
    4.5, factor 1.5. Weights: (M,N) 1.125, (M,S) 2.25, (F,N) 0.5625, (F,S) 1.125; the
    sex margin is still 4.5/4.5, so one pass fits both margins exactly.
    """
    sex, region = _people({(M, N): 2, (M, S): 1, (F, N): 4, (F, S): 2})
    result = rake(
        [Dimension("sex", sex, {M: 0.5, F: 0.5}), Dimension("region", region, {N: 0.5, S: 0.5})]
    )
    assert result.converged and result.iterations == 1
    assert _weight_of(result, sex, region, M, N) == pytest.approx(1.125)
    assert _weight_of(result, sex, region, M, S) == pytest.approx(2.25)
    assert _weight_of(result, sex, region, F, N) == pytest.approx(0.5625)
    assert _weight_of(result, sex, region, F, S) == pytest.approx(1.125)
    assert result.weights.mean() == pytest.approx(1.0)


def test_two_by_two_worked_example_first_pass_and_limit():
    """Sample (8 people): (M,N)=3, (M,S)=1, (F,N)=1, (F,S)=3. Targets: M 60%, F 40%;
    N 50%, S 50% (of 8: M 4.8, F 3.2, N 4, S 4).

    First pass by hand. Sex: M 4 -> 4.8 (x1.2), F 4 -> 3.2 (x0.8). Region: N = 3*1.2 +
    1*0.8 = 4.4 -> 4 (x10/11); S = 1*1.2 + 3*0.8 = 3.6 -> 4 (x10/9). So (M,N) 1.2*10/11 =
    1.090909, (M,S) 1.2*10/9 = 1.333333, (F,N) 0.8*10/11 = 0.727273, (F,S) 0.8*10/9 =
    0.888889.

    The limit keeps the sample's odds ratio (3*3)/(1*1) = 9. With a = fitted (M,N) total:
    (M,S) = 4.8 - a, (F,N) = 4 - a, (F,S) = a - 0.8, and a(a - 0.8) = 9(4.8 - a)(4 - a),
    i.e. a^2 - 9.8a + 21.6 = 0, a = (9.8 - sqrt(9.64)) / 2 = 3.347583. Weights: (M,N)
    a/3 = 1.115861, (M,S) 4.8 - a = 1.452417, (F,N) 4 - a = 0.652417, (F,S) (a - 0.8)/3 =
    0.849194.
    """
    sex, region = _people({(M, N): 3, (M, S): 1, (F, N): 1, (F, S): 3})
    dims = [Dimension("sex", sex, {M: 0.6, F: 0.4}), Dimension("region", region, {N: 0.5, S: 0.5})]
    one = rake(dims, max_iterations=1, tolerance=0.0)
    assert not one.converged and one.iterations == 1
    assert _weight_of(one, sex, region, M, N) == pytest.approx(1.2 * 10 / 11)
    assert _weight_of(one, sex, region, M, S) == pytest.approx(1.2 * 10 / 9)
    assert _weight_of(one, sex, region, F, N) == pytest.approx(0.8 * 10 / 11)
    assert _weight_of(one, sex, region, F, S) == pytest.approx(0.8 * 10 / 9)

    full = rake(dims, tolerance=1e-10, max_iterations=500)
    a = (9.8 - math.sqrt(9.64)) / 2
    assert a == pytest.approx(3.347583, abs=1e-6)
    assert full.converged and full.max_error <= 1e-10
    assert _weight_of(full, sex, region, M, N) == pytest.approx(a / 3, abs=1e-7)
    assert _weight_of(full, sex, region, M, S) == pytest.approx(4.8 - a, abs=1e-7)
    assert _weight_of(full, sex, region, F, N) == pytest.approx(4 - a, abs=1e-7)
    assert _weight_of(full, sex, region, F, S) == pytest.approx((a - 0.8) / 3, abs=1e-7)
    typed = {(M, N): 1.115861, (M, S): 1.452417, (F, N): 0.652417, (F, S): 0.849194}
    for (s, r), value in typed.items():
        assert _weight_of(full, sex, region, s, r) == pytest.approx(value, abs=1e-6)
    # Kish: (sum w)^2 / sum w^2 = 64 / (3(a/3)^2 + (4.8-a)^2 + (4-a)^2 + 3((a-.8)/3)^2)
    squares = 3 * (a / 3) ** 2 + (4.8 - a) ** 2 + (4 - a) ** 2 + 3 * ((a - 0.8) / 3) ** 2
    assert full.effective_n == pytest.approx(64 / squares, abs=1e-6)
    assert full.effective_n == pytest.approx(7.5886, abs=1e-3)


def test_an_impossible_target_is_reported_not_hung():
    """Everyone young lives in the north and everyone old in the south; the targets ask
    for 80% young but only 20% northern: no weighting can do both."""
    age = [0] * 5 + [1] * 5
    region = [0] * 5 + [1] * 5
    started = time.monotonic()
    result = rake(
        [Dimension("age", age, {0: 0.8, 1: 0.2}), Dimension("region", region, {0: 0.2, 1: 0.8})],
        max_iterations=200,
    )
    assert time.monotonic() - started < 5
    assert not result.converged
    assert result.iterations == 200
    assert result.max_error > 0.5


def test_a_category_nobody_is_in_is_named():
    sex = [0, 0, 0, 0]
    result = rake([Dimension("sex", sex, {0: 0.5, 1: 0.5})], max_iterations=20)
    assert not result.converged
    assert result.empty == {"sex": [1]}
    assert result.iterations == 20


def test_trimming_caps_weights_and_says_what_it_cost():
    # 1 man among 20: his weight would be 10 for a 50/50 target; the cap is 3.
    sex = [0] + [1] * 19
    capped = rake([Dimension("sex", sex, {0: 0.5, 1: 0.5})], upper=3.0, lower=0.3)
    assert capped.weights.max() <= 3.0 + 1e-9
    assert capped.weights.min() >= 0.3 - 1e-9
    assert not capped.converged  # the margin cannot be met within the caps
    assert capped.max_error > 0.1
    loose = rake([Dimension("sex", sex, {0: 0.5, 1: 0.5})], upper=20.0, lower=0.1)
    assert loose.converged
    assert loose.weights[0] == pytest.approx(10.0)


def test_codes_without_targets_are_refused():
    with pytest.raises(ValueError, match="codes without a target"):
        rake([Dimension("sex", [0, 1, 2], {0: 0.5, 1: 0.5})])


def test_effective_sample_size():
    assert effective_sample_size([1, 1, 1, 1]) == pytest.approx(4)
    # (1+3)^2 / (1+9) = 1.6
    assert effective_sample_size([1, 3]) == pytest.approx(1.6)


def test_wilson_interval_by_hand():
    """p = 0.5, n = 100: centre (0.5 + 1.92/100)/(1 + 3.8415/100) = 0.5; half width
    1.96 * sqrt(0.0025 + 3.8415/40000) / 1.038415 = 0.09617."""
    low, high = wilson_interval(0.5, 100)
    assert low == pytest.approx(0.5 - 0.09617, abs=1e-4)
    assert high == pytest.approx(0.5 + 0.09617, abs=1e-4)
    low, high = wilson_interval(0.0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)


def test_weighted_share_uses_the_effective_size():
    chosen = [True, False, False, False]
    plain = share(chosen)
    assert plain.value == 0.25 and plain.n == 4
    weighted = share(chosen, [3, 1, 1, 1])
    assert weighted.value == pytest.approx(0.5)
    assert weighted.n == pytest.approx(36 / 12)


def test_primary_and_secondary_suppression():
    """[[12, 3, 30], [20, 40, 50]] with row and column totals published. Primary: the 3.
    Row 0 then has one hidden cell: its smallest other cell, 12, goes too. Column 0 now has
    one hidden cell (12) beside 20: the 20 goes; column 1 (3 beside 40): the 40 goes. Row 1
    then has two hidden cells: stable. Nothing can be recovered by subtraction."""
    mask = suppress([[12, 3, 30], [20, 40, 50]])
    assert mask.tolist() == [[True, True, False], [True, True, False]]
    rows_only = suppress([[12, 3, 30], [20, 40, 50]], column_totals=False)
    assert rows_only.tolist() == [[True, True, False], [False, False, False]]


def test_secondary_suppression_reaches_a_fixed_point_with_no_single_hidden_cell():
    counts = np.array([[12, 3, 30], [20, 40, 50], [7, 9, 60]])
    mask = suppress(counts)
    for line in [*mask, *mask.T]:
        assert int(line.sum()) != 1
    assert (counts[mask] < 5).any() and not (counts[~mask] < 5).any()


def test_suppress_vector_without_a_total_keeps_the_rest():
    assert suppress_vector([10, 2, 8], total_shown=False).tolist() == [False, True, False]
    assert suppress_vector([10, 2, 8], total_shown=True).tolist() == [False, True, True]
    # A lone hidden empty cell gives nobody away: no partner is hidden for it.
    assert suppress_vector([0, 9, 8], total_shown=True).tolist() == [True, False, False]
    # A hidden 2 beside a hidden 0: the total tells only that the two hold 2 people.
    assert suppress_vector([2, 0, 9, 8], total_shown=True).tolist() == [True, True, False, False]
    # A hidden 2 alone takes the smallest non-empty cell with it.
    assert suppress_vector([2, 9, 8], total_shown=True).tolist() == [True, False, True]
