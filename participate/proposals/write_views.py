"""Pages where citizens act on proposals: write and edit one (with similar proposals shown
first), submit it for review, endorse, follow. Parse the form, call the operation, show
the result; a refusal comes back next to its field, or as a message, or as JSON."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participate import policy, ratelimit
from participate.auth.loader import use_user
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import limiter
from participate.identity.steps import STEP_CODES, step_url
from participate.models import Proposal
from participate.permissions import write_limit
from participate.proposals import lifecycle, operations, queries
from participate.proposals.blueprint import (
    agency_choices,
    bp,
    field_error,
    now,
    rule_error,
    visible_proposal,
)
from participate.proposals.forms import ConfirmForm, ProposalForm, lines
from participate.proposals.similar import similar_proposals
from participate.templating import _taipei_date


def _proposal_input(form: ProposalForm) -> operations.ProposalInput:
    return operations.ProposalInput(
        title=form.title.data or "",
        summary=form.summary.data or "",
        problem=form.problem.data or "",
        measures=lines(form.measures.data),
        benefits=form.benefits.data or "",
        evidence_links=lines(form.links.data),
        agency_ids=list(form.agencies.data or []),
    )


def _proposal_form(obj: Proposal | None = None) -> ProposalForm:
    form = ProposalForm()
    form.agencies.choices = agency_choices()
    if obj is not None and not form.is_submitted():
        form.title.data = obj.title
        form.summary.data = obj.summary
        form.problem.data = obj.problem
        form.measures.data = "\n".join(m.text for m in obj.measures)
        form.benefits.data = obj.benefits
        form.links.data = "\n".join(obj.evidence_links or [])
        form.agencies.data = [a.id for a in obj.proposed_agencies]
    return form


def _sent_for_review(proposal: Proposal) -> None:
    flash(
        _(
            "Your proposal was sent for review. The moderators aim to decide by %(date)s.",
            date=_taipei_date(proposal.review_due_at),
        ),
        "success",
    )


def _write(proposal: Proposal | None) -> str | Response | tuple[str, int]:
    at = now()
    form = _proposal_form(proposal)
    similar: list[Proposal] = []
    title_for_similar = form.title.data or request.args.get("title", "")
    if title_for_similar:
        similar = similar_proposals(title_for_similar, exclude_id=proposal.id if proposal else None)
    status_code = 200
    if form.is_submitted() and not form.check.data:
        if form.validate():
            submit = bool(form.submit.data)
            try:
                if proposal is None:
                    proposal = operations.create_proposal(
                        current_user, _proposal_input(form), submit, at
                    )
                else:
                    operations.update_proposal(
                        current_user, proposal, _proposal_input(form), submit, at
                    )
            except RuleError as exc:
                field_error(form, exc)
                status_code = exc.status if exc.status != 409 else 400
            else:
                if submit:
                    _sent_for_review(proposal)
                else:
                    flash(_("Your draft is saved."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        else:
            status_code = 400
    return render_template(
        "proposals/form.html",
        form=form,
        proposal=proposal,
        similar=similar,
        checked=bool(form.check.data),
        freeze=lifecycle.in_election_freeze(at),
        review_days=current_app.config["REVIEW_WORKING_DAYS"],
        rejection_labels=lifecycle.REJECTION_LABELS,
    ), status_code


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def new() -> Any:
    """Writing a proposal needs the level proposing needs: a person without it is told
    which step is missing and sent there, and comes back here afterwards."""
    step = policy.missing_step(current_user, "propose")
    if step is not None:
        if wants_json():
            return error_response(403, f"{step}_required", policy.step_message(step))
        flash(policy.step_message(step), "error")
        return redirect(step_url(step, url_for("proposals.new")))
    return _write(None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def edit(proposal_id: int) -> Any:
    proposal = visible_proposal(proposal_id)
    if not policy.can_edit(current_user, proposal, now()):
        abort(403)
    return _write(proposal)


@bp.route("/proposals/<int:proposal_id>/submit", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def submit(proposal_id: int) -> Response:
    proposal = visible_proposal(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.submit_proposal(current_user, proposal, now())
    except RuleError as exc:
        return rule_error(exc, back)
    _sent_for_review(proposal)
    return redirect(back)


# --------------------------------------------------------------------------- endorse, follow


@bp.route("/proposals/<int:proposal_id>/endorse", methods=["POST"])
@ratelimit.counts_itself  # limited by participate.ratelimit (one round trip), not Flask-Limiter
def endorse(proposal_id: int) -> Response:
    """The busiest write of a popular proposal: logged in (the session's account, read
    with the proposal, the endorser's verified number and a held count in one query:
    ``queries.endorse_context``), a fixed-window limit per person, the proposal visible to
    them, then the operation (which asks the policy)."""
    context = queries.endorse_context(proposal_id)
    user = use_user(context.user)  # the account itself, not the current_user proxy
    if context.user is None:
        return current_app.login_manager.unauthorized()
    ratelimit.enforce(current_app.config["WRITE_RATE_LIMIT"], "endorse", ratelimit.person_key())
    proposal = context.proposal
    if proposal is None or not policy.can_view_proposal(user, proposal):
        abort(404)
    back = url_for("proposals.show", proposal_id=proposal.id)
    try:
        result = operations.endorse(user, proposal.id, now())
    except RuleError as exc:
        if exc.code in STEP_CODES and not wants_json():
            flash(exc.message, "error")
            return redirect(step_url(exc.code, back))
        return rule_error(exc, back)
    if wants_json():
        return jsonify(  # the public count: a held count stays at its held value
            {
                "count": proposal.public_endorsement_count,  # the operation's count, or held
                "established": result.established,
                "under_review": proposal.endorsement_count_under_review,
            }
        )
    if result.established:
        flash(_("Thank you! With your endorsement the proposal is established."), "success")
    else:
        flash(_("Thank you for your endorsement."), "success")
    return redirect(back)


@bp.route("/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def follow(proposal_id: int) -> Response:
    proposal = visible_proposal(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if request.form.get("action") == "unfollow":
            operations.unfollow(current_user, proposal)
            flash(_("You no longer follow this proposal."), "success")
        else:
            operations.follow(current_user, proposal, now())
            flash(_("You follow this proposal and will be notified of changes."), "success")
    except RuleError as exc:
        return rule_error(exc, back)
    return redirect(back)
