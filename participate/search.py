"""Chinese full-text search: the one module for indexing and querying (see DESIGN.md).

How it works, and why:

- Every searchable item (a proposal, a consultation, a discussion statement, an official
  response) has one ``search_document`` row holding ``search_text``: its text normalised
  (台→臺 and other variants, full-width→half-width, case folded, by :func:`nlp.segment.normalize`)
  and segmented by the project's jieba tokenizer, tokens joined by spaces. Indexing uses
  jieba's *search mode* (a long word also yields its dictionary sub-words: 臺北市政府 → 臺北, 市政,
  政府, 市政府, 臺北市政府), so a query for 臺北 finds 臺北市政府; queries use the precise mode.
- Each token is cut into runs of letters and digits, so neither database's tokenizer splits it
  again: FTS5 ``unicode61`` (SQLite) and the ``'simple'`` text-search parser (PostgreSQL) then
  see exactly the same words, and both return the same hits. (On PostgreSQL the
  ``to_tsvector('simple', search_text)`` is a stored generated column with a GIN index, so
  ranking reads it instead of re-parsing every matching row.)
- A query is normalised the same way, also converted from Simplified to Traditional Chinese with
  OpenCC (``s2twp``: Taiwan phrasing, so 长照 → 長照 and 软件 → 軟體); the tokens are ANDed, and the
  original and the converted form are ORed, so a Traditional query OpenCC would mangle still works.
- Ranking: bm25 on SQLite, ts_rank on PostgreSQL, then newer first, then id.
- Snippets are built from the stored plain text: escaped first, then matched words wrapped in
  ``<mark>``.
- The index follows the models by itself: SQLAlchemy session events note new, changed and
  deleted proposals, statements and responses at flush time and rewrite their rows just
  before the commit, in the same transaction. ``flask reindex`` rebuilds everything from the
  proposals, statements and responses.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import bindparam, delete, event, inspect, select, text
from sqlalchemy.orm import Session

from participate.extensions import db
from participate.models.search import SearchDocument
from participate.timeutil import aware, utcnow

KINDS = ("proposal", "consultation", "statement", "response")
FTS_TABLE = "search_document_fts"
MAX_QUERY_LENGTH = 200
MAX_PAGE = 500


# --------------------------------------------------------------------------- tokens


def _nlp() -> Any:
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
    return token not in _nlp().stopwords()


def index_tokens(text_value: str) -> list[str]:
    """Tokens stored for ``text_value``: normalised, search-mode segmentation, no stopwords.

    Numbers are kept (unlike :func:`nlp.segment.tokens`): people search for 1999 or 2.0.
    """
    if not text_value:
        return []
    seg = _nlp()
    norm = seg.normalize(text_value)
    out: list[str] = []
    for piece in seg.tokenizer().cut_for_search(norm, HMM=True):
        for run in _word_runs(piece):
            if _keep(run):
                out.append(run)
    return out


@lru_cache(maxsize=4096)
def _query_tokens_cached(q: str) -> tuple[str, ...]:
    seg = _nlp()
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


# --------------------------------------------------------------------------- documents


@dataclass
class SearchDoc:
    """What a source hands the index for one item."""

    kind: str
    item_id: int
    title: str
    body: str
    proposal_id: int | None = None
    agency_ids: Sequence[int] = ()
    status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    visible: bool = True
    extra_text: str = ""  # indexed but not shown (e.g. a proposal's measures)


def _row(doc: SearchDoc) -> dict[str, Any]:
    indexed = " ".join(
        index_tokens(doc.title if doc.kind in ("proposal", "consultation") else "")
        + index_tokens(doc.body)
        + index_tokens(doc.extra_text)
    )
    now = utcnow()
    agencies = sorted(set(int(a) for a in doc.agency_ids))
    return {
        "kind": doc.kind,
        "item_id": int(doc.item_id),
        "proposal_id": doc.proposal_id,
        "agency_ids": ("," + ",".join(str(a) for a in agencies) + ",") if agencies else "",
        "status": doc.status or "",
        "title": (doc.title or "")[:300],
        "body": doc.body or "",
        "search_text": indexed,
        "created_at": aware(doc.created_at) or now,
        "updated_at": aware(doc.updated_at) or aware(doc.created_at) or now,
        "visible": bool(doc.visible),
    }


def _session() -> Session:
    return db.session


def index_document(doc: SearchDoc, session: Session | None = None) -> None:
    """Insert or replace one item's row (no commit: the caller's transaction decides)."""
    s = session or _session()
    row = _row(doc)
    t = SearchDocument.__table__
    existing = s.execute(
        select(t.c.id).where(t.c.kind == doc.kind, t.c.item_id == int(doc.item_id))
    ).scalar()
    if existing is None:
        s.execute(t.insert().values(**row))
    else:
        s.execute(t.update().where(t.c.id == existing).values(**row))


def remove_document(kind: str, item_id: int, session: Session | None = None) -> None:
    """Drop one item from the index (no commit)."""
    s = session or _session()
    t = SearchDocument.__table__
    s.execute(delete(t).where(t.c.kind == kind, t.c.item_id == int(item_id)))


# --------------------------------------------------------------------------- sources


def _is_public(proposal: Any) -> bool:
    from participate.policy import is_public

    return is_public(proposal)


def _proposal_agencies(p: Any) -> list[int]:
    ids = {a.id for a in (p.responsible_agencies or [])}
    ids |= {a.id for a in (p.proposed_agencies or [])}
    if p.owner_agency_id:
        ids.add(p.owner_agency_id)
    return sorted(ids)


def _value(x: Any) -> str:
    return str(getattr(x, "value", x) or "")


def proposal_doc(p: Any) -> SearchDoc:
    body = "\n".join(x for x in (p.summary, p.problem, p.benefits) if x)
    measures = "\n".join(m.text for m in (p.measures or []))
    return SearchDoc(
        kind=_value(p.kind) or "proposal",
        item_id=p.id,
        title=p.title or "",
        body=body,
        extra_text="\n".join(x for x in (p.draft_text, measures) if x),
        proposal_id=p.id,
        agency_ids=_proposal_agencies(p),
        status=_value(p.status),
        created_at=p.created_at,
        updated_at=p.updated_at,
        visible=_is_public(p),
    )


def statement_doc(st: Any, proposal: Any) -> SearchDoc:
    from participate.models import ContentStatus

    return SearchDoc(
        kind="statement",
        item_id=st.id,
        title=proposal.title if proposal is not None else "",
        body=st.text or "",
        proposal_id=getattr(proposal, "id", None),
        agency_ids=_proposal_agencies(proposal) if proposal is not None else (),
        status=_value(proposal.status) if proposal is not None else "",
        created_at=st.created_at,
        updated_at=st.created_at,
        visible=bool(
            st.status == ContentStatus.VISIBLE and proposal is not None and _is_public(proposal)
        ),
    )


def response_doc(r: Any) -> SearchDoc:
    p = r.proposal
    points = "\n".join(pt.reasoning for pt in (r.points or []) if pt.reasoning)
    return SearchDoc(
        kind="response",
        item_id=r.id,
        title=p.title if p is not None else "",
        body="\n".join(x for x in (r.overall, points) if x),
        proposal_id=r.proposal_id,
        agency_ids=sorted(({r.agency_id} if r.agency_id else set()) | set(_proposal_agencies(p))),
        status=_value(p.status) if p is not None else "",
        created_at=r.published_at or r.created_at,
        updated_at=r.updated_at,
        visible=bool(r.published_at is not None and p is not None and _is_public(p)),
    )


def _proposal_source() -> Iterator[SearchDoc]:
    from sqlalchemy.orm import selectinload

    from participate.models import Proposal

    q = select(Proposal).options(
        selectinload(Proposal.measures),
        selectinload(Proposal.responsible_agencies),
        selectinload(Proposal.proposed_agencies),
    )
    for p in db.session.scalars(q.execution_options(yield_per=500)):
        yield proposal_doc(p)


def _statement_source() -> Iterator[SearchDoc]:
    from participate.models import Discussion, Proposal, Statement

    proposals: dict[int, Any] = {}
    for p in db.session.scalars(select(Proposal)):
        proposals[p.id] = p
    disc = dict(db.session.execute(select(Discussion.id, Discussion.proposal_id)).all())
    q = select(Statement).order_by(Statement.id).execution_options(yield_per=2000)
    for st in db.session.scalars(q):
        yield statement_doc(st, proposals.get(disc.get(st.discussion_id, -1)))


def _response_source() -> Iterator[SearchDoc]:
    from participate.models import AgencyResponse

    for r in db.session.scalars(select(AgencyResponse)):
        yield response_doc(r)


# --------------------------------------------------------------------------- helpers


def index_proposal(proposal_id: int, cascade: bool = True) -> None:
    """Reindex a proposal or consultation (and, with ``cascade``, its statements and
    response, whose visibility follows the proposal's). No commit."""
    from participate.models import AgencyResponse, Discussion, Proposal, Statement

    p = db.session.get(Proposal, proposal_id)
    if p is None:
        for kind in ("proposal", "consultation"):
            remove_document(kind, proposal_id)
        return
    doc = proposal_doc(p)
    other = "consultation" if doc.kind == "proposal" else "proposal"
    remove_document(other, proposal_id)
    index_document(doc)
    if not cascade:
        return
    stmt_ids = db.session.scalars(
        select(Statement.id)
        .join(Discussion, Discussion.id == Statement.discussion_id)
        .where(Discussion.proposal_id == proposal_id)
    ).all()
    for sid in stmt_ids:
        index_statement(sid)
    rid = db.session.scalar(
        select(AgencyResponse.id).where(AgencyResponse.proposal_id == proposal_id)
    )
    if rid is not None:
        index_response(rid)


def index_statement(statement_id: int) -> None:
    """Reindex one discussion statement (no commit)."""
    from participate.models import Statement

    st = db.session.get(Statement, statement_id)
    if st is None:
        remove_document("statement", statement_id)
        return
    proposal = st.discussion.proposal if st.discussion is not None else None
    index_document(statement_doc(st, proposal))


def index_response(response_id: int) -> None:
    """Reindex one official response (no commit)."""
    from participate.models import AgencyResponse

    r = db.session.get(AgencyResponse, response_id)
    if r is None:
        remove_document("response", response_id)
        return
    index_document(response_doc(r))


def rebuild(echo: Any = None) -> int:
    """Empty the index and fill it again from every registered source; commits. Returns the
    number of documents."""
    db.session.execute(delete(SearchDocument.__table__))
    n = 0
    batch: list[dict[str, Any]] = []
    t = SearchDocument.__table__
    for source in (_proposal_source, _statement_source, _response_source):
        for doc in source():
            batch.append(_row(doc))
            if len(batch) >= 1000:
                db.session.execute(t.insert(), batch)
                n += len(batch)
                batch = []
                if echo:
                    echo(f"  {n} documents")
    if batch:
        db.session.execute(t.insert(), batch)
        n += len(batch)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')"))
    db.session.commit()
    return n


# --------------------------------------------------------------------------- sync


_TRACKED_PROPOSAL_ATTRS = (
    "title",
    "summary",
    "problem",
    "benefits",
    "draft_text",
    "status",
    "kind",
    "owner_agency_id",
    "responsible_agencies",
    "proposed_agencies",
)


def _changed(obj: Any, attrs: Iterable[str]) -> bool:
    state = inspect(obj)
    for name in attrs:
        if name in state.attrs and state.attrs[name].history.has_changes():
            return True
    return False


@dataclass
class _Pending:
    proposals: set[int] = field(default_factory=set)
    statements: set[int] = field(default_factory=set)
    responses: set[int] = field(default_factory=set)
    removed: set[tuple[str, int]] = field(default_factory=set)
    bulk_statements: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.proposals
            or self.statements
            or self.responses
            or self.removed
            or self.bulk_statements
        )


