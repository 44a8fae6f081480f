"""The two real Pol.is conversations: vote sign, agreement with Pol.is's groups, summary
traceability, command line. Skipped when the exports are not present."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp.polis_io import load_export, polis_groups
from tests.nlp.conftest import REPO, SSIS, VTAIWAN

# Floors for the adjusted Rand index between our groups and those Pol.is recorded, over the
# participants both placed in a group. Measured: vtaiwan 0.72, ssis 0.88. Pol.is is not a
# ground truth: its k-means runs incrementally over the life of the conversation, from
# random starts, on 100 base clusters, so boundary participants of a continuous opinion
# space land on either side. Even two variants of our own deterministic pipeline (direct
# k-means and Pol.is-style base clusters) agree only at ARI 0.85 on vtaiwan (see
# test_agreement_between_our_two_clusterings); the floors leave about 0.1-0.2 of margin under
# the measured values for platform differences (BLAS, sampling) without accepting a
# different partition (a random split scores about 0, a different axis below 0.3).
ARI_FLOOR = {VTAIWAN: 0.6, SSIS: 0.7}


@pytest.mark.parametrize("name", [VTAIWAN, SSIS])
def test_vote_sign_matches_comment_counts(polis_dir, name):
    folder = polis_dir(name)
    ex = load_export(folder)
    # comments.csv counts every vote event, so compare with all events, not latest votes.
    agrees = Counter(ex.statements[ex.values == 1].tolist())
    disagrees = Counter(ex.statements[ex.values == -1].tolist())
    for cid in ex.texts:
        assert agrees.get(cid, 0) == ex.agrees[cid], cid
        assert disagrees.get(cid, 0) == ex.disagrees[cid], cid


@pytest.mark.parametrize("name", [VTAIWAN, SSIS])
def test_groups_agree_with_polis(analyses, polis_dir, name):
    ex, res = analyses(name)
    theirs = polis_groups(polis_dir(name))
    ours = {m: g.id for g in res.groups for m in g.members}
    common = sorted(set(theirs) & set(ours))
    ari = adjusted_rand_score([theirs[c] for c in common], [ours[c] for c in common])
    print(
        f"\n{name}: ours k={res.k} sizes={[g.size for g in res.groups]}, Pol.is "
        f"k={len(set(theirs.values()))} sizes={sorted(Counter(theirs.values()).values())}, "
        f"clustered ours={res.clustered} theirs={len(theirs)}, ARI={ari:.3f}"
    )
    # Same inclusion rule: nearly the same people are clustered.
    assert len(common) >= 0.98 * len(theirs)
    assert res.k == len(set(theirs.values()))
    assert ari >= ARI_FLOOR[name]


def test_agreement_between_our_two_clusterings(analyses, polis_dir):
    from nlp import analyze

    ex, res = analyses(VTAIWAN)
    base = analyze(
        ex.participants, ex.statements, ex.values, None, ex.moderated_out, clustering="base"
    )
    a = {m: g.id for g in res.groups for m in g.members}
    b = {m: g.id for g in base.groups for m in g.members}
    common = sorted(set(a) & set(b))
    ari = adjusted_rand_score([a[c] for c in common], [b[c] for c in common])
    print(f"\nvtaiwan direct vs base-cluster k-means: ARI={ari:.3f}")
    assert ari >= 0.6


@pytest.mark.parametrize("name", [VTAIWAN, SSIS])
def test_summary_cites_true_shares(analyses, name):
    ex, res = analyses(name)
    for lang in ("zh-Hant", "en"):
        sentences = res.summary[lang]
        assert len(sentences) >= 4
        for s in sentences:
            cited = set(s.statements)
            for sid in re.findall(r"#(\d+)", s.text):
                assert int(sid) in cited
                assert int(sid) not in ex.moderated_out
    # Consensus sentences: "N 人中 X% 同意" must be the raw share of latest votes, computed
    # here from the counts (not with the summary's own helper). Both conversations have
    # consensus statements, so the loop below is not empty.
    assert len(res.consensus_agree) >= 3
    for item in res.consensus_agree[:3]:
        c = res.counts[item.statement]
        pct = f"{round(100 * (c.agree / c.seen))}%"
        text = next(s.text for s in res.summary["zh-Hant"] if item.statement in s.statements)
        assert f"#{item.statement}，{c.seen} 人中 {pct} 同意" in text
        low = min(gc.agree / gc.seen for gc in res.group_counts[item.statement].values())
        assert low > 0.5
        assert f"每群至少 {round(100 * low)}%" in text
    # Group sentences: the group's own share and the others' share.
    for g in res.groups:
        sent = [s for s in res.summary["en"] if s.text.startswith(f"Group {g.id + 1} ")]
        assert len(sent) == 1
        assert sent[0].statements  # a group sentence always cites its statements
        for sid in sent[0].statements:
            rep = next(r for r in g.representative if r.statement == sid)
            gc = res.group_counts[sid][g.id]
            mine = gc.agree if rep.direction == "agree" else gc.disagree
            assert f"#{sid}: {round(100 * (mine / gc.seen))}% in the group" in sent[0].text


def test_vtaiwan_keywords_are_chinese(analyses):
    ex, res = analyses(VTAIWAN)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for g in res.groups:
        assert len(g.keywords) >= 3
        assert sum(bool(cjk.search(k)) for k in g.keywords) >= 2
    assert res.topics and all(t.keywords for t in res.topics[:3])


def test_cli_analyze_vtaiwan(polis_dir):
    folder = polis_dir(VTAIWAN)
    out = subprocess.run(
        [sys.executable, "-m", "nlp", "analyze", str(folder), "--seed", "0", "--max-groups", "5"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    js = json.loads(out.stdout)
    assert list(js)[:14] == [
        "participants",
        "statements",
        "votes",
        "clustered",
        "k",
        "groups",
        "consensus",
        "group_informed_consensus",
        "group_informed_disagreement",
        "divisive",
        "uncertain",
        "priority",
        "topics",
        "summary",
    ]
    assert set(js["timings"]) == {"load_s", "analyze_s"}
    assert js["participants"] == 1912 and js["k"] == 2
    g = js["groups"][0]
    assert set(g) >= {"id", "members", "size", "representative", "keywords"}
    assert set(g["representative"][0]) >= {"statement", "direction", "p", "ratio", "z"}
    assert js["summary"]["zh-Hant"][0]["text"].startswith("共有 1912 人")
    proj = np.array(list(js["projection"].values()))
    assert proj.shape == (1912, 2)


def test_cli_byte_identical_across_processes(polis_dir):
    import os

    folder = polis_dir(SSIS)
    outs = []
    for hashseed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-m", "nlp", "analyze", str(folder), "--no-timings"],
            capture_output=True,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": hashseed},
            check=True,
        )
        outs.append(out.stdout)
    assert outs[0] == outs[1]
    assert b'"timings"' not in outs[0]


def test_participants_votes_fallback_equals_latest_votes(polis_dir, tmp_path):
    import shutil

    from nlp.opinion import build_matrix

    folder = polis_dir(SSIS)
    for name in ("comments.csv", "participants-votes.csv"):
        shutil.copy(folder / name, tmp_path / name)  # temporary copy, outside the repository
    full, wide = load_export(folder), load_export(tmp_path)
    a = build_matrix(full.participants, full.statements, full.values, full.moderated_out)
    b = build_matrix(wide.participants, wide.statements, wide.values, wide.moderated_out)
    assert a.participant_ids.tolist() == b.participant_ids.tolist()
    assert a.statement_ids.tolist() == b.statement_ids.tolist()
    # Compare the CSR arrays themselves: ``a != b`` treats a stored pass (explicit 0) and a
    # missing vote as equal, and equal nnz does not say the passes sit in the same places.
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a.matrix, part), getattr(b.matrix, part)), part
