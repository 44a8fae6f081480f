"""Draft regulations in the open-data API: ``/api/v1/regulations`` (the list), one draft
with its comparison table, its comments, and its published response table.

Registered on the v1 blueprint (so they share its error handlers, CORS, caching headers
and rate limit, and appear in its OpenAPI document); reads only, through
:mod:`participate.regulations.queries` and the policy's idea of what is public.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response
from sqlalchemy import select

from participate import policy
from participate.api import regulation_schemas as rs
from participate.api.openapi import operation
from participate.api.schemas import MAX_ID
from participate.api.v1 import (
    _args,
    _json,
    _max_dt,
    _not_found,
    _page_links,
    _paginate,
    _with_link_header,
    bp,
)
from participate.extensions import db
from participate.models import (
    DraftStatus,
    RegulationComment,
    RegulationDraft,
    RegulationResponseRow,
)
from participate.proposals.lifecycle import Clock
from participate.regulations import lifecycle, queries
from participate.timeutil import aware, utcnow


def _public_draft(draft_id: int) -> RegulationDraft:
    draft = db.session.get(RegulationDraft, draft_id) if 0 < draft_id <= MAX_ID else None
    if draft is None or not policy.can_view_draft(None, draft):  # public to everyone
        raise _not_found()
    return draft


def _clock_dict(c: Clock | None) -> dict[str, Any] | None:
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


def draft_dict(d: RegulationDraft, now: datetime, comment_count: int = 0) -> dict[str, Any]:
    return {
        "id": d.id,
        "agency_id": d.agency_id,
        "status": lifecycle.effective_status(d, now).value,
        "title": d.title,
        "legal_basis": d.legal_basis or "",
        "unit": d.unit or "",
        "summary": d.summary or "",
        "published_at": aware(d.published_at),
        "comment_ends_at": aware(d.comment_ends_at),
        "period_days": d.period_days or 0,
        "short_period_reason": d.short_period_reason or "",
        "days_left": lifecycle.days_left(d, now),
        "response_due_at": aware(d.response_due_at),
        "responded_at": aware(d.responded_at),
        "response_clock": _clock_dict(lifecycle.response_clock(d, now)),
        "overdue": lifecycle.is_overdue(d, now),
        "promulgated_on": d.promulgated_on,
        "promulgation_reference": d.promulgation_reference or "",
        "comment_count": comment_count,
        "url": f"/regulations/{d.id}",
        "api_url": f"/api/v1/regulations/{d.id}",
    }


def comment_dict(c: RegulationComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "draft_id": c.draft_id,
        "article_id": c.article_id,
        "parent_id": c.parent_id,
        "body": c.body,
        "created_at": aware(c.created_at),
        "agree": c.agree_count or 0,
        "disagree": c.disagree_count or 0,
        "reply_count": c.reply_count or 0,
        "url": f"/regulations/comments/{c.root_id or c.id}#comment-{c.id}",
    }


@bp.get("/regulations")
@operation(
    "Draft regulations published for comment (法規預告), newest first",
    tags=["regulations"],
    query=rs.RegulationQuery,
    response=rs.RegulationPage,
)
def regulations() -> Response:
    """Filter by effective status, agency, and whether the response table is overdue.
    Each item carries its comment period, its response clock and its comment count."""
    a = _args(rs.RegulationQuery)
    now = utcnow()
    filters = queries.ListFilter(
        status=DraftStatus(a["status"]) if a.get("status") else None,
        agency_id=a.get("agency"),
        overdue=bool(a.get("overdue")),
    )
    items, meta, pages = _paginate(queries.public_list(filters, now), a["page"], a["per_page"])
    counts = queries.total_comments([d.id for d in items])
    links = _page_links(".regulations", a["page"], pages)
    payload = {
        "items": [draft_dict(d, now, counts.get(d.id, 0)) for d in items],
        "meta": meta,
        "links": links,
    }
    last = _max_dt([d.updated_at for d in items])
    return _with_link_header(_json(payload, rs.RegulationPage(), last_modified=last), links)


@bp.get("/regulations/<int:draft_id>")
@operation(
    "One draft regulation with its comparison table",
    tags=["regulations"],
    response=rs.Regulation,
    errors=(404,),
)
def regulation(draft_id: int) -> Response:
    """The articles in order: proposed text, current text, explanation, new / amended /
    deleted, the promulgated text once recorded, and the visible comments on each."""
    d = _public_draft(draft_id)
    now = utcnow()
    counts = queries.comment_counts(d.id)
    payload = draft_dict(d, now, sum(counts.values()))
    payload["articles"] = [
        {
            "id": a.id,
            "position": a.position,
            "label": a.label or "",
            "change": a.change.value,
            "proposed_text": a.proposed_text or "",
            "current_text": a.current_text or "",
            "explanation": a.explanation or "",
            "final_text": a.final_text if d.promulgated_at is not None else None,
            "comment_count": counts.get(a.id, 0),
        }
        for a in d.articles
    ]
    return _json(payload, rs.Regulation(), last_modified=d.updated_at)


@bp.get("/regulations/<int:draft_id>/comments")
@operation(
    "Visible comments on a draft regulation, oldest first",
    tags=["regulations"],
    query=rs.RegulationCommentQuery,
    response=rs.RegulationCommentPage,
    errors=(404,),
)
def regulation_comments(draft_id: int) -> Response:
    """Comments on an article (``article_id``) or on the whole draft (null), and replies
    in their threads (``parent_id``). Hidden and withdrawn comments are left out; authors
    are not named."""
    d = _public_draft(draft_id)
    a = _args(rs.RegulationCommentQuery)
    items, meta, pages = _paginate(
        queries.public_comments(d.id, a.get("article")), a["page"], a["per_page"]
    )
    links = _page_links(".regulation_comments", a["page"], pages)
    payload = {"items": [comment_dict(c) for c in items], "meta": meta, "links": links}
    return _with_link_header(_json(payload, rs.RegulationCommentPage()), links)


@bp.get("/regulations/<int:draft_id>/responses")
@operation(
    "The published response table of a draft regulation",
    tags=["regulations"],
    response=rs.ResponseTable,
    errors=(404,),
)
def regulation_responses(draft_id: int) -> Response:
    """One row per comment or group of similar comments: the comment ids it answers, the
    gist, adopted / partly / not adopted, and the reasons. 404 until it is published."""
    d = _public_draft(draft_id)
    if d.responded_at is None:
        raise _not_found()
    rows = db.session.scalars(
        select(RegulationResponseRow)
        .where(RegulationResponseRow.draft_id == d.id)
        .order_by(RegulationResponseRow.position)
    ).all()
    payload = {
        "draft_id": d.id,
        "published_at": aware(d.responded_at),
        "overall": d.response_overall or "",
        "rows": [
            {
                "position": r.position,
                "article_id": r.article_id,
                "comment_ids": list(r.comment_ids or []),
                "summary": r.summary or "",
                "decision": r.decision.value if r.decision else None,
                "reasoning": r.reasoning or "",
            }
            for r in rows
        ],
    }
    return _json(payload, rs.ResponseTable(), last_modified=d.responded_at)
