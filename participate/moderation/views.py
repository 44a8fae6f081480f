"""Moderation pages: the one queue, item decisions, bulk actions, suspensions, locks,
pre-moderation, banned words, the moderators' audit view, the public transparency page,
and on the author's side "my moderation notices" with the appeal form.

Thin views: parse, check the named predicate, call the rule, render. Pages work without
JavaScript; ``static/moderation.js`` only adds "select all" to the bulk form.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
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
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from participate import policy, signals
from participate.errors import RuleError, error_response
from participate.extensions import db, limiter
from participate.models import (
    Appeal,
    AuditLog,
    BannedTerm,
    Discussion,
    DiscussionModeration,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    Proposal,
    ProposalStatus,
    Reply,
    Report,
    Statement,
    ThreadLock,
    User,
)
from participate.moderation import events, guards, rules
from participate.moderation.forms import (
    ACTION_LABELS,
    AppealForm,
    BulkForm,
    DecisionForm,
    LockForm,
    PremoderationForm,
    ProposalReportForm,
    SimpleForm,
    SuspendForm,
    TermForm,
    reason_choices,
)
from participate.moderation.settings import cfg
from participate.signals import NavItem
from participate.timeutil import aware, utcnow

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
SORTS = ("urgency", "oldest", "newest")


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _kind_labels() -> dict[str, str]:
    return {
        ItemKind.REPORT.value: _("Reported"),
        ItemKind.HELD.value: _("Held for review"),
        ItemKind.PROPOSAL.value: _("Proposal in review"),
        ItemKind.ACCOUNT.value: _("Flagged account"),
        ItemKind.APPEAL.value: _("Appeal"),
    }


def _type_labels() -> dict[str, str]:
    return {
        "statement": _("Statement"),
        "reply": _("Reply"),
        "proposal": _("Proposal"),
        "user": _("Account"),
        "discussion": _("Discussion"),
    }


# --- Wiring into the rest of the app ------------------------------------------------------


def _queue_badge() -> str | None:
    if not current_user.is_authenticated or not rules.can_see_queue(current_user):
        return None
    count = rules.open_count(current_user)
    return _("Moderation (%(count)d)", count=count) if count else _("Moderation")


def _notices_badge() -> str | None:
    if not current_user.is_authenticated:
        return None
    count = rules.unread_notices(current_user)
    return _("Moderation notices (%(count)d)", count=count) if count else None


def navigation(_sender: Any = None) -> list[NavItem]:
    return [
        NavItem("moderation.queue", _queue_badge, 20),
        NavItem("moderation.notices", _notices_badge, 21),
    ]


events.install()


def _after_request(response: Response) -> Response:
    """Mail for the notices this request committed, handed to the job queue; and a fresh
    analysis of each discussion whose statements a decision hid or restored."""
    from flask import g

    reanalyse = g.pop("moderation_reanalyse", set())
    if reanalyse and not (db.session.new or db.session.dirty):
        from participate.boundary import unit
        from participate.reports.scheduler import request_analysis

        for discussion_id in sorted(reanalyse):
            try:
                with unit():  # after the request's commit: request_analysis never commits
                    request_analysis(discussion_id, "moderation")
            except Exception:  # noqa: BLE001 - the decision stands; catch-up runs it later
                db.session.rollback()
    if g.pop("moderation_mail_due", False):
        db.session.info.pop("moderation_mail_due", None)
        if db.session.new or db.session.dirty:  # the request did not commit: nothing to send
            return response
        from participate.moderation.tasks import deliver_moderation_mail

        deliver_moderation_mail()
    return response


@bp.record_once
def _setup(state: Any) -> None:
    state.app.before_request(guards.before_request)
    state.app.after_request(_after_request)


# --- Helpers --------------------------------------------------------------------------


def _denied(message: str | None = None) -> Response:
    return error_response(403, "forbidden", message or _("You do not have permission to do that."))


def _login_or_denied() -> Response:
    if not current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path))
    return _denied()


def _rule_error(exc: RuleError, back: str) -> Response:
    if exc.status in (403, 404):
        return error_response(
            exc.status, "forbidden" if exc.status == 403 else "not_found", exc.message
        )
    flash(exc.message, "error")
    return redirect(back)


def content_url(content_type: str, content_id: int, obj: Any = None) -> str | None:
    if content_type == "statement":
        return url_for("discussion.thread", statement_id=content_id)
    if content_type == "reply":
        obj = obj or db.session.get(Reply, content_id)
        if obj is None:
            return None
        return url_for(
            "discussion.thread", statement_id=obj.statement_id, _anchor=f"reply-{obj.id}"
        )
    if content_type == "proposal" and "proposals.show" in current_app.view_functions:
        return url_for("proposals.show", proposal_id=content_id)
    if content_type == "user":
        return url_for("moderation.user", user_id=content_id)
    return None


def _load_objects(items: list[ModerationItem]) -> dict[tuple[str, int], Any]:
    """The content of a page of items, one query per content type (no N+1)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        wanted[item.content_type].add(item.content_id)
    models = {"statement": Statement, "reply": Reply, "proposal": Proposal, "user": User}
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = models.get(kind)
        if model is None:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(kind, obj.id)] = obj
    return found


