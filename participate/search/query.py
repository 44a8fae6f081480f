"""Querying the index: ranked hits with snippets, filters and pages, the same hits on
SQLite (FTS5, bm25) and PostgreSQL (tsvector, ts_rank)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import bindparam, text

from participate import paging
from participate.extensions import db
from participate.search.index import FTS_TABLE
from participate.search.tokens import query_variants, segmenter
from participate.timeutil import aware

MAX_PAGE = paging.MAX_PAGE

# --------------------------------------------------------------------------- query


@dataclass
class SearchHit:
    kind: str
    item_id: int
    proposal_id: int | None
    title: str
    title_html: Markup
    snippet: Markup
    status: str
    agency_ids: list[int]
    created_at: datetime | None
    updated_at: datetime | None
    rank: float

    @property
    def url(self) -> str:
        if self.kind == "statement":
            return f"/discussion/statements/{self.item_id}"
        if self.kind == "response":
            return f"/proposals/{self.proposal_id}#response"
        return f"/proposals/{self.item_id}"


@dataclass
class SearchPage:
    query: str
    tokens: list[str]
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    # True when nothing held every word and the hits are ranked partial matches instead.
    partial: bool = False

    @property
    def pages(self) -> int:
        return paging.page_count(self.total, self.per_page) if self.per_page else 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def ids(self) -> list[tuple[str, int]]:
        return [(h.kind, h.item_id) for h in self.hits]


def _fts_query(variants: list[list[str]]) -> str:
    parts = ["(" + " AND ".join(f'"{t}"' for t in toks) + ")" for toks in variants]
    return " OR ".join(parts)


def _filters(
    kind: str | None, agency_id: int | None, status: str | None
) -> tuple[str, dict[str, Any]]:
    sql = " AND d.visible = :visible"
    params: dict[str, Any] = {"visible": True}
    if kind:
        sql += " AND d.kind = :kind"
        params["kind"] = kind
    if agency_id:
        sql += " AND d.agency_ids LIKE :agency"
        params["agency"] = f"%,{int(agency_id)},%"
    if status:
        sql += " AND d.status = :status"
        params["status"] = status
    return sql, params


_COLS = (
    "d.kind, d.item_id, d.proposal_id, d.title, d.body, d.status, d.agency_ids, "
    "d.created_at, d.updated_at"
)


def search(
    q: str,
    kind: str | None = None,
    agency_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """Ranked, filtered, paginated hits for ``q`` (identical sets on SQLite and PostgreSQL).

    A hit holds every word of the query. When no item does and the query has several
    words ("台北 月票"), the hits are the items holding any of them, those with more of
    them (and rarer ones) first, and the page says so (``partial``).
    """
    page = max(1, min(int(page or 1), MAX_PAGE))
    per_page = max(1, min(int(per_page or 20), 100))
    variants = query_variants(q)
    flat = [t for toks in variants for t in toks]
    if not variants:
        return SearchPage(q, [], [], 0, page, per_page)
    found = _search(q, variants, flat, kind, agency_id, status, page, per_page)
    words = list(dict.fromkeys(flat))
    if found.total == 0 and len(words) > 1:
        found = _search(q, [[w] for w in words], flat, kind, agency_id, status, page, per_page)
        found.partial = found.total > 0
    return found


def _search(
    q: str,
    variants: list[list[str]],
    flat: list[str],
    kind: str | None,
    agency_id: int | None,
    status: str | None,
    page: int,
    per_page: int,
) -> SearchPage:
    """Items matching any of ``variants`` (each: all of its tokens)."""
    where, params = _filters(kind, agency_id, status)
    params.update(limit=per_page, offset=(page - 1) * per_page)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        tsq = " || ".join(f"plainto_tsquery('simple', :q{i})" for i in range(len(variants)))
        for i, toks in enumerate(variants):
            params[f"q{i}"] = " ".join(toks)
        base = (
            f"FROM search_document d, ({'SELECT ' + tsq} AS query) AS qq "
            "WHERE d.search_tsv @@ qq.query" + where
        )
        rank = "ts_rank(d.search_tsv, qq.query)"
        order = "rank DESC, d.updated_at DESC, d.id DESC"
    else:
        params["match"] = _fts_query(variants)
        base = (
            f"FROM {FTS_TABLE} JOIN search_document d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH :match" + where
        )
        rank = f"bm25({FTS_TABLE})"
        order = "rank ASC, d.updated_at DESC, d.id DESC"
    # Two phases: rank and page over the narrow columns only (on SQLite a covering index
    # answers them without reading the wide rows), then fetch the page's rows. On
    # PostgreSQL the window count gives the total in the same pass; FTS5's bm25() cannot
    # sit next to a window function, and its count is cheap.
    window = ", count(*) OVER () AS total" if dialect == "postgresql" else ""
    ranked = db.session.execute(
        text(
            f"SELECT d.id AS id, {rank} AS rank{window} {base} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    if ranked and window:
        total = ranked[0].total
    else:
        total = db.session.execute(text("SELECT count(*) " + base), params).scalar() or 0
    by_id: dict[int, Any] = {}
    if ranked:
        fetch = text(f"SELECT d.id AS id, {_COLS} FROM search_document d WHERE d.id IN :ids")
        fetch = fetch.bindparams(bindparam("ids", expanding=True))
        by_id = {r.id: r for r in db.session.execute(fetch, {"ids": [x.id for x in ranked]}).all()}
    rows = [(by_id[x.id], x.rank) for x in ranked if x.id in by_id]
    hits = [
        SearchHit(
            kind=r.kind,
            item_id=r.item_id,
            proposal_id=r.proposal_id,
            title=r.title,
            title_html=highlight(r.title, flat, width=None),
            snippet=highlight(r.body, flat),
            status=r.status,
            agency_ids=[int(a) for a in (r.agency_ids or "").strip(",").split(",") if a],
            created_at=aware(_dt(r.created_at)),
            updated_at=aware(_dt(r.updated_at)),
            rank=float(rank or 0),
        )
        for r, rank in rows
    ]
    return SearchPage(q, flat, hits, int(total), page, per_page)


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# --------------------------------------------------------------------------- snippets


def _norm_chars(s: str) -> str:
    """Per-character normalisation that keeps offsets (so spans map back to the original)."""
    seg = segmenter()
    out = []
    for c in s:
        n = seg.normalize(c)
        out.append(n if len(n) == 1 else c.lower())
    return "".join(out)


def _spans(norm: str, tokens: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for tok in sorted(set(tokens), key=len, reverse=True):
        if not tok:
            continue
        start = norm.find(tok)
        while start != -1:
            spans.append((start, start + len(tok)))
            start = norm.find(tok, start + len(tok))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlight(value: str, tokens: Sequence[str], width: int | None = 120) -> Markup:
    """``value`` escaped, matched tokens in ``<mark>``; cut to ``width`` characters around
    the first match (with ellipses) unless ``width`` is None."""
    value = value or ""
    norm = _norm_chars(value)
    spans = _spans(norm, tokens)
    lo, hi = 0, len(value)
    if width is not None and len(value) > width:
        first = spans[0][0] if spans else 0
        lo = max(0, first - width // 4)
        hi = min(len(value), lo + width)
        lo = max(0, hi - width)
    parts: list[str] = ["…" if lo > 0 else ""]
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        a, b = max(a, lo), min(b, hi)
        parts.append(str(escape(value[pos:a])))
        parts.append("<mark>" + str(escape(value[a:b])) + "</mark>")
        pos = b
    parts.append(str(escape(value[pos:hi])))
    if hi < len(value):
        parts.append("…")
    return Markup("".join(parts))  # noqa: S704 - every piece escaped above
