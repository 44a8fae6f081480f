"""Stability figures: Wilson intervals, bootstrap of the groups, verdicts, JSON keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp import analyze
from nlp.stability import bootstrap_groups, resamples_for, wilson
from nlp.synthetic import planted_conversation


def test_wilson_interval_known_values():
    # Wilson (1927) score interval, z = 1.96: 8 of 10 -> (0.4902, 0.9433); 0 of 10 -> (0, 0.2775)
    lo, hi = wilson(8, 10)
    assert (float(lo), float(hi)) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    lo, hi = wilson(np.array([0, 50]), np.array([10, 100]))
    assert lo.tolist() == pytest.approx([0.0, 0.4038], abs=1e-4)
    assert hi.tolist() == pytest.approx([0.2775, 0.5962], abs=1e-4)
    assert [float(x) for x in wilson(0, 0)] == [0.0, 1.0]


def test_resamples_shrink_with_size():
    assert resamples_for(500) == 50 and resamples_for(5_000) == 30
    assert resamples_for(33_000) == 12


def test_planted_groups_are_solid():
    conv = planted_conversation(900, 60, 27_000, n_groups=3, noise=0.05, seed=1)
    res = analyze(conv.participants, conv.statements, conv.values)
    assert res.k == 3 and res.stability is not None
    assert res.stability.verdict == "solid" and res.stability.k_share >= 0.9
    assert res.stability.resamples == 50
    for g in res.groups:
        assert g.stability.verdict == "solid" and g.stability.jaccard > 0.95
        for r in g.representative:
            assert (
                r.ci[0]
                <= r.counts.as_list()[0 if r.direction == "agree" else 1] / max(r.counts.seen, 1)
                <= r.ci[1]
            )


def test_groups_without_structure_are_fragile():
    """Votes at random: whatever split k-means draws is not reproducible."""
    rng = np.random.default_rng(0)
    p = np.repeat(np.arange(600), 30)
    s = np.concatenate([rng.choice(60, 30, replace=False) for _ in range(600)])
    v = rng.integers(-1, 2, size=p.size)
    res = analyze(p, s, v)
    assert res.k >= 2
    assert res.stability.verdict == "fragile"
    assert any(g.stability.verdict == "fragile" for g in res.groups)
    text = " ".join(x.text for x in res.summary.get("en", [])) or ""
    assert text == ""  # no texts given: no summary, but the JSON carries the verdicts
    js = res.to_json_dict()
    assert js["stability"]["verdict"] == "fragile"


def test_bootstrap_is_deterministic_and_order_free():
    conv = planted_conversation(400, 40, 8_000, n_groups=2, noise=0.3, seed=2)
    res = analyze(conv.participants, conv.statements, conv.values, resamples=0)
    xy = np.array([res.projection[p] for p in sorted(res.projection)])
    labels = np.zeros(len(xy), dtype=int)
    for g in res.groups:
        labels[np.searchsorted(sorted(res.projection), g.members)] = g.id
    a = bootstrap_groups(xy, labels, seed=3, resamples=20)
    perm = np.random.default_rng(5).permutation(len(xy))
    b = bootstrap_groups(xy[perm], labels[perm], seed=3, resamples=20)
    assert a == b
    assert a.resamples == 20 and a.drawn == len(xy)


def test_json_only_adds_keys():
    conv = planted_conversation(300, 30, 6_000, n_groups=2, noise=0.05, seed=4)
    texts = {i: f"意見 {i}" for i in range(30)}
    with_boot = analyze(conv.participants, conv.statements, conv.values, texts)
    without = analyze(conv.participants, conv.statements, conv.values, texts, resamples=0)
    a = json.loads(json.dumps(with_boot.to_json_dict(False)))
    b = json.loads(json.dumps(without.to_json_dict(False)))
    assert "stability" in a and "stability" not in b

    def same_shape(x, y):
        # every key of the run without stability exists, with the same value, in the other
        if isinstance(y, dict):
            for key, val in y.items():
                if key == "summary":
                    continue
                assert key in x, key
                same_shape(x[key], val)
        elif isinstance(y, list):
            assert len(x) == len(y)
            for xi, yi in zip(x, y, strict=True):
                same_shape(xi, yi)
        else:
            assert x == y

    same_shape(a, b)
    rep = a["groups"][0]["representative"][0]
    assert set(rep) >= {"ci", "rest_ci", "verdict"}
    assert set(a["groups"][0]["stability"]) == {"together", "jaccard", "recovered", "verdict"}
