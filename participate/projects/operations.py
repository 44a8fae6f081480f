"""What people do with major projects: one function per action.

Each operation, in this order: asks :mod:`participate.policy` (a "no" becomes a
:class:`~participate.errors.RuleError`), screens what a citizen wrote (moderation's
screening), writes, flushes, records the audit entry (status changes through
:func:`lifecycle.transition`, which audits them) and queues its side effects (notification
mail) in :mod:`participate.outbox`. None of them commits: the request, the job or the
command around it does (:mod:`participate.boundary`).

**The deliberation is a consultation.** Opening a project's deliberation calls the
proposals area's own :func:`participate.proposals.operations.open_consultation` for the
project's agency and links the consultation to the project. So the discussion (statements,
votes, moderation, locks), the opinion report, search, the open-data dumps and the
agency's point-by-point response are exactly the consultation's, with no second copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    MilestoneState,
    ProgressKpi,
    ProgressMilestone,
    ProgressReport,
    Project,
    ProjectBudgetYear,
    ProjectCounty,
    ProjectFollow,
    ProjectKpi,
    ProjectMilestone,
    ProjectNotification,
    ProjectNotificationKind,
    ProjectQuestion,
    ProjectStatus,
    Proposal,
    QuestionStatus,
    User,
)
from participate.moderation.screening import ScreenRequest, screen
from participate.projects import lifecycle
from participate.projects.lifecycle import COUNTIES, MAX_KPIS, MAX_MILESTONES
from participate.projects.notifications import notify_followers, notify_user
from participate.text import accept_into, accept_lines, accept_text, clean_text, is_blank
from participate.timeutil import aware, taipei_today, utcnow

S = ProjectStatus
QUESTION_MIN, QUESTION_MAX = 5, 1000
ANSWER_MAX = 5000
MAX_LINKS = 10
# Sums of money are whole New Taiwan dollars below a quadrillion (BigInteger holds them).
MAX_AMOUNT = 10**15


def _at(now: datetime | None) -> datetime:
    return aware(now) if now is not None else utcnow()


def _require(ok: bool, message: Any = None, status: int = 403) -> None:
    """Refuse unless ``ok``; ``message`` is a lazy string, translated only when refusing."""
    if not ok:
        raise RuleError(str(message or _("You do not have permission to do that.")), status=status)


def _links(items: list[str]) -> list[str]:
    """Only http(s) links are stored: they become ``href``s on a public page."""
    out = []
    for item in accept_lines(items, "links"):
        parsed = urlparse(item)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(item) > 500:
            raise RuleError(_("Links must be web addresses starting with https://"), field="links")
        out.append(item)
    if len(out) > MAX_LINKS:
        raise RuleError(_("Give at most %(n)d links.", n=MAX_LINKS), field="links")
    return out


# --------------------------------------------------------------------------- publish


@dataclass
class KpiInput:
    name: str
    unit: str
    target: float


@dataclass
class MilestoneInput:
    title: str
    planned_on: date


@dataclass
class ProjectInput:
    name: str
    summary: str
    goals: str
    total_budget: int
    budgets: dict[int, int]  # year -> amount
    starts_on: date
    ends_on: date
    counties: list[str]
    kpis: list[KpiInput]
    milestones: list[MilestoneInput]
    links: list[str] = field(default_factory=list)


def _project_errors(data: ProjectInput) -> dict[str, str]:
    """Every problem of a project as published, by form field."""
    errors: dict[str, str] = {}
    if not 5 <= len(data.name.strip()) <= 120:
        errors["name"] = _("Use 5 to 120 characters.")
    if is_blank(data.summary):
        errors["summary"] = _("Write a short summary.")
    if is_blank(data.goals):
        errors["goals"] = _("Describe the goals.")
    if data.ends_on <= data.starts_on:
        errors["ends_on"] = _("The end date must be after the start date.")
    if not 0 < data.total_budget < MAX_AMOUNT:
        errors["total_budget"] = _("Give the total budget in New Taiwan dollars.")
    years = range(data.starts_on.year, data.ends_on.year + 1)
    if not data.budgets:
        errors["budgets"] = _("Give the budget of each year.")
    elif any(y not in years for y in data.budgets):
        errors["budgets"] = _("Every budget year must be within the project's period.")
    elif any(not 0 <= a < MAX_AMOUNT for a in data.budgets.values()):
        errors["budgets"] = _("Amounts must be whole New Taiwan dollars.")
    elif "total_budget" not in errors and sum(data.budgets.values()) != data.total_budget:
        errors["budgets"] = _("The yearly budgets must add up to the total budget.")
    if any(c not in COUNTIES for c in data.counties):
        errors["counties"] = _("Choose counties and cities from the list.")
    if not data.kpis:
        errors["kpis"] = _("Give at least one indicator with its target.")
    elif len(data.kpis) > MAX_KPIS:
        errors["kpis"] = _("Give at most %(n)d indicators.", n=MAX_KPIS)
    elif any(not k.name.strip() or not math.isfinite(k.target) for k in data.kpis):
        errors["kpis"] = _("Each indicator needs a name and a numeric target.")
    if not data.milestones:
        errors["milestones"] = _("Give at least one milestone with its planned date.")
    elif len(data.milestones) > MAX_MILESTONES:
        errors["milestones"] = _("Give at most %(n)d milestones.", n=MAX_MILESTONES)
    elif any(
        not data.starts_on <= m.planned_on <= data.ends_on or not m.title.strip()
        for m in data.milestones
    ):
        errors["milestones"] = _("Every milestone needs a title and a date within the period.")
    return errors


def _text_errors(data: ProjectInput) -> dict[str, str]:
    """The project's texts as ``text.accept_text`` accepts them (no control character,
    something visible), by form field; the lists' items each on their own."""
    errors: dict[str, str] = {}
    accept_into(errors, data.name, "name", empty=_l("Use 5 to 120 characters."))
    accept_into(errors, data.summary, "summary", multiline=True, empty=_l("Write a short summary."))
    accept_into(errors, data.goals, "goals", multiline=True, empty=_l("Describe the goals."))
    for k in data.kpis:
        accept_into(errors, k.name, "kpis", required=False)
        accept_into(errors, k.unit, "kpis", required=False)
    for m in data.milestones:
        accept_into(errors, m.title, "milestones", required=False)
    return errors


