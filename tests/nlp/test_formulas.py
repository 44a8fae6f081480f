"""The Pol.is statistics on known numbers."""

from __future__ import annotations

import numpy as np
import pytest

from nlp import analyze, repness
from tests.nlp.conftest import two_groups_split


def test_two_groups_of_ten_split_on_one_statement_counts():
    # Group 0: 10 agree out of 10; group 1: 10 disagree out of 10.
    agree = np.array([[10], [0]])
    disagree = np.array([[0], [10]])
    seen = np.array([[10], [10]])
    st = repness.rep_stats(agree, disagree, seen)
    assert st.pa[0, 0] == pytest.approx(0.9167, abs=1e-4)
    assert st.pat[0, 0] == pytest.approx(3.317, abs=1e-3)
    assert st.ra[0, 0] == pytest.approx(11.0)
    assert st.rat[0, 0] == pytest.approx(4.282, abs=1e-3)
    assert st.pd[1, 0] == pytest.approx(0.9167, abs=1e-4)
    assert repness.group_informed_consensus(agree, seen)[0] == pytest.approx(0.0764, abs=1e-4)


def test_two_groups_end_to_end():
    p, s, v = two_groups_split()
    res = analyze(p, s, v)
    assert res.k == 2 and res.clustered == 20
    assert sorted(g.size for g in res.groups) == [10, 10]
    for g in res.groups:
        assert len(g.representative) == 5
        r = g.representative[0]
        assert r.significant
        assert r.p == pytest.approx(0.9167, abs=1e-4)
        assert r.z == pytest.approx(3.317, abs=1e-3)
        assert r.ratio == pytest.approx(11.0)
        assert r.z_rest == pytest.approx(4.282, abs=1e-3)
        agreeing = all(m < 10 for m in g.members)
        assert r.direction == ("agree" if agreeing else "disagree")
    assert res.group_informed_consensus[0] == pytest.approx(0.0764, abs=1e-4)
    js = res.to_json_dict()
    assert js["groups"][0]["representative"][0]["p"] == 0.9167
    assert js["group_informed_consensus"]["0"] == 0.0764
    assert js["consensus"] == {"agree": [], "disagree": []}
    assert len(js["divisive"]) == 8


def test_prop_tests_shapes_and_zero_variance():
    z = repness.two_prop_test(
        np.array([0, 5]), np.array([0, 10]), np.array([0, 5]), np.array([0, 10])
    )
    # No votes on either side: pooled share (0+1)/(0+1) = 1, variance 0 -> z defined as 0.
    # 5/10 against 5/10: equal smoothed shares 6/11 -> z = 0.
    assert z.shape == (2,) and z.tolist() == [0.0, 0.0]
    # s = n = 0: 2·sqrt(1)·(1/1 - 1/2) = 1.
    assert repness.prop_test(np.array([0]), np.array([0]))[0] == pytest.approx(1.0)


def test_benjamini_hochberg():
    # m = 8 (the NaN is not a test), q = 0.05: thresholds 0.05·k/8 = 0.00625, 0.0125,
    # 0.01875, ...; only the two smallest p-values are under theirs.
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, np.nan])
    rej = repness.bh_reject(p, 0.05)
    assert rej.tolist() == [True, True, False, False, False, False, False, False, False]
    assert repness.bh_reject(np.array([np.nan]), 0.1).tolist() == [False]
    # Step-up, input unsorted: m = 3, q = 0.05, thresholds 0.0167, 0.0333, 0.05. 0.04 is over
    # its own threshold but 0.045 <= 0.05 is the largest passing rank, so all three are
    # rejected (a step-down procedure would stop after 0.01).
    assert repness.bh_reject(np.array([0.045, 0.01, 0.04]), 0.05).tolist() == [True] * 3


