"""Marshmallow schemas of the projects endpoints (``/api/v1/projects``): they serialise the
responses, validate the query, and become the OpenAPI document's components."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from participate.api.schemas import Links, Meta, PageQuery
from participate.models import MilestoneState, ProjectStatus
from participate.projects.lifecycle import COUNTIES, MILESTONE_LABELS

MAX_ID = 2147483647
STATUSES = tuple(s.value for s in ProjectStatus)


class ProjectQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    agency = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Agency id"}
    )
    county = fields.String(
        validate=validate.OneOf(tuple(COUNTIES)),
        metadata={"description": "County or city, ISO 3166-2:TW code without the prefix"},
    )
    sort = fields.String(
        load_default="attention",
        validate=validate.OneOf(("attention", "newest")),
        metadata={"description": "Most in need of attention first (default), or newest first"},
    )


class ProjectAttention(Schema):
    score = fields.Integer(required=True)
    late_milestones = fields.Integer(required=True)
    budget_execution_ratio = fields.Float(
        allow_none=True,
        required=True,
        metadata={"description": "Budget executed / budget planned to the latest report's date"},
    )
    budget_far_from_plan = fields.Boolean(required=True)
    report_overdue_days = fields.Integer(required=True)
    unanswered_questions = fields.Integer(required=True)
    oldest_unanswered_days = fields.Integer(allow_none=True, required=True)
    reasons = fields.List(
        fields.String(
            validate=validate.OneOf(("late_milestones", "budget", "report_overdue", "unanswered"))
        ),
        required=True,
    )


class ProjectBudgetYear(Schema):
    year = fields.Integer(required=True)
    amount = fields.Integer(required=True, metadata={"description": "New Taiwan dollars"})


class ProjectDeliberation(Schema):
    proposal_id = fields.Integer(required=True)
    status = fields.String(required=True)
    deadline = fields.DateTime(allow_none=True, required=True)
    response_published_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)


class ProjectReportMilestone(Schema):
    milestone_id = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in MilestoneState]))
    reached_on = fields.Date(allow_none=True, required=True)
    new_date = fields.Date(allow_none=True, required=True)


class ProjectReportKpi(Schema):
    kpi_id = fields.Integer(required=True)
    value = fields.Float(required=True)


class ProjectProgressReport(Schema):
    id = fields.Integer(required=True)
    as_of = fields.Date(required=True)
    planned_percent = fields.Float(required=True)
    actual_percent = fields.Float(required=True)
    budget_planned = fields.Integer(
        required=True, metadata={"description": "Planned to this date, from the yearly budgets"}
    )
    budget_executed = fields.Integer(required=True)
    note = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    milestones = fields.List(fields.Nested(ProjectReportMilestone), required=True)
    kpis = fields.List(fields.Nested(ProjectReportKpi), required=True)


class Project(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    agency_id = fields.Integer(required=True)
    counties = fields.List(fields.String(), required=True)
    summary = fields.String(required=True)
    goals = fields.String(required=True)
    total_budget = fields.Integer(required=True, metadata={"description": "New Taiwan dollars"})
    budgets = fields.List(fields.Nested(ProjectBudgetYear), required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    document_links = fields.List(fields.String(), required=True)
    deliberation = fields.Nested(ProjectDeliberation, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    approved_at = fields.DateTime(allow_none=True, required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    attention = fields.Nested(ProjectAttention, required=True)
    latest_report = fields.Nested(ProjectProgressReport, allow_none=True, required=True)
    next_report_due = fields.Date(allow_none=True, required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)


class ProjectMilestone(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    title = fields.String(required=True)
    planned_on = fields.Date(required=True)
    expected_on = fields.Date(allow_none=True, required=True)
    reached_on = fields.Date(allow_none=True, required=True)
    state = fields.String(required=True, validate=validate.OneOf(tuple(MILESTONE_LABELS)))


class ProjectKpi(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    target = fields.Float(required=True)
    current_value = fields.Float(allow_none=True, required=True)


class ProjectDetail(Project):
    milestones = fields.List(fields.Nested(ProjectMilestone), required=True)
    kpis = fields.List(fields.Nested(ProjectKpi), required=True)
    progress_history = fields.List(fields.Nested(ProjectProgressReport), required=True)


class ProjectPage(Schema):
    items = fields.List(fields.Nested(Project), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class ProjectQuestion(Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    text = fields.String(required=True)
    asked_at = fields.DateTime(required=True)
    answer = fields.String(allow_none=True, required=True)
    answered_at = fields.DateTime(allow_none=True, required=True)
    answer_agency_id = fields.Integer(allow_none=True, required=True)


class ProjectQuestionPage(Schema):
    items = fields.List(fields.Nested(ProjectQuestion), required=True)
    unanswered = fields.Integer(required=True)
    oldest_unanswered_days = fields.Integer(allow_none=True, required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)