def publish_project(staff: User, data: ProjectInput, now: datetime | None = None) -> Project:
    """Agency staff publish a major project for their own agency (public at once)."""
    now = _at(now)
    _require(policy.can_publish_project(staff, now))
    errors = _project_errors(data) | _text_errors(data)  # a refused text says why
    try:
        links = _links(data.links)
    except RuleError as exc:
        errors["links"] = exc.message
    if errors:
        raise RuleError(next(iter(errors.values())), fields=errors)
    project = Project(
        agency_id=staff.agency_id,
        author_id=staff.id,
        status=S.PLANNING,
        name=clean_text(data.name, multiline=False),
        summary=clean_text(data.summary, multiline=True),
        goals=clean_text(data.goals, multiline=True),
        total_budget=data.total_budget,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        document_links=links,
        created_at=now,
    )
    project.counties = [ProjectCounty(county=c) for c in dict.fromkeys(data.counties)]
    project.budgets = [ProjectBudgetYear(year=y, amount=a) for y, a in sorted(data.budgets.items())]
    project.kpis = [
        ProjectKpi(
            position=i + 1,
            name=clean_text(k.name, multiline=False)[:200],
            unit=clean_text(k.unit, multiline=False)[:40],
            target=float(k.target),
        )
        for i, k in enumerate(data.kpis)
    ]
    project.milestones = [
        ProjectMilestone(
            position=i + 1,
            title=clean_text(m.title, multiline=False)[:200],
            planned_on=m.planned_on,
        )
        for i, m in enumerate(sorted(data.milestones, key=lambda m: m.planned_on))
    ]
    db.session.add(project)
    db.session.flush()
    audit.record(staff, "project.publish", "project", project.id, agency=staff.agency_id)
    _follow(staff.id, project.id)
    return project


