"""Pol.is statistics over vote counts: representativeness, consensus, divisiveness, priority.

Everything here works on count arrays, vectorised over statements (and groups):

* ``agree``, ``disagree``, ``seen`` of shape (n_groups, n_statements) — votes of each group's
  members on each statement ("seen" counts agree + disagree + pass);
* the "rest" of a group is every other clustered participant.

The statistics follow the method published with Pol.is (Small et al., 2021, and the Pol.is
math documentation): Laplace-smoothed proportions, a one-proportion z-test against 1/2, a
two-proportion z-test of the group against the rest, both with pseudo-counts, significance at
z > 1.2816 (one-sided 90 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlp.assignment import upper_tail

__all__ = [
    "Z_90",
    "RepStats",
    "prop_test",
    "two_prop_test",
    "rep_stats",
    "Representative",
    "select_representative",
    "group_informed_consensus",
    "priority",
    "bh_reject",
]

Z_90 = 1.2816  # one-sided 90 % critical value used by Pol.is


def prop_test(successes: np.ndarray, n: np.ndarray) -> np.ndarray:
    """One-proportion z-score of ``successes / n`` against 1/2, with a +1 pseudo-count.

    z = 2·sqrt(n+1)·((s+1)/(n+1) − 1/2). Arrays broadcast; returns float64 of their shape.
    Why the pseudo-count: a group of 2 that agreed 2/2 must not look certain.
    """
    s = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64) + 1.0
    return 2.0 * np.sqrt(m) * ((s + 1.0) / m - 0.5)


def two_prop_test(
    succ_in: np.ndarray, n_in: np.ndarray, succ_out: np.ndarray, n_out: np.ndarray
) -> np.ndarray:
    """Two-proportion z-score of the group (in) against the rest (out), +1 pseudo-counts.

    Pooled-variance test on (s+1)/(n+1). Returns 0 where the pooled variance is 0.
    """
    s1 = np.asarray(succ_in, dtype=np.float64) + 1.0
    n1 = np.asarray(n_in, dtype=np.float64) + 1.0
    s2 = np.asarray(succ_out, dtype=np.float64) + 1.0
    n2 = np.asarray(n_out, dtype=np.float64) + 1.0
    p1 = s1 / n1
    p2 = s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (p1 - p2) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    return z


@dataclass(frozen=True)
class RepStats:
    """Per (group, statement) statistics, each of shape (n_groups, n_statements).

    ``pa``/``pd``: smoothed agree/disagree probability in the group, (n+1)/(seen+2).
    ``ra``/``rd``: ratio of that probability to the same probability in the rest.
    ``pat``/``pdt``: one-proportion z; ``rat``/``rdt``: group-vs-rest two-proportion z.
    """

    pa: np.ndarray
    pd: np.ndarray
    ra: np.ndarray
    rd: np.ndarray
    pat: np.ndarray
    pdt: np.ndarray
    rat: np.ndarray
    rdt: np.ndarray


def rep_stats(agree: np.ndarray, disagree: np.ndarray, seen: np.ndarray) -> RepStats:
    """Compute :class:`RepStats` from per-group counts of shape (n_groups, n_statements)."""
    a = np.asarray(agree, dtype=np.float64)
    d = np.asarray(disagree, dtype=np.float64)
    s = np.asarray(seen, dtype=np.float64)
    a_rest = a.sum(axis=0, keepdims=True) - a
    d_rest = d.sum(axis=0, keepdims=True) - d
    s_rest = s.sum(axis=0, keepdims=True) - s
    pa = (a + 1.0) / (s + 2.0)
    pd = (d + 1.0) / (s + 2.0)
    pa_rest = (a_rest + 1.0) / (s_rest + 2.0)
    pd_rest = (d_rest + 1.0) / (s_rest + 2.0)
    return RepStats(
        pa=pa,
        pd=pd,
        ra=pa / pa_rest,
        rd=pd / pd_rest,
        pat=prop_test(a, s),
        pdt=prop_test(d, s),
        rat=two_prop_test(a, s, a_rest, s_rest),
        rdt=two_prop_test(d, s, d_rest, s_rest),
    )


def bh_reject(pvalues: np.ndarray, q: float) -> np.ndarray:
    """Benjamini–Hochberg step-up: boolean mask of rejected hypotheses at FDR ``q``.

    ``pvalues`` is 1-D; NaNs are never rejected.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.zeros(p.shape, dtype=bool)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    thresh = q * np.arange(1, m + 1) / m
    passed = pv[order] <= thresh
    if passed.any():
        last = int(np.nonzero(passed)[0].max())
        rej = np.zeros(m, dtype=bool)
        rej[order[: last + 1]] = True
        out[np.nonzero(ok)[0]] = rej
    return out


@dataclass(frozen=True)
class Representative:
    """One representative statement of a group (index into the statement axis)."""

    column: int
    direction: str  # "agree" | "disagree"
    p: float
    ratio: float
    z: float  # one-proportion z
    z_rest: float  # group-vs-rest z
    significant: bool


