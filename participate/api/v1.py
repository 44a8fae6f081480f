"""The versioned open-data API: ``/api/v1``.

Reads are public, cacheable (``ETag`` from the body, ``Last-Modified`` from the newest item)
and open to other origins (CORS for GET). Writes (vote, post a statement) need a personal API
token with the right scope and go through the discussion area's own rule functions, so the
API cannot do anything the site would refuse. Every error is ``{"error": {...}}``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select

from participate import paging, policy
from participate import search as engine
from participate.api import schemas as s
from participate.api.errors import ApiError
from participate.api.openapi import API_VERSION, build_spec, operation
from participate.api.tokens import authenticate, token_rate_key
from participate.discussion import tallies
from participate.errors import RuleError, error_response
from participate.extensions import csrf, db, limiter
from participate.models import (
    Agency,
    AgencyResponse,
    Discussion,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Statement,
)
from participate.proposals import queries
from participate.proposals.lifecycle import effective_status, response_clock
from participate.timeutil import aware, utcnow

bp = Blueprint("v1", __name__, url_prefix="/api/v1")
LICENSE = "Open Government Data License, version 1.0 (Taiwan)"
_MAX_ID = s.MAX_ID


def _read_limit() -> str:
    return current_app.config.get("API_READ_RATE_LIMIT", "600 per minute")


def _write_limit() -> str:
    return current_app.config.get("API_WRITE_RATE_LIMIT", "60 per minute")


limiter.limit(_read_limit, methods=["GET"])(bp)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    resp = error_response(exc.status, exc.code, exc.message, exc.fields)
    if exc.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="participate"'
    return resp


@bp.errorhandler(RuleError)
def _rule_error(exc: RuleError) -> Response:
    status = getattr(exc, "status", 400) or 400
    field = getattr(exc, "field", None)
    fields = {field: [str(exc)]} if field else {}
    codes = {400: "invalid", 401: "unauthorized", 403: "forbidden", 409: "conflict"}
    code = getattr(exc, "code", None) or codes.get(status, "invalid")
    return error_response(status, code, str(exc), fields)


@bp.after_request
def _cors(resp: Response) -> Response:
    """Any site may read the open data; credentials are never involved (tokens are headers)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
        resp.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link, Retry-After"
        resp.headers["Access-Control-Max-Age"] = "86400"
    resp.headers.setdefault("Cache-Control", "public, max-age=60")
    if request.method not in ("GET", "HEAD"):
        resp.headers["Cache-Control"] = "no-store"
    return resp


# --------------------------------------------------------------------------- helpers


def _args(schema: type[Schema]) -> dict[str, Any]:
    try:
        return schema().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(
            400,
            "invalid",
            _("Some parameters are invalid."),
            {k: [str(m) for m in v] for k, v in _flat(exc.messages).items()},
        ) from exc


def _body(schema: type[Schema]) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", _("Send a JSON object."))
    try:
        return schema().load(data, unknown="exclude")
    except ValidationError as exc:
        raise ApiError(
            400,
            "invalid",
            _("Some fields are invalid."),
            {k: [str(m) for m in v] for k, v in _flat(exc.messages).items()},
        ) from exc


def _flat(messages: Any) -> dict[str, list[Any]]:
    if isinstance(messages, dict):
        return {str(k): (v if isinstance(v, list) else [v]) for k, v in messages.items()}
    return {"_": list(messages)}


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("We could not find that."))


def _public_proposal(proposal_id: int) -> Proposal:
    if not 0 < proposal_id <= _MAX_ID:
        raise _not_found()
    p = db.session.get(Proposal, proposal_id)
    if p is None or not policy.is_public(p):
        raise _not_found()
    return p


def _json(
    payload: Any, schema: Schema | None = None, status: int = 200, last_modified: Any = None
) -> Response:
    """Serialise, tag and answer 304 when the client already has this exact body."""
    data = schema.dump(payload) if schema is not None else payload
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    resp = Response(body, status=status, mimetype="application/json")
    if request.method in ("GET", "HEAD") and status == 200:
        resp.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        lm = aware(last_modified) if isinstance(last_modified, datetime) else None
        if lm is not None:
            resp.last_modified = lm
        resp.make_conditional(request)
    return resp


