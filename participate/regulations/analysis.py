"""What the comments on each article are about: keywords and topics, where there are
enough comments for them to mean something (the opinion report's ideas, per article).

:func:`summarise` is pure (texts in, a JSON-ready dict out) on :mod:`nlp.keywords` and
:mod:`nlp.topics`; :func:`analyse` reads a draft's visible comments and writes the
snapshot row the pages read (the job in :mod:`participate.regulations.tasks` calls it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    ContentStatus,
    RegulationComment,
    RegulationCommentAnalysis,
    RegulationDraft,
)
from participate.timeutil import utcnow

# Fewer comments than this on an article: no keywords (a handful of words from two
# comments would read as a finding). Topics need more still.
MIN_FOR_KEYWORDS = 5
MIN_FOR_TOPICS = 12
DRAFT_KEY = "draft"


def summarise(groups: Mapping[str, Sequence[str]], seed: int = 0) -> dict[str, Any]:
    """For each group of texts (an article's comments, keyed by article id or
    :data:`DRAFT_KEY`): ``{"count", "keywords": [...], "topics": [{"keywords", "size"}]}``.
    Keywords are TF-IDF against all the draft's comments (what sets this article's comments
    apart), topics the clusters of :func:`nlp.topics.topics`. Deterministic for ``seed``."""
    everything = [t for texts in groups.values() for t in texts]
    out: dict[str, Any] = {}
    for key, texts in groups.items():
        entry: dict[str, Any] = {"count": len(texts), "keywords": [], "topics": []}
        if len(texts) >= MIN_FOR_KEYWORDS:
            from nlp.keywords import tfidf_keywords

            entry["keywords"] = [k.term for k in tfidf_keywords(texts, everything, top=8)]
        if len(texts) >= MIN_FOR_TOPICS:
            from nlp.topics import topics

            entry["topics"] = [
                {"keywords": t.keywords, "size": len(t.members)}
                for t in topics(list(texts), seed=seed, max_topics=6)
                if t.keywords
            ]
        out[key] = entry
    return out


def visible_texts(draft_id: int) -> dict[str, list[str]]:
    """The visible comments of a draft (replies included: they are opinions on the same
    article), grouped by article id (as a string) or :data:`DRAFT_KEY`."""
    rows = db.session.execute(
        select(RegulationComment.article_id, RegulationComment.body)
        .where(
            RegulationComment.draft_id == draft_id,
            RegulationComment.status == ContentStatus.VISIBLE,
            RegulationComment.deleted_at.is_(None),
        )
        .order_by(RegulationComment.id)
    ).all()
    groups: dict[str, list[str]] = {}
    for article_id, body in rows:
        groups.setdefault(str(article_id) if article_id else DRAFT_KEY, []).append(body or "")
    return groups


def analyse(draft_id: int) -> RegulationCommentAnalysis | None:
    """Recompute the snapshot of one draft (None when the draft is gone). Flushes; the
    job's unit of work commits."""
    if db.session.get(RegulationDraft, draft_id) is None:
        return None
    groups = visible_texts(draft_id)
    row = db.session.get(RegulationCommentAnalysis, draft_id)
    if row is None:
        row = RegulationCommentAnalysis(draft_id=draft_id)
        db.session.add(row)
    row.result = summarise(groups)
    row.comment_count = sum(len(t) for t in groups.values())
    row.computed_at = utcnow()
    db.session.flush()
    return row