def _discussion_titles(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Discussion.id, Proposal.title)
        .join(Proposal, Discussion.proposal_id == Proposal.id)
        .where(Discussion.id.in_(ids))
    )
    return {i: t for i, t in rows}


def sync_proposal_items() -> None:
    """Proposals that entered review before this area existed get their queue item."""
    missing = db.session.scalars(
        select(Proposal).where(
            Proposal.status == ProposalStatus.IN_REVIEW,
            ~select(ModerationItem.id)
            .where(
                ModerationItem.content_type == "proposal",
                ModerationItem.content_id == Proposal.id,
                ModerationItem.kind == ItemKind.PROPOSAL,
                ModerationItem.state == ItemState.OPEN,
            )
            .exists(),
        )
    ).all()
    for proposal in missing:
        rules.ensure_item(
            ItemKind.PROPOSAL,
            proposal,
            "proposal",
            "proposal_review",
            aware(proposal.submitted_at) or utcnow(),
        )
    if missing:
        db.session.commit()


def _queue_query(kind: str, discussion_id: int | None, state: str) -> Any:
    query = select(ModerationItem).where(ModerationItem.state == ItemState(state))
    if kind:
        query = query.where(ModerationItem.kind == ItemKind(kind))
    if discussion_id:
        query = query.where(ModerationItem.discussion_id == discussion_id)
    query = query.where(policy.moderated_items_clause(current_user))
    return query


# --- The queue ----------------------------------------------------------------------------


