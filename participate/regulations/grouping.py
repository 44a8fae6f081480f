"""Groups of near-duplicate comments, offered to staff when they collate the response
table: comments on the same article that say nearly the same thing can be answered in
one row (campaigns often send hundreds of copies of one text).

Similarity is :func:`nlp.similar.near_duplicates` (TF-IDF cosine of words and CJK
character bigrams); two comments at or above the threshold are linked and a group is a
connected set of links (single linkage). Only a suggestion: staff regroup freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SIMILARITY = 0.6
NEIGHBOURS = 20


@dataclass(frozen=True)
class CommentText:
    id: int
    article_id: int | None
    text: str


def _find(parent: dict[int, int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def suggest_groups(
    comments: Sequence[CommentText], threshold: float = SIMILARITY
) -> list[list[int]]:
    """Comment ids in groups: near-duplicates on the same article (or both on the whole
    draft) together, every other comment alone. Groups in order of their first comment;
    ids ascending within a group."""
    from nlp.similar import near_duplicates

    by_article: dict[int | None, list[CommentText]] = {}
    for c in sorted(comments, key=lambda c: c.id):
        by_article.setdefault(c.article_id, []).append(c)
    parent = {c.id: c.id for c in comments}
    for items in by_article.values():
        if len(items) < 2:
            continue
        corpus = [c.text for c in items]
        for i, c in enumerate(items):
            for match in near_duplicates(c.text, corpus, top=NEIGHBOURS, threshold=threshold):
                if match.index != i:
                    a, b = _find(parent, c.id), _find(parent, items[match.index].id)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for c in comments:
        groups.setdefault(_find(parent, c.id), []).append(c.id)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])
