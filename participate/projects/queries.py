"""Reads of the projects area shared by the pages, the API and the open-data dumps.

The list ranked by what needs attention, its filters (agency, county, status), one
project with everything its page shows, the questions and their figures (the unanswered
count and the oldest unanswered question's age), a person's followed projects and
notifications. What "needs attention" means is :func:`lifecycle.attention`'s; nothing
here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from participate import policy
from participate.extensions import db
from participate.models import (
    Agency,
    ProgressReport,
    Project,
    ProjectCounty,
    ProjectFollow,
    ProjectNotification,
    ProjectQuestion,
    ProjectStatus,
    QuestionStatus,
)
from participate.projects import lifecycle
from participate.projects.lifecycle import Attention
from participate.timeutil import aware, taipei_today

SORTS = ("attention", "newest")


@dataclass
class ListFilter:
    agency_id: int | None = None
    county: str | None = None
    status: ProjectStatus | None = None
    sort: str = "attention"


@dataclass
class ProjectItem:
    project: Project
    attention: Attention


def _with_details(query: Select[tuple[Project]]) -> Select[tuple[Project]]:
    return query.options(
        selectinload(Project.agency),
        selectinload(Project.counties),
        selectinload(Project.milestones),
        selectinload(Project.reports),
        selectinload(Project.budgets),
    )


def filtered(filters: ListFilter) -> Select[tuple[Project]]:
    """Every published project (all are public) matching the filters."""
    query = select(Project)
    if filters.agency_id is not None:
        query = query.where(Project.agency_id == filters.agency_id)
    if filters.county:
        query = query.where(
            Project.id.in_(
                select(ProjectCounty.project_id).where(ProjectCounty.county == filters.county)
            )
        )
    if filters.status is not None:
        query = query.where(Project.status == filters.status)
    return query


def question_figures(project_ids: list[int], now: datetime) -> dict[int, tuple[int, int | None]]:
    """Per project: (unanswered published questions, age in days of the oldest of them)."""
    if not project_ids:
        return {}
    rows = db.session.execute(
        select(
            ProjectQuestion.project_id,
            func.count(ProjectQuestion.id),
            func.min(ProjectQuestion.created_at),
        )
        .where(
            ProjectQuestion.project_id.in_(project_ids),
            ProjectQuestion.status == QuestionStatus.VISIBLE,
            ProjectQuestion.answered_at.is_(None),
        )
        .group_by(ProjectQuestion.project_id)
    ).all()
    out: dict[int, tuple[int, int | None]] = {}
    for pid, count, oldest in rows:
        first = aware(oldest)
        out[int(pid)] = (int(count), max(0, (now - first).days) if first else None)
    return out


def attention_of(project: Project, now: datetime) -> Attention:
    unanswered, oldest = question_figures([project.id], now).get(project.id, (0, None))
    return lifecycle.attention(project, taipei_today(now), unanswered, oldest)


def ranked(filters: ListFilter, now: datetime) -> list[ProjectItem]:
    """The list, most in need of attention first (then newest), or newest first.

    Ranked in Python: the attention of a project depends on today's date and on its
    milestones and latest report, and major projects number in the hundreds, not millions.
    """
    projects = list(db.session.scalars(_with_details(filtered(filters))))
    figures = question_figures([p.id for p in projects], now)
    today = taipei_today(now)
    items = [
        ProjectItem(p, lifecycle.attention(p, today, *figures.get(p.id, (0, None))))
        for p in projects
    ]
    if filters.sort == "newest":
        items.sort(key=lambda i: (aware(i.project.created_at), i.project.id), reverse=True)
    else:
        items.sort(
            key=lambda i: (
                i.attention.score,
                i.attention.late_milestones,
                i.attention.oldest_unanswered_days or 0,
                i.project.id,
            ),
            reverse=True,
        )
    return items


def get(project_id: int) -> Project | None:
    return db.session.scalar(_with_details(select(Project).where(Project.id == project_id)))


def agencies_with_projects() -> list[Agency]:
    return list(
        db.session.scalars(
            select(Agency).where(Agency.id.in_(select(Project.agency_id))).order_by(Agency.id)
        )
    )


def agency_by_slug(slug: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.slug == slug)) if slug else None


def history(project: Project) -> list[ProgressReport]:
    """Every progress report, oldest first, with its milestone and indicator rows."""
    return list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.project_id == project.id)
            .options(selectinload(ProgressReport.milestones), selectinload(ProgressReport.kpis))
            .order_by(ProgressReport.as_of)
        )
    )


def questions_for(project: Project, user: Any) -> list[ProjectQuestion]:
    """The questions ``user`` may see, newest first: published ones, plus held and hidden
    ones for moderators and their own author."""
    rows = db.session.scalars(
        select(ProjectQuestion)
        .where(ProjectQuestion.project_id == project.id)
        .options(selectinload(ProjectQuestion.author), selectinload(ProjectQuestion.answer_agency))
        .order_by(ProjectQuestion.created_at.desc(), ProjectQuestion.id.desc())
    )
    return [q for q in rows if policy.can_view_question(user, q)]


def public_questions(project_id: int) -> list[ProjectQuestion]:
    return list(
        db.session.scalars(
            select(ProjectQuestion)
            .where(
                ProjectQuestion.project_id == project_id,
                ProjectQuestion.status == QuestionStatus.VISIBLE,
            )
            .order_by(ProjectQuestion.created_at, ProjectQuestion.id)
        )
    )


def find_question(question_id: int) -> ProjectQuestion | None:
    return db.session.get(ProjectQuestion, question_id)


def held_questions() -> list[ProjectQuestion]:
    return list(
        db.session.scalars(
            select(ProjectQuestion)
            .where(ProjectQuestion.status == QuestionStatus.HELD)
            .order_by(ProjectQuestion.created_at)
        )
    )


def held_count() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ProjectQuestion)
            .where(ProjectQuestion.status == QuestionStatus.HELD)
        )
        or 0
    )


def is_following(user: Any, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ProjectFollow.id).where(
                ProjectFollow.project_id == project.id, ProjectFollow.user_id == user.id
            )
        )
        is not None
    )


def followed(user_id: int) -> list[Project]:
    return list(
        db.session.scalars(
            _with_details(
                select(Project)
                .join(ProjectFollow, ProjectFollow.project_id == Project.id)
                .where(ProjectFollow.user_id == user_id)
                .order_by(Project.name)
            )
        )
    )


def notifications_of(user_id: int, limit: int = 100) -> list[ProjectNotification]:
    return list(
        db.session.scalars(
            select(ProjectNotification)
            .where(ProjectNotification.user_id == user_id)
            .options(selectinload(ProjectNotification.project))
            .order_by(ProjectNotification.id.desc())
            .limit(limit)
        )
    )
