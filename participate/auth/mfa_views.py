"""Two-step sign-in pages: the code after the password, enrolment, recovery codes, the
account's security page, and the administrator's reset. Thin: parse, call
:mod:`participate.auth.mfa`, render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participate import policy
from participate.auth import mfa, oidc, signin
from participate.auth.mfa_forms import CodeForm, ConfirmForm, ResetForm, SetupForm
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import User

bp = Blueprint("mfa", __name__, url_prefix="/auth")

SETUP_KEY = "_mfa_setup"


def _mfa_limit() -> str:
    return current_app.config["MFA_RATE_LIMIT"]


def _account_key() -> str:
    """Code attempts are limited per account too, so many addresses cannot share the guess."""
    found = signin.pending()
    if found is not None:
        return f"mfa-account:{found[0].id}"
    if current_user.is_authenticated:
        return f"mfa-account:{current_user.id}"
    return f"mfa-anon:{request.remote_addr}"


def _who() -> tuple[User | None, dict[str, Any] | None]:
    """Whose code is awaited: a pending sign-in, or a logged-in staff session without it."""
    found = signin.pending()
    if found is not None:
        return found
    if current_user.is_authenticated and policy.needs_second_factor(current_user):
        return current_user._get_current_object(), None
    return None, None


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"])
@limiter.limit(_mfa_limit, key_func=_account_key, methods=["POST"])
def verify() -> str | Response | tuple[str, int]:
    user, data = _who()
    if user is None:
        return redirect(url_for("auth.login"))
    if not policy.has_second_factor(user):
        return redirect(url_for("mfa.setup", next=request.args.get("next")))
    if data is None and mfa.session_verified(user):
        return redirect(signin.safe_next(request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            kind = mfa.verify_second_factor(user, form.code.data)
        except RuleError as err:
            form.code.errors.append(err.message)
        else:
            target = (
                signin.complete_pending(user, data)
                if data is not None
                else signin.safe_next(request.args.get("next"))
            )
            mfa.mark_session(user)
            if kind == "recovery":
                flash(
                    _(
                        "You used a recovery code; %(left)d are left. Make new ones from "
                        "your account's security page if you are running low.",
                        left=mfa.recovery_codes_left(user),
                    ),
                    "warning",
                )
            return redirect(target)
    status = 400 if form.errors else 200
    return render_template("auth/two_factor.html", form=form, user=user), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit(_mfa_limit, methods=["POST"])
def setup() -> str | Response | tuple[str, int]:
    if not policy.can_enrol_second_factor(current_user):
        return redirect(url_for("mfa.security"))
    if policy.has_second_factor(current_user):
        return redirect(url_for("mfa.verify", next=request.args.get("next")))
    secret = session.get(SETUP_KEY) or mfa.new_secret()
    session[SETUP_KEY] = secret
    form = SetupForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enrol(current_user, secret, form.code.data)
        except RuleError as err:
            form.code.errors.append(err.message)
        else:
            session.pop(SETUP_KEY, None)
            mfa.mark_session(current_user)
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=signin.safe_next(request.args.get("next")),
            )
    uri = mfa.otpauth_uri(secret, current_user.email or str(current_user.id))
    status = 400 if form.errors else 200
    return render_template(
        "auth/two_factor_setup.html", form=form, secret=secret, uri=uri, qr=mfa.qr_svg(uri)
    ), status


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
@limiter.limit(_mfa_limit)
def recovery_codes() -> str | Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        codes = mfa.regenerate_recovery_codes(current_user)
    except RuleError:
        return redirect(url_for("mfa.verify", next=url_for("mfa.security")))
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("mfa.security")
    )


@bp.route("/security")
@login_required
def security() -> str:
    """The account's sign-in methods: two-step sign-in and the digital identity link."""
    return render_template(
        "auth/security.html",
        needs_mfa=policy.needs_second_factor(current_user),
        has_mfa=policy.has_second_factor(current_user),
        mfa_ok=policy.second_factor_ok(current_user),
        codes_left=mfa.recovery_codes_left(current_user),
        oidc_enabled=oidc.enabled(),
        identity=oidc.identity_of(current_user),
        form=ConfirmForm(),
    )


@bp.route("/two-factor/reset/<int:user_id>", methods=["POST"])
@login_required
@limiter.limit(_mfa_limit)
def reset(user_id: int) -> Response:
    target = db.session.get(User, user_id)
    if target is None or target.deleted_at is not None:
        abort(404)
    form = ResetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        mfa.reset(current_user, target, form.reason.data)
    except RuleError as err:
        if err.status == 403:
            abort(403)
        flash(err.message, "error")
    else:
        flash(_("Two-step sign-in was reset; they set it up again at the next sign-in."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


def staff_locked() -> bool:
    """For the pages: a staff session whose tools wait for the second factor."""
    return (
        current_user.is_authenticated
        and policy.needs_second_factor(current_user)
        and not policy.second_factor_ok(current_user)
    )


def banners(_sender: Any = None) -> list[dict[str, Any]]:
    """Staff whose session has not given the second factor are told why their tools are off."""
    return [{"kind": "warning", "text": LOCKED_BANNER}] if staff_locked() else []


LOCKED_BANNER = _l(
    "Your staff tools are locked until you complete two-step sign-in: open your account's "
    "security page."
)
