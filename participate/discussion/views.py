"""Discussion pages: statements, the voting card, threads, reports. Thin views: parse, call
the rule, render. Every page works without JavaScript; ``static/discussion.js`` only spares
page reloads (votes by fetch, the live duplicate warning, keyboard shortcuts).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from participate import policy, signals
from participate.discussion import rules
from participate.discussion.forms import (
    DeleteForm,
    EditReplyForm,
    ReplyForm,
    ReportForm,
    StatementForm,
)
from participate.errors import error_response, wants_json
from participate.extensions import db, limiter
from participate.models import (
    ContentStatus,
    Discussion,
    Proposal,
    Reply,
    Statement,
    Vote,
)
from participate.models.discussion import STATEMENT_MAX_LENGTH, get_or_create_discussion
from participate.text import render_statement
from participate.timeutil import utcnow

bp = Blueprint("discussion", __name__)

PAGE_SIZE = 20
REPLY_PAGE_SIZE = 50
VOTE_WORDS = {"agree": 1, "disagree": -1, "pass": 0, "1": 1, "-1": -1, "0": 0}
SORTS = ("new", "votes", "oldest")


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _vote_limit() -> str:
    return current_app.config["VOTE_RATE_LIMIT"]


def _user_key() -> str:
    """Votes are limited per person, not per address: many people share a school's NAT."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def _uid() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _readable_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    if not policy.can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


def _discussion_for(proposal_id: int) -> Discussion:
    proposal = _readable_proposal(proposal_id)
    discussion = db.session.scalar(select(Discussion).where(Discussion.proposal_id == proposal.id))
    if discussion is None:
        discussion = get_or_create_discussion(proposal)
        db.session.commit()
    return discussion


def _statement_or_404(statement_id: int) -> Statement:
    statement = rules.load_statement(statement_id)
    if statement is None:
        abort(404)
    if not policy.can_view_statement(current_user, statement):
        abort(404)
    return statement


def _safe_next(target: str | None, default: str) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//") and "\\" not in target:
                return target
    return default


def _rule_error(exc: rules.RuleError) -> Response:
    fields = {exc.field: [exc.message]} if exc.field else {}
    code = {401: "login_required", 403: "forbidden", 409: "conflict"}.get(exc.status, "invalid")
    return error_response(exc.status, code, exc.message, fields)


def _proposal_link(proposal: Proposal) -> str | None:
    if "proposals.show" in current_app.view_functions:
        return url_for("proposals.show", proposal_id=proposal.id)
    return None


def _progress(discussion: Discussion, user_id: int | None) -> dict[str, int]:
    total = db.session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(Statement.discussion_id == discussion.id, Statement.status == ContentStatus.VISIBLE)
    )
    voted = 0
    if user_id is not None:
        voted = db.session.scalar(
            select(func.count())
            .select_from(Vote)
            .where(Vote.discussion_id == discussion.id, Vote.participant_id == user_id)
        )
    return {"total": total or 0, "voted": voted or 0}


# --- The discussion page ------------------------------------------------------------------