def select_representative(
    stats: RepStats,
    group: int,
    seen: np.ndarray,
    eligible: np.ndarray,
    top: int = 5,
    fdr: float | None = 0.1,
) -> list[Representative]:
    """Pick up to ``top`` representative statements for row ``group`` of ``stats``.

    Direction per statement: agree when the agree ratio z (rat) beats the disagree one.
    Significance:

    * ``fdr=None`` — the Pol.is rule: both z-scores of the chosen direction > 1.2816;
    * ``fdr=q`` (default 0.1) — Benjamini–Hochberg over the group's eligible statements on the
      one-sided p-value max(p_prop, p_rest) of the chosen direction (intersection–union test,
      valid because both tests must pass). Why default: a conversation with hundreds of
      statements tests hundreds of hypotheses per group, and a fixed 10 % per-test level then
      labels many statements "representative" by chance; BH keeps the expected share of false
      ones at 10 % and gives the same answers when the evidence is strong.

    Significant statements are ranked by the Pol.is metric ratio·z_rest·p·z and agree ones come
    first; if none is significant the single best statement is returned with
    ``significant=False`` so that every group can be described (and flagged as weak).
    ``seen`` (n_statements,) is the group's seen count; statements the group never saw and
    non-eligible (moderated/unseen) ones are skipped.
    """
    pa, pd_ = stats.pa[group], stats.pd[group]
    is_agree = stats.rat[group] >= stats.rdt[group]
    p = np.where(is_agree, pa, pd_)
    ratio = np.where(is_agree, stats.ra[group], stats.rd[group])
    z = np.where(is_agree, stats.pat[group], stats.pdt[group])
    zr = np.where(is_agree, stats.rat[group], stats.rdt[group])
    ok = eligible & (seen > 0)
    if fdr is None:
        sig = (z > Z_90) & (zr > Z_90) & ok
    else:
        pval = np.maximum(upper_tail(z), upper_tail(zr))
        pval = np.where(ok, pval, np.nan)
        sig = bh_reject(pval, fdr) & ok
    metric = ratio * zr * p * z
    cols = np.nonzero(sig)[0]
    significant = True
    if cols.size == 0:
        cand = np.nonzero(ok)[0]
        if cand.size == 0:
            return []
        cols = cand[[int(np.argmax(metric[cand]))]]
        significant = False
    # The best ``top`` by metric (ties by column, for determinism), then agree ones first.
    best = cols[np.lexsort((cols, -metric[cols]))][:top]
    picked = best[np.lexsort((best, -metric[best], ~is_agree[best]))]
    return [
        Representative(
            column=int(c),
            direction="agree" if is_agree[c] else "disagree",
            p=float(p[c]),
            ratio=float(ratio[c]),
            z=float(z[c]),
            z_rest=float(zr[c]),
            significant=significant,
        )
        for c in picked
    ]


def group_informed_consensus(agree: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Product over groups of (agree+1)/(seen+2); shape (n_statements,).

    High only when every group tends to agree: one dissenting group pulls it down. Pass the
    disagree counts to get the disagreement counterpart.
    """
    a = np.asarray(agree, dtype=np.float64)
    s = np.asarray(seen, dtype=np.float64)
    if a.shape[0] == 0:
        return np.zeros(a.shape[1] if a.ndim == 2 else 0)
    return np.prod((a + 1.0) / (s + 2.0), axis=0)


def priority(
    agree: np.ndarray,
    passes: np.ndarray,
    seen: np.ndarray,
    extremity: np.ndarray,
    is_meta: np.ndarray | None = None,
    meta_priority: float = 7.0,
) -> np.ndarray:
    """Pol.is routing priority per statement, shape (n_statements,).

    importance = (1 − p)·(E + 1)·a with p = (P+1)/(S+2) the smoothed pass share and
    a = (A+1)/(S+2) the smoothed agree share; E the statement's extremity in the opinion
    space. priority = (importance · (1 + 8·2^(−S/5)))²: new statements (small S) are boosted so
    that they get votes quickly, statements that split the room (large E) and are not passed
    are shown more. Meta statements get ``meta_priority``². The next card is drawn with
    probability proportional to priority.
    """
    a_ = np.asarray(agree, dtype=np.float64)
    p_ = np.asarray(passes, dtype=np.float64)
    s_ = np.asarray(seen, dtype=np.float64)
    e_ = np.asarray(extremity, dtype=np.float64)
    p = (p_ + 1.0) / (s_ + 2.0)
    a = (a_ + 1.0) / (s_ + 2.0)
    importance = (1.0 - p) * (e_ + 1.0) * a
    out = (importance * (1.0 + 8.0 * np.power(2.0, -s_ / 5.0))) ** 2
    if is_meta is not None:
        out = np.where(np.asarray(is_meta, dtype=bool), meta_priority**2, out)
    return out