@bp.route("/")
def queue() -> Any:
    if not rules.can_see_queue(current_user):
        return _login_or_denied()
    sync_proposal_items()
    kind = request.args.get("kind", "")
    if kind not in {k.value for k in ItemKind}:
        kind = ""
    state = request.args.get("state", "open")
    if state not in ("open", "resolved"):
        state = "open"
    sort = request.args.get("sort", "urgency")
    if sort not in SORTS:
        sort = "urgency"
    discussion_id = request.args.get("discussion", type=int)
    mine = request.args.get("mine") == "1"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    size = int(cfg("MODERATION_PAGE_SIZE"))
    base = _queue_query(kind, discussion_id, state)
    if mine:
        base = base.where(ModerationItem.assigned_to_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order = {
        "urgency": [
            ModerationItem.priority.desc(),
            ModerationItem.report_count.desc(),
            ModerationItem.opened_at.asc(),
            ModerationItem.id.asc(),
        ],
        "oldest": [ModerationItem.opened_at.asc(), ModerationItem.id.asc()],
        "newest": [ModerationItem.opened_at.desc(), ModerationItem.id.desc()],
    }[sort]
    if state == "resolved":
        order = [ModerationItem.decided_at.desc(), ModerationItem.id.desc()]
    items = list(db.session.scalars(base.order_by(*order).limit(size).offset((page - 1) * size)))
    objects = _load_objects(items)
    counts = _kind_counts()
    discussions = _discussion_titles(
        {i.discussion_id for i in items if i.discussion_id}
        | set(
            db.session.scalars(
                select(ModerationItem.discussion_id)
                .where(
                    ModerationItem.state == ItemState.OPEN,
                    ModerationItem.discussion_id.is_not(None),
                )
                .distinct()
                .limit(100)
            )
        )
    )
    form = BulkForm()
    form.reason.choices = reason_choices()
    now = utcnow()
    overdue = timedelta(hours=int(cfg("MODERATION_ALERT_AGE_HOURS")))
    return render_template(
        "moderation/queue.html",
        items=items,
        objects=objects,
        counts=counts,
        total=total,
        page=page,
        pages=max((total + size - 1) // size, 1),
        kind=kind,
        state=state,
        sort=sort,
        discussion_id=discussion_id,
        discussions=discussions,
        mine=mine,
        form=form,
        kind_labels=_kind_labels(),
        type_labels=_type_labels(),
        reason_label=rules.reason_label,
        content_url=content_url,
        excerpt=rules.content_excerpt,
        now=now,
        overdue=overdue,
        aware=aware,
        can_decide=lambda item: rules.can_decide(current_user, item),
    )


def _kind_counts() -> dict[str, int]:
    base = _queue_query("", None, "open").subquery()
    return {
        getattr(k, "value", k): n
        for k, n in db.session.execute(select(base.c.kind, func.count()).group_by(base.c.kind))
    }


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
@limiter.limit(_write_limit, methods=["POST"])
def item(item_id: int) -> Any:
    entry = db.session.get(ModerationItem, item_id)
    if entry is None:
        abort(404)
    if not rules.can_moderate_item(current_user, entry):
        return _login_or_denied()
    form = DecisionForm()
    form.action.choices = _decision_choices(entry)
    form.reason.choices = reason_choices()
    status = 200
    if request.method == "POST":
        if not rules.can_decide(current_user, entry):
            if entry.is_open:
                return _denied(
                    _("An appeal must be decided by a different moderator than the first decision.")
                )
            flash(_("This item was already decided."), "error")
            return redirect(url_for(".queue"))
        if form.validate_on_submit():
            try:
                rules.decide(
                    current_user,
                    entry,
                    form.action.data,
                    form.reason.data or None,
                    form.message.data or "",
                )
            except RuleError as exc:
                db.session.rollback()
                if exc.field and exc.field in form:
                    form[exc.field].errors = [*form[exc.field].errors, exc.message]
                else:
                    return _rule_error(exc, url_for(".item", item_id=item_id))
            else:
                flash(_("Decision saved."), "success")
                return redirect(url_for(".queue"))
        status = 400
    obj = rules.load_content(entry.content_type, entry.content_id)
    reports = []
    if entry.content_type in ("statement", "reply", "proposal"):
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
        obj=obj,
        form=form,
        reports=reports,
        history=history,
        may_decide=rules.can_decide(current_user, entry),
        claim_form=SimpleForm(),
        kind_labels=_kind_labels(),
        type_labels=_type_labels(),
        reason_label=rules.reason_label,
        content_url=content_url,
        excerpt=rules.content_excerpt,
        action_labels=ACTION_LABELS,
        discussions=_discussion_titles({entry.discussion_id} if entry.discussion_id else set()),
    ), status


@bp.route("/items/<int:item_id>/claim", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def claim(item_id: int) -> Any:
    entry = db.session.get(ModerationItem, item_id)
    if entry is None:
        abort(404)
    if not rules.can_decide(current_user, entry):
        return _denied()
    SimpleForm().validate_on_submit()
    release = request.form.get("release") == "1"
    try:
        rules.claim(current_user, entry, release=release)
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, url_for(".item", item_id=item_id))
    flash(_("Given back to the queue.") if release else _("The item is yours."), "success")
    return redirect(url_for(".item", item_id=item_id))


@bp.route("/bulk", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def bulk() -> Any:
    if not rules.can_see_queue(current_user):
        return _denied()
    form = BulkForm()
    form.reason.choices = reason_choices()
    back = request.form.get("next") or url_for(".queue")
    if not back.startswith("/moderation/") or back.startswith("//"):
        back = url_for(".queue")
    if not form.validate_on_submit():
        flash(_("Choose a decision and at least one item."), "error")
        return redirect(back)
    try:
        result = rules.bulk_decide(
            current_user,
            form.items.data or [],
            form.action.data,
            form.reason.data or None,
            form.message.data or "",
        )
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, back)
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


# --- Accounts -------------------------------------------------------------------------


@bp.route("/users/<int:user_id>")
def user(user_id: int) -> Any:
    if not rules.can_suspend(current_user):
        return _login_or_denied()
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    form = SuspendForm()
    form.reason.choices = reason_choices()
    statements = db.session.scalars(
        select(Statement)
        .where(Statement.author_id == person.id)
        .order_by(Statement.id.desc())
        .limit(20)
    ).all()
    items = db.session.scalars(
        select(ModerationItem)
        .where(ModerationItem.subject_user_id == person.id)
        .order_by(ModerationItem.opened_at.desc())
        .limit(20)
    ).all()
    report_count = db.session.scalar(
        select(func.count()).select_from(Report).where(Report.reporter_id == person.id)
    )
    return render_template(
        "moderation/user.html",
        person=person,
        form=form,
        unsuspend_form=SimpleForm(),
        statements=statements,
        items=items,
        report_count=report_count,
        kind_labels=_kind_labels(),
        reason_label=rules.reason_label,
        permanent_year=rules.PERMANENT.year,
    )


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def suspend(user_id: int) -> Any:
    if not rules.can_suspend(current_user):
        return _denied()
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    form = SuspendForm()
    form.reason.choices = reason_choices()
    if form.validate_on_submit():
        try:
            rules.suspend(
                current_user, person, form.days.data, form.reason.data, form.message.data or ""
            )
        except RuleError as exc:
            db.session.rollback()
            if exc.field and exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, exc.message]
            else:
                return _rule_error(exc, url_for(".user", user_id=user_id))
        else:
            flash(_("The account is suspended."), "success")
            return redirect(url_for(".user", user_id=user_id))
    return render_template(
        "moderation/user.html",
        person=person,
        form=form,
        unsuspend_form=SimpleForm(),
        statements=[],
        items=[],
        report_count=0,
        kind_labels=_kind_labels(),
        reason_label=rules.reason_label,
        permanent_year=rules.PERMANENT.year,
    ), 400


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def unsuspend(user_id: int) -> Any:
    if not rules.can_suspend(current_user):
        return _denied()
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    SimpleForm().validate_on_submit()
    try:
        rules.unsuspend(current_user, person)
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, url_for(".user", user_id=user_id))
    flash(_("The suspension was lifted."), "success")
    return redirect(url_for(".user", user_id=user_id))