# --------------------------------------------------------------------------- deliberation


@dataclass
class DeliberationInput:
    summary: str
    questions: list[str]
    closes_on: date | None


def open_deliberation(
    staff: User, project: Project, data: DeliberationInput, now: datetime | None = None
) -> Proposal:
    """Open the deliberation before approval: a consultation of the project's agency on
    the project (its questions are the points the agency will answer), linked to it."""
    from participate.proposals.operations import ConsultationInput, open_consultation

    now = _at(now)
    _require_phase(
        policy.can_open_deliberation(staff, project, now),
        staff,
        project,
        now,
        _l("A deliberation can be opened once, before the project is approved."),
    )
    base = current_app.config["BASE_URL"].rstrip("/")
    # The consultation's title is stored data: in the site's language, not the staff's.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        title = _("Deliberation: %(name)s", name=project.name)[:120]
    consultation = open_consultation(
        staff,
        ConsultationInput(
            title=title,
            summary=(data.summary or "").strip() or project.summary[:500],
            background=project.summary + "\n\n" + project.goals,
            draft_text="",
            questions=data.questions,
            links=[f"{base}/projects/{project.id}", *project.document_links],
            closes_on=data.closes_on,
        ),
        now,
    )
    project.deliberation_id = consultation.id
    project.deliberation = consultation
    lifecycle.transition(project, S.DELIBERATION, staff, now, consultation=consultation.id)
    db.session.flush()
    return consultation


def _require_phase(
    allowed: bool, staff: User, project: Project, now: datetime, message: Any
) -> None:
    """Refuse: 403 to who does not act for the project's agency, 409 (with ``message``) to
    its staff when the project is not in the phase for this action."""
    if allowed:
        return
    _require(policy.acts_for_project(staff, project, now))
    raise RuleError(str(message), status=409)


def approve_project(staff: User, project: Project, now: datetime | None = None) -> None:
    """Approve the project and start it; progress reports are due from now on."""
    now = _at(now)
    if project.status == S.DELIBERATION:
        message = _l("Publish the response to the deliberation before approving the project.")
    else:
        message = _l("The project is already approved.")
    _require_phase(policy.can_approve(staff, project, now), staff, project, now, message)
    lifecycle.transition(project, S.UNDERWAY, staff, now)
    db.session.flush()


def complete_project(staff: User, project: Project, now: datetime | None = None) -> None:
    now = _at(now)
    _require_phase(
        policy.can_complete(staff, project, now),
        staff,
        project,
        now,
        _l("Only a project under way can be completed."),
    )
    lifecycle.transition(project, S.COMPLETED, staff, now)
    db.session.flush()


# --------------------------------------------------------------------------- progress


@dataclass
class MilestoneProgress:
    milestone_id: int
    state: str
    reached_on: date | None = None
    new_date: date | None = None


@dataclass
class ProgressInput:
    as_of: date
    planned_percent: float
    actual_percent: float
    budget_executed: int
    milestones: list[MilestoneProgress]
    kpis: dict[int, float]
    note: str = ""


def _milestone_error(m: ProjectMilestone, given: MilestoneProgress, as_of: date) -> str | None:
    try:
        state = MilestoneState(given.state)
    except ValueError:
        return _("Choose the milestone's state.")
    if state == MilestoneState.REACHED:
        if given.reached_on is None or given.reached_on > as_of:
            return _("Give the date it was reached (on or before the report's date).")
    elif state == MilestoneState.ON_TIME:
        if m.planned_on < as_of:
            return _("Its planned date has passed: mark it reached, or late with a new date.")
    elif given.new_date is None or given.new_date <= m.planned_on or given.new_date < as_of:
        return _("A late milestone needs a new date after the planned one.")
    return None