def _pending(session: Session) -> _Pending:
    found = session.info.get("search_pending")
    if found is None:
        found = session.info["search_pending"] = _Pending()
    return found


def _after_flush(session: Session, flush_context: Any) -> None:
    from participate.models import (
        AgencyResponse,
        Proposal,
        ProposalMeasure,
        ResponsePoint,
        Statement,
    )

    pend = _pending(session)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Proposal):
            if obj in session.new or _changed(obj, _TRACKED_PROPOSAL_ATTRS):
                pend.proposals.add(obj.id)
        elif isinstance(obj, Statement):
            if obj in session.new or _changed(obj, ("text", "status", "discussion_id")):
                pend.statements.add(obj.id)
        elif isinstance(obj, AgencyResponse):
            if obj in session.new or _changed(
                obj, ("overall", "published_at", "agency_id", "points")
            ):
                pend.responses.add(obj.id)
        elif isinstance(obj, ProposalMeasure):
            if obj.proposal_id:
                pend.proposals.add(obj.proposal_id)
        elif isinstance(obj, ResponsePoint):
            if obj.response_id:
                pend.responses.add(obj.response_id)
    for obj in session.deleted:
        if isinstance(obj, Proposal):
            pend.removed.add(("proposal", obj.id))
            pend.removed.add(("consultation", obj.id))
        elif isinstance(obj, Statement):
            pend.removed.add(("statement", obj.id))
        elif isinstance(obj, AgencyResponse):
            pend.removed.add(("response", obj.id))
        elif isinstance(obj, ProposalMeasure) and obj.proposal_id:
            pend.proposals.add(obj.proposal_id)


