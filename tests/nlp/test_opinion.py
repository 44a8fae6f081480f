"""Opinion groups: matrix building, PCA, projection, clustering, edge cases, determinism."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp import analyze
from nlp.opinion import (
    build_matrix,
    choose_groups,
    in_conversation,
    min_votes_threshold,
    pca,
    polis_projection_inputs,
    project,
)
from nlp.synthetic import planted_conversation
from tests.nlp.conftest import two_groups_split


def test_last_vote_wins_and_moderation():
    vm = build_matrix([1, 1, 2, 1], [10, 11, 10, 10], [1, -1, 0, -1], moderated_out=[11])
    assert vm.statement_ids.tolist() == [10]
    assert vm.participant_ids.tolist() == [1, 2]
    assert vm.matrix.toarray().tolist() == [[-1.0], [0.0]]
    assert vm.matrix.nnz == 2  # the pass is an explicit entry
    assert vm.events == 4


def test_string_ids_and_unvoted_statement():
    vm = build_matrix(["a", "b"], ["x", "x"], [1, 1], extra_statements=["y"])
    assert vm.statement_ids.tolist() == ["x", "y"]
    assert vm.matrix.shape == (2, 2)


def test_sparsity_factor():
    # 4 statements; participant 0 voted on all, participant 1 on one, participant 2 on two.
    vm = build_matrix([0, 0, 0, 0, 1, 2, 2], [0, 1, 2, 3, 0, 0, 1], [1, 1, -1, -1, 1, -1, 1])
    res, centred = pca(vm)
    # By hand: statement means 1/3, 1, -1, -1, so statement 0 is the only one whose centred
    # votes are not all 0: rows (2/3, 0, 0, 0), (2/3, 0, 0, 0), (-4/3, 0, 0, 0). The first
    # component is e0, the second is null (rank 1).
    assert res.components.tolist() == [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    xy = project(centred, res.components, vm.n_votes)
    # x = centred vote · sqrt(S / votes cast): participants 0 and 1 have the same centred row,
    # but 1 voted once, so sits twice as far out (sqrt(4/1) against sqrt(4/4)).
    assert xy[:, 0] == pytest.approx([2 / 3, 4 / 3, -4 / 3 * np.sqrt(2)])
    assert xy[:, 1].tolist() == [0.0, 0.0, 0.0]


def test_centering_is_per_statement_mean_over_voters():
    vm = build_matrix([0, 1, 2, 0], [0, 0, 0, 1], [1, 1, -1, 0])
    res, centred = pca(vm)
    assert res.center.tolist() == pytest.approx([1 / 3, 0.0])
    # Missing vote (participant 1, statement 1) stays 0 after centring.
    assert centred.toarray()[1, 1] == 0.0


def test_inclusion_threshold():
    assert min_votes_threshold(100) == 7
    assert min_votes_threshold(3) == 3
    assert min_votes_threshold(0) == 1
    p, s, v = two_groups_split()
    # Participant 99 voted on 6 of the 8 statements: projected but not clustered.
    p = np.concatenate([p, np.full(6, 99)])
    s = np.concatenate([s, np.arange(6)])
    v = np.concatenate([v, np.ones(6, dtype=int)])
    res = analyze(p, s, v)
    assert res.participants == 21 and res.clustered == 20
    assert 99 in res.projection
    assert all(99 not in g.members for g in res.groups)


def test_planted_groups_found():
    conv = planted_conversation(1500, 80, 45_000, n_groups=3, noise=0.1, seed=3)
    res = analyze(conv.participants, conv.statements, conv.values, seed=0)
    assert res.k == 3
    members = np.concatenate([g.members for g in res.groups])
    labels = np.concatenate([[g.id] * g.size for g in res.groups])
    ari = adjusted_rand_score(conv.groups[members], labels)
    print(f"\nplanted 3 groups, 1500 participants: k={res.k} ARI={ari:.4f}")
    # About 30 votes each, 10 % noise, silhouette 0.77: separated enough that every
    # participant is clustered and placed in their planted group.
    assert res.clustered == 1500
    assert ari == pytest.approx(1.0)


def test_max_groups_bound_and_base_clustering():
    conv = planted_conversation(900, 60, 27_000, n_groups=3, noise=0.05, seed=1)
    res = analyze(conv.participants, conv.statements, conv.values, max_groups=2)
    assert res.k == 2
    res9 = analyze(conv.participants, conv.statements, conv.values, max_groups=9, clustering="base")
    assert res9.k == 3
    assert set(res9.silhouette) == set(range(2, 10))


def _dump(res) -> str:
    return json.dumps(res.to_json_dict(include_timings=False), ensure_ascii=False, sort_keys=False)


def test_deterministic_byte_identical():
    conv = planted_conversation(800, 50, 20_000, seed=5)
    a = _dump(analyze(conv.participants, conv.statements, conv.values, seed=7))
    b = _dump(analyze(conv.participants, conv.statements, conv.values, seed=7))
    assert a == b


def test_previous_keeps_group_ids_and_signs():
    conv = planted_conversation(900, 60, 27_000, seed=2)
    first = analyze(conv.participants, conv.statements, conv.values)
    # Flip stored component signs and group ids as if an earlier run had chosen differently.
    prev = first.to_json_dict(include_timings=False)
    prev["pca"]["components"] = [[-x for x in row] for row in prev["pca"]["components"]]
    ids = [g["id"] for g in prev["groups"]]
    assert ids == [0, 1, 2]  # three planted groups, so reversing the ids changes two of them
    for g, new_id in zip(prev["groups"], reversed(ids), strict=True):
        g["id"] = new_id
    # A few more votes arrive.
    p = np.concatenate([conv.participants, [0, 1]])
    s = np.concatenate([conv.statements, [0, 0]])
    v = np.concatenate([conv.values, [1, 1]])
    second = analyze(p, s, v, previous=prev)
    prev_members = {g["id"]: set(g["members"]) for g in prev["groups"]}
    for g in second.groups:
        overlap = len(set(g.members) & prev_members[g.id]) / g.size
        assert overlap > 0.95
    comp_prev = np.array(prev["pca"]["components"])
    comp_new = np.array(second.pca_components)
    assert np.all(np.sum(comp_prev * comp_new, axis=1) > 0)


def test_previous_as_result_object():
    """``previous`` may be the result object itself, not only its JSON dict."""
    conv = planted_conversation(600, 40, 15_000, seed=4)
    first = analyze(conv.participants, conv.statements, conv.values)
    assert [g.id for g in first.groups] == [0, 1, 2]
    # An earlier run that numbered the groups 2, 0, 1 and chose the opposite PCA signs: the
    # same input analysed without ``previous`` would give ids 0, 1, 2 and first's signs.
    renumber = {0: 2, 1: 0, 2: 1}
    earlier = replace(
        first,
        groups=[replace(g, id=renumber[g.id]) for g in first.groups],
        pca_components=[[-x for x in row] for row in first.pca_components],
    )
    again = analyze(conv.participants, conv.statements, conv.values, previous=earlier)
    assert {g.id: g.members for g in again.groups} == {g.id: g.members for g in earlier.groups}
    assert np.allclose(again.pca_components, earlier.pca_components)


def test_segment_import_does_not_load_scipy():
    import subprocess
    import sys

    code = "import sys, nlp.segment; print('scipy' in sys.modules)"
    from tests.nlp.conftest import REPO

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"


def _valid(res) -> dict:
    js = json.loads(json.dumps(res.to_json_dict()))
    for key in (
        "participants",
        "statements",
        "votes",
        "clustered",
        "k",
        "groups",
        "consensus",
        "group_informed_consensus",
        "divisive",
        "topics",
        "summary",
        "timings",
    ):
        assert key in js
    return js


def test_edge_no_votes():
    js = _valid(analyze([], [], []))
    assert js["participants"] == 0 and js["k"] == 0 and js["groups"] == []


def test_edge_no_votes_with_texts():
    js = _valid(analyze([], [], [], statement_texts={1: "長照服務", 2: "附議門檻"}))
    assert js["statements"] == 2 and js["k"] == 0


def test_edge_one_participant():
    js = _valid(analyze([5, 5, 5], [1, 2, 3], [1, -1, 0]))
    assert js["participants"] == 1 and js["clustered"] == 1 and js["k"] == 1
    assert js["groups"][0]["members"] == [5]


def test_edge_one_statement():
    """One statement, 20 agree and 10 disagree: two distinct points, so exactly two groups
    (k cannot exceed the number of distinct points), split by the vote, silhouette 1."""
    js = _valid(analyze(list(range(30)), [0] * 30, [1] * 20 + [-1] * 10))
    assert js["statements"] == 1 and js["clustered"] == 30
    assert js["k"] == 2
    assert [(g["id"], g["members"]) for g in js["groups"]] == [
        (0, list(range(20))),
        (1, list(range(20, 30))),
    ]
    assert js["silhouette"] == {"2": 1.0}


def test_edge_one_statement_unanimous():
    """No structure at all (everyone agrees, so every participant projects to one point):
    the documented degenerate case, one group of everyone and no k tried."""
    js = _valid(analyze(list(range(30)), [0] * 30, [1] * 30))
    assert js["clustered"] == 30 and js["k"] == 1
    assert [(g["id"], g["members"]) for g in js["groups"]] == [(0, list(range(30)))]
    assert js["silhouette"] == {}


def test_edge_all_passes():
    p, s, _ = two_groups_split()
    js = _valid(analyze(p, s, np.zeros(p.size)))
    assert js["k"] == 1
    assert js["uncertain"] and js["uncertain"][0]["pass_share"] == 1.0


def test_edge_statement_nobody_voted_on():
    p, s, v = two_groups_split()
    texts = {i: f"statement {i}" for i in range(9)}
    js = _valid(analyze(p, s, v, statement_texts=texts))
    assert js["statements"] == 9
    assert js["statement_counts"]["8"]["all"] == [0, 0, 0, 0]
    assert "8" in js["priority"]


def test_edge_votes_changed_last_wins():
    p, s, v = two_groups_split()
    # Participant 0 first disagrees with everything, then agrees (already in v): last wins.
    p2 = np.concatenate([np.zeros(8, dtype=int), p])
    s2 = np.concatenate([np.arange(8), s])
    v2 = np.concatenate([-np.ones(8, dtype=int), v])
    res = analyze(p2, s2, v2)
    assert res.votes == 160 and res.vote_events == 168
    assert res.counts[0].agree == 10


def test_edge_moderated_everything_and_nan():
    js = _valid(analyze([1, 2], [1, 1], [1, float("nan")], moderated_out={1}))
    assert js["statements"] == 0 and js["votes"] == 0


def test_edge_identical_participants():
    js = _valid(analyze(list(range(10)) * 3, [0] * 10 + [1] * 10 + [2] * 10, [1] * 30))
    assert js["k"] == 1 and js["groups"][0]["size"] == 10


def test_choose_groups_degenerate():
    assert choose_groups(np.zeros((0, 2))).k == 0
    assert choose_groups(np.zeros((2, 2))).k == 1
    assert choose_groups(np.ones((50, 2))).k == 1


def test_moderated_statements_count_as_seen_like_polis():
    # Statements 0..3; statement 3 is moderated out. Participant 1 voted on 0 and on 3.
    p = [0, 0, 0, 0, 1, 1, 2, 2]
    s = [0, 1, 2, 3, 0, 3, 0, 1]
    v = [1, 1, -1, 1, -1, 1, 1, -1]
    vm = build_matrix(p, s, v, moderated_out=[3])
    assert vm.statement_ids.tolist() == [0, 1, 2]
    assert vm.moderated_columns == 1
    assert vm.moderated_votes.tolist() == [1, 1, 0]
    pc = polis_projection_inputs(vm)
    # Pol.is zeroes statement 3 for everyone: 4 columns, each participant "saw" it.
    assert pc.columns == 4
    assert pc.seen.tolist() == [4, 2, 3]
    assert pc.raw.tolist() == [4, 2, 2]
    res, centred = pca(vm)
    xy = project(centred, res.components, pc.seen, n_columns=pc.columns)
    plain = project(centred, res.components, vm.n_votes)
    # participant 1: sqrt(4/2) instead of sqrt(3/1)
    assert xy[1, 0] == pytest.approx(plain[1, 0] * np.sqrt(4 / 2) / np.sqrt(3 / 1))


def test_in_conversation_threshold_and_greedy_fill():
    raw = np.array([7, 6, 0, 9, 3] + [7] * 20)
    assert in_conversation(raw, 100).tolist() == [True, False, False, True, False] + [True] * 20
    few = np.array([7, 6, 0, 9, 3, 1])
    # fewer than 15 qualify: the most active others join (never someone without a vote)
    assert in_conversation(few, 100).tolist() == [True, True, False, True, True, True]
    assert in_conversation(np.array([2, 3]), 3).tolist() == [True, True]


def test_groups_ignore_row_order_of_points():
    conv = planted_conversation(600, 40, 12_000, n_groups=3, noise=0.2, seed=4)
    res = analyze(conv.participants, conv.statements, conv.values)
    xy = np.array([res.projection[p] for p in sorted(res.projection)])
    perm = np.random.default_rng(1).permutation(len(xy))
    for method in ("polis", "base", "direct"):
        a = choose_groups(xy, 5, 0, method=method).labels
        b = choose_groups(xy[perm], 5, 0, method=method).labels
        assert adjusted_rand_score(a[perm], b) == 1.0, method
