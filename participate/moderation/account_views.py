"""Accounts and the author's side: a person's moderation record, suspending and lifting a
suspension; "my moderation notices" with the appeal form; reporting a published proposal
(statements and replies are reported on the discussion's pages)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from participate import policy
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import (
    Appeal,
    ModerationItem,
    ModerationNotice,
    Proposal,
    Report,
    Statement,
    User,
)
from participate.moderation import notices as notice_operations
from participate.moderation import operations
from participate.moderation.common_views import (
    bp,
    content_url,
    denied,
    field_error,
    kind_labels,
    login_or_denied,
    rule_error,
    write_limit,
)
from participate.moderation.forms import (
    AppealForm,
    ProposalReportForm,
    SimpleForm,
    SuspendForm,
    reason_choices,
)
from participate.moderation.labels import ACTION_TEXT, reason_label

# --- Accounts -------------------------------------------------------------------------


def _render_user(person: User, form: SuspendForm, status: int = 200) -> tuple[str, int]:
    statements: list[Statement] = []
    items: list[ModerationItem] = []
    report_count = 0
    if status == 200:
        statements = list(
            db.session.scalars(
                select(Statement)
                .where(Statement.author_id == person.id)
                .order_by(Statement.id.desc())
                .limit(20)
            )
        )
        items = list(
            db.session.scalars(
                select(ModerationItem)
                .where(ModerationItem.subject_user_id == person.id)
                .order_by(ModerationItem.opened_at.desc())
                .limit(20)
            )
        )
        report_count = (
            db.session.scalar(
                select(func.count()).select_from(Report).where(Report.reporter_id == person.id)
            )
            or 0
        )
    return render_template(
        "moderation/user.html",
        person=person,
        form=form,
        unsuspend_form=SimpleForm(),
        statements=statements,
        items=items,
        report_count=report_count,
        kind_labels=kind_labels(),
        reason_label=reason_label,
        permanent_year=operations.PERMANENT.year,
    ), status


def _person_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return person


@bp.route("/users/<int:user_id>")
def user(user_id: int) -> Any:
    if not policy.can_suspend(current_user):
        return login_or_denied()
    form = SuspendForm()
    form.reason.choices = reason_choices()
    return _render_user(_person_or_404(user_id), form)


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def suspend(user_id: int) -> Any:
    if not policy.can_suspend(current_user):
        return denied()
    person = _person_or_404(user_id)
    form = SuspendForm()
    form.reason.choices = reason_choices()
    if form.validate_on_submit():
        try:
            operations.suspend(
                current_user, person, form.days.data, form.reason.data, form.message.data or ""
            )
        except RuleError as exc:
            if not field_error(form, exc):
                return rule_error(exc, url_for(".user", user_id=user_id))
        else:
            flash(_("The account is suspended."), "success")
            return redirect(url_for(".user", user_id=user_id))
    return _render_user(person, form, 400)


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def unsuspend(user_id: int) -> Any:
    if not policy.can_suspend(current_user):
        return denied()
    person = _person_or_404(user_id)
    SimpleForm().validate_on_submit()
    try:
        operations.unsuspend(current_user, person)
    except RuleError as exc:
        return rule_error(exc, url_for(".user", user_id=user_id))
    flash(_("The suspension was lifted."), "success")
    return redirect(url_for(".user", user_id=user_id))


# --- The author's side: notices and appeals -----------------------------------------------


@bp.route("/notices", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def notices() -> Any:
    if not current_user.is_authenticated:
        return login_or_denied()
    if request.method == "POST":
        if SimpleForm().validate_on_submit():
            notice_operations.mark_notices_read(current_user)
        return redirect(url_for(".notices"))
    rows = db.session.scalars(
        select(ModerationNotice)
        .where(ModerationNotice.user_id == current_user.id)
        .order_by(ModerationNotice.created_at.desc(), ModerationNotice.id.desc())
        .limit(100)
    ).all()
    appealed = set(
        db.session.scalars(
            select(ModerationNotice.id)
            .join(Appeal, Appeal.item_id == ModerationNotice.item_id)
            .where(ModerationNotice.user_id == current_user.id)
        )
    )
    return render_template(
        "moderation/notices.html",
        rows=rows,
        appealed=appealed,
        form=SimpleForm(),
        action_text=ACTION_TEXT,
        reason_label=reason_label,
        can_appeal=lambda n: policy.can_appeal(current_user, n),
        content_url=content_url,
    )


@bp.route("/notices/<int:notice_id>/appeal", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def appeal(notice_id: int) -> Any:
    if not current_user.is_authenticated:
        return login_or_denied()
    notice = db.session.get(ModerationNotice, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    if not policy.can_appeal(current_user, notice):
        flash(_("This decision cannot be appealed (again)."), "error")
        return redirect(url_for(".notices"))
    form = AppealForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                operations.appeal(current_user, notice, form.text.data)
            except RuleError as exc:
                if exc.field != "text" or not field_error(form, exc):
                    return rule_error(exc, url_for(".notices"))
            else:
                flash(
                    _("Your appeal was sent. Another moderator will review the decision."),
                    "success",
                )
                return redirect(url_for(".notices"))
        status = 400
    return render_template(
        "moderation/appeal.html",
        form=form,
        notice=notice,
        action_text=ACTION_TEXT,
        reason_label=reason_label,
    ), status


# --- Reporting a proposal (the discussion area reports statements and replies) ---------


@bp.route("/report/proposal/<int:proposal_id>", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def report_proposal(proposal_id: int) -> Any:
    if not current_user.is_authenticated:
        return login_or_denied()
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not policy.is_public(proposal):
        abort(404)
    form = ProposalReportForm()
    back = content_url("proposal", proposal.id) or url_for("main.index")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                operations.report_proposal(
                    current_user, proposal, form.reason.data, form.text.data or ""
                )
            except RuleError as exc:
                if exc.field not in ("reason", "text") or not field_error(form, exc):
                    return rule_error(exc, back)
            else:
                flash(_("Thank you. The moderators will look at your report."), "success")
                return redirect(back)
        status = 400
    return render_template(
        "moderation/report_proposal.html", form=form, proposal=proposal, back=back
    ), status
