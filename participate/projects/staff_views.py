"""The agency's pages: publish a project, open its deliberation, approve it, publish a
progress report, complete it. Parse the form, call the operation, show the result; a
refusal comes back next to its field, or as a message. The deliberation's point-by-point
response is written on the consultation's own response page (the proposals area)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participate import policy
from participate.errors import RuleError
from participate.extensions import limiter
from participate.models import MilestoneState
from participate.permissions import write_limit
from participate.projects import lifecycle, operations
from participate.projects.blueprint import bp, field_error, get_project, now, rule_error
from participate.projects.forms import (
    ConfirmForm,
    DeliberationForm,
    ProjectForm,
    lines,
    parse_amount,
    parse_budgets,
    parse_kpis,
    parse_milestones,
    progress_form,
)
from participate.timeutil import taipei_today


def _project_input(form: ProjectForm) -> operations.ProjectInput:
    return operations.ProjectInput(
        name=form.name.data or "",
        summary=form.summary.data or "",
        goals=form.goals.data or "",
        total_budget=parse_amount(form.total_budget.data) or 0,
        budgets=parse_budgets(form.budgets.data),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        counties=list(form.counties.data or []),
        kpis=[operations.KpiInput(n, u, t) for n, t, u in parse_kpis(form.kpis.data)],
        milestones=[
            operations.MilestoneInput(t, d) for d, t in parse_milestones(form.milestones.data)
        ],
        links=lines(form.links.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def new() -> Any:
    if not policy.can_publish_project(current_user, now()):
        abort(403)
    form = ProjectForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                project = operations.publish_project(current_user, _project_input(form), now())
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The project is published."), "success")
                return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/form.html", form=form), status


@bp.route("/<int:project_id>/deliberation", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def deliberation(project_id: int) -> Any:
    project = get_project(project_id)
    if not policy.can_open_deliberation(current_user, project, now()):
        abort(403)
    form = DeliberationForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            data = operations.DeliberationInput(
                summary=form.summary.data or "",
                questions=lines(form.questions.data),
                closes_on=form.closes_on.data,
            )
            try:
                operations.open_deliberation(current_user, project, data, now())
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The deliberation is open."), "success")
                return redirect(url_for("projects.show", project_id=project.id))
    return render_template(
        "projects/deliberation_form.html",
        p=project,
        form=form,
        default_days=current_app.config["CONSULTATION_DAYS"],
    ), status


@bp.route("/<int:project_id>/approve", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def approve(project_id: int) -> Any:
    project = get_project(project_id)
    back = url_for("projects.show", project_id=project.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.approve_project(current_user, project, now())
    except RuleError as exc:
        return rule_error(exc, back)
    flash(_("The project is approved and under way."), "success")
    return redirect(back)


@bp.route("/<int:project_id>/complete", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def complete(project_id: int) -> Any:
    project = get_project(project_id)
    back = url_for("projects.show", project_id=project.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.complete_project(current_user, project, now())
    except RuleError as exc:
        return rule_error(exc, back)
    flash(_("The project is marked as completed."), "success")
    return redirect(back)


def _progress_input(form: Any, project: Any) -> operations.ProgressInput:
    return operations.ProgressInput(
        as_of=form.as_of.data,
        planned_percent=float(form.planned_percent.data),
        actual_percent=float(form.actual_percent.data),
        budget_executed=parse_amount(form.budget_executed.data) or 0,
        milestones=[
            operations.MilestoneProgress(
                m.id,
                form[f"milestone_{m.id}"].data or "",
                form[f"reached_{m.id}"].data,
                form[f"new_date_{m.id}"].data,
            )
            for m in project.milestones
        ],
        kpis={
            k.id: float(form[f"kpi_{k.id}"].data)
            for k in project.kpis
            if form[f"kpi_{k.id}"].data is not None
        },
        note=form.note.data or "",
    )


def _prefill(form: Any, project: Any) -> None:
    """Start from the project as it stands: today's date, each milestone's state and date,
    each indicator's latest value, the previous report's figures."""
    today = taipei_today(now())
    form.as_of.data = today
    last = lifecycle.latest_report(project)
    if last is not None:
        form.planned_percent.data = last.planned_percent
        form.actual_percent.data = last.actual_percent
        form.budget_executed.data = f"{last.budget_executed:,}"
    for m in project.milestones:
        state = lifecycle.state_for_report(m, today)
        form[f"milestone_{m.id}"].data = state.value
        form[f"reached_{m.id}"].data = m.reached_on
        form[f"new_date_{m.id}"].data = m.expected_on if state == MilestoneState.LATE else None
    for k in project.kpis:
        form[f"kpi_{k.id}"].data = k.current_value


@bp.route("/<int:project_id>/progress", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def progress(project_id: int) -> Any:
    project = get_project(project_id)
    if not policy.can_report_progress(current_user, project, now()):
        abort(403)
    submitted = request.method == "POST"
    form = progress_form(project, request.form if submitted else None)
    status = 200
    if not submitted:
        _prefill(form, project)
    elif form.validate():
        try:
            operations.report_progress(current_user, project, _progress_input(form, project), now())
        except RuleError as exc:
            field_error(form, exc)
            status = 400
        else:
            flash(_("The progress report is published; the followers are notified."), "success")
            return redirect(url_for("projects.show", project_id=project.id, _anchor="progress"))
    else:
        status = 400
    return render_template(
        "projects/progress_form.html",
        p=project,
        form=form,
        planned_budget=lifecycle.planned_budget_to(project, taipei_today(now())),
    ), status
