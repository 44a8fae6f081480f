"""Near-duplicate detection for new statements (duplicate warning, flood detection).

Features of a text: its normalised word tokens plus character bigrams of its CJK runs
(robust to segmentation differences: 計程車司機 and 計程車的司機 share most bigrams). Vectors
are TF-IDF weighted (idf from the corpus), L2-normalised; score = cosine similarity in [0, 1].
A corpus index is cached (keyed by the corpus contents), so repeated calls against the same
few thousand statements cost one sparse matrix-vector product each.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nlp.segment import normalize, tokens

__all__ = ["Match", "SimilarityIndex", "features", "near_duplicates"]

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")


@dataclass(frozen=True)
class Match:
    """A corpus item similar to the query: its position in the corpus and cosine score."""

    index: int
    score: float


def features(text: str) -> list[str]:
    """Word tokens plus ``#``-prefixed CJK character bigrams of the normalised text."""
    feats = list(tokens(text))
    for run in _CJK_RUN.findall(normalize(text)):
        feats.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return feats


class SimilarityIndex:
    """TF-IDF index over a fixed corpus. Build once, :meth:`query` many times."""

    def __init__(self, corpus: Sequence[str]) -> None:
        docs = [Counter(features(t)) for t in corpus]
        vocab: dict[str, int] = {}
        for d in docs:
            for f in d:
                vocab.setdefault(f, len(vocab))
        n = len(docs)
        df = np.zeros(len(vocab))
        rows, cols, vals = [], [], []
        for i, d in enumerate(docs):
            for f, c in d.items():
                j = vocab[f]
                df[j] += 1
                rows.append(i)
                cols.append(j)
                vals.append(1.0 + math.log(c))
        self.vocab = vocab
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        m = sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)))
        m = m.multiply(self.idf[None, :]).tocsr() if n else m
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self.matrix = sp.diags(inv) @ m if n else m
        self.size = n

    def query(self, text: str, top: int = 5, threshold: float = 0.5) -> list[Match]:
        """Up to ``top`` corpus items with cosine ≥ ``threshold``, best first (ties by index)."""
        if self.size == 0:
            return []
        q = Counter(features(text))
        idx = [(self.vocab[f], 1.0 + math.log(c)) for f, c in q.items() if f in self.vocab]
        if not idx:
            return []
        # Norm over all query features (unknown ones too): a long text sharing one word with a
        # short one must not score 1.
        unknown_idf = math.log(1.0 + self.size) + 1.0
        norm_sq = sum(
            ((1.0 + math.log(c)) * (self.idf[self.vocab[f]] if f in self.vocab else unknown_idf))
            ** 2
            for f, c in q.items()
        )
        vec = np.zeros(len(self.vocab))
        for j, w in idx:
            vec[j] = w * self.idf[j]
        scores = self.matrix @ vec / math.sqrt(norm_sq)
        cand = np.nonzero(scores >= threshold - 1e-12)[0]
        if cand.size == 0:
            return []
        order = cand[np.lexsort((cand, -np.round(scores[cand], 12)))][:top]
        return [Match(int(i), round(float(min(scores[i], 1.0)), 6)) for i in order]


_CACHE: OrderedDict[int, tuple[tuple[str, ...], SimilarityIndex]] = OrderedDict()
_CACHE_SIZE = 8


def _index_for(corpus: Sequence[str]) -> SimilarityIndex:
    key_t = tuple(corpus)
    key = hash(key_t)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == key_t:
        _CACHE.move_to_end(key)
        return hit[1]
    index = SimilarityIndex(key_t)
    _CACHE[key] = (key_t, index)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return index


def near_duplicates(
    text: str, corpus: Sequence[str], top: int = 5, threshold: float = 0.5
) -> list[Match]:
    """The ``top`` items of ``corpus`` most similar to ``text`` with score ≥ ``threshold``.

    Scores are cosine similarities of TF-IDF vectors (1.0 = same content after
    normalisation). The corpus index is cached, so a few thousand statements are indexed once
    (about a second the first time, jieba included) and each later query takes milliseconds.
    """
    if not text.strip() or not corpus:
        return []
    return _index_for(corpus).query(text, top=top, threshold=threshold)
