"""Keywords for a set of texts: TF-IDF against a background, and TextRank.

Both work on :func:`nlp.segment.tokens` (normalised, stopwords removed) and return
:class:`Keyword` (term, score) lists sorted by decreasing score, ties by term, so the output is
deterministic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.segment import tokens

__all__ = ["Keyword", "tfidf_keywords", "textrank_keywords", "content_tokens"]


@dataclass(frozen=True)
class Keyword:
    """A term and its score (higher is more characteristic)."""

    term: str
    score: float


# Negated modals are kept as tokens (they matter for similarity) but make poor labels.
_NOT_KEYWORDS = frozenset(
    {"不應該", "不會", "不能", "不要", "不用", "不是", "不可", "不可以", "不需要", "沒有", "不"}
)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def content_tokens(text: str) -> list[str]:
    """Tokens worth showing as keywords: no single CJK characters, no 1-2 letter Latin words.

    Why: single characters (要, 能, 車…) are rarely meaningful labels on their own.
    """
    out = []
    for t in tokens(text):
        if t in _NOT_KEYWORDS:
            continue
        if len(t) == 1 and (_is_cjk(t) or t.isascii()):
            continue
        if t.isascii() and len(t) <= 2:
            continue
        out.append(t)
    return out


def tfidf_keywords(
    texts: Sequence[str], background: Sequence[str] | None = None, top: int = 10
) -> list[Keyword]:
    """Terms frequent in ``texts`` but not everywhere in ``background`` (the discussion).

    score(term) = tf(term in texts, sublinear) · idf(term over background documents), with
    idf = ln((1 + N) / (1 + df)) + 1 (smoothed, so unseen terms are not infinite). When
    ``background`` is None the texts themselves are the background. Returns at most ``top``.
    """
    docs = [content_tokens(t) for t in texts]
    bg_docs = docs if background is None else [content_tokens(t) for t in background]
    n = len(bg_docs)
    df: Counter[str] = Counter()
    for d in bg_docs:
        df.update(set(d))
    tf: Counter[str] = Counter()
    for d in docs:
        tf.update(d)
    scored = []
    for term, f in tf.items():
        idf = math.log((1 + n) / (1 + df.get(term, 0))) + 1.0
        # Terms in only one of the chosen texts are weak evidence for a whole set.
        spread = sum(1 for d in docs if term in d)
        if len(docs) >= 4 and spread < 2:
            continue
        scored.append(Keyword(term, round((1.0 + math.log(f)) * idf, 6)))
    scored.sort(key=lambda k: (-k.score, k.term))
    return scored[:top]


def textrank_keywords(
    texts: Sequence[str], top: int = 10, window: int = 4, damping: float = 0.85
) -> list[Keyword]:
    """TextRank (Mihalcea & Tarau, 2004): PageRank over a co-occurrence graph of tokens.

    Two tokens are linked when they occur within ``window`` tokens of each other in one text;
    edge weight = number of co-occurrences. Power iteration to 1e-8 (at most 100 steps).
    """
    docs = [content_tokens(t) for t in texts]
    vocab = sorted({t for d in docs for t in d})
    if not vocab:
        return []
    idx = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    w = np.zeros((n, n))
    for d in docs:
        ids = [idx[t] for t in d]
        for i, a in enumerate(ids):
            for b in ids[i + 1 : i + window]:
                if a != b:
                    w[a, b] += 1.0
                    w[b, a] += 1.0
    out_w = w.sum(axis=1)
    trans = np.divide(w, out_w[:, None], out=np.zeros_like(w), where=out_w[:, None] > 0)
    r = np.full(n, 1.0 / n)
    for _ in range(100):
        nxt = (1 - damping) / n + damping * (trans.T @ r)
        if np.abs(nxt - r).sum() < 1e-8:
            r = nxt
            break
        r = nxt
    ranked = sorted(
        (Keyword(vocab[i], round(float(r[i]), 6)) for i in range(n)),
        key=lambda k: (-k.score, k.term),
    )
    return ranked[:top]
