"""Topics: group statements by content and label each group with its keywords.

TF-IDF over jieba tokens (sublinear tf, L2-normalised) → LSA (truncated SVD to at most 50
dimensions, seeded) → k-means on the normalised LSA vectors with k chosen by the cosine
silhouette over 2..min(12, n/3); a topic's label is the TF-IDF keywords of its statements
against the whole discussion. Deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.keywords import content_tokens, tfidf_keywords
from nlp.opinion import kmeans, silhouette

__all__ = ["TopicGroup", "topics"]


@dataclass(frozen=True)
class TopicGroup:
    """Indices (into the input texts) of one topic and its keywords."""

    keywords: list[str]
    members: list[int]


def _ident(x: list[str]) -> list[str]:
    return x


def topics(texts: Sequence[str], seed: int = 0, max_topics: int = 12) -> list[TopicGroup]:
    """Cluster ``texts`` (n,) into topics; returns topics sorted by size (largest first).

    Fewer than 6 usable texts give a single topic (clustering would be noise).
    """
    from sklearn.decomposition import TruncatedSVD  # noqa: PLC0415
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.preprocessing import normalize as l2  # noqa: PLC0415

    docs = [content_tokens(t) for t in texts]
    usable = [i for i, d in enumerate(docs) if d]
    if not usable:
        return []
    if len(usable) < 6:
        words = [k.term for k in tfidf_keywords([texts[i] for i in usable], texts, top=5)]
        return [TopicGroup(words, usable)]
    vec = TfidfVectorizer(analyzer=_ident, sublinear_tf=True, min_df=2 if len(usable) >= 20 else 1)
    try:
        x = vec.fit_transform([docs[i] for i in usable])
    except ValueError:  # empty vocabulary after min_df
        vec = TfidfVectorizer(analyzer=_ident, sublinear_tf=True)
        x = vec.fit_transform([docs[i] for i in usable])
    n = x.shape[0]
    dims = min(50, x.shape[1] - 1, n - 1)
    if dims >= 2:
        z = TruncatedSVD(n_components=dims, random_state=seed, algorithm="arpack").fit_transform(x)
        z = l2(z)
    else:
        z = l2(x.toarray())
    best = (-np.inf, 1, np.zeros(n, dtype=int))
    distinct = np.unique(np.round(z, 9), axis=0).shape[0]
    for k in range(2, min(max_topics, n // 3, distinct) + 1):
        lab = kmeans(z, k, seed)[0]
        if np.unique(lab).size < 2:
            continue
        # Euclidean silhouette on unit vectors ranks like the cosine one.
        s = round(silhouette(z, lab, seed), 12)
        if s > best[0]:
            best = (s, k, lab)
    labels = best[2]
    out = []
    for c in np.unique(labels):
        mem = [usable[i] for i in np.nonzero(labels == c)[0]]
        words = [k.term for k in tfidf_keywords([texts[i] for i in mem], texts, top=5)]
        out.append(TopicGroup(words, mem))
    out.sort(key=lambda t: (-len(t.members), t.members[0]))
    return out
