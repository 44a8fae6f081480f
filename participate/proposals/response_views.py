"""Pages of the answering side: moderators confirm the responsible agencies (which starts
the response clock); agency staff extend the deadline publicly, write and publish the
point-by-point response, open consultations and close them early."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from participate import policy
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import ContentStatus, Discussion, Proposal, Statement
from participate.permissions import moderator_required, write_limit
from participate.proposals import lifecycle, operations
from participate.proposals.blueprint import (
    agency_choices,
    bp,
    field_error,
    get_proposal,
    now,
    rule_error,
    visible_proposal,
)
from participate.proposals.forms import (
    AssignForm,
    ConfirmForm,
    ConsultationForm,
    ExtendForm,
    lines,
    response_form,
    valid_decision,
)


@bp.route("/proposals/<int:proposal_id>/assign", methods=["GET", "POST"])
@moderator_required
@limiter.limit(write_limit, methods=["POST"])
def assign(proposal_id: int) -> Any:
    proposal = get_proposal(proposal_id)
    at = now()
    if not policy.can_assign_agencies(current_user, proposal, at):
        abort(403)
    form = AssignForm()
    form.agencies.choices = agency_choices()
    if not form.is_submitted():
        form.agencies.data = [
            a.id for a in (proposal.responsible_agencies or proposal.proposed_agencies)
        ]
    status_code = 200
    if form.is_submitted():
        if form.validate():
            try:
                operations.assign_agencies(current_user, proposal, form.agencies.data, at)
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The responsible agencies are confirmed."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        status_code = 400
    return render_template("proposals/assign.html", p=proposal, form=form), status_code


@bp.route("/proposals/<int:proposal_id>/extend", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def extend(proposal_id: int) -> Any:
    proposal = visible_proposal(proposal_id)
    at = now()
    if not policy.can_extend(current_user, proposal, at):
        abort(403)
    form = ExtendForm()
    status_code = 200
    if form.is_submitted():
        if form.validate():
            try:
                operations.extend_response(
                    current_user, proposal, form.new_due.data, form.reason.data or "", at
                )
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The new due date is published with your reason."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        status_code = 400
    return render_template(
        "proposals/extend.html",
        p=proposal,
        form=form,
        clock=lifecycle.response_clock(proposal, at),
    ), status_code


def _points(form: Any, measures: list[Any]) -> list[operations.PointInput]:
    return [
        operations.PointInput(
            measure_id=m.id,
            decision=valid_decision(form[f"decision_{m.id}"].data),
            reasoning=form[f"reasoning_{m.id}"].data or "",
            responsible_unit=form[f"unit_{m.id}"].data or "",
            follow_up_on=form[f"follow_up_{m.id}"].data,
            linked_statement_ids=_statement_refs(form[f"linked_{m.id}"].data),
        )
        for m in measures
    ]


def _statement_refs(values: Any) -> list[str]:
    """The statements a point names: ticked ids, and what the search field holds (the
    list's "#123 words…" gives 123); anything else goes on as typed, for the rule to
    refuse next to the field."""
    refs = []
    for raw in values or []:
        value = str(raw).strip()
        if value:
            found = re.match(r"#?(\d+)(?:\s|$)", value)
            refs.append(found.group(1) if found else value)
    return refs


@bp.route("/proposals/<int:proposal_id>/response", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def respond(proposal_id: int) -> Any:
    proposal = visible_proposal(proposal_id)
    at = now()
    if not policy.can_respond(current_user, proposal, at):
        abort(403)
    measures = list(proposal.measures)
    submitted = request.method == "POST"
    form = response_form(
        measures, formdata=request.form if submitted else None, obj=proposal.response
    )
    status_code = 200
    if submitted:
        status_code = 400
        if form.validate():
            publish = bool(form.publish.data)
            try:
                operations.save_response(
                    current_user,
                    proposal,
                    form.overall.data or "",
                    _points(form, measures),
                    publish,
                    at,
                    confirmed=bool(form.confirm.data),
                )
            except RuleError as exc:
                field_error(form, exc)
            else:
                if publish:
                    flash(_("The response is published."), "success")
                    return redirect(url_for("proposals.show", proposal_id=proposal.id))
                flash(_("Draft saved. It is not public until you publish it."), "success")
                return redirect(url_for("proposals.respond", proposal_id=proposal.id))
    choices, selected, offered = _link_choices(proposal, form, measures)
    return render_template(
        "proposals/respond.html",
        p=proposal,
        form=form,
        measures=measures,
        link_choices=choices,
        offered=offered,
        linked=selected,
        clock=lifecycle.response_clock(proposal, at),
    ), status_code


def _link_choices(
    proposal: Proposal, form: Any, measures: list[Any]
) -> tuple[dict[int, list[Any]], dict[int, list[int]], list[Any]]:
    """Per measure: the statements offered and the ids ticked; and the report's offer,
    once, for the form's search list.

    The offer comes from the latest opinion report (built once for all points); statements a
    point already links that the report no longer features are offered too, ticked, so
    saving again does not silently drop them.
    """
    from participate.reports.linkup import LinkChoice, statement_choices

    base = statement_choices(proposal)
    offered = {c.id for c in base}
    selected: dict[int, list[int]] = {}
    for m in measures:
        raw = form[f"linked_{m.id}"].data or []
        selected[m.id] = [int(v) for v in _statement_refs(raw) if v.isdigit()]
    extra_ids = {i for ids in selected.values() for i in ids} - offered
    extras: dict[int, str] = {}
    discussion = db.session.scalar(
        select(Discussion.id).where(Discussion.proposal_id == proposal.id)
    )
    if extra_ids and discussion is not None:
        extras = dict(
            db.session.execute(
                select(Statement.id, Statement.text).where(
                    Statement.id.in_(extra_ids),
                    Statement.discussion_id == discussion,
                    Statement.status == ContentStatus.VISIBLE,
                )
            ).all()
        )
    choices = {
        m.id: base
        + [LinkChoice(i, extras[i], _("Linked earlier")) for i in selected[m.id] if i in extras]
        for m in measures
    }
    return choices, selected, base


# --------------------------------------------------------------------------- consultations


@bp.route("/consultations/new", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def consultation_new() -> Any:
    at = now()
    if not policy.can_open_consultation(current_user, at):
        abort(403)
    form = ConsultationForm()
    status_code = 200
    if form.is_submitted():
        if form.validate():
            data = operations.ConsultationInput(
                title=form.title.data or "",
                summary=form.summary.data or "",
                background=form.background.data or "",
                draft_text=form.draft_text.data or "",
                questions=lines(form.questions.data),
                links=lines(form.links.data),
                closes_on=form.closes_on.data,
            )
            try:
                proposal = operations.open_consultation(current_user, data, at)
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The consultation is open."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        status_code = 400
    return render_template(
        "proposals/consultation_form.html",
        form=form,
        default_days=current_app.config["CONSULTATION_DAYS"],
    ), status_code


@bp.route("/proposals/<int:proposal_id>/close", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def close(proposal_id: int) -> Response:
    proposal = visible_proposal(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.close_consultation(current_user, proposal, now())
    except RuleError as exc:
        return rule_error(exc, back)
    flash(_("The consultation is closed. You can now write the concluding response."), "success")
    return redirect(back)