def _page_links(endpoint: str, page: int, pages: int, **params: Any) -> dict[str, Any]:
    args = {k: v for k, v in {**request.view_args, **request.args.to_dict()}.items()}
    args.update(params)

    def link(n: int) -> str:
        return url_for(endpoint, **{**args, "page": n}, _external=False)

    return {
        "self_": link(page),
        "first": link(1),
        "last": link(pages),
        "next": link(page + 1) if page < pages else None,
        "prev": link(page - 1) if 1 < page <= pages + 1 else None,
    }


def _paginate(query: Any, page: int, per_page: int) -> tuple[list[Any], dict[str, int], Any]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    pages = paging.page_count(int(total or 0), per_page)
    return list(items), {"page": page, "per_page": per_page, "total": total, "pages": pages}, pages


def _with_link_header(resp: Response, links: dict[str, Any]) -> Response:
    parts = [
        f'<{url}>; rel="{rel.rstrip("_")}"'
        for rel, url in links.items()
        if url and rel in ("next", "prev", "first", "last")
    ]
    if parts:
        resp.headers["Link"] = ", ".join(parts)
    return resp


def _max_dt(values: list[Any]) -> datetime | None:
    found = [aware(v) for v in values if v is not None]
    return max(found) if found else None


# --------------------------------------------------------------------------- presenters


def agency_dict(a: Agency) -> dict[str, Any]:
    return {
        "id": a.id,
        "slug": a.slug,
        "name_zh": a.name_zh,
        "name_en": a.name_en,
        "url": f"/agencies/{a.slug}",
    }


def _clock(p: Proposal, now: datetime) -> dict[str, Any] | None:
    c = response_clock(p, now)
    if c is None:
        return None
    return {
        "started_at": c.started_at,
        "due_at": c.due_at,
        "days_left": c.days_left,
        "overdue": c.overdue,
        "overdue_days": c.overdue_days,
        "answered_at": c.answered_at,
        "late_days": c.late_days,
    }


def _statement_counts(proposal_ids: list[int]) -> dict[int, int]:
    if not proposal_ids:
        return {}
    from participate.models import ContentStatus

    rows = db.session.execute(
        select(Discussion.proposal_id, func.count(Statement.id))
        .join(Statement, Statement.discussion_id == Discussion.id)
        .where(Discussion.proposal_id.in_(proposal_ids), Statement.status == ContentStatus.VISIBLE)
        .group_by(Discussion.proposal_id)
    ).all()
    return {int(pid): int(n) for pid, n in rows}


def proposal_dict(p: Proposal, now: datetime, statement_count: int = 0) -> dict[str, Any]:
    threshold = current_app.config.get("ENDORSEMENT_THRESHOLD")
    return {
        "id": p.id,
        "kind": p.kind.value,
        "status": effective_status(p, now).value,
        "title": p.title,
        "summary": p.summary or "",
        "problem": p.problem or "",
        "benefits": p.benefits or "",
        "draft_text": p.draft_text or "",
        "measures": [{"id": m.id, "position": m.position, "text": m.text} for m in p.measures],
        "owner_agency_id": p.owner_agency_id,
        "proposed_agency_ids": [a.id for a in p.proposed_agencies],
        "responsible_agency_ids": [a.id for a in p.responsible_agencies],
        # The public count: held at its value while moderators review the endorsements.
        "endorsement_count": p.public_endorsement_count,
        "endorsement_count_under_review": p.endorsement_count_under_review,
        "endorsement_threshold": threshold if p.kind == ProposalKind.PROPOSAL else None,
        "created_at": aware(p.created_at),
        "opened_at": aware(p.opened_at),
        "deadline": aware(p.deadline),
        "established_at": aware(p.established_at),
        "ended_at": aware(p.ended_at),
        "responded_at": aware(p.responded_at),
        "response_clock": _clock(p, now),
        "statement_count": statement_count,
        "url": f"/proposals/{p.id}",
        "api_url": f"/api/v1/proposals/{p.id}",
    }


def statement_dict(st: Statement, proposal_id: int) -> dict[str, Any]:
    return {
        "id": st.id,
        "proposal_id": proposal_id,
        "text": st.text,
        "is_seed": bool(st.is_seed),
        "created_at": aware(st.created_at),
        "agree": st.agree_count or 0,
        "disagree": st.disagree_count or 0,
        "pass_": st.pass_count or 0,
        "votes": st.vote_count,
        "reply_count": st.reply_count or 0,
        "url": f"/discussion/statements/{st.id}",
    }


