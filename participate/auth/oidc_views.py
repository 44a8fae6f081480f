"""Sign in with, and link, a government digital identity (OpenID Connect): thin views over
:mod:`participate.auth.oidc`. ``/auth/oidc/login`` and ``/auth/oidc/link`` send the person
to the provider; ``/auth/oidc/callback`` comes back, checks everything, and signs in or
links."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participate.auth import oidc, signin
from participate.auth.mfa_forms import ConfirmForm
from participate.errors import RuleError
from participate.extensions import limiter
from participate.permissions import write_limit

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")

INTENT_KEY = "_oidc_intent"


def _start(intent: str) -> Response:
    if not oidc.enabled():
        abort(404)
    session[INTENT_KEY] = {"intent": intent, "next": signin.safe_next(request.args.get("next"))}
    try:
        return oidc.client().authorize_redirect(url_for("oidc.callback", _external=True))
    except oidc.provider_errors():
        flash(_("The digital identity service is not answering. Try again later."), "error")
        return redirect(url_for("auth.login"))


@bp.route("/login")
@limiter.limit("30 per minute")
def login() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("mfa.security"))
    return _start("login")


@bp.route("/link", methods=["POST"])
@login_required
@limiter.limit(write_limit)
def link() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _start("link")


@bp.route("/unlink", methods=["POST"])
@login_required
@limiter.limit(write_limit)
def unlink() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        oidc.unlink(current_user)
    except RuleError as err:
        flash(err.message, "error")
    else:
        flash(_("Your digital identity is no longer linked to this account."), "success")
    return redirect(url_for("mfa.security"))


@bp.route("/callback")
@limiter.limit("30 per minute")
def callback() -> Response | tuple[str, int]:
    if not oidc.enabled():
        abort(404)
    intent = session.pop(INTENT_KEY, None) or {}
    try:
        token = oidc.client().authorize_access_token()
    except oidc.provider_errors() + (KeyError,):
        # a forged or replayed state, a wrong nonce, a bad signature, a refused code...
        flash(_("The sign-in with your digital identity could not be confirmed."), "error")
        return redirect(url_for("auth.login")), 400  # type: ignore[return-value]
    claims = token.get("userinfo") or {}
    subject = claims.get("sub")
    if not subject or "nonce" not in claims:  # no verified id_token: nothing to trust
        flash(_("The sign-in with your digital identity could not be confirmed."), "error")
        return redirect(url_for("auth.login")), 400  # type: ignore[return-value]
    provider = oidc.issuer()
    if intent.get("intent") == "link":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        try:
            oidc.link(current_user, provider, str(subject))
        except RuleError as err:
            flash(err.message, "error")
            return redirect(url_for("mfa.security")), err.status  # type: ignore[return-value]
        flash(_("Your digital identity is now linked to this account."), "success")
        return redirect(url_for("mfa.security"))
    user = oidc.account_for(provider, str(subject))
    if user is None:
        flash(
            _(
                "This digital identity is not linked to an account yet. Log in with your "
                "email and password (or register), then link it from your account's "
                "security page; after that it signs you in."
            ),
            "warning",
        )
        return redirect(url_for("auth.login"))
    return signin.finish_login(user, remember=False, next_url=intent.get("next"))
