"""Topics read through statements: what the discussion talks about, named by a statement.

1. **Vectors.** Each statement's normalised word tokens plus character bigrams of its CJK
   runs (:func:`nlp.similar.features`: robust to segmentation, 長照服務 and 長照的服務 share
   most bigrams), TF-IDF weighted (sublinear, terms in at least 2 statements), L2-normalised,
   reduced by LSA (truncated SVD, seeded ARPACK) to at most 30 dimensions and normalised
   again. numpy and scipy only: importing scikit-learn would cost the command about 1 s.
2. **Groups.** k-means (own, greedy k-means++, 30 starts) for k = 2..round(sqrt(n / 2))
   (Mardia's rule of thumb as the upper bound: the cosine silhouette alone keeps rising with
   k on short texts and over-splits), k by the cosine silhouette.
3. **Membership by similarity.** A statement belongs to the topic whose statements it is
   most like on average (mean cosine to the topic's other members); topics smaller than
   max(3, 3 % of n) are dissolved into their members' nearest topics; a statement whose best
   mean similarity is under ``OTHER_BELOW`` goes to "other". Repeated until nothing moves.
4. **Names.** The topic's most central statement (highest mean similarity to the other
   members) and 3–5 key phrases: content words and runs of adjacent words that occur together
   in at least two of its statements (a run replaces its words when it carries most of their
   occurrences), ranked by TF-IDF against the whole discussion.

Measured on 153 statements we wrote across 9 policy themes (tests/nlp/data, bench/
topics_eval.py): see nlp/README.md. Deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from nlp.keywords import _NOT_KEYWORDS, _is_cjk
from nlp.segment import HMM, is_stopword, normalize, tokenizer
from nlp.similar import features

__all__ = ["TopicGroup", "topics", "key_phrases", "OTHER_BELOW"]

OTHER_BELOW = 0.1  # mean cosine to a topic's statements under which a statement is "other"
MAX_DIMS = 30
TOPIC_INITS = 30  # k-means starts per k: topic quality varies with the start (see README)
TOPIC_INIT_BUDGET = 6_000  # statements × starts per k: big conversations get fewer starts


@dataclass(frozen=True)
class TopicGroup:
    """One topic: indices of its statements (into the input texts), its key phrases, the
    index of its most central statement, and whether it is the "other" bin."""

    keywords: list[str]
    members: list[int]
    central: int | None = None
    other: bool = False
    cohesion: float = 0.0
    similarity: list[float] = field(default_factory=list)


def _ident(x: list[str]) -> list[str]:
    return x


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str | None, ...]:
    """Normalised words in order; ``None`` where a stopword, punctuation or number breaks
    a phrase."""
    out: list[str | None] = []
    for piece in tokenizer().cut(normalize(text), HMM=HMM):
        t = piece.strip()
        if not t:
            continue
        out.append(None if is_stopword(t) or t in _NOT_KEYWORDS else t)
    return tuple(out)


def _good(term: str) -> bool:
    if len(term) == 1 and (_is_cjk(term) or term.isascii()):
        return False
    return not (term.isascii() and len(term) <= 2)


def _join(a: str, b: str) -> str:
    return f"{a} {b}" if a[-1:].isascii() and b[:1].isascii() else a + b


def key_phrases(
    members: Sequence[str], background: Sequence[str], top: int = 5, least: int = 3
) -> list[str]:
    """Up to ``top`` key phrases of ``members`` against ``background`` (the discussion).

    Candidates: content words, and runs of two adjacent content words that occur together in
    at least two member statements; a run replaces a word when it carries at least half of
    that word's occurrences in the members ("words that belong together"). Score: the share
    s of member statements using the term times log(s / its share in the discussion), so
    words every topic uses ("很多", "提高") score about 0; candidates in only one statement
    are left out when the topic has four or more statements.
    """
    docs = [_words(t) for t in members]
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    parts: dict[str, tuple[str, str]] = {}
    for d in docs:
        seen: set[str] = set()
        for i, w in enumerate(d):
            if w is None:
                continue
            if _good(w):
                uni[w] += 1
                seen.add(w)
            nxt = d[i + 1] if i + 1 < len(d) else None
            if nxt is not None and (_good(w) or _good(nxt)):
                ph = _join(w, nxt)
                bi[ph] += 1
                parts[ph] = (w, nxt)
                seen.add(ph)
        spread.update(seen)
    need = 2 if len(docs) >= 4 else 1
    cands: dict[str, int] = {w: c for w, c in uni.items() if spread[w] >= need}
    for ph, c in bi.items():
        if spread[ph] < 2:
            continue
        a, b = parts[ph]
        cands[ph] = c
        for w in (a, b):
            if w in cands and c >= 0.5 * uni.get(w, c):
                cands.pop(w, None)
    if not cands:
        return []
    bg = ["".join(x for x in _words(t) if x) for t in background]
    n = len(bg)
    m = len(docs)
    scored = []
    for term, _f in cands.items():
        needle = term.replace(" ", "")
        df = sum(1 for doc in bg if needle in doc)
        # Share of the topic's statements using the term, times how much more often they
        # use it than the discussion does (a term of every topic scores about 0).
        inside = spread[term] / m
        outside = (df + 1) / (n + 1)
        scored.append((inside * math.log(max(inside / outside, 1.0)), term))
    scored.sort(key=lambda x: (-round(x[0], 9), x[1]))
    out = [t for _, t in scored[:top]]
    return out if len(out) >= least or len(scored) <= least else out[:top]


def _vectors(texts: Sequence[str], seed: int) -> np.ndarray | None:
    """(n, d) unit vectors: sublinear TF-IDF (smoothed idf, terms in >= 2 texts when there are
    20 or more) reduced by a truncated SVD (seeded ARPACK) to at most ``MAX_DIMS``."""
    import scipy.sparse as sp  # noqa: PLC0415
    from scipy.sparse.linalg import svds  # noqa: PLC0415

    docs = [Counter(features(t)) for t in texts]
    n = len(docs)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    min_df = 2 if n >= 20 else 1
    vocab = {t: j for j, t in enumerate(sorted(t for t, c in df.items() if c >= min_df))}
    if not vocab:
        return None
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        for t, c in d.items():
            j = vocab.get(t)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append((1.0 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1.0))
    x = sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x
    dims = min(MAX_DIMS, x.shape[1] - 1, n - 1)
    if dims >= 2:
        v0 = np.random.default_rng(seed).standard_normal(min(x.shape))
        u, sv, _ = svds(x, k=dims, v0=v0, solver="arpack")
        z = u * sv
    else:
        z = x.toarray()
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def topics(texts: Sequence[str], seed: int = 0, max_topics: int = 12) -> list[TopicGroup]:
    """Topics of ``texts`` (n,): named topics by decreasing size, then "other" if any.

    Fewer than 6 usable texts give a single topic (clustering would be noise).
    """
    from nlp.clustering import kmeans  # noqa: PLC0415

    usable = [i for i, t in enumerate(texts) if any(_good(w) for w in _words(t) if w)]
    if not usable:
        return []
    texts_u = [texts[i] for i in usable]
    n = len(usable)
    z = _vectors(texts_u, seed) if n >= 6 else None
    if z is None:
        return [_named(list(range(n)), usable, texts_u, texts, np.ones((n, n)))]
    sim = z @ z.T
    k_hi = min(max_topics, max(2, round(math.sqrt(n / 2))), n // 3)
    distinct = np.unique(np.round(z, 9), axis=0).shape[0]
    best = (-np.inf, np.zeros(n, dtype=int))
    # 30 starts up to 200 statements, then fewer (783 statements: 7), at least 5: the
    # starts matter most for short lists, and each costs O(n) (the 2 M-vote benchmark's
    # topics took 0.86 s CPU with 30)
    starts = max(5, min(TOPIC_INITS, TOPIC_INIT_BUDGET // max(n, 1)))
    for k in range(2, min(k_hi, distinct) + 1):
        lab = kmeans(z, k, seed, n_init=starts)[0]
        if np.unique(lab).size < 2:
            continue
        s = round(_cos_silhouette(sim, lab), 12)
        if s > best[0]:
            best = (s, lab)
    labels = _by_similarity(sim, best[1].astype(int), max(3, math.ceil(0.03 * n)))
    out = [
        _named(list(np.nonzero(labels == t)[0]), usable, texts_u, texts, sim)
        for t in np.unique(labels[labels >= 0])
    ]
    out.sort(key=lambda t: (-len(t.members), t.members[0]))
    rest = np.nonzero(labels < 0)[0]
    if rest.size:
        out.append(TopicGroup([], [usable[i] for i in rest], None, True))
    return out


def _cos_silhouette(sim: np.ndarray, labels: np.ndarray) -> float:
    from nlp.clustering import _silhouette_dist  # noqa: PLC0415

    return _silhouette_dist(np.clip(1.0 - sim, 0.0, 2.0), labels)


def _by_similarity(sim: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Reassign every statement to the topic it is most like (mean cosine to its other
    members); dissolve topics under ``min_size``; "other" (-1) under ``OTHER_BELOW``."""
    n = sim.shape[0]
    s = sim.copy()
    np.fill_diagonal(s, 0.0)
    for _ in range(20):
        ids = [t for t in np.unique(labels) if t >= 0 and (labels == t).sum() >= min_size]
        if not ids:
            return np.full(n, -1)
        cols = []
        for t in ids:
            mem = labels == t
            cnt = mem.sum() - mem.astype(float)  # leave the statement itself out
            cols.append(np.divide(s[:, mem].sum(axis=1), cnt, out=np.zeros(n), where=cnt > 0))
        mean_sim = np.stack(cols, axis=1)
        new = np.asarray(ids)[np.argmax(mean_sim, axis=1)]
        new[mean_sim.max(axis=1) < OTHER_BELOW] = -1
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _named(
    local: list[int],
    usable: list[int],
    texts_u: Sequence[str],
    texts: Sequence[str],
    sim: np.ndarray,
) -> TopicGroup:
    mem = np.asarray(local, dtype=int)
    if mem.size > 1:
        sub = sim[np.ix_(mem, mem)]
        centrality = (sub.sum(axis=1) - np.diag(sub)) / (mem.size - 1)
    else:
        centrality = np.ones(1)
    order = np.lexsort((mem, -np.round(centrality, 9)))
    central = int(mem[order[0]])
    phrases = key_phrases([texts_u[i] for i in mem], texts)
    return TopicGroup(
        phrases,
        [usable[i] for i in mem],
        usable[central],
        False,
        float(centrality.mean()),
        [float(c) for c in centrality],
    )