def response_dict(r: AgencyResponse) -> dict[str, Any]:
    return {
        "id": r.id,
        "proposal_id": r.proposal_id,
        "agency_id": r.agency_id,
        "overall": r.overall or "",
        "published_at": aware(r.published_at),
        "updated_at": aware(r.updated_at),
        "points": [
            {
                "measure_id": pt.measure_id,
                "measure_position": pt.measure.position if pt.measure else 0,
                "measure_text": pt.measure.text if pt.measure else "",
                "decision": pt.decision.value if pt.decision else None,
                "reasoning": pt.reasoning or "",
                "responsible_unit": pt.responsible_unit or "",
                "follow_up_on": pt.follow_up_on,
                "linked_statement_ids": list(pt.linked_statement_ids or []),
            }
            for pt in sorted(r.points, key=lambda x: x.measure.position if x.measure else 0)
        ],
    }


# --------------------------------------------------------------------------- reads


@bp.get("/")
@operation("API index: version, license and the main endpoints", tags=["meta"], response=s.ApiIndex)
def index() -> Response:
    return _json(
        {
            "version": API_VERSION,
            "license": LICENSE,
            "openapi": url_for(".openapi"),
            "docs": url_for(".docs"),
            "endpoints": {
                "agencies": url_for(".agencies"),
                "proposals": url_for(".proposals"),
                "consultations": url_for(".consultations"),
                "projects": url_for(".projects"),
                "regulations": url_for(".regulations"),
                "surveys": url_for(".surveys"),
                "statistics": url_for(".statistics"),
                "search": url_for(".search"),
            },
        },
        s.ApiIndex(),
    )


@bp.get("/agencies")
@operation("Government agencies", tags=["agencies"], query=s.PageQuery, response=s.AgencyPage)
def agencies() -> Response:
    a = _args(s.PageQuery)
    items, meta, pages = _paginate(select(Agency).order_by(Agency.id), a["page"], a["per_page"])
    links = _page_links(".agencies", a["page"], pages)
    payload = {"items": [agency_dict(x) for x in items], "meta": meta, "links": links}
    return _with_link_header(_json(payload, s.AgencyPage()), links)


@bp.get("/agencies/<int:agency_id>")
@operation("One agency", tags=["agencies"], response=s.Agency, errors=(404,))
def agency(agency_id: int) -> Response:
    found = db.session.get(Agency, agency_id) if 0 < agency_id <= _MAX_ID else None
    if found is None:
        raise _not_found()
    return _json(agency_dict(found), s.Agency())


def _proposal_list(kind: ProposalKind | None, a: dict[str, Any], endpoint: str) -> Response:
    """The public list with the site's filters (one query in proposals.queries), newest
    created first."""
    now = utcnow()
    filters = queries.ListFilter(
        status=ProposalStatus(a["status"]) if a.get("status") else None,
        kind=kind,
        agency_id=a.get("agency"),
        sort="created",
    )
    q = queries.with_details(queries.public_list(filters, now))
    items, meta, pages = _paginate(q, a["page"], a["per_page"])
    counts = _statement_counts([p.id for p in items])
    links = _page_links(endpoint, a["page"], pages)
    payload = {
        "items": [proposal_dict(p, now, counts.get(p.id, 0)) for p in items],
        "meta": meta,
        "links": links,
    }
    last = _max_dt([p.updated_at for p in items])
    return _with_link_header(_json(payload, s.ProposalPage(), last_modified=last), links)


@bp.get("/proposals")
@operation(
    "Public proposals and consultations, newest first",
    tags=["proposals"],
    query=s.ProposalQuery,
    response=s.ProposalPage,
)
def proposals() -> Response:
    """Filter by kind, (effective) status and agency. Each item carries its endorsement count
    and, once established, its response clock (due date, days left, overdue days)."""
    a = _args(s.ProposalQuery)
    kind = ProposalKind(a["kind"]) if a.get("kind") else None
    return _proposal_list(kind, a, ".proposals")


@bp.get("/consultations")
@operation(
    "Agency consultations (眾開講), newest first",
    tags=["proposals"],
    query=s.ConsultationQuery,
    response=s.ProposalPage,
)
def consultations() -> Response:
    a = _args(s.ConsultationQuery)
    return _proposal_list(ProposalKind.CONSULTATION, a, ".consultations")


