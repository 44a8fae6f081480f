"""What a project's page shows, computed once from the models: milestone states on today's
date, indicators against their targets, the budget against plan, the progress history with
its two charts and their descriptions, the deliberation and its answer, and the figures of
the questions. The page and the API read the same figures from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from participate.models import AgencyResponse, ProgressReport, Project, ProjectKpi, ProjectMilestone
from participate.projects import chart, lifecycle, queries
from participate.projects.lifecycle import Attention
from participate.proposals.lifecycle import effective_status
from participate.timeutil import taipei_today


@dataclass
class MilestoneRow:
    milestone: ProjectMilestone
    state: str  # lifecycle.milestone_state
    days_late: int  # expected (or reached) date minus planned date, in days; 0 if not late


@dataclass
class KpiRow:
    kpi: ProjectKpi
    share: float | None  # current / target, when both are known and the target is not 0


@dataclass
class HistoryRow:
    report: ProgressReport
    budget_planned_percent: float
    budget_executed_percent: float
    execution_ratio: float | None


@dataclass
class Deliberation:
    consultation: Any  # the Proposal of kind consultation
    status: Any  # its effective ProposalStatus
    response: AgencyResponse | None  # published only
    points: dict[int, Any] = field(default_factory=dict)  # measure id -> ResponsePoint


@dataclass
class ProjectPage:
    today: date
    attention: Attention
    milestones: list[MilestoneRow]
    kpis: list[KpiRow]
    history: list[HistoryRow]
    progress_chart: Markup | None
    progress_description: str
    budget_chart: Markup | None
    budget_description: str
    budget_planned_today: int
    latest: ProgressReport | None
    next_report_due: date | None
    deliberation: Deliberation | None


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def milestone_rows(project: Project, today: date) -> list[MilestoneRow]:
    rows = []
    for m in project.milestones:
        state = lifecycle.milestone_state(m, today)
        actual = m.reached_on or m.expected_on or (today if state == "late" else m.planned_on)
        rows.append(MilestoneRow(m, state, max(0, (actual - m.planned_on).days)))
    return rows


def kpi_rows(project: Project) -> list[KpiRow]:
    return [
        KpiRow(
            k,
            k.current_value / k.target if k.current_value is not None and k.target else None,
        )
        for k in project.kpis
    ]


def history_rows(project: Project, reports: list[ProgressReport]) -> list[HistoryRow]:
    return [
        HistoryRow(
            r,
            _percent(r.budget_planned, project.total_budget),
            _percent(r.budget_executed, project.total_budget),
            lifecycle.execution_ratio(r),
        )
        for r in reports
    ]


def _charts(
    project: Project, rows: list[HistoryRow]
) -> tuple[Markup | None, str, Markup | None, str]:
    if not rows:
        return None, "", None, ""
    dates = [r.report.as_of for r in rows]
    last = rows[-1]
    figures = {
        "planned": f"{last.report.planned_percent:g}",
        "actual": f"{last.report.actual_percent:g}",
        "budget_planned": f"{last.budget_planned_percent:g}",
        "budget_executed": f"{last.budget_executed_percent:g}",
    }
    progress_text = _(
        "Planned and actual progress at %(n)d progress reports from %(first)s to %(last)s. "
        "At the latest report: planned %(planned)s%%, actual %(actual)s%%.",
        n=len(rows),
        first=dates[0].isoformat(),
        last=dates[-1].isoformat(),
        planned=figures["planned"],
        actual=figures["actual"],
    )
    budget_text = _(
        "Budget planned to date and budget executed, as a share of the total budget, at "
        "%(n)d progress reports. At the latest report: planned %(planned)s%%, executed "
        "%(executed)s%%.",
        n=len(rows),
        planned=figures["budget_planned"],
        executed=figures["budget_executed"],
    )
    progress = chart.render(
        project.starts_on,
        dates,
        [
            chart.Series("planned", [r.report.planned_percent for r in rows]),
            chart.Series("actual", [r.report.actual_percent for r in rows]),
        ],
        _("Progress: planned and actual"),
        progress_text,
        ids="progress-chart",
    )
    budget = chart.render(
        project.starts_on,
        dates,
        [
            chart.Series("planned", [r.budget_planned_percent for r in rows]),
            chart.Series("actual", [r.budget_executed_percent for r in rows]),
        ],
        _("Budget: planned and executed"),
        budget_text,
        ids="budget-chart",
    )
    return progress, progress_text, budget, budget_text


def deliberation_of(project: Project, now: datetime) -> Deliberation | None:
    consultation = project.deliberation
    if consultation is None:
        return None
    response = consultation.response
    published = response if response is not None and response.published_at else None
    return Deliberation(
        consultation,
        effective_status(consultation, now),
        published,
        {p.measure_id: p for p in published.points} if published else {},
    )


def project_page(project: Project, user: Any, now: datetime) -> ProjectPage:
    today = taipei_today(now)
    reports = queries.history(project)
    rows = history_rows(project, reports)
    progress, progress_text, budget, budget_text = _charts(project, rows)
    return ProjectPage(
        today=today,
        attention=queries.attention_of(project, now),
        milestones=milestone_rows(project, today),
        kpis=kpi_rows(project),
        history=rows,
        progress_chart=progress,
        progress_description=progress_text,
        budget_chart=budget,
        budget_description=budget_text,
        budget_planned_today=lifecycle.planned_budget_to(project, today),
        latest=reports[-1] if reports else None,
        next_report_due=lifecycle.next_report_due(project),
        deliberation=deliberation_of(project, now),
    )
