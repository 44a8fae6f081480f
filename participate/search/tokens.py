"""Tokens for indexing and for queries: the same normalisation and segmentation on both
sides, cut into the runs of letters and digits both databases keep whole."""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from typing import Any

# --------------------------------------------------------------------------- tokens

MAX_QUERY_LENGTH = 200


def segmenter() -> Any:
    """nlp.segment, imported on first use: jieba loads only when something is searched."""
    from nlp import segment

    return segment


def _is_word_char(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat[0] in "LN" or cat == "Mn" or cat == "Mc"


def _word_runs(token: str) -> list[str]:
    """Split a token into runs of letters/digits (what FTS5 and PostgreSQL both keep whole)."""
    out: list[str] = []
    cur: list[str] = []
    for c in token:
        if _is_word_char(c):
            cur.append(c)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _keep(token: str) -> bool:
    return token not in segmenter().stopwords()


def index_tokens(text_value: str) -> list[str]:
    """Tokens stored for ``text_value``: normalised, search-mode segmentation, no stopwords.

    Numbers are kept (unlike :func:`nlp.segment.tokens`): people search for 1999 or 2.0.
    """
    if not text_value:
        return []
    seg = segmenter()
    norm = seg.normalize(text_value)
    out: list[str] = []
    for piece in seg.tokenizer().cut_for_search(norm, HMM=True):
        for run in _word_runs(piece):
            if _keep(run):
                out.append(run)
    return out


@lru_cache(maxsize=4096)
def _query_tokens_cached(q: str) -> tuple[str, ...]:
    seg = segmenter()
    norm = seg.normalize(q)
    out: list[str] = []
    for piece in seg.tokenizer().cut(norm, HMM=True):
        for run in _word_runs(piece):
            if _keep(run) and run not in out:
                out.append(run)
    return tuple(out)


def query_tokens(q: str) -> list[str]:
    """Normalised tokens of a query (precise-mode segmentation, stopwords removed, deduped)."""
    return list(_query_tokens_cached(q or ""))


_cc_lock = threading.Lock()
_cc: Any = None


def to_traditional(q: str) -> str:
    """Simplified → Traditional (Taiwan phrasing) with OpenCC; the text unchanged if absent."""
    global _cc
    if _cc is None:
        with _cc_lock:
            if _cc is None:
                try:
                    import opencc

                    _cc = opencc.OpenCC("s2twp")
                except Exception:  # noqa: BLE001 - search still works for Traditional input
                    _cc = False
    if not _cc:
        return q
    return _cc.convert(q)


def query_variants(q: str) -> list[list[str]]:
    """The token lists a query stands for: as typed, and converted to Traditional Chinese."""
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
    variants: list[list[str]] = []
    for form in (q, to_traditional(q)):
        toks = query_tokens(form)
        if toks and toks not in variants:
            variants.append(toks)
    return variants
