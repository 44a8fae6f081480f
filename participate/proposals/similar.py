"""Existing proposals similar to a title, shown before a citizen submits a new one.

Keyword overlap of jieba tokens (the nlp package's Traditional Chinese segmenter when it is
installed, else character bigrams): cheap, explainable, and good enough to catch most
duplicates until the NLP work improves it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import select

from participate.extensions import db
from participate.models import Proposal, ProposalStatus

_WORD = re.compile(r"[0-9A-Za-z]+|[\u3400-\u9fff]+")
SEARCHED = (
    ProposalStatus.IN_REVIEW,
    ProposalStatus.ENDORSING,
    ProposalStatus.ESTABLISHED,
    ProposalStatus.RESPONDED,
    ProposalStatus.LAPSED,
    ProposalStatus.OPEN,
    ProposalStatus.CLOSED,
)


def _bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for chunk in _WORD.findall(text.replace("台", "臺").lower()):
        if chunk.isascii():
            out.add(chunk)
        elif len(chunk) == 1:
            out.add(chunk)
        else:
            out.update(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return out


@lru_cache(maxsize=4096)
def keywords(text: str) -> frozenset[str]:
    try:
        from nlp.segment import tokens  # the shared segmenter (jieba, Taiwan dictionary)
    except ImportError:  # pragma: no cover - nlp is part of the project; fallback for safety
        return frozenset(_bigrams(text))
    return frozenset(t for t in tokens(text) if len(t) > 1 or not t.isascii())


def similar_proposals(title: str, limit: int = 5, exclude_id: int | None = None) -> list[Proposal]:
    """Public (and in-review) proposals sharing keywords with ``title``, best first."""
    query = keywords(title.strip())
    if not query:
        return []
    rows = db.session.scalars(
        select(Proposal)
        .where(Proposal.status.in_(SEARCHED))
        .order_by(Proposal.id.desc())
        .limit(3000)
    ).all()
    scored: list[tuple[float, int, Proposal]] = []
    for p in rows:
        if p.id == exclude_id:
            continue
        words = keywords(p.title)
        shared = query & words
        if not shared:
            continue
        score = len(shared) / (len(query | words) or 1)
        if len(shared) >= 2 or len(shared) / len(query) >= 0.5:
            scored.append((score, p.id, p))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    return [p for _s, _i, p in scored[:limit]]
