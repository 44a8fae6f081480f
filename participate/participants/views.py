"""The participant profile page: ``/account/participant-profile``. Thin: parse, call an
operation, render; the request commits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participate import policy, signals
from participate.errors import RuleError
from participate.extensions import limiter
from participate.participants import chart, data, operations
from participate.participants import population as pop
from participate.participants.forms import DeleteProfileForm, ProfileForm
from participate.participants.queries import profile_of
from participate.participants.weighting import Part
from participate.permissions import write_limit

bp = Blueprint("participants", __name__, url_prefix="/account/participant-profile")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@login_required
def edit() -> Any:
    profile = profile_of(current_user.id)
    form = ProfileForm()
    back = _safe_next(request.values.get("next"))
    if not form.is_submitted() and profile is not None:
        form.age_band.data = profile.age_band or ""
        form.sex.data = profile.sex or ""
        form.county.data = profile.county or ""
        form.groups.data = profile.groups
    status = 200
    if form.validate_on_submit():
        try:
            operations.save_profile(
                current_user,
                operations.ProfileInput(
                    age_band=form.age_band.data or None,
                    sex=form.sex.data or None,
                    county=form.county.data or None,
                    groups=tuple(form.groups.data or ()),
                    consent=bool(form.consent.data),
                ),
            )
        except RuleError as exc:
            field = form[exc.field] if exc.field and exc.field in form else None
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("Your profile is saved. Thank you."), "success")
            return redirect(back or url_for(".edit"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "participants/profile.html",
        form=form,
        profile=profile,
        delete_form=DeleteProfileForm(prefix="del"),
        can_keep=policy.can_keep_profile(current_user),
        next=back,
        population=pop.load(),
    ), status


@bp.route("/delete", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
@login_required
def remove() -> Any:
    form = DeleteProfileForm(prefix="del")
    if not form.validate_on_submit():
        flash(_("The form was not valid; please try again."), "error")
        return redirect(url_for(".edit"))
    operations.delete_profile(current_user)
    flash(_("Your profile is deleted."), "success")
    return redirect(url_for(".edit"))


@bp.app_template_global("representation_chart")
def representation_chart(part: Part) -> Any:
    """The chart of one part of the profile, its description saying every number."""
    hidden = _("fewer than 5")
    pieces = []
    for row in part.rows:
        if row.population is None and row.count is None:
            continue
        mine = hidden if row.share is None else f"{100 * row.share:.0f}%"
        theirs = "–" if row.population is None else f"{100 * row.population:.0f}%"
        pieces.append(
            _(
                "%(label)s: participants %(mine)s, population %(theirs)s",
                label=row.label,
                mine=mine,
                theirs=theirs,
            )
        )
    return chart.render(
        part,
        _("Who took part by %(part)s", part=part.title),
        "; ".join(pieces),
        _("Participants"),
        _("Population"),
        hidden,
    )


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
    signals.connect(signals.personal_data, data.personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
