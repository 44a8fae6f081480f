"""Admin pages: agencies, roles and the audit log. Admins only."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participate import audit_labels, paging
from participate.admin import queries
from participate.admin.forms import AgencyForm, RoleForm
from participate.auth import operations
from participate.auth.mfa_forms import ResetForm
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import Agency, Role, User
from participate.moderation.labels import reason_label
from participate.permissions import admin_required, write_limit

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.AGENCY_STAFF: _l("Agency staff"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}


@bp.route("/")
@admin_required
def index() -> str:
    return render_template(
        "admin/index.html", counts=queries.role_counts(), role_labels=ROLE_LABELS
    )


@bp.route("/agencies", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@admin_required
def agencies() -> tuple[str, int] | Response:
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            operations.create_agency(
                current_user, form.slug.data, form.name_zh.data, form.name_en.data
            )
        except RuleError as err:
            if err.status == 403:
                abort(403)
            getattr(form, err.field or "slug").errors.append(err.message)
        else:
            flash(_("Agency created."), "success")
            return redirect(url_for("admin.agencies"))
    status = 400 if form.errors else 200
    return render_template("admin/agencies.html", form=form, agencies=queries.agencies()), status


@bp.route("/users")
@admin_required
def users() -> str:
    q = (request.args.get("q") or "").strip()
    page = paging.page_arg()
    rows, pages = queries.find_users(q, page)
    return render_template(
        "admin/users.html", users=rows, q=q, page=page, pages=pages, role_labels=ROLE_LABELS
    )


def _role_form(user: User) -> RoleForm:
    form = RoleForm()
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r])) for r in Role]
    form.agency.choices = [SelectChoice("", _("(none)"))] + [
        SelectChoice(str(a.id), a.name_zh) for a in queries.agencies()
    ]
    if not form.is_submitted():
        form.role.data = user.role.value
        form.agency.data = str(user.agency_id or "")
    return form


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@admin_required
def user(user_id: int) -> tuple[str, int] | Response:
    target = db.session.get(User, user_id)
    if target is None or target.deleted_at is not None:
        abort(404)
    form = _role_form(target)
    if form.validate_on_submit():
        agency = db.session.get(Agency, int(form.agency.data)) if form.agency.data else None
        try:
            operations.set_role(current_user, target, Role(form.role.data), agency)
        except RuleError as err:
            if err.status == 403:
                abort(403)
            getattr(form, err.field or "role").errors.append(err.message)
        else:
            flash(_("Role saved."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    status = 400 if form.errors else 200
    return render_template(
        "admin/user.html",
        target=target,
        form=form,
        history=queries.user_history(target.id),
        role_labels=ROLE_LABELS,
        reset_form=ResetForm(),
    ), status


@bp.route("/audit")
@admin_required
def audit() -> str:
    page = paging.page_arg()
    action = (request.args.get("action") or "").strip()
    entries, has_next = queries.audit_page(action, page)
    return render_template(
        "admin/audit.html",
        entries=entries,
        has_next=has_next,
        page=page,
        action=action,
        reason_label=reason_label,
        action_choices=audit_labels.action_choices(),
    )


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
