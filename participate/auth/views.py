"""Registration, verification, login and password reset: parse, call the operation, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from participate import signals
from participate.auth import mfa, mfa_views, oidc, oidc_views, operations
from participate.auth.forms import ForgotForm, LoginForm, RegisterForm, ResendForm, ResetForm
from participate.auth.loader import load_user  # noqa: F401 - create_app registers it
from participate.auth.signin import finish_login
from participate.errors import RuleError
from participate.extensions import limiter
from participate.models import User
from participate.tokens import read_reset_token, read_verify_token

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = operations.register_user(
                form.email.data, form.display_name.data, form.password.data
            )
        except RuleError as err:
            getattr(form, err.field or "email").errors.append(err.message)
        else:
            login_user(user)
            flash(
                _(
                    "Welcome! We sent a link to %(email)s to confirm your address.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("auth.unverified"))
    return render_template("auth/register.html", form=form)


@bp.route("/verify/<token>")
def verify(token: str) -> Response:
    user = read_verify_token(token)
    if user is None:
        flash(_("This confirmation link is invalid or has expired."), "error")
        return redirect(
            url_for("auth.unverified" if current_user.is_authenticated else "auth.login")
        )
    operations.verify_email(user)
    flash(_("Your email address is confirmed. Thank you!"), "success")
    return redirect(url_for("main.index"))


@bp.route("/unverified", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per hour", methods=["POST"])
def unverified() -> str | Response:
    if current_user.is_verified:
        return redirect(url_for("main.index"))
    form = ResendForm()
    if form.validate_on_submit():
        operations.send_verification(current_user)
        flash(_("We sent the confirmation link again."), "success")
        return redirect(url_for("auth.unverified"))
    return render_template("auth/unverified.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except RuleError as err:  # a control character in the address
            getattr(form, err.field or "email").errors.append(err.message)
            return render_template("auth/login.html", form=form), 400
        if user is None:
            form.password.errors.append(_("The email or password is not correct."))
        else:
            return finish_login(user, form.remember.data, request.args.get("next"))
    return render_template("auth/login.html", form=form, oidc_enabled=oidc.enabled())


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot() -> str | Response | tuple[str, int]:
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            operations.request_password_reset(form.email.data)
        except RuleError as err:
            getattr(form, err.field or "email").errors.append(err.message)
            return render_template("auth/forgot.html", form=form), 400
        flash(
            _("If an account uses that address, we sent it a link to reset the password."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset(token: str) -> str | Response:
    user = read_reset_token(token)
    if user is None:
        flash(_("This reset link is invalid, used or expired. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot"))
    form = ResetForm()
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        flash(_("Your password has been changed. Please log in."), "success")
        logout_user()
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


def erase_second_factors(user: User) -> None:
    """Account deletion: the authenticator app, recovery codes and identity link go."""
    mfa.erase(user)
    oidc.erase(user)


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name): the
    password pages, two-step sign-in (mfa_views) and the digital identity (oidc_views)."""
    app.register_blueprint(bp)
    app.register_blueprint(mfa_views.bp)
    app.register_blueprint(oidc_views.bp)
    oidc.init_app(app)
    signals.connect(signals.banners, mfa_views.banners)
    app.jinja_env.globals["staff_locked"] = mfa_views.staff_locked
    signals.connect(signals.account_deleting, erase_second_factors)
