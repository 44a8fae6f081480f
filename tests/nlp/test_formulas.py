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
    assert z.shape == (2,) and np.all(np.isfinite(z)) and z[1] == pytest.approx(0.0)
    assert repness.prop_test(np.array([0]), np.array([0]))[0] == pytest.approx(1.0)


def test_benjamini_hochberg():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, np.nan])
    rej = repness.bh_reject(p, 0.05)
    assert rej.tolist() == [True, True, False, False, False, False, False, False, False]
    assert repness.bh_reject(np.array([np.nan]), 0.1).tolist() == [False]


def test_fdr_is_stricter_than_polis_rule():
    # Group of 6 of which 5 agree, rest 30 of which 12 agree: passes z>1.2816 singly.
    agree = np.array([[5] * 50, [12] * 50])
    disagree = np.array([[1] * 50, [18] * 50])
    seen = np.array([[6] * 50, [30] * 50])
    st = repness.rep_stats(agree, disagree, seen)
    elig = np.ones(50, dtype=bool)
    plain = repness.select_representative(st, 0, seen[0], elig, fdr=None)
    assert plain and all(r.significant for r in plain)
    bh = repness.select_representative(st, 0, seen[0], elig, fdr=0.1)
    assert len(bh) <= 5


def test_priority_formula():
    # A=5 agree, P=2 pass, S=10 seen, E=0.5 extremity.
    got = repness.priority(np.array([5]), np.array([2]), np.array([10]), np.array([0.5]))[0]
    p, a = 3 / 12, 6 / 12
    expected = ((1 - p) * 1.5 * a * (1 + 8 * 2 ** (-10 / 5))) ** 2
    assert got == pytest.approx(expected)
    # New statements are boosted; passed-over ones are demoted.
    fresh = repness.priority(np.array([0]), np.array([0]), np.array([0]), np.array([0.0]))[0]
    old = repness.priority(np.array([0]), np.array([0]), np.array([40]), np.array([0.0]))[0]
    assert fresh > old
    meta = repness.priority(
        np.array([0]), np.array([0]), np.array([9]), np.array([0.0]), is_meta=np.array([True])
    )[0]
    assert meta == 49.0
