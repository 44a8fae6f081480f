"""The project lifecycle and the measures of a project's health, computed in one place.

- :func:`transition` is the only place a project's status changes; ``ALLOWED`` lists every
  edge (planning → deliberation → underway → completed; a project may skip deliberation).
- What needs attention (:func:`attention`): milestones that are late, budget execution far
  from plan, a progress report overdue, unanswered questions. The list page, the project
  page, the API and the ranking all read it from here.
- The budget planned to a date (:func:`planned_budget_to`) comes from the yearly budgets.

Plain functions on the models: the policy, the operations, the queries and the views all
read the lifecycle from here. Time comes in as ``today`` (a Taipei date) or ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from participate import audit
from participate.errors import RuleError
from participate.models import (
    MilestoneState,
    ProgressReport,
    Project,
    ProjectMilestone,
    ProjectStatus,
    User,
)
from participate.timeutil import taipei_today

S = ProjectStatus

ALLOWED: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    S.PLANNING: frozenset({S.DELIBERATION, S.UNDERWAY}),
    S.DELIBERATION: frozenset({S.UNDERWAY}),
    S.UNDERWAY: frozenset({S.COMPLETED}),
}

STATUS_LABELS: dict[ProjectStatus, Any] = {
    S.PLANNING: _l("Planning"),
    S.DELIBERATION: _l("Open deliberation"),
    S.UNDERWAY: _l("Under way"),
    S.COMPLETED: _l("Completed"),
}

MILESTONE_LABELS: dict[str, Any] = {
    "reached": _l("Reached"),
    "reached_late": _l("Reached late"),
    "on_time": _l("On time"),
    "late": _l("Late"),
}

# Progress reports are due at least quarterly: one is overdue this many days after the
# previous report (or after approval, for the first).
REPORT_INTERVAL_DAYS = 92
# Budget execution is "far from plan" when executed / planned-to-date is off by this much.
BUDGET_DEVIATION = 0.2
MAX_KPIS = 20
MAX_MILESTONES = 30

# The 22 counties and cities (ISO 3166-2:TW codes), in the usual official order.
COUNTIES: dict[str, Any] = {
    "TPE": _l("Taipei City"),
    "NWT": _l("New Taipei City"),
    "TAO": _l("Taoyuan City"),
    "TXG": _l("Taichung City"),
    "TNN": _l("Tainan City"),
    "KHH": _l("Kaohsiung City"),
    "KEE": _l("Keelung City"),
    "HSZ": _l("Hsinchu City"),
    "CYI": _l("Chiayi City"),
    "HSQ": _l("Hsinchu County"),
    "MIA": _l("Miaoli County"),
    "CHA": _l("Changhua County"),
    "NAN": _l("Nantou County"),
    "YUN": _l("Yunlin County"),
    "CYQ": _l("Chiayi County"),
    "PIF": _l("Pingtung County"),
    "ILA": _l("Yilan County"),
    "HUA": _l("Hualien County"),
    "TTT": _l("Taitung County"),
    "PEN": _l("Penghu County"),
    "KIN": _l("Kinmen County"),
    "LIE": _l("Lienchiang County"),
}


def county_names(codes: list[str]) -> list[str]:
    """The names of ``codes`` in the official order of the counties and cities."""
    chosen = set(codes)
    return [str(label) for code, label in COUNTIES.items() if code in chosen]


# --------------------------------------------------------------------------- transition


def transition(
    project: Project, new: ProjectStatus, actor: User | None, now: datetime, **detail: Any
) -> None:
    """The one place a project's status changes: refuse edges not in ``ALLOWED``, stamp,
    audit."""
    old = project.status
    if new not in ALLOWED.get(old, frozenset()):
        raise RuleError(
            _(
                "This action is not possible while the project is %(status)s.",
                status=str(STATUS_LABELS[old]),
            ),
            status=409,
        )
    project.status = new
    if new == S.UNDERWAY:
        project.approved_at = now
    elif new == S.COMPLETED:
        project.completed_at = now
    audit.record(
        actor,
        f"project.{new.value}",
        "project",
        project.id,
        before=old.value,
        after=new.value,
        **detail,
    )


# --------------------------------------------------------------------------- milestones


def milestone_state(m: ProjectMilestone, today: date) -> str:
    """ "reached", "reached_late", "on_time" or "late" on ``today``: late when a report
    moved it to a later date, or when its (planned or new) date has passed unreached."""
    if m.reached_on is not None:
        return "reached_late" if m.reached_on > m.planned_on else "reached"
    expected = m.expected_on or m.planned_on
    if expected > m.planned_on or expected < today:
        return "late"
    return "on_time"


def is_late(m: ProjectMilestone, today: date) -> bool:
    return milestone_state(m, today) == "late"


def state_for_report(m: ProjectMilestone, as_of: date) -> MilestoneState:
    """The state a progress report would give ``m`` if nothing changed (the form's default)."""
    if m.reached_on is not None:
        return MilestoneState.REACHED
    return MilestoneState.LATE if is_late(m, as_of) else MilestoneState.ON_TIME


# --------------------------------------------------------------------------- budget


def planned_budget_to(project: Project, day: date) -> int:
    """The budget planned to be spent by ``day``: every yearly budget of the years before,
    and of ``day``'s year the share of the project's days in that year that have passed."""
    total = 0
    for row in project.budgets:
        first = max(date(row.year, 1, 1), project.starts_on)
        last = min(date(row.year, 12, 31), project.ends_on)
        if last < first or day < first:
            continue
        if day >= last:
            total += row.amount
            continue
        share = ((day - first).days + 1) / ((last - first).days + 1)
        total += round(row.amount * share)
    return total


def execution_ratio(report: ProgressReport | None) -> float | None:
    """Budget executed / budget planned to the report's date (None before any plan)."""
    if report is None or not report.budget_planned:
        return None
    return report.budget_executed / report.budget_planned


def budget_far_from_plan(report: ProgressReport | None) -> bool:
    ratio = execution_ratio(report)
    # Rounded: 1.2 - 1 is 0.19999999999999996 in floating point, and 120 % is off by 20 %.
    return ratio is not None and round(abs(ratio - 1), 9) >= BUDGET_DEVIATION


# --------------------------------------------------------------------------- reports


def latest_report(project: Project) -> ProgressReport | None:
    return project.reports[-1] if project.reports else None


def next_report_due(project: Project) -> date | None:
    """When the next progress report is due (under way only): a quarter after the last
    report, or after approval for the first."""
    if project.status != S.UNDERWAY:
        return None
    last = latest_report(project)
    if last is not None:
        return last.as_of + timedelta(days=REPORT_INTERVAL_DAYS)
    started = taipei_today(project.approved_at) if project.approved_at else project.starts_on
    return started + timedelta(days=REPORT_INTERVAL_DAYS)


# --------------------------------------------------------------------------- attention


@dataclass
class Attention:
    """What needs attention in a project at a moment, and a score to rank projects by."""

    late_milestones: int = 0
    budget_ratio: float | None = None
    budget_far: bool = False
    report_overdue_days: int = 0
    unanswered: int = 0
    oldest_unanswered_days: int | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return (
            3 * self.late_milestones
            + (2 if self.budget_far else 0)
            + (2 if self.report_overdue_days else 0)
            + min(self.unanswered, 5)
        )


def attention(
    project: Project,
    today: date,
    unanswered: int = 0,
    oldest_unanswered_days: int | None = None,
) -> Attention:
    """The project's attention items on ``today`` (question figures come from the queries,
    which count them in SQL for many projects at once)."""
    found = Attention(unanswered=unanswered, oldest_unanswered_days=oldest_unanswered_days)
    if project.status == S.COMPLETED:
        found.late_milestones = 0
    else:
        found.late_milestones = sum(1 for m in project.milestones if is_late(m, today))
    last = latest_report(project)
    found.budget_ratio = execution_ratio(last)
    found.budget_far = project.status != S.COMPLETED and budget_far_from_plan(last)
    due = next_report_due(project)
    if due is not None and today > due:
        found.report_overdue_days = (today - due).days
    if found.late_milestones:
        found.reasons.append("late_milestones")
    if found.budget_far:
        found.reasons.append("budget")
    if found.report_overdue_days:
        found.reasons.append("report_overdue")
    if unanswered:
        found.reasons.append("unanswered")
    return found
