"""Pages of the identity area: your identity level, verify a mobile number (the number,
then the code), the government identity step, and a proposal's integrity panel with the
moderators' hold on its count. Thin: parse, call an operation or a query, render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participate import policy, signals
from participate.auth.signin import safe_next as _safe_next
from participate.errors import RuleError
from participate.extensions import _client_key, db, limiter
from participate.identity import operations, queries
from participate.identity.forms import CodeForm, HoldForm, NumberForm, ReleaseForm
from participate.identity.steps import step_url
from participate.models import Proposal
from participate.permissions import write_limit
from participate.timeutil import utcnow

bp = Blueprint("identity", __name__, url_prefix="/identity")
integrity_bp = Blueprint("integrity", __name__)


def _next() -> str:
    return _safe_next(request.args.get("next"))


def _sms_limit() -> str:
    return current_app.config["SMS_RATE_LIMIT"]


def _field_error(form: Any, exc: RuleError, default: str) -> None:
    target = getattr(form, exc.field or default, None) or getattr(form, default)
    target.errors = list(target.errors) + [exc.message]


@bp.route("/")
@login_required
def index() -> str:
    return render_template(
        "identity/index.html",
        level=policy.level_of(current_user),
        levels=current_app.config["IDENTITY_LEVELS"],
    )


@bp.route("/mobile", methods=["GET", "POST"])
@login_required
@limiter.limit(_sms_limit, methods=["POST"])
def mobile() -> Any:
    """Step one: the number. The code goes by SMS; the next page asks for it."""
    back = _next()
    if policy.has_mobile(current_user):
        flash(_("Your mobile number is verified."), "success")
        return redirect(back)
    if not policy.can_verify_mobile(current_user):
        flash(policy.step_message("email"), "error")
        return redirect(step_url("email", back))
    form = NumberForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                operations.send_code(current_user, form.number.data, _client_key(), utcnow())
            except RuleError as exc:
                _field_error(form, exc, "number")
                status = exc.status if exc.status in (409, 429) else 400
            else:
                flash(_("We sent a code by text message."), "success")
                return redirect(url_for(".code", next=back))
        else:
            status = 400
    return render_template("identity/mobile.html", form=form, back=back), status


@bp.route("/mobile/code", methods=["GET", "POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def code() -> Any:
    """Step two: the code. A wrong one is shown with the tries left (and committed)."""
    back = _next()
    if policy.has_mobile(current_user):
        return redirect(back)
    form = CodeForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                check = operations.confirm_code(current_user, form.code.data, utcnow())
            except RuleError as exc:
                _field_error(form, exc, "code")
                status = exc.status if exc.status in (409, 410, 429) else 400
            else:
                if check.ok:
                    flash(_("Your mobile number is verified. Thank you!"), "success")
                    return redirect(back)
                form.code.errors = [check.message]
        else:
            status = 400
    pending = operations.pending_challenge(current_user)
    return render_template("identity/code.html", form=form, back=back, pending=pending), status


@bp.route("/gov")
@login_required
def gov() -> str:
    """The government digital identity step: linking happens through the OpenID Connect
    sign-in when the site has one configured."""
    back = _next()
    link = None
    if "oidc.link" in current_app.view_functions:  # the OpenID Connect area, when present
        link = url_for("oidc.link", next=back)
    return render_template("identity/gov.html", back=back, link=link)


# --------------------------------------------------------------------------- integrity


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not policy.can_see_integrity(current_user, proposal):
        abort(404)
    return proposal


def _panel(proposal: Proposal, hold_form: Any = None, release_form: Any = None, status=200):
    return render_template(
        "identity/integrity.html",
        p=proposal,
        figures=queries.integrity(proposal.id),
        hold=policy.active_hold(proposal.id),
        can_hold=policy.can_hold_count(current_user, proposal),
        hold_form=hold_form or HoldForm(),
        release_form=release_form or ReleaseForm(),
    ), status


@integrity_bp.route("/proposals/<int:proposal_id>/integrity")
@login_required
def integrity(proposal_id: int) -> Any:
    return _panel(_proposal(proposal_id))


@integrity_bp.route("/proposals/<int:proposal_id>/integrity/hold", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def hold(proposal_id: int) -> Any:
    proposal = _proposal(proposal_id)
    form = HoldForm()
    if not form.validate_on_submit():
        return _panel(proposal, hold_form=form, status=400)
    try:
        operations.hold_count(current_user, proposal, form.reason.data, utcnow())
    except RuleError as exc:
        _field_error(form, exc, "reason")
        return _panel(proposal, hold_form=form, status=exc.status)
    flash(_("The count is held at its current value, shown as under review."), "success")
    return redirect(url_for(".integrity", proposal_id=proposal.id))


@integrity_bp.route("/proposals/<int:proposal_id>/integrity/release", methods=["POST"])
@login_required
@limiter.limit(write_limit, methods=["POST"])
def release(proposal_id: int) -> Any:
    proposal = _proposal(proposal_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _panel(proposal, release_form=form, status=400)
    try:
        operations.release_count(current_user, proposal, form.outcome.data, utcnow())
    except RuleError as exc:
        _field_error(form, exc, "outcome")
        return _panel(proposal, release_form=form, status=exc.status)
    flash(_("The count is released and the outcome published."), "success")
    return redirect(url_for(".integrity", proposal_id=proposal.id))


# --------------------------------------------------------------------------- templates


def identity_step(action: str) -> str | None:
    """The step the current person still needs for ``action`` (None: they may)."""
    return policy.missing_step(current_user, action)


def identity_level() -> str:
    """The current person's level (template helper for the account page)."""
    return policy.level_of(current_user)


def init_app(app: Flask) -> None:
    """Register this area with the app: its pages, the template helpers the proposal page
    uses (the missing step, the count's hold), account deletion, the CLI."""
    from participate.identity import cli

    app.register_blueprint(bp)
    app.register_blueprint(integrity_bp)
    app.add_template_global(identity_step, "identity_step")
    app.add_template_global(step_url, "identity_step_url")
    app.add_template_global(policy.step_message, "policy_step_message")
    app.add_template_global(identity_level, "identity_level")
    app.add_template_global(queries.public_hold, "endorsement_hold")
    app.add_template_global(policy.can_see_integrity, "can_see_integrity")
    signals.connect(signals.personal_data, queries.personal_data)
    signals.connect(signals.account_deleting, operations.detach_on_deletion)
    cli.register(app)