# --- Discussions: pre-moderation and locks ----------------------------------------------


def _discussion_or_404(discussion_id: int) -> Discussion:
    found = db.session.get(Discussion, discussion_id)
    if found is None:
        abort(404)
    return found


@bp.route("/discussions/<int:discussion_id>")
def discussion(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not rules.can_moderate(current_user, found):
        return _login_or_denied()
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
        lock_form=LockForm(),
        unlock_form=SimpleForm(),
        locks=locks,
    )


@bp.route("/discussions/<int:discussion_id>/premoderation", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def premoderation(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not rules.can_moderate(current_user, found):
        return _denied()
    form = PremoderationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rules.set_premoderation(current_user, found, bool(form.enabled.data))
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, url_for(".discussion", discussion_id=found.id))
    flash(
        _("Pre-moderation is on.") if form.enabled.data else _("Pre-moderation is off."), "success"
    )
    return redirect(url_for(".discussion", discussion_id=found.id))


@bp.route("/discussions/<int:discussion_id>/lock", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def lock(discussion_id: int) -> Any:
    found = _discussion_or_404(discussion_id)
    if not rules.can_moderate(current_user, found):
        return _denied()
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
        rules.lock(current_user, found, statement, form.reason.data or "")
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, back)
    flash(_("Locked."), "success")
    return redirect(back)


@bp.route("/locks/<int:lock_id>/delete", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def unlock(lock_id: int) -> Any:
    entry = db.session.get(ThreadLock, lock_id)
    if entry is None:
        abort(404)
    if not rules.can_moderate(current_user, db.session.get(Discussion, entry.discussion_id)):
        return _denied()
    SimpleForm().validate_on_submit()
    discussion_id = entry.discussion_id
    try:
        rules.unlock(current_user, entry)
    except RuleError as exc:
        db.session.rollback()
        return _rule_error(exc, url_for(".discussion", discussion_id=discussion_id))
    flash(_("Unlocked."), "success")
    return redirect(url_for(".discussion", discussion_id=discussion_id))


# --- Banned words ---------------------------------------------------------------------


@bp.route("/terms", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def terms() -> Any:
    if not rules.can_manage_site(current_user):
        return _login_or_denied()
    form = TermForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rules.add_banned_term(
                    current_user, form.term.data, bool(form.is_regex.data), form.action.data
                )
            except RuleError as exc:
                db.session.rollback()
                form[exc.field or "term"].errors = [*form[exc.field or "term"].errors, exc.message]
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
@limiter.limit(_write_limit, methods=["POST"])
def remove_term(term_id: int) -> Any:
    if not rules.can_manage_site(current_user):
        return _denied()
    row = db.session.get(BannedTerm, term_id)
    if row is None:
        abort(404)
    SimpleForm().validate_on_submit()
    rules.remove_banned_term(current_user, row)
    flash(_("Removed from the list."), "success")
    return redirect(url_for(".terms"))


# --- Audit and transparency -------------------------------------------------------------


@bp.route("/audit")
def audit_log() -> Any:
    if not rules.can_manage_site(current_user):
        return _login_or_denied()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
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
        has_next=len(entries) > size,
        page=page,
        action=action,
        reason_label=rules.reason_label,
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
    from participate.timeutil import to_taipei

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
        reason_label=rules.reason_label,
        reasons=rules.EXCLUSION_REASONS,
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


# --- The author's side: notices and appeals -----------------------------------------------


@bp.route("/notices", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def notices() -> Any:
    if not current_user.is_authenticated:
        return _login_or_denied()
    if request.method == "POST":
        if SimpleForm().validate_on_submit():
            rules.mark_notices_read(current_user)
        return redirect(url_for(".notices"))
    rows = db.session.scalars(
        select(ModerationNotice)
        .where(ModerationNotice.user_id == current_user.id)
        .order_by(ModerationNotice.created_at.desc(), ModerationNotice.id.desc())
        .limit(100)
    ).all()
    appealed = set(
        db.session.scalars(
            select(ModerationNotice.id)
            .join(Appeal, Appeal.item_id == ModerationNotice.item_id)
            .where(ModerationNotice.user_id == current_user.id)
        )
    )
    return render_template(
        "moderation/notices.html",
        rows=rows,
        appealed=appealed,
        form=SimpleForm(),
        action_text=rules.ACTION_TEXT,
        reason_label=rules.reason_label,
        can_appeal=lambda n: rules.can_appeal(current_user, n),
        content_url=content_url,
    )


@bp.route("/notices/<int:notice_id>/appeal", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def appeal(notice_id: int) -> Any:
    if not current_user.is_authenticated:
        return _login_or_denied()
    notice = db.session.get(ModerationNotice, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    if not rules.can_appeal(current_user, notice):
        flash(_("This decision cannot be appealed (again)."), "error")
        return redirect(url_for(".notices"))
    form = AppealForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rules.appeal(current_user, notice, form.text.data)
            except RuleError as exc:
                db.session.rollback()
                if exc.field == "text":
                    form.text.errors = [*form.text.errors, exc.message]
                else:
                    return _rule_error(exc, url_for(".notices"))
            else:
                flash(
                    _("Your appeal was sent. Another moderator will review the decision."),
                    "success",
                )
                return redirect(url_for(".notices"))
        status = 400
    return render_template(
        "moderation/appeal.html",
        form=form,
        notice=notice,
        action_text=rules.ACTION_TEXT,
        reason_label=rules.reason_label,
    ), status


# --- Reporting a proposal (the discussion area reports statements and replies) ---------


@bp.route("/report/proposal/<int:proposal_id>", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def report_proposal(proposal_id: int) -> Any:
    if not current_user.is_authenticated:
        return _login_or_denied()
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.status in (
        ProposalStatus.DRAFT,
        ProposalStatus.IN_REVIEW,
        ProposalStatus.REJECTED,
        ProposalStatus.CHANGES_REQUESTED,
    ):
        abort(404)
    form = ProposalReportForm()
    back = content_url("proposal", proposal.id) or url_for("main.index")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rules.report_proposal(
                    current_user, proposal, form.reason.data, form.text.data or ""
                )
            except RuleError as exc:
                db.session.rollback()
                if exc.field in ("reason", "text"):
                    form[exc.field].errors = [*form[exc.field].errors, exc.message]
                else:
                    return _rule_error(exc, back)
            else:
                flash(_("Thank you. The moderators will look at your report."), "success")
                return redirect(back)
        status = 400
    return render_template(
        "moderation/report_proposal.html", form=form, proposal=proposal, back=back
    ), status


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.moderation import data, guards

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.banners, guards.banners)
    signals.connect(signals.personal_data, data.personal_data)
    signals.connect(signals.account_deleting, data.delete_personal_data)
