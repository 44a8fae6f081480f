"""The projects area's tables in the open-data dumps (:mod:`participate.opendata.build`
writes them as CSV, UTF-8 and UTF-8 with BOM): the projects, their progress history (one
row per report), their milestones and the history of each indicator's value.

Everything here is public already (every published project is); no person appears: the
reports and answers are the agency's, and questions are not exported (their authors are
people). Reads only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from participate.extensions import db
from participate.models import MilestoneState, ProgressReport, Project
from participate.projects import lifecycle, queries
from participate.timeutil import aware, taipei_today

Table = tuple[str, Sequence[str], Iterable[Sequence[Any]], str]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        value = aware(value)
    return value.isoformat() if value is not None else ""


def _projects() -> list[Project]:
    return list(
        db.session.scalars(
            select(Project)
            .options(
                selectinload(Project.agency),
                selectinload(Project.counties),
                selectinload(Project.milestones),
                selectinload(Project.kpis),
                selectinload(Project.budgets),
                selectinload(Project.reports).selectinload(ProgressReport.milestones),
                selectinload(Project.reports).selectinload(ProgressReport.kpis),
            )
            .order_by(Project.id)
        )
    )


def opendata_tables(now: datetime) -> list[Table]:
    """``(file stem, header, rows, description)`` for each table."""
    projects = _projects()
    today = taipei_today(now)
    figures = queries.question_figures([p.id for p in projects], now)

    def project_rows() -> Iterable[list[Any]]:
        for p in projects:
            unanswered, _oldest = figures.get(p.id, (0, None))
            found = lifecycle.attention(p, today, unanswered)
            yield [
                p.id,
                p.name,
                p.status.value,
                p.agency_id,
                p.agency.name_zh if p.agency else "",
                " ".join(p.county_codes),
                p.total_budget,
                " ".join(f"{b.year}:{b.amount}" for b in p.budgets),
                _iso(p.starts_on),
                _iso(p.ends_on),
                _iso(p.approved_at),
                _iso(p.completed_at),
                p.deliberation_id or "",
                found.late_milestones,
                unanswered,
                f"/projects/{p.id}",
            ]

    def progress_rows() -> Iterable[list[Any]]:
        for p in projects:
            for r in p.reports:
                ratio = lifecycle.execution_ratio(r)
                states = [m.state for m in r.milestones]
                yield [
                    p.id,
                    r.id,
                    _iso(r.as_of),
                    r.planned_percent,
                    r.actual_percent,
                    r.budget_planned,
                    r.budget_executed,
                    f"{ratio:.4f}" if ratio is not None else "",
                    states.count(MilestoneState.REACHED),
                    states.count(MilestoneState.LATE),
                    r.note,
                    _iso(r.created_at),
                ]

    def milestone_rows() -> Iterable[list[Any]]:
        for p in projects:
            for m in p.milestones:
                yield [
                    p.id,
                    m.id,
                    m.position,
                    m.title,
                    _iso(m.planned_on),
                    _iso(m.expected_on),
                    _iso(m.reached_on),
                    lifecycle.milestone_state(m, today),
                ]

    def kpi_rows() -> Iterable[list[Any]]:
        for p in projects:
            kpis = {k.id: k for k in p.kpis}
            for r in p.reports:
                for v in r.kpis:
                    k = kpis.get(v.kpi_id)
                    if k is not None:
                        yield [p.id, k.id, k.name, k.unit, k.target, r.id, _iso(r.as_of), v.value]

    return [
        (
            "projects",
            [
                "id",
                "name",
                "status",
                "agency_id",
                "agency",
                "counties",
                "total_budget",
                "yearly_budgets",
                "starts_on",
                "ends_on",
                "approved_at",
                "completed_at",
                "deliberation_proposal_id",
                "late_milestones",
                "unanswered_questions",
                "url",
            ],
            project_rows(),
            "Major projects under public oversight",
        ),
        (
            "project-progress",
            [
                "project_id",
                "report_id",
                "as_of",
                "planned_percent",
                "actual_percent",
                "budget_planned",
                "budget_executed",
                "execution_ratio",
                "milestones_reached",
                "milestones_late",
                "note",
                "published_at",
            ],
            progress_rows(),
            "Progress history of the major projects, one row per progress report",
        ),
        (
            "project-milestones",
            [
                "project_id",
                "milestone_id",
                "position",
                "title",
                "planned_on",
                "expected_on",
                "reached_on",
                "state",
            ],
            milestone_rows(),
            "Milestones of the major projects and their state today",
        ),
        (
            "project-kpis",
            ["project_id", "kpi_id", "name", "unit", "target", "report_id", "as_of", "value"],
            kpi_rows(),
            "Indicator values of the major projects at each progress report",
        ),
    ]