def _progress_errors(project: Project, data: ProgressInput, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    last = lifecycle.latest_report(project)
    if data.as_of > today or data.as_of < project.starts_on:
        errors["as_of"] = _("The report's date must be within the project and not in the future.")
    elif last is not None and data.as_of <= last.as_of:
        errors["as_of"] = _(
            "The report's date must be after the previous report's (%(date)s).",
            date=last.as_of.isoformat(),
        )
    for name, value in (
        ("planned_percent", data.planned_percent),
        ("actual_percent", data.actual_percent),
    ):
        if not (math.isfinite(value) and 0 <= value <= 100):
            errors[name] = _("Give a percentage between 0 and 100.")
    if not 0 <= data.budget_executed < MAX_AMOUNT:
        errors["budget_executed"] = _("Give the budget executed in New Taiwan dollars.")
    given = {g.milestone_id: g for g in data.milestones}
    for m in project.milestones:
        g = given.get(m.id)
        problem = (
            _("Choose the milestone's state.") if g is None else _milestone_error(m, g, data.as_of)
        )
        if problem:
            errors[f"milestone_{m.id}"] = problem
    for k in project.kpis:
        value = data.kpis.get(k.id)
        if value is not None and not math.isfinite(value):
            errors[f"kpi_{k.id}"] = _("Give a number.")
    return errors


def report_progress(
    staff: User, project: Project, data: ProgressInput, now: datetime | None = None
) -> ProgressReport:
    """Publish a progress report: percent complete against plan, budget executed (the
    planned amount to that date comes from the yearly budgets), each milestone's state and
    each indicator's value. The followers are notified after the commit."""
    now = _at(now)
    _require_phase(
        policy.can_report_progress(staff, project, now),
        staff,
        project,
        now,
        _l("Progress is reported once the project is approved and until it is completed."),
    )
    errors = _progress_errors(project, data, taipei_today(now))
    accept_into(errors, data.note, "note", multiline=True, required=False)
    if errors:
        raise RuleError(next(iter(errors.values())), fields=errors)
    report = ProgressReport(
        project_id=project.id,
        agency_id=project.agency_id,
        author_id=staff.id,
        as_of=data.as_of,
        planned_percent=round(float(data.planned_percent), 1),
        actual_percent=round(float(data.actual_percent), 1),
        budget_planned=lifecycle.planned_budget_to(project, data.as_of),
        budget_executed=int(data.budget_executed),
        note=clean_text(data.note, multiline=True)[:5000],
        created_at=now,
    )
    given = {g.milestone_id: g for g in data.milestones}
    for m in project.milestones:
        g = given[m.id]
        state = MilestoneState(g.state)
        row = ProgressMilestone(milestone_id=m.id, state=state)
        if state == MilestoneState.REACHED:
            row.reached_on = m.reached_on = g.reached_on
            m.expected_on = None
        elif state == MilestoneState.LATE:
            row.new_date = m.expected_on = g.new_date
            m.reached_on = None
        else:
            m.reached_on = m.expected_on = None
        report.milestones.append(row)
    for k in project.kpis:
        value = data.kpis.get(k.id)
        if value is not None:
            report.kpis.append(ProgressKpi(kpi_id=k.id, value=float(value)))
            k.current_value = float(value)
    db.session.add(report)
    project.reports.append(report)
    project.updated_at = now
    db.session.flush()
    audit.record(
        staff,
        "project.progress",
        "project",
        project.id,
        report=report.id,
        as_of=report.as_of.isoformat(),
        actual=report.actual_percent,
    )
    notify_followers(
        project,
        ProjectNotificationKind.PROGRESS,
        now,
        actor_id=staff.id,
        report=report.id,
        as_of=data.as_of.isoformat(),
    )
    return report


# --------------------------------------------------------------------------- questions


@dataclass
class AskResult:
    question: ProjectQuestion
    held: bool


def ask_question(user: User, project: Project, text: str, now: datetime | None = None) -> AskResult:
    """A public question to the agency. Screening may hold it for a moderator; the asker
    follows the project and hears about the answer."""
    now = _at(now)
    _require(
        policy.can_ask(user, project, now), _l("Confirm your email address to ask a question.")
    )
    cleaned = accept_text(
        text,
        "text",
        multiline=True,
        empty=_l("Write your question (at least %(n)d characters).", n=QUESTION_MIN),
    )
    if len(cleaned) < QUESTION_MIN:
        raise RuleError(
            _("Write your question (at least %(n)d characters).", n=QUESTION_MIN), field="text"
        )
    if len(cleaned) > QUESTION_MAX:
        raise RuleError(
            _("A question can have at most %(n)d characters.", n=QUESTION_MAX), field="text"
        )
    result = screen(ScreenRequest(user, "question", cleaned))
    if result is not None and result.action == "reject":
        raise RuleError(result.message or _("This cannot be published."), field="text")
    held = result is not None and result.action == "hold"
    question = ProjectQuestion(
        project_id=project.id,
        author_id=user.id,
        text=cleaned,
        status=QuestionStatus.HELD if held else QuestionStatus.VISIBLE,
        held_reason=result.reason if held and result is not None else None,
        created_at=now,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        user, "project.ask", "project_question", question.id, project=project.id, held=held
    )
    _follow(user.id, project.id)
    return AskResult(question, held)


def answer_question(
    staff: User, question: ProjectQuestion, answer: str, now: datetime | None = None
) -> None:
    """The agency answers a published question in public, once."""
    now = _at(now)
    _require(policy.can_answer(staff, question, now))
    cleaned = accept_text(answer, "answer", multiline=True, empty=_l("Write the answer."))
    if len(cleaned) > ANSWER_MAX:
        raise RuleError(
            _("An answer can have at most %(n)d characters.", n=ANSWER_MAX), field="answer"
        )
    question.answer = cleaned
    question.answered_at = now
    question.answerer_id = staff.id
    question.answer_agency_id = staff.agency_id
    db.session.flush()
    audit.record(
        staff, "project.answer", "project_question", question.id, project=question.project_id
    )
    notify_user(
        question.author_id,
        question.project,
        ProjectNotificationKind.ANSWERED,
        now,
        question=question.id,
    )


def moderate_question(
    moderator: User, question: ProjectQuestion, publish: bool, now: datetime | None = None
) -> None:
    """A moderator publishes a held question, or hides one (held or published)."""
    now = _at(now)
    _require(policy.can_moderate_question(moderator, question, now))
    before = question.status
    question.status = QuestionStatus.VISIBLE if publish else QuestionStatus.HIDDEN
    db.session.flush()
    audit.record(
        moderator,
        "project.question.publish" if publish else "project.question.hide",
        "project_question",
        question.id,
        before=before.value,
        after=question.status.value,
    )


# --------------------------------------------------------------------------- follow


def _follow(user_id: int, project_id: int) -> None:
    """Follow once (``INSERT ... ON CONFLICT DO NOTHING``: a second follow is a no-op and
    never undoes the caller's other writes)."""
    table = ProjectFollow.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(table)
        .values(project_id=project_id, user_id=user_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.project_id, table.c.user_id])
    )


def follow(user: User, project: Project, now: datetime | None = None) -> None:
    """Be notified of each progress report."""
    now = _at(now)
    _require(policy.can_follow_project(user, project, now))
    _follow(user.id, project.id)


def unfollow(user: User, project: Project) -> None:
    """Stop the notifications (allowed whatever the account's state: it only stops mail)."""
    _require(policy.is_authenticated(user))
    db.session.execute(
        ProjectFollow.__table__.delete().where(
            ProjectFollow.project_id == project.id, ProjectFollow.user_id == user.id
        )
    )


def mark_all_read(user: User, now: datetime | None = None) -> None:
    _require(policy.is_authenticated(user))
    db.session.execute(
        update(ProjectNotification)
        .where(ProjectNotification.user_id == user.id, ProjectNotification.read_at.is_(None))
        .values(read_at=_at(now))
    )
