"""My account: profile, password, download my data, delete my account."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from participate.account.forms import DeleteForm, PasswordForm, ProfileForm
from participate.account.rules import personal_data
from participate.auth import rules as auth_rules
from participate.extensions import db, limiter
from participate.permissions import write_limit
from participate.timeutil import utcnow

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@login_required
def profile() -> str | Response:
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.locale.data = current_user.locale or "zh_Hant_TW"
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data
        current_user.locale = form.locale.data
        current_user.email_digest = form.email_digest.data
        db.session.commit()
        session["lang"] = form.locale.data
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template(
        "account/profile.html",
        form=form,
        password_form=PasswordForm(prefix="pw"),
        delete_form=DeleteForm(prefix="del"),
    )


@bp.route("/password", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def password() -> str | Response:
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        if not auth_rules.check_password(current_user, form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            auth_rules.set_password(current_user, form.password.data)
            login_user(current_user)  # keep this session; others end with the old version
            flash(_("Your password has been changed. Other sessions were logged out."), "success")
            return redirect(url_for("account.profile"))
    return render_template(
        "account/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=form,
        delete_form=DeleteForm(prefix="del"),
    ), 400


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
def delete() -> str | Response:
    form = DeleteForm(prefix="del")
    if form.validate_on_submit():
        if not auth_rules.check_password(current_user, form.password.data):
            form.password.errors.append(_("The password is not correct."))
        else:
            auth_rules.delete_account(current_user)
            logout_user()
            flash(
                _('Your account has been deleted. What you wrote stays as "deleted user".'),
                "success",
            )
            return redirect(url_for("main.index"))
    return render_template(
        "account/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=PasswordForm(prefix="pw"),
        delete_form=form,
    ), 400


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
