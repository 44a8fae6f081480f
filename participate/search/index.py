"""The search index: one ``search_document`` row per searchable item, written from the
items themselves (proposals, statements, responses) and rebuilt in full by ``flask reindex``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from participate.extensions import db
from participate.models.search import SearchDocument
from participate.search.tokens import index_tokens
from participate.timeutil import aware, utcnow

KINDS = ("proposal", "consultation", "statement", "response")
FTS_TABLE = "search_document_fts"

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
    """Empty the index and fill it again from every item (``flask reindex``, the demo data);
    the caller's unit of work commits. Returns the number of documents."""
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
    return n


# --------------------------------------------------------------------------- bulk writers


def index_discussion(discussion_id: int) -> int:
    """Index every statement of one discussion: for bulk writers (the Pol.is importer) that
    insert statements without an operation. Returns how many were indexed.

    In bulk: the proposal read once, the statements in one query, their old rows removed
    and the new ones inserted a thousand at a time. Statement by statement it was four
    queries each (the agencies read again every time): 3 s after a 783-statement import.
    """
    from participate.models import Discussion, Statement

    discussion = db.session.get(Discussion, discussion_id)
    proposal = discussion.proposal if discussion is not None else None
    statements = db.session.scalars(
        select(Statement).where(Statement.discussion_id == discussion_id).order_by(Statement.id)
    ).all()
    t = SearchDocument.__table__
    for start in range(0, len(statements), 1000):
        chunk = statements[start : start + 1000]
        db.session.execute(
            delete(t).where(t.c.kind == "statement", t.c.item_id.in_([st.id for st in chunk]))
        )
        db.session.execute(t.insert(), [_row(statement_doc(st, proposal)) for st in chunk])
    return len(statements)
