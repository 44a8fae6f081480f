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
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from participate.admin.forms import AgencyForm, RoleForm
from participate.auth import rules
from participate.extensions import db, limiter
from participate.models import Agency, AuditLog, Role, User
from participate.permissions import admin_required, write_limit

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50

ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.AGENCY_STAFF: _l("Agency staff"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}


@bp.route("/")
@admin_required
def index() -> str:
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return render_template("admin/index.html", counts=counts, role_labels=ROLE_LABELS)


@bp.route("/agencies", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@admin_required
def agencies() -> str | Response:
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            rules.create_agency(current_user, form.slug.data, form.name_zh.data, form.name_en.data)
        except rules.RuleError as err:
            getattr(form, err.field or "slug").errors.append(err.message)
        else:
            flash(_("Agency created."), "success")
            return redirect(url_for("admin.agencies"))
    rows = db.session.scalars(select(Agency).order_by(Agency.name_zh)).all()
    status = 400 if form.errors else 200
    return render_template("admin/agencies.html", form=form, agencies=rows), status


@bp.route("/users")
@admin_required
def users() -> str:
    q = (request.args.get("q") or "").strip()
    page = max(1, request.args.get("page", 1, type=int))
    stmt = select(User).where(User.deleted_at.is_(None))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.email.like(like), func.lower(User.display_name).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(User.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return render_template(
        "admin/users.html",
        users=rows,
        q=q,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        role_labels=ROLE_LABELS,
    )


def _role_form(user: User) -> RoleForm:
    form = RoleForm()
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r])) for r in Role]
    agencies = db.session.scalars(select(Agency).order_by(Agency.name_zh)).all()
    form.agency.choices = [SelectChoice("", _("(none)"))] + [
        SelectChoice(str(a.id), a.name_zh) for a in agencies
    ]
    if not form.is_submitted():
        form.role.data = user.role.value
        form.agency.data = str(user.agency_id or "")
    return form


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
@admin_required
def user(user_id: int) -> str | Response:
    target = db.session.get(User, user_id)
    if target is None or target.deleted_at is not None:
        abort(404)
    form = _role_form(target)
    if form.validate_on_submit():
        agency = db.session.get(Agency, int(form.agency.data)) if form.agency.data else None
        try:
            rules.set_role(current_user, target, Role(form.role.data), agency)
        except rules.RuleError as err:
            if err.status == 403:
                abort(403)
            getattr(form, err.field or "role").errors.append(err.message)
        else:
            flash(_("Role saved."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    history = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.target_type == "user", AuditLog.target_id == target.id)
        .order_by(AuditLog.id.desc())
        .limit(50)
    ).all()
    status = 400 if form.errors else 200
    return render_template(
        "admin/user.html", target=target, form=form, history=history, role_labels=ROLE_LABELS
    ), status


@bp.route("/audit")
@admin_required
def audit() -> str:
    page = max(1, request.args.get("page", 1, type=int))
    action = (request.args.get("action") or "").strip()
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    rows = db.session.scalars(
        stmt.order_by(AuditLog.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    ).all()
    return render_template(
        "admin/audit.html",
        entries=rows[:PER_PAGE],
        has_next=len(rows) > PER_PAGE,
        page=page,
        action=action,
    )


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
