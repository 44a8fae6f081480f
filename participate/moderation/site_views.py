"""The moderators' tools for discussions and the site: pre-moderation and locks of a
discussion, banned words, the moderation log (moderators only) and the public
transparency page (counts per month and reason; no people, no content)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participate import audit_labels, paging, policy
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import (
    AuditLog,
    BannedTerm,
    Discussion,
    DiscussionModeration,
    Statement,
    ThreadLock,
)
from participate.moderation import operations
from participate.moderation.common_views import (
    bp,
    denied,
    field_error,
    login_or_denied,
    rule_error,
    write_limit,
)
from participate.moderation.forms import LockForm, PremoderationForm, SimpleForm, TermForm
from participate.moderation.labels import EXCLUSION_REASONS, reason_label
from participate.moderation.settings import cfg
from participate.timeutil import to_taipei, utcnow

# --- Discussions: pre-moderation and locks ----------------------------------------------


def _discussion_or_404(discussion_id: int) -> Discussion:
    found = db.session.get(Discussion, discussion_id)
    if found is None:
        abort(404)
    return found


@bp.route("/discussions/<int:discussion_id>")
def discussion(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not policy.can_moderate(current_user, found):
        return login_or_denied()
    return _render_discussion(found)


def _render_discussion(
    found: Discussion, lock_form: LockForm | None = None, status: int = 200
) -> tuple[str, int]:
    settings = db.session.get(DiscussionModeration, found.id)
    pre = PremoderationForm(enabled=bool(settings and settings.premoderation))
    locks = db.session.scalars(
        select(ThreadLock).where(ThreadLock.discussion_id == found.id).order_by(ThreadLock.id)
    ).all()
    return render_template(
        "moderation/discussion.html",
        discussion=found,
        proposal=found.proposal,
        pre_form=pre,
        lock_form=lock_form or LockForm(),
        unlock_form=SimpleForm(),
        locks=locks,
    ), status


@bp.route("/discussions/<int:discussion_id>/premoderation", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def premoderation(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not policy.can_moderate(current_user, found):
        return denied()
    form = PremoderationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.set_premoderation(current_user, found, bool(form.enabled.data))
    except RuleError as exc:
        return rule_error(exc, url_for(".discussion", discussion_id=found.id))
    flash(
        _("Pre-moderation is on.") if form.enabled.data else _("Pre-moderation is off."), "success"
    )
    return redirect(url_for(".discussion", discussion_id=found.id))


@bp.route("/discussions/<int:discussion_id>/lock", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def lock(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not policy.can_moderate(current_user, found):
        return denied()
    form = LockForm()
    back = url_for(".discussion", discussion_id=found.id)
    if not form.validate_on_submit():
        flash(_("Check the statement number."), "error")
        return redirect(back)
    statement = None
    if form.statement_id.data:
        statement = db.session.get(Statement, form.statement_id.data)
        if statement is None:
            flash(_("There is no statement with that number."), "error")
            return redirect(back)
    try:
        operations.lock(current_user, found, statement, form.reason.data or "")
    except RuleError as exc:
        if field_error(form, exc):  # the reason, next to its field
            return _render_discussion(found, form, 400)
        return rule_error(exc, back)
    flash(_("Locked."), "success")
    return redirect(back)


@bp.route("/locks/<int:lock_id>/delete", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def unlock(lock_id: int) -> Any:
    entry = db.session.get(ThreadLock, lock_id)
    if entry is None:
        abort(404)
    if not policy.can_moderate(current_user, db.session.get(Discussion, entry.discussion_id)):
        return denied()
    SimpleForm().validate_on_submit()
    discussion_id = entry.discussion_id
    try:
        operations.unlock(current_user, entry)
    except RuleError as exc:
        return rule_error(exc, url_for(".discussion", discussion_id=discussion_id))
    flash(_("Unlocked."), "success")
    return redirect(url_for(".discussion", discussion_id=discussion_id))


# --- Banned words ---------------------------------------------------------------------


@bp.route("/terms", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def terms() -> Any:
    if not policy.can_manage_site(current_user):
        return login_or_denied()
    form = TermForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                operations.add_banned_term(
                    current_user, form.term.data, bool(form.is_regex.data), form.action.data
                )
            except RuleError as exc:
                field = form[exc.field or "term"]
                field.errors = [*field.errors, exc.message]
            else:
                flash(_("Added to the list."), "success")
                return redirect(url_for(".terms"))
        status = 400
    rows = db.session.scalars(select(BannedTerm).order_by(BannedTerm.term)).all()
    configured = [
        t
        for t in str(cfg("MODERATION_BANNED_WORDS") or "").replace("\n", ",").split(",")
        if t.strip()
    ]
    return render_template(
        "moderation/terms.html",
        form=form,
        rows=rows,
        configured=configured,
        remove_form=SimpleForm(),
    ), status


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def remove_term(term_id: int) -> Any:
    if not policy.can_manage_site(current_user):
        return denied()
    row = db.session.get(BannedTerm, term_id)
    if row is None:
        abort(404)
    SimpleForm().validate_on_submit()
    operations.remove_banned_term(current_user, row)
    flash(_("Removed from the list."), "success")
    return redirect(url_for(".terms"))


# --- Audit and transparency -------------------------------------------------------------


@bp.route("/audit")
def audit_log() -> Any:
    if not policy.can_manage_site(current_user):
        return login_or_denied()
    page = paging.page_arg()
    action = (request.args.get("action") or "").strip()
    size = 50
    query = select(AuditLog).where(
        db.or_(
            AuditLog.action.like("moderation.%"),
            AuditLog.action.like("%.status"),
            AuditLog.action == "report.create",
        )
    )
    if action:
        query = query.where(AuditLog.action.like(f"%{action.replace('%', '')}%"))
    entries = list(
        db.session.scalars(
            query.order_by(AuditLog.id.desc()).limit(size + 1).offset((page - 1) * size)
        )
    )
    return render_template(
        "moderation/audit.html",
        entries=entries[:size],
        has_next=len(entries) > size and page < paging.MAX_PAGE,
        page=page,
        action=action,
        reason_label=reason_label,
        action_choices=audit_labels.action_choices(audit_labels.moderation_actions()),
    )


PUBLIC_ACTIONS = (
    "moderation.hide",
    "moderation.reject",
    "moderation.restore",
    "moderation.dismiss",
    "moderation.auto_hide",
    "moderation.approve",
    "moderation.request_edit",
    "moderation.suspend",
    "moderation.lock",
    "moderation.appeal",
    "moderation.appeal_uphold",
    "moderation.appeal_overturn",
)


@bp.route("/transparency")
def transparency() -> str:
    """Counts of moderation actions per month and reason; no people, no content."""
    since = utcnow() - timedelta(days=366)
    rows = db.session.execute(
        select(AuditLog.action, AuditLog.reason, AuditLog.created_at).where(
            AuditLog.action.in_(PUBLIC_ACTIONS), AuditLog.created_at >= since
        )
    )
    table: Counter[tuple[str, str, str]] = Counter()
    for action, reason, created in rows:
        month = to_taipei(created).strftime("%Y-%m")
        table[(month, action.removeprefix("moderation."), reason or "")] += 1
    months = sorted({m for m, _a, _r in table}, reverse=True)
    by_month = {
        m: sorted(
            ((a, r, n) for (mm, a, r), n in table.items() if mm == m),
            key=lambda t: (-t[2], t[0], t[1]),
        )
        for m in months
    }
    return render_template(
        "moderation/transparency.html",
        months=months,
        by_month=by_month,
        action_labels=_public_action_labels(),
        reason_label=reason_label,
        reasons=EXCLUSION_REASONS,
        threshold=int(cfg("MODERATION_REPORT_THRESHOLD")),
    )


def _public_action_labels() -> dict[str, str]:
    return {
        "hide": _("Hidden"),
        "reject": _("Removed with a published reason"),
        "restore": _("Restored"),
        "dismiss": _("Reports dismissed"),
        "auto_hide": _("Hidden automatically after reports"),
        "approve": _("Proposals accepted"),
        "request_edit": _("Changes requested"),
        "suspend": _("Accounts suspended"),
        "lock": _("Discussions locked"),
        "appeal": _("Appeals filed"),
        "appeal_uphold": _("Appeals: decision upheld"),
        "appeal_overturn": _("Appeals: decision overturned"),
    }
