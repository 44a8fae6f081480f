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
# participants both placed in a group. Measured (bench/polis_fidelity.py, seed 0): vtaiwan
# 0.969, ssis 0.976, the same for every shuffle of participant ids and row order (seeds
# 0-5: vtaiwan 0.729-0.969, one seed in six under 0.88; ssis 0.953-0.988).
# Pol.is is not a ground truth: it runs k-means incrementally over the life of the
# conversation, warm-started from earlier runs, so its final split of a continuous opinion
# space depends on history. Its own recipe run from scratch in 20 participant orders agrees
# with its export at ARI 0.73 on average on vtaiwan (min 0.10) and with itself at 0.63.
# The floors sit under the measured values: a different axis or a different k scores
# below 0.5.
ARI_FLOOR = {VTAIWAN: 0.88, SSIS: 0.9}


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


@pytest.mark.parametrize("name", [VTAIWAN, SSIS])
def test_groups_do_not_depend_on_participant_order_or_ids(analyses, name):
    """New random participant ids (so a new row order) and the latest votes in random row
    order: the same people end up together."""
    from nlp import analyze

    ex, res = analyses(name)
    rng = np.random.default_rng(7)
    uniq = np.unique(ex.participants)
    new = dict(zip(uniq.tolist(), (rng.permutation(uniq.size) + 5000).tolist(), strict=True))
    # Keep each pair's latest vote (what counts), then put those rows in random order.
    key = ex.participants.astype(np.int64) * 100_000 + ex.statements
    _, last_rev = np.unique(key[::-1], return_index=True)
    order = rng.permutation(key.size - 1 - last_rev)
    pids = np.array([new[p] for p in ex.participants[order].tolist()])
    other = analyze(pids, ex.statements[order], ex.values[order], None, ex.moderated_out)
    back = {v: k for k, v in new.items()}
    a = {m: g.id for g in res.groups for m in g.members}
    b = {back[m]: g.id for g in other.groups for m in g.members}
    assert set(a) == set(b)
    common = sorted(a)
    assert adjusted_rand_score([a[c] for c in common], [b[c] for c in common]) == 1.0


def test_default_matches_polis_groups_and_beats_the_other_methods(analyses, polis_dir):
    """On vtaiwan UberX the default (Pol.is's two levels, modal group k-means pooled over
    base clusterings) agrees with the groups Pol.is recorded at ARI >= 0.88; the lowest
    inertia on one base clustering (``base``) and the participant-level optimum
    (``refined``, ``direct``) land elsewhere on the continuous map."""
    from nlp import analyze

    ex, res = analyses(VTAIWAN)
    theirs = polis_groups(polis_dir(VTAIWAN))

    def ari(r):
        ours = {m: g.id for g in r.groups for m in g.members}
        common = sorted(set(theirs) & set(ours))
        return adjusted_rand_score([theirs[c] for c in common], [ours[c] for c in common])

    args = (ex.participants, ex.statements, ex.values, None, ex.moderated_out)
    others = {m: analyze(*args, clustering=m) for m in ("base", "refined", "direct")}
    print(
        f"\nvtaiwan ARI vs Pol.is: polis {ari(res):.3f} "
        + " ".join(f"{m} {ari(r):.3f}" for m, r in others.items())
    )
    assert res.k == 2 and all(r.k == 2 for r in others.values())
    assert ari(res) >= 0.88
    assert ari(others["direct"]) == pytest.approx(ari(others["refined"]))
    for r in others.values():
        assert 0.6 < ari(r) < ari(res)


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
    assert set(js["timings"]) == {
        "import_s",
        "load_s",
        "analyze_s",
        "analyze_cpu_s",
        "bootstrap_s",
    }
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


@pytest.mark.parametrize("name", [VTAIWAN, SSIS])
def test_fast_reader_equals_the_row_by_row_reader(polis_dir, name, monkeypatch):
    """The polars path and the checking row-by-row reader give the same analysis input."""
    import nlp.polis_io as pio

    fast = pio.load_export(polis_dir(name))
    monkeypatch.setattr(pio, "_load_fast", lambda folder, encoding: None)
    slow = pio.load_export(polis_dir(name))
    for part in ("participants", "statements", "values"):
        assert np.array_equal(getattr(fast, part), getattr(slow, part)), part
        assert getattr(fast, part).dtype == np.int64
    assert fast.texts == slow.texts and fast.moderated_out == slow.moderated_out
    assert fast.agrees == slow.agrees and fast.disagrees == slow.disagrees


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("1000,x,0,0,2", "vote_value"),  # not a vote
        ("1000,x,99999,0,1", "unknown_comment"),
        ("1000,x,0,0,", "missing_value"),
        ("1000,x,0,0,1.5", "vote_value"),
        ("1000,x,0,0,1,extra", "long_row"),
        ("1000,x,0,0", "short_row"),
        ("-5,x,0,0,1", "out_of_range"),
    ],
)
def test_fast_reader_leaves_bad_files_to_the_checking_reader(tmp_path, row, problem):
    """A file the fast path does not accept gets the row-by-row reader's precise error."""
    from nlp.polis_io import PolisFormatError

    (tmp_path / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1,x,0,0,1,0,1,第一則\n1,x,1,0,0,0,1,第二則\n",
        encoding="utf-8",
    )
    (tmp_path / "votes.csv").write_text(
        "timestamp,datetime,comment-id,voter-id,vote\n1,x,0,0,1\n2,x,1,0,-1\n" + row + "\n",
        encoding="utf-8",
    )
    with pytest.raises(PolisFormatError) as err:
        load_export(tmp_path)
    assert err.value.problem == problem and err.value.row == 4