@bp.get("/proposals/<int:proposal_id>")
@operation("One proposal or consultation", tags=["proposals"], response=s.Proposal, errors=(404,))
def proposal(proposal_id: int) -> Response:
    p = _public_proposal(proposal_id)
    counts = _statement_counts([p.id])
    return _json(
        proposal_dict(p, utcnow(), counts.get(p.id, 0)), s.Proposal(), last_modified=p.updated_at
    )


@bp.get("/proposals/<int:proposal_id>/statements")
@operation(
    "Visible discussion statements with their vote counts",
    tags=["discussion"],
    query=s.StatementQuery,
    response=s.StatementPage,
    errors=(404,),
)
def statements(proposal_id: int) -> Response:
    """Hidden and deleted statements are left out. Vote counts are the current votes
    (agree = 1, disagree = -1, pass = 0, as in Pol.is exports)."""
    from participate.models import ContentStatus

    p = _public_proposal(proposal_id)
    a = _args(s.StatementQuery)
    q = (
        select(Statement)
        .join(Discussion, Discussion.id == Statement.discussion_id)
        .where(Discussion.proposal_id == p.id, Statement.status == ContentStatus.VISIBLE)
    )
    if a["order"] == "newest":
        q = q.order_by(Statement.created_at.desc(), Statement.id.desc())
    elif a["order"] == "oldest":
        q = q.order_by(Statement.created_at, Statement.id)
    else:
        total = Statement.agree_count + Statement.disagree_count + Statement.pass_count
        q = q.order_by(total.desc(), Statement.id)
    items, meta, pages = _paginate(q, a["page"], a["per_page"])
    tallies.show_live(items)  # the votes not folded into the counters yet (PostgreSQL)
    links = _page_links(".statements", a["page"], pages)
    payload = {"items": [statement_dict(x, p.id) for x in items], "meta": meta, "links": links}
    return _with_link_header(_json(payload, s.StatementPage()), links)


@bp.get("/proposals/<int:proposal_id>/response")
@operation(
    "The official response, point by point",
    tags=["responses"],
    response=s.Response,
    errors=(404,),
)
def response(proposal_id: int) -> Response:
    """One point per measure the proposal suggested (or question a consultation asked):
    the decision, the reasoning, the responsible unit and the follow-up date."""
    p = _public_proposal(proposal_id)
    r = db.session.scalar(select(AgencyResponse).where(AgencyResponse.proposal_id == p.id))
    if r is None or r.published_at is None:
        raise _not_found()
    return _json(response_dict(r), s.Response(), last_modified=r.updated_at)


@bp.get("/proposals/<int:proposal_id>/analysis")
@operation(
    "The latest successful opinion analysis of the discussion",
    tags=["discussion"],
    response=s.Analysis,
    errors=(404,),
)
def analysis(proposal_id: int) -> Response:
    p = _public_proposal(proposal_id)
    d = db.session.scalar(select(Discussion).where(Discussion.proposal_id == p.id))
    found = None
    if d is not None:
        try:
            from participate.reports.queries import latest_succeeded
        except ImportError:  # the report area is optional
            latest_succeeded = None  # noqa: N806
        if latest_succeeded is not None:
            found = latest_succeeded(d.id)
    if found is None:
        raise _not_found()
    payload = {
        "id": found.id,
        "proposal_id": p.id,
        "discussion_id": d.id,
        "version": found.version,
        "finished_at": aware(found.finished_at),
        "vote_count": found.vote_count or 0,
        "vote_events": found.vote_events or 0,
        "last_vote_at": aware(found.last_vote_at),
        "parameters": found.parameters or {},
        "result": found.result,
    }
    return _json(payload, s.Analysis(), last_modified=found.finished_at)


@bp.get("/statistics")
@operation("Platform statistics", tags=["meta"], response=s.Statistics)
def statistics() -> Response:
    """The figures of the site's statistics page, with the same meanings."""
    now = utcnow()
    st = queries.statistics(now)
    payload = {
        "proposals_by_status": st.proposals_by_status,
        "consultations_by_status": st.consultations_by_status,
        "endorsements": st.endorsements,
        "statements": st.statements,
        "votes": st.votes,
        "participants": st.participants,
        "responses_published": st.responses_published,
        "responses_overdue": st.overdue,
        "agencies": st.agencies,
        "generated_at": now.replace(second=0, microsecond=0),
    }
    return _json(payload, s.Statistics())


