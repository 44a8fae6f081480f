"""The survey builder, for agency staff: create a draft, set its method and period, add
sections and questions (with skip logic), open it, close it. Same blueprint as
:mod:`participate.surveys.views`; thin like it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participate import policy
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import Survey, SurveyQuestion
from participate.permissions import requires
from participate.surveys import operations, queries
from participate.surveys.answers import CHOICE_KINDS
from participate.surveys.forms import ActionForm, QuestionForm, SectionForm, SurveyForm
from participate.surveys.lifecycle import effective_status
from participate.timeutil import end_of_taipei_day, to_taipei

staff_required = requires(policy.can_create_survey)


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _survey_input(form: SurveyForm) -> operations.SurveyInput:
    closes: date | None = form.closes_on.data
    return operations.SurveyInput(
        title=form.title.data or "",
        description=form.description.data or "",
        method=form.method.data or "",
        anonymous=form.anonymous.data != "0",
        closes_at=end_of_taipei_day(closes) if closes else None,
        target_type="proposal" if form.target_id.data else None,
        target_id=form.target_id.data or None,
    )


def _form_error(form: Any, exc: RuleError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        flash(exc.message, "error")


def _editable(survey_id: int) -> Survey:
    survey = queries.load(survey_id)
    if survey is None or not policy.acts_for_survey(current_user, survey):
        abort(404)
    return survey


def new() -> Any:
    form = SurveyForm()
    status = 200
    if form.validate_on_submit():
        try:
            survey = operations.create_survey(current_user, _survey_input(form))
        except RuleError as exc:
            _form_error(form, exc)
            status = exc.status
        else:
            flash(_("The draft survey is created. Add its questions."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
    elif form.is_submitted():
        status = 400
    return render_template("surveys/new.html", form=form), status


def _question_form(survey: Survey, form: QuestionForm | None = None) -> QuestionForm:
    form = form or QuestionForm(prefix="q")
    form.section_id.choices = [
        SelectChoice(str(s.id), s.title or _("Section %(n)d", n=s.position))
        for s in survey.sections
    ]
    form.show_if_question_id.choices = [SelectChoice("", _("Always ask"))] + [
        SelectChoice(str(q.id), f"{q.position}. {q.text[:60]}")
        for q in sorted(survey.questions, key=lambda q: q.position)
        if q.kind in CHOICE_KINDS
    ]
    if not form.is_submitted() and survey.sections:
        form.section_id.data = str(survey.sections[-1].id)
    return form


def _render_edit(
    survey: Survey,
    settings: SurveyForm | None = None,
    question_form: QuestionForm | None = None,
    section_form: SectionForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if settings is None:
        settings = SurveyForm(prefix="s")
        settings.title.data = survey.title
        settings.description.data = survey.description
        settings.method.data = survey.method
        settings.anonymous.data = "1" if survey.anonymous else "0"
        closes = to_taipei(survey.closes_at)
        settings.closes_on.data = closes.date() if closes else None
        settings.target_id.data = survey.target_id
    return render_template(
        "surveys/edit.html",
        survey=survey,
        status=effective_status(survey),
        editable=policy.can_edit_survey(current_user, survey),
        can_open=policy.can_open_survey(current_user, survey),
        can_close=policy.can_close_survey(current_user, survey),
        settings=settings,
        question_form=_question_form(survey, question_form),
        section_form=section_form or SectionForm(prefix="sec"),
        action=ActionForm(),
        questions=sorted(survey.questions, key=lambda q: q.position),
    ), status


def edit(survey_id: int) -> Any:
    survey = _editable(survey_id)
    form = SurveyForm(prefix="s")
    if form.is_submitted():
        if not form.validate():
            return _render_edit(survey, settings=form, status=400)
        try:
            operations.update_survey(current_user, survey, _survey_input(form))
        except RuleError as exc:
            _form_error(form, exc)
            return _render_edit(survey, settings=form, status=exc.status)
        flash(_("Saved."), "success")
        return redirect(url_for("surveys.edit", survey_id=survey.id))
    return _render_edit(survey)


def add_question(survey_id: int) -> Any:
    survey = _editable(survey_id)
    form = _question_form(survey, QuestionForm(prefix="q"))
    if not form.validate_on_submit():
        return _render_edit(survey, question_form=form, status=400)
    picks = [p.strip() for p in (form.show_if_options.data or "").replace("，", ",").split(",")]
    try:
        show_if = [int(p) - 1 for p in picks if p.isdigit()]
        operations.add_question(
            current_user,
            survey,
            operations.QuestionInput(
                kind=form.kind.data,
                text=form.text.data,
                help=form.help.data or "",
                required=bool(form.required.data),
                options=(form.options.data or "").splitlines(),
                min_value=form.min_value.data,
                max_value=form.max_value.data,
                section_id=int(form.section_id.data) if form.section_id.data else None,
                show_if_question_id=int(form.show_if_question_id.data)
                if form.show_if_question_id.data
                else None,
                show_if_options=show_if,
            ),
        )
    except RuleError as exc:
        _form_error(form, exc)
        return _render_edit(survey, question_form=form, status=exc.status)
    flash(_("Question added."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor="questions"))


def add_section(survey_id: int) -> Any:
    survey = _editable(survey_id)
    form = SectionForm(prefix="sec")
    if not form.validate_on_submit():
        return _render_edit(survey, section_form=form, status=400)
    try:
        operations.add_section(current_user, survey, form.title.data, form.description.data or "")
    except RuleError as exc:
        _form_error(form, exc)
        return _render_edit(survey, section_form=form, status=exc.status)
    flash(_("Section added."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor="questions"))


def delete_question(question_id: int) -> Any:
    question = db.session.get(SurveyQuestion, question_id)
    if question is None:
        abort(404)
    survey = _editable(question.survey_id)
    if ActionForm().validate_on_submit():
        try:
            operations.delete_question(current_user, question)
        except RuleError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Question removed."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor="questions"))


def _action(survey_id: int, action: Any, done: str) -> Any:
    survey = _editable(survey_id)
    if ActionForm().validate_on_submit():
        try:
            action(current_user, survey)
        except RuleError as exc:
            flash(exc.message, "error")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
        flash(done, "success")
    return redirect(url_for("surveys.show", survey_id=survey.id))


def open_survey(survey_id: int) -> Any:
    return _action(survey_id, operations.open_survey, _("The survey is open for answers."))


def close_survey(survey_id: int) -> Any:
    return _action(survey_id, operations.close_survey, _("The survey is closed."))


def register(bp: Blueprint) -> None:
    """Add the builder's routes to the surveys blueprint (before it is registered)."""
    limit = limiter.limit(_write_limit, methods=["POST"])
    routes = [
        ("/new", new, ["GET", "POST"]),
        ("/<int:survey_id>/edit", edit, ["GET", "POST"]),
        ("/<int:survey_id>/questions", add_question, ["POST"]),
        ("/<int:survey_id>/sections", add_section, ["POST"]),
        ("/questions/<int:question_id>/delete", delete_question, ["POST"]),
        ("/<int:survey_id>/open", open_survey, ["POST"]),
        ("/<int:survey_id>/close", close_survey, ["POST"]),
    ]
    for rule, view, methods in routes:
        bp.add_url_rule(rule, view_func=limit(staff_required(view)), methods=methods)
