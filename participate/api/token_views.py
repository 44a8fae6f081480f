"""The account page ``/account/tokens`` where people make and revoke their API tokens:
parse the form, call :mod:`participate.api.tokens`, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from participate.api import tokens
from participate.errors import RuleError
from participate.extensions import limiter


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name (what the token is for)"), validators=[DataRequired(), Length(max=80)]
    )
    scopes = SelectMultipleField(
        _l("Permissions"),
        choices=[SelectChoice(k, v) for k, v in tokens.SCOPE_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Choose at least one permission."))],
    )


class RevokeForm(FlaskForm):
    pass


bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _page(form: TokenForm, secret: str | None = None, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "api/tokens.html",
            form=form,
            tokens=tokens.tokens_of(current_user),
            secret=secret,
            scope_labels=tokens.SCOPE_LABELS,
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def index() -> tuple[str, int]:
    form = TokenForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form, status=400)
        try:
            _token, secret = tokens.create_token(current_user, form.name.data, form.scopes.data)
        except RuleError as exc:
            target = getattr(form, exc.field or "name", form.name)
            target.errors = [*target.errors, exc.message]
            return _page(form, status=exc.status if exc.status != 404 else 400)
        return _page(TokenForm(formdata=None), secret=secret, status=201)
    return _page(form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def revoke(token_id: int) -> Response | tuple[str, int]:
    if not RevokeForm().validate_on_submit():
        return _page(TokenForm(formdata=None), status=400)
    try:
        tokens.revoke_token(current_user, token_id)
    except RuleError as exc:
        abort(exc.status)
    flash(_("The token was revoked; programs using it can no longer act for you."), "success")
    return redirect(url_for(".index"))
