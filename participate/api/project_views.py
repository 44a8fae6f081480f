"""``/api/v1/projects``: major projects under public oversight, read-only.

Registered on the v1 blueprint (its errors, CORS, caching and rate limits apply), from the
same reads as the site's pages (:mod:`participate.projects.queries`, the figures of
:mod:`participate.projects.present`), so the API and the pages cannot disagree about what
needs attention. Every project is public once published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response

from participate.api import project_schemas as ps
from participate.api.openapi import operation
from participate.api.v1 import _args, _json, _not_found, _page_links, _with_link_header, bp
from participate.models import ProgressReport, Project, ProjectQuestion, ProjectStatus
from participate.projects import lifecycle, present, queries
from participate.projects.lifecycle import Attention
from participate.timeutil import aware, taipei_today, utcnow

_MAX_ID = ps.MAX_ID


def _attention_dict(a: Attention) -> dict[str, Any]:
    return {
        "score": a.score,
        "late_milestones": a.late_milestones,
        "budget_execution_ratio": round(a.budget_ratio, 4) if a.budget_ratio is not None else None,
        "budget_far_from_plan": a.budget_far,
        "report_overdue_days": a.report_overdue_days,
        "unanswered_questions": a.unanswered,
        "oldest_unanswered_days": a.oldest_unanswered_days,
        "reasons": list(a.reasons),
    }


def report_dict(r: ProgressReport) -> dict[str, Any]:
    return {
        "id": r.id,
        "as_of": r.as_of,
        "planned_percent": r.planned_percent,
        "actual_percent": r.actual_percent,
        "budget_planned": r.budget_planned,
        "budget_executed": r.budget_executed,
        "note": r.note or "",
        "published_at": aware(r.created_at),
        "milestones": [
            {
                "milestone_id": m.milestone_id,
                "state": m.state.value,
                "reached_on": m.reached_on,
                "new_date": m.new_date,
            }
            for m in r.milestones
        ],
        "kpis": [{"kpi_id": k.kpi_id, "value": k.value} for k in r.kpis],
    }


def project_dict(p: Project, attention: Attention, now: datetime) -> dict[str, Any]:
    d = present.deliberation_of(p, now)
    latest = lifecycle.latest_report(p)
    return {
        "id": p.id,
        "name": p.name,
        "status": p.status.value,
        "agency_id": p.agency_id,
        "counties": p.county_codes,
        "summary": p.summary or "",
        "goals": p.goals or "",
        "total_budget": p.total_budget,
        "budgets": [{"year": b.year, "amount": b.amount} for b in p.budgets],
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "document_links": list(p.document_links or []),
        "deliberation": (
            {
                "proposal_id": d.consultation.id,
                "status": d.status.value,
                "deadline": aware(d.consultation.deadline),
                "response_published_at": aware(d.response.published_at) if d.response else None,
                "url": f"/proposals/{d.consultation.id}",
                "api_url": f"/api/v1/proposals/{d.consultation.id}",
            }
            if d is not None
            else None
        ),
        "created_at": aware(p.created_at),
        "approved_at": aware(p.approved_at),
        "completed_at": aware(p.completed_at),
        "attention": _attention_dict(attention),
        "latest_report": report_dict(latest) if latest is not None else None,
        "next_report_due": lifecycle.next_report_due(p),
        "url": f"/projects/{p.id}",
        "api_url": f"/api/v1/projects/{p.id}",
    }


def _public_project(project_id: int) -> Project:
    found = queries.get(project_id) if 0 < project_id <= _MAX_ID else None
    if found is None:
        raise _not_found()
    return found


@bp.get("/projects")
@operation(
    "Major projects under public oversight, most in need of attention first",
    tags=["projects"],
    query=ps.ProjectQuery,
    response=ps.ProjectPage,
)
def projects() -> Response:
    """Filter by agency, county or city, and status. "Attention" counts late milestones,
    budget execution far from plan (20 % or more off), an overdue quarterly progress report
    and unanswered questions, as the site's list does."""
    a = _args(ps.ProjectQuery)
    now = utcnow()
    filters = queries.ListFilter(
        agency_id=a.get("agency"),
        county=a.get("county"),
        status=ProjectStatus(a["status"]) if a.get("status") else None,
        sort=a["sort"],
    )
    items = queries.ranked(filters, now)
    page, per_page = a["page"], a["per_page"]
    pages = max(1, -(-len(items) // per_page))
    shown = items[(page - 1) * per_page : page * per_page]
    links = _page_links(".projects", page, pages)
    payload = {
        "items": [project_dict(i.project, i.attention, now) for i in shown],
        "meta": {"page": page, "per_page": per_page, "total": len(items), "pages": pages},
        "links": links,
    }
    return _with_link_header(_json(payload, ps.ProjectPage()), links)


@bp.get("/projects/<int:project_id>")
@operation(
    "One project with its milestones, indicators and progress history",
    tags=["projects"],
    response=ps.ProjectDetail,
    errors=(404,),
)
def project(project_id: int) -> Response:
    """Milestone states are as of today (Taipei): reached, reached late, on time or late.
    The progress history lists every report, oldest first."""
    p = _public_project(project_id)
    now = utcnow()
    today = taipei_today(now)
    payload = project_dict(p, queries.attention_of(p, now), now)
    payload["milestones"] = [
        {
            "id": m.id,
            "position": m.position,
            "title": m.title,
            "planned_on": m.planned_on,
            "expected_on": m.expected_on,
            "reached_on": m.reached_on,
            "state": lifecycle.milestone_state(m, today),
        }
        for m in p.milestones
    ]
    payload["kpis"] = [
        {
            "id": k.id,
            "position": k.position,
            "name": k.name,
            "unit": k.unit or "",
            "target": k.target,
            "current_value": k.current_value,
        }
        for k in p.kpis
    ]
    payload["progress_history"] = [report_dict(r) for r in queries.history(p)]
    return _json(payload, ps.ProjectDetail(), last_modified=p.updated_at)


def _question_dict(q: ProjectQuestion) -> dict[str, Any]:
    return {
        "id": q.id,
        "project_id": q.project_id,
        "text": q.text,
        "asked_at": aware(q.created_at),
        "answer": q.answer,
        "answered_at": aware(q.answered_at),
        "answer_agency_id": q.answer_agency_id,
    }


@bp.get("/projects/<int:project_id>/questions")
@operation(
    "Public questions on a project and the agency's answers, oldest first",
    tags=["projects"],
    query=ps.PageQuery,
    response=ps.ProjectQuestionPage,
    errors=(404,),
)
def project_questions(project_id: int) -> Response:
    p = _public_project(project_id)
    a = _args(ps.PageQuery)
    now = utcnow()
    questions = queries.public_questions(p.id)
    unanswered, oldest = queries.question_figures([p.id], now).get(p.id, (0, None))
    page, per_page = a["page"], a["per_page"]
    pages = max(1, -(-len(questions) // per_page))
    links = _page_links(".project_questions", page, pages)
    payload = {
        "items": [_question_dict(q) for q in questions[(page - 1) * per_page : page * per_page]],
        "unanswered": unanswered,
        "oldest_unanswered_days": oldest,
        "meta": {"page": page, "per_page": per_page, "total": len(questions), "pages": pages},
        "links": links,
    }
    return _with_link_header(_json(payload, ps.ProjectQuestionPage()), links)
