"""Survey pages: the list ``/surveys/``, a survey with its answer form, the results and
their CSV. Thin: parse, call an operation (``surveys.operations``) or a read
(``surveys.queries``, ``surveys.results``), render; the request boundary commits. The
builder's pages are in :mod:`participate.surveys.builder_views` (same blueprint). Every
page works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from participate import policy, signals
from participate.errors import RuleError, error_response
from participate.extensions import limiter
from participate.models import QuestionKind, Survey, SurveyQuestion
from participate.signals import NavItem
from participate.surveys import builder_views, exports, operations, queries, results
from participate.surveys.answers import option_count
from participate.surveys.forms import ActionForm
from participate.surveys.lifecycle import effective_status
from participate.timeutil import utcnow

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
builder_views.register(bp)
K = QuestionKind


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def readable(survey_id: int) -> Survey:
    survey = queries.load(survey_id)
    if survey is None or not policy.can_view_survey(current_user, survey):
        abort(404)
    return survey


def raw_answers(survey: Survey) -> dict[int, Any]:
    """The answer form's fields, by question id (see :mod:`participate.surveys.answers`)."""
    form = request.form
    raw: dict[int, Any] = {}
    for q in survey.questions:
        name = f"q{q.id}"
        if q.kind == K.MULTIPLE:
            raw[q.id] = form.getlist(name)
        elif q.kind == K.RANKING:
            raw[q.id] = {str(i): form.get(f"{name}_r{i}", "") for i in range(option_count(q))}
        else:
            raw[q.id] = form.get(name, "")
    return raw


def _shown_values(survey: Survey, raw: dict[int, Any] | None) -> dict[int, Any]:
    """What the form shows in each field: the submitted raw values, else the saved ones."""
    if raw is not None:
        return raw
    saved = queries.my_answers(current_user, survey) or {}
    shown: dict[int, Any] = {}
    for q in survey.questions:
        value = saved.get(q.id)
        if value is None:
            continue
        if q.kind == K.MULTIPLE:
            shown[q.id] = [str(v) for v in value]
        elif q.kind == K.RANKING:
            shown[q.id] = {str(o): str(rank + 1) for rank, o in enumerate(value)}
        else:
            shown[q.id] = str(value)
    return shown


@bp.route("/")
def index() -> str:
    open_, closed = queries.split_by_status(queries.public_list())
    return render_template(
        "surveys/index.html",
        open_surveys=open_,
        closed_surveys=closed,
        drafts=queries.drafts_for(current_user),
        can_create=policy.can_create_survey(current_user),
    )


def render_show(
    survey: Survey,
    raw: dict[int, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    now = utcnow()
    refusal = policy.survey_refusal(current_user, survey, now)
    answered = operations.has_answered(current_user, survey)
    may_answer = refusal is None and (
        not answered or policy.can_change_answers(current_user, survey, now)
    )
    questions = sorted(survey.questions, key=lambda q: q.position)
    numbers = {q.id: n for n, q in enumerate(questions, start=1)}
    return render_template(
        "surveys/show.html",
        survey=survey,
        status=effective_status(survey, now),
        target=queries.target_of(survey),
        refusal=refusal,
        answered=answered,
        may_answer=may_answer,
        questions=questions,
        numbers=numbers,
        values=_shown_values(survey, raw),
        errors=errors or {},
        likert=results.likert_labels(),
        form=ActionForm(),
        can_results=policy.can_view_results(current_user, survey, now),
        acts=policy.acts_for_survey(current_user, survey, now),
        respondents=queries.respondent_count(survey.id),
        has_profile=_has_profile(),
    ), status


def _has_profile() -> bool:
    from participate.participants.queries import profile_of

    return current_user.is_authenticated and profile_of(current_user.id) is not None


@bp.route("/<int:survey_id>")
def show(survey_id: int) -> tuple[str, int]:
    return render_show(readable(survey_id))


@bp.route("/<int:survey_id>/answer", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def answer(survey_id: int) -> Any:
    survey = readable(survey_id)
    here = url_for(".show", survey_id=survey.id)
    refusal = policy.survey_refusal(current_user, survey)
    if refusal is not None and refusal.code == "login_required":
        return redirect(url_for("auth.login", next=here))
    if not ActionForm().validate_on_submit():
        flash(_("Your form expired. Please submit it again."), "error")
        return redirect(here)
    raw = raw_answers(survey)
    try:
        result = operations.submit_response(current_user, survey, raw)
    except RuleError as exc:
        if exc.fields:
            return render_show(survey, raw=raw, errors=exc.fields, status=400)
        if exc.code == "suspended":
            return error_response(exc.status, "suspended", exc.message)
        flash(exc.message, "error")
        return redirect(here)
    if result.changed:
        flash(_("Your answers are changed."), "success")
    else:
        flash(_("Thank you: your answers are saved."), "success")
    return redirect(here)


@bp.route("/<int:survey_id>/results")
def show_results(survey_id: int) -> str:
    survey = readable(survey_id)
    if not policy.can_view_results(current_user, survey):
        abort(404)
    return render_template(
        "surveys/results.html",
        survey=survey,
        status=effective_status(survey),
        target=queries.target_of(survey),
        r=results.compute(survey),
    )


@bp.route("/<int:survey_id>/results.csv")
def results_csv(survey_id: int) -> Response:
    survey = readable(survey_id)
    if not policy.can_export_survey(current_user, survey):
        abort(404)
    text = exports.csv_text(results.compute(survey, with_texts=False))
    return Response(
        text.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}-results.csv"'},
    )


@bp.app_template_global("surveys_for")
def surveys_for(target_type: str, target_id: int) -> list[Survey]:
    """The public surveys attached to an item, for that item's page."""
    return queries.for_target(target_type, target_id)


@bp.app_template_global("survey_status")
def survey_status(survey: Survey) -> str:
    return effective_status(survey).value


@bp.app_template_global("question_condition")
def question_condition(question: SurveyQuestion, numbers: dict[int, int]) -> str:
    """The skip condition in words: "Answer if you answered … to question N"."""
    if question.show_if_question_id is None:
        return ""
    condition = next(
        (q for q in question.survey.questions if q.id == question.show_if_question_id), None
    )
    if condition is None:
        return ""
    labels = results.option_labels(condition)
    chosen = [labels[i] for i in question.show_if_options or [] if i < len(labels)]
    return _(
        "Answer only if your answer to question %(n)d was: %(answers)s.",
        n=numbers.get(condition.id, 0),
        answers=_("; or ").join(chosen),
    )


@bp.app_template_global("survey_status_label")
def survey_status_label(status: str) -> str:
    return {
        "draft": _("draft"),
        "open": _("open for answers"),
        "closed": _("closed"),
    }.get(str(status), str(status))


@bp.app_template_global("question_kind_label")
def question_kind_label(kind: str) -> str:
    return {
        "single": _("single choice"),
        "multiple": _("multiple choice"),
        "likert": _("agreement scale"),
        "ranking": _("ranking"),
        "number": _("number"),
        "text": _("short text"),
    }.get(str(kind), str(kind))


def navigation(_sender: Any = None) -> list[NavItem]:
    return [NavItem("surveys.index", _l("Surveys"), 25)]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.surveys import data

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.personal_data, data.personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
