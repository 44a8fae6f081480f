"""Single entry point :func:`analyze`: votes in, :class:`~nlp.results.AnalysisResult` out.

This module is the orchestrator and sits on top of the package: it calls the math modules
(:mod:`nlp.opinion`, :mod:`nlp.repness`), the text modules (:mod:`nlp.keywords`,
:mod:`nlp.topics`) and :mod:`nlp.summary`, and returns the types of :mod:`nlp.results`. Nothing
in ``nlp`` imports it back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from nlp import keywords as kw
from nlp import repness as rp
from nlp import stability as st
from nlp import summary as sm
from nlp import topics as tp
from nlp.assignment import upper_tail
from nlp.opinion import (
    Grouping,
    align_labels,
    build_matrix,
    choose_groups,
    in_conversation,
    min_votes_threshold,
    pca,
    polis_projection_inputs,
    project,
)
from nlp.results import (
    AnalysisResult,
    Counts,
    Group,
    RepStatement,
    Scored,
    Stability,
    Topic,
)

__all__ = ["analyze"]


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _previous_parts(
    previous: AnalysisResult | Mapping[str, Any] | None, stmt_ids: np.ndarray
) -> tuple[np.ndarray | None, dict[int, list[Any]]]:
    """Previous components re-indexed onto our statement columns, and previous groups."""
    if previous is None:
        return None, {}
    prev = previous.to_json_dict(False) if isinstance(previous, AnalysisResult) else previous
    groups = {int(g["id"]): list(g.get("members", [])) for g in prev.get("groups", [])}
    pc = prev.get("pca") or {}
    comps = np.zeros((2, stmt_ids.size))
    pos = {str(_py(s)): i for i, s in enumerate(stmt_ids)}
    rows = pc.get("components") or []
    for j, sid in enumerate(pc.get("statements") or []):
        i = pos.get(str(sid))
        if i is None:
            continue
        for r in range(min(2, len(rows))):
            comps[r, i] = rows[r][j]
    return (comps if np.any(comps) else None), groups


def segment_ahead(texts: Iterable[str]) -> None:
    """Segment statement texts before :func:`analyze` needs them (memoised: its topics and
    keywords then find them segmented).

    Why: a caller that knows the texts before the votes (the command reads comments.csv
    first, the app's worker reads the statements before the votes) runs this in a thread
    while the votes load, which is waiting on the disk, the CSV reader or the database:
    jieba's 0.2 s for 783 statements then costs no wall time.
    """
    from nlp import segment, topics  # noqa: PLC0415

    segment.tokenizer()
    for text in texts:
        segment.tokens(text)
        topics._words(text)


_F = TypeVar("_F", bound=Callable[..., Any])


def _one_blas_thread(fn: _F) -> _F:
    """Run ``fn`` with the BLAS library on one thread.

    Why: the analysis hands BLAS only small dense problems (the SVD that ends ARPACK's
    iterations, 783 x 30 at Pol.is's largest shape), where a second thread gains nothing.
    On a busy machine (the web workers beside the job consumer) OpenBLAS's helper thread
    waits for a core at every synchronisation: that SVD took 0.5 s instead of 0.03 s with
    one other process running (measured, two cores). The limit is the process's while it
    lasts (threadpoolctl) and is put back after.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@_one_blas_thread
def analyze(
    participants: Sequence[Hashable] | np.ndarray,
    statements: Sequence[Hashable] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    statement_texts: Mapping[Hashable, str] | None = None,
    moderated_out: Iterable[Hashable] = (),
    seed: int = 0,
    max_groups: int = 5,
    previous: AnalysisResult | Mapping[str, Any] | None = None,
    fdr: float | None = 0.1,
    min_votes: int = 7,
    is_meta: Iterable[Hashable] = (),
    clustering: str = "polis",
    resamples: int | None = None,
) -> AnalysisResult:
    """Opinion groups and their statistics for one conversation.

    ``participants``, ``statements``, ``values``: (n_events,) vote events in time order
    (+1 agree, −1 disagree, 0 pass; last vote per pair wins). ``statement_texts``: id → text of
    the conversation's statements (adds keywords, topics and the summary; statements without
    votes still appear). ``moderated_out``: ids left out of everything. ``max_groups``: upper
    bound for k (2..9); ``fdr``: Benjamini–Hochberg level for representative statements, or
    ``None`` for the plain Pol.is z > 1.2816 rule. ``previous``: an earlier result (object or
    its JSON dict) to keep group ids and PCA signs stable. ``clustering``: "polis" (Pol.is's
    two levels, modal group k-means pooled over base clusterings), "base" (two levels, one
    base clustering, lowest inertia), "refined" ("base" refined on the participants) or
    "direct" (k-means on the participants); see :func:`nlp.clustering.choose_groups`.
    ``resamples``: bootstrap resamples for the stability figures (default by size, see
    :func:`nlp.stability.resamples_for`; 0 turns them off). Never raises on degenerate data.
    """
    t0 = time.perf_counter()
    c0 = time.process_time()
    moderated = set(moderated_out)
    texts = {k: v for k, v in (statement_texts or {}).items() if k not in moderated}
    vm = build_matrix(participants, statements, values, moderated, extra_statements=list(texts))
    n_p, n_s = vm.matrix.shape
    prev_comps, prev_groups = _previous_parts(previous, vm.statement_ids)
    pres, centred = pca(vm, seed=seed, previous_components=prev_comps)
    pc = polis_projection_inputs(vm)
    xy = project(centred, pres.components, pc.seen, n_columns=pc.columns)
    thresh = min_votes_threshold(pc.columns, min_votes)
    in_conv = in_conversation(pc.raw, pc.columns, min_votes)
    clustered_idx = np.nonzero(in_conv)[0]
    grouping: Grouping = choose_groups(xy[clustered_idx], max_groups, seed, method=clustering)
    k = grouping.k
    labels = np.full(n_p, -1, dtype=np.int32)
    labels[clustered_idx] = grouping.labels
    gids = align_labels(grouping.labels, vm.participant_ids[clustered_idx], prev_groups)
    t_boot = time.perf_counter()
    boot = st.bootstrap_groups(
        xy[clustered_idx], grouping.labels, seed, resamples, max_groups=max_groups
    )
    boot_s = time.perf_counter() - t_boot

    # Counts per (group, statement), vectorised over votes.
    mat = vm.matrix
    # One pass: code = ((group + 1) * S + column) * 3 + (vote + 1); group -1 = not grouped.
    cols, vals = mat.indices, mat.data
    code = (labels[vm.rows].astype(np.int64) + 1) * n_s + cols
    code *= 3
    code += (vals + 1).astype(np.int64)
    n_g = max(k, 0) + 1
    cube = np.bincount(code, minlength=n_g * n_s * 3).reshape(n_g, n_s, 3)
    del code
    disagree_all, pass_all, agree_all = cube.sum(axis=0).T
    seen_all = agree_all + disagree_all + pass_all
    gd, gp, ga = (np.ascontiguousarray(cube[1:, :, j]) for j in range(3))
    gs = ga + gd + gp

    sid = vm.statement_ids.tolist()
    pid = vm.participant_ids.tolist()
    eligible = np.ones(n_s, dtype=bool)

    groups: list[Group] = []
    if k >= 1:
        stats = rp.rep_stats(ga, gd, gs)
        for g in range(k):
            g_stab = boot.groups[g] if k >= 2 and boot.resamples else None
            reps = []
            if k >= 2:
                for r in rp.select_representative(stats, g, gs[g], eligible, top=5, fdr=fdr):
                    c = r.column
                    cnt = ga if r.direction == "agree" else gd
                    mine = st.wilson(cnt[g, c], gs[g, c])
                    rest = st.wilson(cnt[:, c].sum() - cnt[g, c], gs[:, c].sum() - gs[g, c])
                    solid = (
                        r.significant
                        and (g_stab is None or g_stab.verdict == "solid")
                        and (float(mine[0]) > float(rest[1]) or float(rest[0]) > float(mine[1]))
                    )
                    reps.append(
                        RepStatement(
                            sid[c],
                            r.direction,
                            r.p,
                            r.ratio,
                            r.z,
                            r.z_rest,
                            r.significant,
                            Counts(int(ga[g, c]), int(gd[g, c]), int(gp[g, c])),
                            ci=(float(mine[0]), float(mine[1])),
                            rest_ci=(float(rest[0]), float(rest[1])),
                            verdict="solid" if solid else "fragile",
                        )
                    )
            members = vm.participant_ids[clustered_idx[grouping.labels == g]].tolist()
            groups.append(Group(int(gids[g]), members, reps, stability=g_stab))
        groups.sort(key=lambda gr: gr.id)

    # Consensus over everyone who voted, checked against every group.
    def consensus(cnt: np.ndarray, group_cnt: np.ndarray) -> list[Scored]:
        p = (cnt + 1.0) / (seen_all + 2.0)
        z = rp.prop_test(cnt, seen_all)
        if fdr is None:
            sig = z > rp.Z_90
        else:
            sig = rp.bh_reject(np.where(seen_all > 0, upper_tail(z), np.nan), fdr)
        ok = sig & (p > 0.5) & (seen_all > 0)
        if k >= 1:
            gp_ = (group_cnt + 1.0) / (gs + 2.0)
            ok &= np.all(gp_ > 0.5, axis=0)
            gmin = gp_.min(axis=0)
        else:
            gmin = p
        idx = np.nonzero(ok)[0]
        idx = idx[np.lexsort((idx, -np.round(p[idx], 12)))][:5]
        # Intervals of the raw shares the summary quotes: overall, and the lowest group's.
        lo_all, hi_all = st.wilson(cnt, seen_all)
        out = []
        for i in idx:
            iv = {"ci": (float(lo_all[i]), float(hi_all[i]))}
            solid = lo_all[i] > 0.5
            if k >= 1:
                glo, ghi = st.wilson(group_cnt[:, i], gs[:, i])
                raw = np.divide(group_cnt[:, i], gs[:, i], out=np.ones(k), where=gs[:, i] > 0)
                j = int(np.argmin(raw))
                iv["min_group_ci"] = (float(glo[j]), float(ghi[j]))
                solid = solid and bool(np.all(glo > 0.5))
            extra = {"z": float(z[i]), "min_group_p": float(gmin[i])}
            out.append(Scored(sid[i], float(p[i]), extra, iv, "solid" if solid else "fragile"))
        return out

    cons_a = consensus(agree_all, ga) if n_s else []
    cons_d = consensus(disagree_all, gd) if n_s else []

    if k >= 1:
        gic = rp.group_informed_consensus(ga, gs)
        gid_ = rp.group_informed_consensus(gd, gs)
    else:
        gic = rp.group_informed_consensus(agree_all[None, :], seen_all[None, :])
        gid_ = rp.group_informed_consensus(disagree_all[None, :], seen_all[None, :])

    divisive: list[Scored] = []
    if k >= 2:
        gpa = (ga + 1.0) / (gs + 2.0)
        score = gpa.max(axis=0) - gpa.min(axis=0)
        ok = (gs.min(axis=0) >= 2) & (score >= 0.25)
        idx = np.nonzero(ok)[0]
        idx = idx[np.lexsort((idx, -np.round(score[idx], 12)))][:10]
        divisive = []
        for i in idx:
            raw = np.divide(ga[:, i], gs[:, i], out=np.zeros(k), where=gs[:, i] > 0)
            hi_g, lo_g = int(np.argmax(raw)), int(np.argmin(raw))
            top = st.wilson(ga[hi_g, i], gs[hi_g, i])
            low = st.wilson(ga[lo_g, i], gs[lo_g, i])
            solid = float(top[0]) > float(low[1])
            divisive.append(
                Scored(
                    sid[i],
                    float(score[i]),
                    {"max_group_p": float(gpa[:, i].max()), "min_group_p": float(gpa[:, i].min())},
                    {
                        "max_group_ci": (float(top[0]), float(top[1])),
                        "min_group_ci": (float(low[0]), float(low[1])),
                    },
                    "solid" if solid else "fragile",
                )
            )

    share = np.divide(pass_all, seen_all, out=np.zeros(n_s), where=seen_all > 0)
    ok = (seen_all >= 5) & (share >= 0.3)
    idx = np.nonzero(ok)[0]
    idx = idx[np.lexsort((idx, -np.round(share[idx], 12)))][:10]
    uncertain = [Scored(sid[i], float(share[i]), {"seen": float(seen_all[i])}) for i in idx]

    extremity = np.sqrt(max(n_s, 1)) * np.linalg.norm(pres.components, axis=0)
    meta = set(is_meta)
    meta_mask = np.array([s in meta for s in sid], dtype=bool) if meta else None
    prio = rp.priority(agree_all, pass_all, seen_all, extremity, meta_mask)

    counts = {
        sid[i]: Counts(int(agree_all[i]), int(disagree_all[i]), int(pass_all[i]))
        for i in range(n_s)
    }
    order_g = [(int(gids[g]), g) for g in range(k)]
    order_g.sort()
    group_counts = {
        sid[i]: {gi: Counts(int(ga[g, i]), int(gd[g, i]), int(gp[g, i])) for gi, g in order_g}
        for i in range(n_s)
    }
    projection = dict(zip(pid, map(tuple, xy.tolist()), strict=True))

    result = AnalysisResult(
        participants=int(n_p),
        statements=int(n_s),
        votes=int(mat.nnz),
        clustered=int(clustered_idx.size),
        k=int(k),
        groups=groups,
        consensus_agree=cons_a,
        consensus_disagree=cons_d,
        group_informed_consensus={sid[i]: float(gic[i]) for i in range(n_s)},
        group_informed_disagreement={sid[i]: float(gid_[i]) for i in range(n_s)},
        divisive=divisive,
        uncertain=uncertain,
        priority={sid[i]: float(prio[i]) for i in range(n_s)},
        counts=counts,
        group_counts=group_counts,
        projection=projection,
        pca_statements=sid,
        pca_center=[float(x) for x in pres.center],
        pca_components=[[float(x) for x in row] for row in pres.components],
        pca_explained_variance=[float(x) for x in pres.explained_variance],
        silhouette=dict(grouping.silhouette),
        params={
            "seed": seed,
            "max_groups": max_groups,
            "fdr": fdr,
            "min_votes": thresh,
            "clustering": clustering,
        },
        vote_events=vm.events,
        stability=_stability(boot, k),
    )
    if texts:
        row_of_id = {int(gids[g]): g for g in range(k)}
        result = _describe(result, texts, ga, gs, sid, row_of_id)
    timings = {
        "analyze_s": time.perf_counter() - t0,
        "analyze_cpu_s": time.process_time() - c0,  # all threads; honest on a busy machine
        "bootstrap_s": boot_s,
    }
    return replace(result, timings=timings)


def _stability(boot: st.BootstrapResult, k: int) -> Stability | None:
    if k < 2 or not boot.resamples:
        return None
    solid = boot.k_share >= st.SOLID_K_SHARE and all(g.verdict == "solid" for g in boot.groups)
    return Stability(
        boot.resamples, boot.drawn, boot.k_counts, boot.k_share, "solid" if solid else "fragile"
    )


def _describe(
    result: AnalysisResult,
    texts: Mapping[Hashable, str],
    ga: np.ndarray,
    gs: np.ndarray,
    sid: list[Any],
    row_of_id: Mapping[int, int],
) -> AnalysisResult:
    """Add group keywords, topics and the traceable summary (needs the segmenter)."""
    all_ids = [s for s in sid if s in texts]
    background = [texts[s] for s in all_ids]
    groups = []
    if result.k >= 2:
        stats = rp.rep_stats(ga, ga * 0, gs)
        col = {s: i for i, s in enumerate(sid)}
        for g in result.groups:
            # Statements this group agrees with more than the rest does, best first.
            gi = row_of_id[g.id]
            lift = stats.pa[gi] - (stats.pa[gi] / np.maximum(stats.ra[gi], 1e-12))
            cand = [
                s
                for s in all_ids
                if gs[gi, col[s]] > 0 and stats.pa[gi, col[s]] > 0.5 and lift[col[s]] > 0
            ]
            cand.sort(key=lambda s: (-round(float(lift[col[s]]), 12), str(s)))
            chosen = [texts[s] for s in cand[:15]] or [
                texts[r.statement] for r in g.representative if r.statement in texts
            ]
            words = [k.term for k in kw.tfidf_keywords(chosen, background, top=6)]
            groups.append(replace(g, keywords=words))
    else:
        groups = list(result.groups)
    topics = [
        Topic(
            t.keywords,
            [all_ids[i] for i in t.members],
            all_ids[t.central] if t.central is not None else None,
            t.other,
        )
        for t in tp.topics(background)
    ]
    result = replace(result, groups=groups, topics=topics)
    return replace(result, summary=sm.summarize(result, texts))
