"""Major government projects under public oversight (重大計畫開放審議, 來監督).

An agency publishes a **project** (name, total and yearly budget, period, the counties and
cities where it happens, goals, **KPIs** with targets, **milestones** with planned dates,
document links). It may open a **deliberation** before approval: an agency consultation
(a ``Proposal`` of kind consultation) linked by ``Project.deliberation_id``, so the
discussion, the opinion report, moderation, search and the point-by-point response are the
ones consultations already have. Once approved the agency publishes **progress reports**
(percent complete against plan, budget executed, each milestone's state, each KPI's value);
people **follow** a project and are notified of each report, ask **questions** and the agency
answers them in public.

Owned by the projects area; status changes only in
:func:`participate.projects.lifecycle.transition`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import Agency, User, enum_column
from participate.models.proposals import Proposal
from participate.timeutil import utcnow


class ProjectStatus(enum.StrEnum):
    PLANNING = "planning"  # published, not yet approved
    DELIBERATION = "deliberation"  # open deliberation before approval (a consultation)
    UNDERWAY = "underway"  # approved and being carried out: progress reports
    COMPLETED = "completed"


class MilestoneState(enum.StrEnum):
    """A milestone's state as a progress report gives it."""

    REACHED = "reached"
    ON_TIME = "on_time"  # not reached yet, expected on its planned date
    LATE = "late"  # not reached, expected on a new, later date


class QuestionStatus(enum.StrEnum):
    VISIBLE = "visible"
    HELD = "held"  # held by screening until a moderator publishes it
    HIDDEN = "hidden"  # hidden by a moderator


class ProjectNotificationKind(enum.StrEnum):
    PROGRESS = "progress"  # a progress report was published (to followers)
    ANSWERED = "answered"  # the agency answered your question


class Project(db.Model):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.PLANNING, index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    # New Taiwan dollars, whole.
    total_budget: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    document_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The consultation of the deliberation phase, once opened.
    deliberation_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id"), unique=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency] = relationship()
    author: Mapped[User | None] = relationship()
    deliberation: Mapped[Proposal | None] = relationship()
    counties: Mapped[list[ProjectCounty]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectCounty.county"
    )
    budgets: Mapped[list[ProjectBudgetYear]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectBudgetYear.year"
    )
    kpis: Mapped[list[ProjectKpi]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectKpi.position"
    )
    milestones: Mapped[list[ProjectMilestone]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="ProjectMilestone.position",
    )
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="project", order_by="ProgressReport.as_of"
    )

    @property
    def county_codes(self) -> list[str]:
        return [c.county for c in self.counties]


class ProjectCounty(db.Model):
    """One of the 22 counties and cities where the project happens (none: nationwide)."""

    __tablename__ = "project_county"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    county: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class ProjectBudgetYear(db.Model):
    """The budget of one (Gregorian) year of the project."""

    __tablename__ = "project_budget_year"
    __table_args__ = (UniqueConstraint("project_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)


class ProjectKpi(db.Model):
    """A measurable indicator with its target; ``current_value`` is the latest report's."""

    __tablename__ = "project_kpi"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    target: Mapped[float] = mapped_column(Float)
    current_value: Mapped[float | None] = mapped_column(Float)

    project: Mapped[Project] = relationship(back_populates="kpis")


class ProjectMilestone(db.Model):
    """A milestone with its planned date; the latest report sets ``reached_on`` or a later
    ``expected_on`` (the new date when it is late)."""

    __tablename__ = "project_milestone"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date] = mapped_column(Date)
    expected_on: Mapped[date | None] = mapped_column(Date)
    reached_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="milestones")


class ProgressReport(db.Model):
    """A progress report as of a date: planned and actual percent complete, the budget
    planned to that date (from the yearly budgets) and executed, and a note."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("project_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    as_of: Mapped[date] = mapped_column(Date)
    planned_percent: Mapped[float] = mapped_column(Float)
    actual_percent: Mapped[float] = mapped_column(Float)
    budget_planned: Mapped[int] = mapped_column(BigInteger)
    budget_executed: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="reports")
    milestones: Mapped[list[ProgressMilestone]] = relationship(
        cascade="all, delete-orphan", order_by="ProgressMilestone.milestone_id"
    )
    kpis: Mapped[list[ProgressKpi]] = relationship(
        cascade="all, delete-orphan", order_by="ProgressKpi.kpi_id"
    )


class ProgressMilestone(db.Model):
    __tablename__ = "progress_milestone"
    __table_args__ = (UniqueConstraint("report_id", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id", ondelete="CASCADE"))
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("project_milestone.id", ondelete="CASCADE")
    )
    state: Mapped[MilestoneState] = mapped_column(enum_column(MilestoneState))
    reached_on: Mapped[date | None] = mapped_column(Date)
    new_date: Mapped[date | None] = mapped_column(Date)


class ProgressKpi(db.Model):
    __tablename__ = "progress_kpi"
    __table_args__ = (UniqueConstraint("report_id", "kpi_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id", ondelete="CASCADE"))
    kpi_id: Mapped[int] = mapped_column(ForeignKey("project_kpi.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)


class ProjectQuestion(db.Model):
    """A public question and the agency's public answer (on the same row: one answer)."""

    __tablename__ = "project_question"
    __table_args__ = (Index("ix_project_question_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[QuestionStatus] = mapped_column(
        enum_column(QuestionStatus), default=QuestionStatus.VISIBLE
    )
    held_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answerer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    project: Mapped[Project] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    answer_agency: Mapped[Agency | None] = relationship()

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class ProjectFollow(db.Model):
    __tablename__ = "project_follow"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectNotification(db.Model):
    """An in-app notice about a project; ``emailed_at`` stays empty until mailed."""

    __tablename__ = "project_notification"
    __table_args__ = (Index("ix_project_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ProjectNotificationKind] = mapped_column(enum_column(ProjectNotificationKind))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    project: Mapped[Project] = relationship()
