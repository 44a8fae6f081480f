"""Personal API tokens: the rules (create, revoke, authenticate) and the account page
``/account/tokens`` where people manage them.

A token is shown once, at creation; only its SHA-256 digest is stored. Each token carries
scopes (``vote``, ``statements:write``); an API write checks the scope, then calls the
discussion area's own rule function, so a token can do no more than its owner on the site.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from participate import audit
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import User
from participate.models.api import TOKEN_SCOPES, ApiToken
from participate.timeutil import utcnow

TOKEN_PREFIX = "pt_"  # noqa: S105 - a marker, not a secret
MAX_TOKENS = 20
SCOPE_LABELS = {
    "vote": _l("Vote on statements"),
    "statements:write": _l("Post statements"),
}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- rules


def create_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the secret (shown once)."""
    name = (name or "").strip()
    if not name:
        raise RuleError(_("Give the token a name."), field="name")
    if len(name) > 80:
        raise RuleError(_("Use at most 80 characters."), field="name")
    wanted = sorted(set(scopes))
    if not wanted or any(sc not in TOKEN_SCOPES for sc in wanted):
        raise RuleError(_("Choose at least one permission."), field="scopes")
    if not getattr(user, "is_verified", False):
        raise RuleError(_("Confirm your email address before making API tokens."), status=403)
    active = db.session.scalar(
        select(db.func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if (active or 0) >= MAX_TOKENS:
        raise RuleError(
            _("You have %(n)d active tokens; revoke one first.", n=MAX_TOKENS), field="name"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=digest(secret),
        scopes=" ".join(wanted),
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", "api_token", token.id, scopes=wanted)
    db.session.commit()
    return token, secret


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise RuleError(_("No such token."), status=404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(user, "api_token.revoke", "api_token", token.id)
        db.session.commit()
    return token


def authenticate(scope: str) -> User:
    """The user behind the request's bearer token, if the token is live and has ``scope``.

    Raises the API's 401 (no or unknown token) or 403 (missing scope).
    """
    from participate.api.v1 import ApiError

    header = request.headers.get("Authorization", "")
    kind, _sep, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", _("Send a personal API token: Authorization: Bearer …"))
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret.strip())))
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "unauthorized", _("This API token is unknown or has been revoked."))
    user = db.session.get(User, token.user_id)
    if user is None or user.deleted_at is not None:
        raise ApiError(401, "unauthorized", _("This API token is unknown or has been revoked."))
    if scope not in token.scope_list:
        raise ApiError(
            403,
            "insufficient_scope",
            _("This token may not do that (it needs the %(scope)s permission).", scope=scope),
        )
    token.last_used_at = utcnow()
    return user


def token_rate_key() -> str:
    """Rate-limit writes per token (per address when there is none)."""
    header = request.headers.get("Authorization", "")
    _kind, _sep, secret = header.partition(" ")
    if secret.strip():
        return "token:" + digest(secret.strip())[:16]
    return "ip:" + (request.remote_addr or "unknown")


def revoke_on_deletion(user: Any) -> None:
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


def personal_data(user: Any) -> tuple[str, Any]:
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return "api_tokens", [
        {
            "name": t.name,
            "prefix": t.prefix,
            "scopes": t.scope_list,
            "created_at": _iso(t.created_at),
            "last_used_at": _iso(t.last_used_at),
            "revoked_at": _iso(t.revoked_at),
        }
        for t in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------- page


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name (what the token is for)"), validators=[DataRequired(), Length(max=80)]
    )
    scopes = SelectMultipleField(
        _l("Permissions"),
        choices=[SelectChoice(k, v) for k, v in SCOPE_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Choose at least one permission."))],
    )


bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _page(form: TokenForm, secret: str | None = None, status: int = 200) -> tuple[str, int]:
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return (
        render_template(
            "api/tokens.html",
            form=form,
            tokens=tokens,
            secret=secret,
            scope_labels=SCOPE_LABELS,
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def index() -> tuple[str, int]:
    form = TokenForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form, status=400)
        try:
            _token, secret = create_token(current_user, form.name.data, form.scopes.data)
        except RuleError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "name", form.name)
            target.errors = [*target.errors, exc.message]
            return _page(form, status=exc.status if exc.status != 404 else 400)
        return _page(TokenForm(formdata=None), secret=secret, status=201)
    return _page(form)


class RevokeForm(FlaskForm):
    pass


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def revoke(token_id: int) -> Response | tuple[str, int]:
    if not RevokeForm().validate_on_submit():
        return _page(TokenForm(formdata=None), status=400)
    try:
        revoke_token(current_user, token_id)
    except RuleError as exc:
        from flask import abort

        abort(exc.status)
    from flask import flash

    flash(_("The token was revoked; programs using it can no longer act for you."), "success")
    return redirect(url_for(".index"))