def _do_orm_execute(state: Any) -> None:
    """Bulk writes to the statement table (the Pol.is importer) bypass the unit of work."""
    if not (state.is_insert or state.is_update):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != "statement":
        return
    if state.is_update:
        # Vote counters are updated on every vote: only text or visibility changes matter here,
        # and a catch-up scan per vote would cost a pass over every statement.
        values = getattr(state.statement, "_values", None)
        if values:
            names = {getattr(col, "key", str(col)) for col in values}
            if not names & {"text", "status"}:
                return
    _pending(state.session).bulk_statements = True


def _catch_up_statements() -> None:
    """Index statements written in bulk: those missing from the index or whose visibility
    differs from what the index says."""
    from participate.models import ContentStatus, Statement

    sd = SearchDocument.__table__
    st = Statement.__table__
    missing = db.session.scalars(
        select(st.c.id)
        .outerjoin(sd, (sd.c.kind == "statement") & (sd.c.item_id == st.c.id))
        .where(
            (sd.c.id.is_(None))
            | ((st.c.status == ContentStatus.VISIBLE.value) != sd.c.visible)
            | (st.c.text != sd.c.body)
        )
    ).all()
    for sid in missing:
        index_statement(sid)


def apply_pending(session: Session) -> None:
    """Write the index rows for what changed in this transaction (runs before commit)."""
    pend = session.info.pop("search_pending", None)
    if not pend:
        return
    session.info["search_applying"] = True
    try:
        with session.no_autoflush:
            for kind, item_id in pend.removed:
                remove_document(kind, item_id, session)
            removed_ids = {i for _k, i in pend.removed}
            for pid in pend.proposals - removed_ids:
                index_proposal(pid)
            for sid in pend.statements:
                if ("statement", sid) not in pend.removed:
                    index_statement(sid)
            for rid in pend.responses:
                if ("response", rid) not in pend.removed:
                    index_response(rid)
            if pend.bulk_statements:
                _catch_up_statements()
    finally:
        session.info.pop("search_applying", None)


def _before_commit(session: Session) -> None:
    if session.info.get("search_applying") or not _search_enabled(session):
        return
    session.flush()
    apply_pending(session)


def _after_rollback(session: Session) -> None:
    session.info.pop("search_pending", None)


def _search_enabled(session: Session) -> bool:
    try:
        from flask import current_app

        return bool(current_app.config.get("SEARCH_AUTO_INDEX", True))
    except RuntimeError:
        return True


_listening = False


def listen() -> None:
    """Attach the sync listeners to every SQLAlchemy session (once per process)."""
    global _listening
    if _listening:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", lambda s, tx: _after_rollback(s))
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    _listening = True


listen()


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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

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
    """Ranked, filtered, paginated hits for ``q`` (identical sets on SQLite and PostgreSQL)."""
    page = max(1, min(int(page or 1), MAX_PAGE))
    per_page = max(1, min(int(per_page or 20), 100))
    variants = query_variants(q)
    flat = [t for toks in variants for t in toks]
    if not variants:
        return SearchPage(q, [], [], 0, page, per_page)
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
    seg = _nlp()
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
