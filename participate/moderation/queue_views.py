"""The one moderation queue and its decisions: the list (urgency, filters, pages), one
item with its reports and history, taking an item, and bulk decisions. Proposals in
review are decided here too (the proposals area has no review page of its own)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from participate import paging, policy
from participate.errors import RuleError
from participate.extensions import db, limiter
from participate.models import ItemKind, ModerationItem, Report
from participate.moderation import operations, queries
from participate.moderation.common_views import (
    bp,
    content_url,
    denied,
    field_error,
    kind_labels,
    login_or_denied,
    rule_error,
    type_labels,
    write_limit,
)
from participate.moderation.content import HIDEABLE_TYPES, content_excerpt, load_content
from participate.moderation.forms import (
    ACTION_LABELS,
    BulkForm,
    DecisionForm,
    SimpleForm,
    reason_choices,
)
from participate.moderation.labels import decision_label, reason_label
from participate.moderation.settings import cfg
from participate.timeutil import aware, utcnow


@bp.route("/")
def queue() -> Any:
    if not policy.can_see_queue(current_user):
        return login_or_denied()
    kind = request.args.get("kind", "")
    if kind not in {k.value for k in ItemKind}:
        kind = ""
    state = request.args.get("state", "open")
    if state not in ("open", "resolved"):
        state = "open"
    sort = request.args.get("sort", "urgency")
    if sort not in queries.SORTS:
        sort = "urgency"
    discussion_id = paging.id_arg("discussion")
    mine = request.args.get("mine") == "1"
    page = paging.page_arg()
    size = int(cfg("MODERATION_PAGE_SIZE"))
    base = queries.queue_query(current_user, kind, discussion_id, state)
    if mine:
        base = base.where(ModerationItem.assigned_to_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order = queries.queue_order(sort, state)
    items = list(db.session.scalars(base.order_by(*order).limit(size).offset((page - 1) * size)))
    discussions = queries.discussion_titles(
        {i.discussion_id for i in items if i.discussion_id} | queries.discussions_with_open_items()
    )
    form = BulkForm()
    form.reason.choices = reason_choices()
    return render_template(
        "moderation/queue.html",
        items=items,
        objects=queries.load_objects(items),
        counts=queries.kind_counts(current_user),
        total=total,
        page=page,
        pages=paging.page_count(total, size),
        kind=kind,
        state=state,
        sort=sort,
        discussion_id=discussion_id,
        discussions=discussions,
        mine=mine,
        form=form,
        kind_labels=kind_labels(),
        type_labels=type_labels(),
        reason_label=reason_label,
        decision_label=decision_label,
        content_url=content_url,
        excerpt=content_excerpt,
        now=utcnow(),
        overdue=timedelta(hours=int(cfg("MODERATION_ALERT_AGE_HOURS"))),
        aware=aware,
        can_decide=lambda item: policy.can_decide(current_user, item),
    )


def _decision_choices(item: ModerationItem) -> list[SelectChoice]:
    if item.kind == ItemKind.APPEAL:
        keys = ["uphold", "overturn"]
    elif item.kind == ItemKind.PROPOSAL:
        keys = ["approve", "request_edit", "reject"]
    elif item.content_type == "user":
        keys = ["dismiss", "suspend"]
    elif item.content_type == "proposal":
        keys = ["dismiss"]
    else:
        keys = ["restore", "hide", "reject", "dismiss"]
    return [SelectChoice(k, ACTION_LABELS[k]) for k in keys]


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def item(item_id: int) -> Any:
    entry = db.session.get(ModerationItem, item_id)
    if entry is None:
        abort(404)
    if not policy.can_moderate_item(current_user, entry):
        return login_or_denied()
    form = DecisionForm()
    form.action.choices = _decision_choices(entry)
    form.reason.choices = reason_choices()
    status = 200
    if request.method == "POST":
        if not policy.can_decide(current_user, entry):
            if entry.is_open:
                return denied(
                    _("An appeal must be decided by a different moderator than the first decision.")
                )
            flash(_("This item was already decided."), "error")
            return redirect(url_for(".queue"))
        if form.validate_on_submit():
            try:
                operations.decide(
                    current_user,
                    entry,
                    form.action.data,
                    form.reason.data or None,
                    form.message.data or "",
                )
            except RuleError as exc:
                if not field_error(form, exc):
                    return rule_error(exc, url_for(".item", item_id=item_id))
            else:
                flash(_("Decision saved."), "success")
                return redirect(url_for(".queue"))
        status = 400
    reports = []
    if entry.content_type in (*HIDEABLE_TYPES, "proposal"):
        reports = list(
            db.session.scalars(
                select(Report)
                .where(
                    Report.content_type == entry.content_type, Report.content_id == entry.content_id
                )
                .order_by(Report.created_at.desc())
                .limit(50)
            )
        )
    history = list(
        db.session.scalars(
            select(ModerationItem)
            .where(
                ModerationItem.content_type == entry.content_type,
                ModerationItem.content_id == entry.content_id,
                ModerationItem.id != entry.id,
            )
            .order_by(ModerationItem.opened_at.desc())
            .limit(20)
        )
    )
    return render_template(
        "moderation/item.html",
        item=entry,
        obj=load_content(entry.content_type, entry.content_id),
        form=form,
        reports=reports,
        history=history,
        may_decide=policy.can_decide(current_user, entry),
        claim_form=SimpleForm(),
        kind_labels=kind_labels(),
        type_labels=type_labels(),
        reason_label=reason_label,
        decision_label=decision_label,
        content_url=content_url,
        excerpt=content_excerpt,
        action_labels=ACTION_LABELS,
        discussions=queries.discussion_titles(
            {entry.discussion_id} if entry.discussion_id else set()
        ),
    ), status


@bp.route("/items/<int:item_id>/claim", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def claim(item_id: int) -> Any:
    entry = db.session.get(ModerationItem, item_id)
    if entry is None:
        abort(404)
    if not policy.can_decide(current_user, entry):
        return denied()
    SimpleForm().validate_on_submit()
    release = request.form.get("release") == "1"
    try:
        operations.claim(current_user, entry, release=release)
    except RuleError as exc:
        return rule_error(exc, url_for(".item", item_id=item_id))
    flash(_("Given back to the queue.") if release else _("The item is yours."), "success")
    return redirect(url_for(".item", item_id=item_id))


@bp.route("/bulk", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def bulk() -> Any:
    if not policy.can_see_queue(current_user):
        return denied()
    form = BulkForm()
    form.reason.choices = reason_choices()
    back = request.form.get("next") or url_for(".queue")
    if not back.startswith("/moderation/") or back.startswith("//"):
        back = url_for(".queue")
    if not form.validate_on_submit():
        flash(_("Choose a decision and at least one item."), "error")
        return redirect(back)
    try:
        result = operations.bulk_decide(
            current_user,
            form.items.data or [],
            form.action.data,
            form.reason.data or None,
            form.message.data or "",
        )
    except RuleError as exc:
        return rule_error(exc, back)
    flash(_("%(done)d items decided.", done=result.done), "success")
    if result.skipped:
        flash(
            _(
                "%(n)d items were skipped (already decided, not yours to decide, or needing a "
                "decision of their own).",
                n=len(result.skipped),
            ),
            "warning",
        )
    return redirect(back)