def _render_show(
    discussion: Discussion,
    form: StatementForm | None = None,
    similar: list[tuple[Statement, float]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    now = utcnow()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    sort = request.args.get("sort", "new")
    if sort not in SORTS:
        sort = "new"
    base = select(Statement).where(
        Statement.discussion_id == discussion.id, Statement.status == ContentStatus.VISIBLE
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order: list[Any] = {
        "new": [Statement.is_seed.desc(), Statement.created_at.desc(), Statement.id.desc()],
        "oldest": [Statement.created_at, Statement.id],
        "votes": [
            (Statement.agree_count + Statement.disagree_count + Statement.pass_count).desc(),
            Statement.id.desc(),
        ],
    }[sort]
    statements = list(
        db.session.scalars(
            base.options(joinedload(Statement.author))
            .order_by(*order)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    uid = _uid()
    my_votes = rules.statements_voted(uid, [s.id for s in statements])
    problem = rules.participation_problem(current_user, discussion, now)
    if form is None and problem is None:
        form = StatementForm()
    if form is not None and not rules.can_add_seed(current_user, discussion):
        del form.seed
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "discussion/show.html",
        discussion=discussion,
        proposal=discussion.proposal,
        proposal_link=_proposal_link(discussion.proposal),
        statements=statements,
        my_votes=my_votes,
        problem=problem,
        is_open=rules.discussion_is_open(discussion.proposal, now),
        form=form,
        similar=similar,
        page=page,
        pages=pages,
        total=total,
        sort=sort,
        progress=_progress(discussion, uid),
        max_length=STATEMENT_MAX_LENGTH,
    ), status


@bp.route("/proposals/<int:proposal_id>/discussion")
def show(proposal_id: int) -> tuple[str, int]:
    return _render_show(_discussion_for(proposal_id))


@bp.route("/proposals/<int:proposal_id>/discussion/statements", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def post_statement(proposal_id: int) -> Any:
    discussion = _discussion_for(proposal_id)
    problem = rules.participation_problem(current_user, discussion)
    if problem is not None:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=url_for(".show", proposal_id=proposal_id)))
        flash(problem, "error")
        return redirect(url_for(".show", proposal_id=proposal_id))
    form = StatementForm()
    if not rules.can_add_seed(current_user, discussion):
        del form.seed
    if not form.validate_on_submit():
        return _render_show(discussion, form=form, status=400)
    if form.confirmed.data != "1":
        similar = rules.similar_statements(discussion, form.text.data)
        if similar:
            form.confirmed.data = "1"
            return _render_show(discussion, form=form, similar=similar)
    seed = bool(form.seed.data) if "seed" in form else False
    try:
        statement = rules.post_statement(current_user, discussion, form.text.data, seed=seed)
    except rules.RuleError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            return _render_show(discussion, form=form, status=exc.status)
        flash(exc.message, "error")
        return redirect(url_for(".show", proposal_id=proposal_id))
    flash(_("Your statement is posted. Others can now vote on it."), "success")
    return redirect(url_for(".show", proposal_id=proposal_id, _anchor=f"statement-{statement.id}"))


@bp.route("/proposals/<int:proposal_id>/discussion/similar.json")
def similar(proposal_id: int) -> Response:
    """Statements similar to what is being typed, for the live duplicate warning."""
    discussion = _discussion_for(proposal_id)
    text = (request.args.get("text") or "")[: STATEMENT_MAX_LENGTH * 2]
    found = rules.similar_statements(discussion, text)
    return jsonify(
        {
            "similar": [
                {
                    "id": s.id,
                    "text": s.text,
                    "score": round(score, 3),
                    "url": url_for(".thread", statement_id=s.id),
                }
                for s, score in found
            ]
        }
    )


# --- The voting card ----------------------------------------------------------------------


def _routing_priorities(discussion_id: int) -> dict[int, float]:
    """Priorities from the latest opinion report, so the card favours statements that tell
    groups apart (Pol.is routing); empty before the first analysis. One indexed query (the
    parsed result is cached by the reports area), and at most once per request."""
    cache = g.setdefault("routing_priorities", {})
    if discussion_id not in cache:
        from participate.reports.present import routing_priorities

        cache[discussion_id] = routing_priorities(discussion_id)
    return cache[discussion_id]


@bp.route("/proposals/<int:proposal_id>/discussion/vote")
def card(proposal_id: int) -> Any:
    discussion = _discussion_for(proposal_id)
    uid = _uid()
    statement = rules.next_statement(
        discussion, uid, priorities=_routing_priorities(discussion.id) or None
    )
    context = {
        "discussion": discussion,
        "proposal": discussion.proposal,
        "statement": statement,
        "problem": rules.participation_problem(current_user, discussion),
        "progress": _progress(discussion, uid),
    }
    if request.args.get("fragment"):
        return render_template("discussion/_card.html", **context)
    return render_template("discussion/vote.html", **context)


@bp.route("/discussion/statements/<int:statement_id>/vote", methods=["POST"])
@limiter.limit(_vote_limit, key_func=_user_key, methods=["POST"])
def vote(statement_id: int) -> Any:
    """The hot path: one statement load, then the vote transaction. JSON for fetch, else
    a redirect back to where the vote was cast (the card, by default)."""
    statement = rules.load_statement(statement_id)
    if statement is None:
        abort(404)
    raw = request.form.get("value")
    if raw is None and request.is_json:
        raw = str((request.get_json(silent=True) or {}).get("value", ""))
    value = VOTE_WORDS.get((raw or "").strip().lower())
    back = _safe_next(
        request.form.get("next"), url_for(".card", proposal_id=statement.discussion.proposal_id)
    )
    json_wanted = wants_json() or request.is_json
    if value is None:
        message = _("Choose agree, disagree or pass.")
        if json_wanted:
            return error_response(400, "invalid", message, {"value": [message]})
        flash(message, "error")
        return redirect(back)
    try:
        result = rules.vote(current_user, statement, value)
    except rules.RuleError as exc:
        db.session.rollback()
        if json_wanted:
            return _rule_error(exc)
        if exc.status == 401:
            return redirect(url_for("auth.login", next=back))
        flash(exc.message, "error")
        return redirect(back)
    if json_wanted:
        return jsonify(
            {
                "statement_id": result.statement_id,
                "value": result.value,
                "previous": result.previous,
                "changed": result.changed,
                "counts": {
                    "agree": result.agree,
                    "disagree": result.disagree,
                    "pass": result.passes,
                },
            }
        )
    return redirect(back)


# --- Threads ----------------------------------------------------------------------------


@bp.route("/discussion/statements/<int:statement_id>")
def thread(statement_id: int) -> Any:
    return _render_thread(_statement_or_404(statement_id))


def _render_thread(
    statement: Statement, form: ReplyForm | None = None, status: int = 200
) -> tuple[str, int]:
    now = utcnow()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    replies = list(
        db.session.scalars(
            select(Reply)
            .options(joinedload(Reply.author))
            .where(Reply.statement_id == statement.id)
            .order_by(Reply.path)
            .limit(REPLY_PAGE_SIZE)
            .offset((page - 1) * REPLY_PAGE_SIZE)
        )
    )
    total = statement.reply_count or 0
    discussion = statement.discussion
    problem = rules.participation_problem(current_user, discussion, now, statement.id)
    if form is None and problem is None:
        form = ReplyForm()
    reply_to = None
    wanted = request.args.get("reply_to", type=int) or (
        int(form.parent_id.data) if form and (form.parent_id.data or "").isdigit() else None
    )
    if wanted:
        reply_to = db.session.get(Reply, wanted)
        if reply_to is None or reply_to.statement_id != statement.id or reply_to.is_deleted:
            reply_to = None
        elif form is not None:
            form.parent_id.data = str(reply_to.id)
    uid = _uid()
    return render_template(
        "discussion/thread.html",
        statement=statement,
        discussion=discussion,
        proposal=discussion.proposal,
        replies=replies,
        my_vote=rules.statements_voted(uid, [statement.id]).get(statement.id),
        problem=problem,
        is_open=rules.discussion_is_open(discussion.proposal, now),
        form=form,
        reply_to=reply_to,
        page=page,
        pages=max((total + REPLY_PAGE_SIZE - 1) // REPLY_PAGE_SIZE, 1),
        now=now,
        # policy.can_edit_reply, with the thread's participation problem asked once above
        can_edit=lambda user, reply, at: (
            problem is None and policy.is_own_fresh_reply(user, reply, at)
        ),
        can_delete=rules.can_delete,
        max_nesting=rules.MAX_NESTING,
        delete_form=DeleteForm(),
    ), status


@bp.route("/discussion/statements/<int:statement_id>/replies", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def post_reply(statement_id: int) -> Any:
    statement = _statement_or_404(statement_id)
    problem = rules.participation_problem(current_user, statement.discussion)
    here = url_for(".thread", statement_id=statement.id)
    if problem is not None:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here))
        flash(problem, "error")
        return redirect(here)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_thread(statement, form=form, status=400)
    parent = None
    if (form.parent_id.data or "").isdigit():
        parent = db.session.get(Reply, int(form.parent_id.data))
        if parent is None:
            abort(400)
    try:
        item = rules.reply(current_user, statement, form.body.data, parent=parent)
    except rules.RuleError as exc:
        db.session.rollback()
        if exc.field == "body":
            form.body.errors = [*form.body.errors, exc.message]
            return _render_thread(statement, form=form, status=400)
        flash(exc.message, "error")
        return redirect(here)
    flash(_("Your reply is posted."), "success")
    return redirect(_reply_url(item))


def _reply_url(item: Reply) -> str:
    position = db.session.scalar(
        select(func.count())
        .select_from(Reply)
        .where(Reply.statement_id == item.statement_id, Reply.path < item.path)
    )
    page = (position or 0) // REPLY_PAGE_SIZE + 1
    return url_for(
        ".thread",
        statement_id=item.statement_id,
        page=page if page > 1 else None,
        _anchor=f"reply-{item.id}",
    )


@bp.route("/discussion/replies/<int:reply_id>/edit", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def edit_reply(reply_id: int) -> Any:
    item = db.session.get(Reply, reply_id)
    if item is None:
        abort(404)
    statement = _statement_or_404(item.statement_id)
    if not rules.can_edit(current_user, item):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        flash(_("Replies can only be edited by their author within 15 minutes."), "error")
        return redirect(_reply_url(item))
    form = EditReplyForm(obj=item)
    if form.validate_on_submit():
        try:
            rules.edit(current_user, item, form.body.data)
        except rules.RuleError as exc:
            db.session.rollback()
            form.body.errors = [*form.body.errors, exc.message]
        else:
            flash(_("Your reply is updated."), "success")
            return redirect(_reply_url(item))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "discussion/edit_reply.html", form=form, item=item, statement=statement
    ), status


@bp.route("/discussion/replies/<int:reply_id>/delete", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def delete_reply(reply_id: int) -> Any:
    item = db.session.get(Reply, reply_id)
    if item is None:
        abort(404)
    DeleteForm().validate_on_submit()
    try:
        rules.delete(current_user, item)
    except rules.RuleError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".thread", statement_id=item.statement_id))
    flash(_("Your reply is deleted."), "success")
    return redirect(_reply_url(item))


@bp.route("/discussion/statements/<int:statement_id>/delete", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def delete_statement(statement_id: int) -> Any:
    statement = _statement_or_404(statement_id)
    try:
        rules.delete(current_user, statement)
    except rules.RuleError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".thread", statement_id=statement.id))
    flash(_("Your statement is deleted."), "success")
    return redirect(url_for(".show", proposal_id=statement.discussion.proposal_id))


# --- Reports ----------------------------------------------------------------------------


@bp.route("/discussion/report/<any(statement, reply):kind>/<int:item_id>", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"])
def report(kind: str, item_id: int) -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if kind == "statement":
        item: Statement | Reply = _statement_or_404(item_id)
        statement = item
    else:
        found = db.session.get(Reply, item_id)
        if found is None:
            abort(404)
        item = found
        statement = _statement_or_404(found.statement_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            rules.report(current_user, item, form.reason.data, form.text.data or "")
        except rules.RuleError as exc:
            db.session.rollback()
            if exc.field in ("reason", "text"):
                form[exc.field].errors = [*form[exc.field].errors, exc.message]
            else:
                flash(exc.message, "error")
                return redirect(url_for(".thread", statement_id=statement.id))
        else:
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(url_for(".thread", statement_id=statement.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "discussion/report.html", form=form, kind=kind, item=item, statement=statement
    ), status


@bp.app_template_filter("statement_html")
def statement_html(text: str) -> Markup:
    return render_statement(text or "")


@bp.app_template_global("author_name")
def author_name(user: Any) -> str:
    """Pseudonymous display name, or "deleted user" once the account is gone."""
    if user is None or not user.public_name:
        return _("deleted user")
    return user.public_name


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.discussion import cli, data

    app.register_blueprint(bp)
    signals.connect(signals.personal_data, data.personal_data)
    cli.register(app)