@bp.get("/search")
@operation(
    "Full-text search (Traditional or Simplified Chinese, English)",
    tags=["search"],
    query=s.SearchQuery,
    response=s.SearchPage,
)
def search() -> Response:
    """The same engine as the site's search page: 台/臺 and full-width folded, Simplified
    converted, words ANDed, ranked by relevance then recency."""
    a = _args(s.SearchQuery)
    q = a["q"].replace("\x00", "")
    page = engine.search(
        q,
        kind=a.get("kind"),
        agency_id=a.get("agency"),
        status=a.get("status"),
        page=a["page"],
        per_page=a["per_page"],
    )
    links = _page_links(".search", page.page, page.pages)
    payload = {
        "query": q,
        "tokens": page.tokens,
        "items": [
            {
                "kind": h.kind,
                "id": h.item_id,
                "proposal_id": h.proposal_id,
                "title": h.title,
                "snippet_html": str(h.snippet),
                "status": h.status,
                "agency_ids": h.agency_ids,
                "created_at": h.created_at,
                "updated_at": h.updated_at,
                "url": h.url,
                "score": round(abs(h.rank), 6),
            }
            for h in page.hits
        ],
        "meta": {
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
        },
        "links": links,
    }
    return _with_link_header(_json(payload, s.SearchPage()), links)


# --------------------------------------------------------------------------- writes


@bp.post("/statements/<int:statement_id>/vote")
@csrf.exempt
@limiter.limit(_write_limit, key_func=token_rate_key)
@operation(
    "Vote on a statement",
    tags=["discussion"],
    body=s.VoteBody,
    response=s.VoteResult,
    errors=(400, 401, 403, 404, 409),
    scope="vote",
    cacheable=False,
)
def vote(statement_id: int) -> Response:
    """The last vote counts; every vote is kept in the history (as on the site)."""
    from participate.discussion import operations, queries

    user = authenticate("vote")
    body = _body(s.VoteBody)
    st = queries.load_statement(statement_id) if 0 < statement_id <= _MAX_ID else None
    if st is None or not policy.is_public(st.discussion.proposal):
        raise _not_found()
    if st.status.value != "visible":
        raise _not_found()
    result = operations.vote(user, st, body["value"])
    return _json(
        {
            "statement_id": result.statement_id,
            "value": result.value,
            "previous": result.previous,
            "changed": result.changed,
            "agree": result.agree,
            "disagree": result.disagree,
            "pass_": result.passes,
        },
        s.VoteResult(),
    )


@bp.post("/proposals/<int:proposal_id>/statements")
@csrf.exempt
@limiter.limit(_write_limit, key_func=token_rate_key)
@operation(
    "Post a statement to a discussion",
    tags=["discussion"],
    body=s.StatementBody,
    response=s.Statement,
    status=201,
    errors=(400, 401, 403, 404, 409),
    scope="statements:write",
    cacheable=False,
)
def post_statement(proposal_id: int) -> Response:
    """At most 300 characters; the same checks as on the site (open discussion, verified
    account, not suspended)."""
    from participate.discussion import operations
    from participate.models.discussion import get_or_create_discussion

    user = authenticate("statements:write")
    body = _body(s.StatementBody)
    p = _public_proposal(proposal_id)
    discussion = get_or_create_discussion(p)
    # The operation accepts the text as the site's form does (participate.text.accept_text):
    # a lone surrogate (possible in JSON), like a control character, is a field error.
    st = operations.post_statement(user, discussion, body["text"]).item
    return _json(statement_dict(st, p.id), s.Statement(), status=201)


# --------------------------------------------------------------------------- the document


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API (generated from the code)."""
    spec = current_app.extensions.get("participate_openapi")
    if spec is None:
        spec = current_app.extensions["participate_openapi"] = build_spec(current_app)
    return _json(spec)


@bp.get("/docs")
def docs() -> str:
    from flask import render_template

    from participate.api.docs import document, place_label, tag_label

    spec = current_app.extensions.get("participate_openapi")
    if spec is None:
        spec = current_app.extensions["participate_openapi"] = build_spec(current_app)
    return render_template(
        "api/docs.html", doc=document(spec), spec=spec, tag_label=tag_label, place_label=place_label
    )
