"""Public pages of the projects area: the list ranked by what needs attention, one project
(its plan, progress history as a chart and a table, the deliberation, questions and
answers), following and the project updates, the moderators' held questions, and the
area's registration with the app (``init_app``).

Views stay thin: parse, call one operation of :mod:`participate.projects.operations` or a
read of :mod:`participate.projects.queries`, render. What a page offers comes from
:mod:`participate.policy`; the operations ask it again before writing. The agency's pages
are in ``staff_views``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from participate import policy, signals
from participate.errors import RuleError
from participate.extensions import limiter
from participate.models import ProjectStatus, QuestionStatus
from participate.permissions import moderator_required, write_limit
from participate.projects import lifecycle, operations, present, queries
from participate.projects.blueprint import bp, field_error, get_project, now, rule_error
from participate.projects.forms import AnswerForm, ConfirmForm, QuestionForm
from participate.projects.notifications import TEXTS, unread_count
from participate.signals import NavItem

SORTS = {"attention": _l("Needs attention first"), "newest": _l("Newest")}


@bp.route("/")
def index() -> str:
    status = request.args.get("status", "")
    county = request.args.get("county", "")
    agency_slug = request.args.get("agency", "")
    sort = request.args.get("sort", "attention")
    sort = sort if sort in SORTS else "attention"
    agency = queries.agency_by_slug(agency_slug)
    filters = queries.ListFilter(
        agency_id=agency.id if agency is not None else None,
        county=county if county in lifecycle.COUNTIES else None,
        status=ProjectStatus(status) if status in {s.value for s in ProjectStatus} else None,
        sort=sort,
    )
    items = queries.ranked(filters, now())
    return render_template(
        "projects/index.html",
        items=items,
        status=status,
        county=county,
        agency_slug=agency_slug,
        sort=sort,
        sorts=SORTS,
        agencies=queries.agencies_with_projects(),
        counties=lifecycle.COUNTIES,
        statuses=list(ProjectStatus),
        can_publish=policy.can_publish_project(current_user, now()),
    )


def _show(project_id: int, ask_form: QuestionForm | None = None, status: int = 200) -> Any:
    project = get_project(project_id)
    at = now()
    user = current_user
    view = present.project_page(project, user, at)
    questions = queries.questions_for(project, user)
    answer_forms = {
        q.id: AnswerForm(prefix=f"q{q.id}") for q in questions if policy.can_answer(user, q, at)
    }
    return render_template(
        "projects/show.html",
        p=project,
        v=view,
        questions=questions,
        answer_forms=answer_forms,
        ask_form=ask_form or QuestionForm(),
        can_ask=policy.can_ask(user, project, at),
        can_follow=policy.can_follow_project(user, project, at),
        following=queries.is_following(user, project),
        can_moderate={q.id: policy.can_moderate_question(user, q, at) for q in questions},
        can_open_deliberation=policy.can_open_deliberation(user, project, at),
        can_approve=policy.can_approve(user, project, at),
        can_report=policy.can_report_progress(user, project, at),
        can_complete=policy.can_complete(user, project, at),
        can_respond=bool(
            project.deliberation and policy.can_respond(user, project.deliberation, at)
        ),
        acts_for=policy.acts_for_project(user, project, at),
        form=ConfirmForm(),
        QuestionStatus=QuestionStatus,
    ), status


@bp.route("/<int:project_id>")
def show(project_id: int) -> Any:
    return _show(project_id)


@bp.route("/<int:project_id>/follow", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def follow(project_id: int) -> Any:
    project = get_project(project_id)
    back = url_for("projects.show", project_id=project.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if request.form.get("action") == "unfollow":
            operations.unfollow(current_user, project)
            flash(_("You no longer follow this project."), "success")
        else:
            operations.follow(current_user, project, now())
            flash(
                _("You follow this project and will be notified of each progress report."),
                "success",
            )
    except RuleError as exc:
        return rule_error(exc, back)
    return redirect(back)


@bp.route("/<int:project_id>/questions", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def ask(project_id: int) -> Any:
    project = get_project(project_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _show(project.id, form, 400)
    try:
        result = operations.ask_question(current_user, project, form.text.data or "", now())
    except RuleError as exc:
        field_error(form, exc)
        return _show(project.id, form, exc.status if exc.status != 409 else 400)
    if result.held:
        flash(_("Your question will be shown after a moderator has reviewed it."), "success")
    else:
        flash(_("Your question is published. You will be notified of the answer."), "success")
    return redirect(url_for("projects.show", project_id=project.id, _anchor="questions"))


def _question(question_id: int) -> Any:
    question = queries.find_question(question_id)
    if question is None or not policy.can_view_question(current_user, question):
        abort(404)
    return question


@bp.route("/questions/<int:question_id>/answer", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def answer(question_id: int) -> Any:
    question = _question(question_id)
    back = url_for(
        "projects.show", project_id=question.project_id, _anchor=f"question-{question.id}"
    )
    form = AnswerForm(prefix=f"q{question.id}")
    if not form.validate_on_submit():
        flash(_("Write the answer."), "error")
        return redirect(back)
    try:
        operations.answer_question(current_user, question, form.answer.data or "", now())
    except RuleError as exc:
        return rule_error(exc, back)
    flash(_("Your answer is published."), "success")
    return redirect(back)


@bp.route("/questions/<int:question_id>/moderate", methods=["POST"])
@moderator_required
@limiter.limit(write_limit, methods=["POST"])
def moderate(question_id: int) -> Any:
    question = _question(question_id)
    back = request.form.get("back") == "held"
    target = (
        url_for("projects.held")
        if back
        else url_for("projects.show", project_id=question.project_id, _anchor="questions")
    )
    if not ConfirmForm().validate_on_submit():
        abort(400)
    publish = request.form.get("action") == "publish"
    try:
        operations.moderate_question(current_user, question, publish, now())
    except RuleError as exc:
        return rule_error(exc, target)
    flash(_("The question is published.") if publish else _("The question is hidden."), "success")
    return redirect(target)


@bp.route("/questions/held")
@moderator_required
def held() -> str:
    return render_template("projects/held.html", items=queries.held_questions(), form=ConfirmForm())


@bp.route("/following", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def following() -> Any:
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        operations.mark_all_read(current_user, now())
        flash(_("All project updates are marked as read."), "success")
        return redirect(url_for("projects.following"))
    return render_template(
        "projects/following.html",
        projects=queries.followed(current_user.id),
        notes=queries.notifications_of(current_user.id),
        texts=TEXTS,
        unread=unread_count(current_user),
        form=form,
    )


# --------------------------------------------------------------------------- registration


class _Label:
    """A nav label computed per request (shown only when it applies)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self) -> Any:
        return self.fn()


def _updates_label() -> Any:
    n = unread_count(current_user)
    if not n:
        return None
    return Markup(  # noqa: S704 - format() escapes its arguments
        '{} <span class="badge bell-count"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>'
    ).format(_("Project updates"), n, _("%(n)d unread", n=n))


def _held_label() -> Any:
    if not policy.is_moderator(current_user):
        return None
    n = queries.held_count()
    return _("Held project questions (%(n)d)", n=n) if n else None


def navigation(_sender: Any = None) -> list[NavItem]:
    return [
        NavItem("projects.index", _l("Major projects"), 16),
        NavItem("projects.following", _Label(_updates_label), 17),
        NavItem("projects.held", _Label(_held_label), 18),
    ]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name): the
    blueprint with the routes of both view modules, the navigation, the personal-data
    export and account deletion, the CLI."""
    from participate.projects import data, staff_views  # noqa: F401 - routes register on bp

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.personal_data, data.export_personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
