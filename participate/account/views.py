"""My account: profile, password, download my data, delete my account."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from participate.account import operations
from participate.account.forms import DeleteForm, PasswordForm, ProfileForm
from participate.account.queries import personal_data
from participate.errors import RuleError
from participate.extensions import limiter
from participate.permissions import write_limit
from participate.timeutil import utcnow

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(
    form: ProfileForm | None = None,
    password_form: PasswordForm | None = None,
    delete_form: DeleteForm | None = None,
) -> str:
    return render_template(
        "account/profile.html",
        form=form or ProfileForm(obj=current_user),
        password_form=password_form or PasswordForm(prefix="pw"),
        delete_form=delete_form or DeleteForm(prefix="del"),
    )


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@login_required
def profile() -> str | Response:
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.locale.data = current_user.locale or "zh_Hant_TW"
    if form.validate_on_submit():
        try:
            operations.update_profile(
                current_user, form.display_name.data, form.locale.data, form.email_digest.data
            )
        except RuleError as err:
            getattr(form, err.field or "display_name").errors.append(err.message)
        else:
            session["lang"] = form.locale.data
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("account.profile"))
    return _page(form=form)


@bp.route("/password", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def password() -> str | Response | tuple[str, int]:
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current.data, form.password.data)
        except RuleError as err:
            getattr(form, err.field or "current").errors.append(err.message)
        else:
            login_user(current_user)  # keep this session; others end with the old version
            flash(_("Your password has been changed. Other sessions were logged out."), "success")
            return redirect(url_for("account.profile"))
    return _page(password_form=form), 400


@bp.route("/data.json")
@login_required
def download() -> Response:
    payload = json.dumps(personal_data(current_user), ensure_ascii=False, indent=2)
    stamp = utcnow().strftime("%Y%m%d")
    return Response(
        payload,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=participate-my-data-{stamp}.json"},
    )


@bp.route("/delete", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def delete() -> str | Response | tuple[str, int]:
    form = DeleteForm(prefix="del")
    if form.validate_on_submit():
        try:
            operations.delete_own_account(current_user, form.password.data)
        except RuleError as err:
            getattr(form, err.field or "password").errors.append(err.message)
        else:
            logout_user()
            flash(
                _('Your account has been deleted. What you wrote stays as "deleted user".'),
                "success",
            )
            return redirect(url_for("main.index"))
    return _page(delete_form=form), 400


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