def test_benjamini_hochberg_matches_scipy():
    """Same decisions as scipy's BH adjusted p-values (a different computation) at q."""
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(0)
    for m in (1, 5, 40, 300):
        # A mix of nulls (uniform) and signals (small p-values), so both outcomes occur.
        p = np.concatenate([rng.uniform(size=m), rng.uniform(0, 0.01, size=m // 3)])
        rng.shuffle(p)
        for q in (0.05, 0.1, 0.2):
            expected = false_discovery_control(p, method="bh") <= q
            assert repness.bh_reject(p, q).tolist() == expected.tolist(), (m, q)


def _fdr_fixture() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group 0 against group 1 (the rest) on 11 statements, z-scores worked out by hand.

    * column 0, strong: group 20/20 agree, rest 0/20. z = 2·sqrt(21)·(21/21 − ½) = 4.583,
      z_rest = (21/21 − 1/21) / sqrt(22/42 · 20/42 · 2/21) = 6.179; p = 2.3e-6.
    * columns 1-2, marginal: group 7 agree 3 disagree of 10, rest 3 agree 7 disagree of 10.
      z = 2·sqrt(11)·(8/11 − ½) = 1.508 (p = 0.0658), z_rest = (8/11 − 4/11) /
      sqrt(12/22 · 10/22 · 2/11) = 1.713 (p = 0.0434): both above 1.2816, p-value 0.0658.
    * columns 3-10, null: 5/5 of 10 in the group and in the rest: z = 0.30, z_rest = 0.
    """
    agree = np.array([[20, 7, 7] + [5] * 8, [0, 3, 3] + [5] * 8])
    disagree = np.array([[0, 3, 3] + [5] * 8, [20, 7, 7] + [5] * 8])
    seen = np.array([[20, 10, 10] + [10] * 8, [20, 10, 10] + [10] * 8])
    return agree, disagree, seen


def test_fdr_is_stricter_than_polis_rule():
    agree, disagree, seen = _fdr_fixture()
    st = repness.rep_stats(agree, disagree, seen)
    assert st.pat[0, :3] == pytest.approx([4.583, 1.508, 1.508], abs=1e-3)
    assert st.rat[0, :3] == pytest.approx([6.179, 1.713, 1.713], abs=1e-3)
    elig = np.ones(11, dtype=bool)
    # top=11: every selected statement is returned, no truncation can hide a difference.
    plain = repness.select_representative(st, 0, seen[0], elig, top=11, fdr=None)
    assert [(r.column, r.direction, r.significant) for r in plain] == [
        (0, "agree", True),
        (1, "agree", True),
        (2, "agree", True),
    ]
    # BH at q = 0.1 over the 11 eligible tests: ranks 1, 2, 3 need p <= 0.0091, 0.0182,
    # 0.0273. The strong statement passes; the marginal ones (0.0658) do not, and no larger
    # rank passes either (the nulls have p = 0.5).
    bh = repness.select_representative(st, 0, seen[0], elig, top=11, fdr=0.1)
    assert [(r.column, r.significant) for r in bh] == [(0, True)]


def test_fdr_counts_only_eligible_statements():
    """BH is relative to the number of tests: without the eight nulls the marginal
    statements are kept (m = 3: p(3) = 0.0658 <= 0.1·3/3), as with the Pol.is rule."""
    agree, disagree, seen = _fdr_fixture()
    st = repness.rep_stats(agree, disagree, seen)
    elig = np.arange(11) < 3
    bh = repness.select_representative(st, 0, seen[0], elig, top=11, fdr=0.1)
    assert [(r.column, r.significant) for r in bh] == [(0, True), (1, True), (2, True)]


def test_fdr_nothing_significant_falls_back_to_best_unflagged():
    """Without the strong statement BH rejects nothing (ranks 1-2 need p <= 0.01, 0.02), so
    the single best statement by ratio·z_rest·p·z (a marginal one, lowest column on the tie)
    is shown with significant=False, while the Pol.is rule still calls both significant."""
    agree, disagree, seen = _fdr_fixture()
    st = repness.rep_stats(agree, disagree, seen)
    elig = np.arange(11) > 0
    bh = repness.select_representative(st, 0, seen[0], elig, top=11, fdr=0.1)
    assert [(r.column, r.significant) for r in bh] == [(1, False)]
    plain = repness.select_representative(st, 0, seen[0], elig, top=11, fdr=None)
    assert [(r.column, r.significant) for r in plain] == [(1, True), (2, True)]


def test_priority_formula():
    # A=5 agree, P=2 pass, S=10 seen, E=0.5 extremity: pass share p = 3/12 = 1/4, agree
    # share a = 6/12 = 1/2, importance = 3/4 · 3/2 · 1/2 = 9/16, boost 1 + 8·2^(-2) = 3,
    # priority = (27/16)² = 729/256.
    got = repness.priority(np.array([5]), np.array([2]), np.array([10]), np.array([0.5]))[0]
    assert got == pytest.approx(729 / 256)
    # New statement (S = 0): p = a = 1/2, importance 1/4, boost 9 -> (9/4)² = 81/16.
    fresh = repness.priority(np.array([0]), np.array([0]), np.array([0]), np.array([0.0]))[0]
    assert fresh == pytest.approx(81 / 16)
    # Passed-over statements are demoted: same A and S, 5 passes instead of 0.
    # P=0: (11/12 · 1/2 · 3)² = (11/8)² = 121/64; P=5: (1/2 · 1/2 · 3)² = 9/16.
    kept, passed = repness.priority(
        np.array([5, 5]), np.array([0, 5]), np.array([10, 10]), np.array([0.0, 0.0])
    )
    assert kept == pytest.approx(121 / 64) and passed == pytest.approx(9 / 16)
    meta = repness.priority(
        np.array([0]), np.array([0]), np.array([9]), np.array([0.0]), is_meta=np.array([True])
    )[0]
    assert meta == 49.0
