"""Discussion pages: statements, the voting card, threads, reports. Thin views: parse, call
an operation (``discussion.operations``) or a read (``discussion.queries``), render; the
request boundary commits (or rolls back a refused request). Every page works without
JavaScript; ``static/discussion.js`` only spares page reloads (votes by fetch, the live
duplicate warning, keyboard shortcuts).
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
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from participate import paging, policy, ratelimit, signals
from participate.auth.loader import use_user
from participate.discussion import lane, operations, queries, tallies
from participate.discussion.forms import (
    VOTE_WORDS,
    DeleteForm,
    EditReplyForm,
    ReplyForm,
    ReportForm,
    StatementForm,
)
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db, limiter
from participate.identity.steps import STEP_CODES, step_url
from participate.models import Discussion, Proposal, Reply, Statement
from participate.models.discussion import STATEMENT_MAX_LENGTH, get_or_create_discussion
from participate.proposals.lifecycle import discussion_is_open
from participate.text import render_statement
from participate.timeutil import utcnow

bp = Blueprint("discussion", __name__)

PAGE_SIZE = queries.PAGE_SIZE
REPLY_PAGE_SIZE = queries.REPLY_PAGE_SIZE
SORTS = queries.SORTS
# Refusals answered with an error page (403) rather than a note on the page: the person
# cannot fix them by logging in or confirming an address.
REFUSAL_PAGES = ("locked", "suspended")


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _similar_limit() -> str:
    return current_app.config["SIMILAR_RATE_LIMIT"]


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
        discussion = get_or_create_discussion(proposal)  # kept by the request's commit
    # The proposal just read, as the discussion's: the session's identity map holds objects
    # weakly, so once this function returned, ``discussion.proposal`` read it again.
    set_committed_value(discussion, "proposal", proposal)
    return discussion


def _statement_or_404(statement_id: int) -> Statement:
    statement = queries.load_statement(statement_id)
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


def _rule_error(exc: RuleError) -> Response:
    fields = {exc.field: [exc.message]} if exc.field else {}
    code = exc.code or {401: "login_required", 403: "forbidden", 409: "conflict"}.get(
        exc.status, "invalid"
    )
    return error_response(exc.status, code, exc.message, fields)


def _refusal_page(refusal: policy.Refusal | RuleError) -> Response | None:
    """A lock or a suspension answers with the error page, as any write it stops."""
    if refusal.code in REFUSAL_PAGES:
        return error_response(refusal.status, refusal.code or "forbidden", refusal.message)
    return None


def _refused(refusal: policy.Refusal, back: str) -> Response:
    """A write the policy refuses before the form is read: log in, the error page, or a
    note on the page the person came from."""
    if refusal.code == "login_required":
        return redirect(url_for("auth.login", next=back))
    if refusal.code in STEP_CODES:
        flash(refusal.message, "error")
        return redirect(step_url(refusal.code, back))
    page = _refusal_page(refusal)
    if page is not None:
        return page
    flash(refusal.message, "error")
    return redirect(back)


def _flash_posted(result: operations.PostResult, published: str) -> None:
    if result.held:
        flash(_("Your contribution will be shown after a moderator has reviewed it."), "info")
    else:
        flash(published, "success")


def _proposal_link(proposal: Proposal) -> str | None:
    if "proposals.show" in current_app.view_functions:
        return url_for("proposals.show", proposal_id=proposal.id)
    return None


def _locked(discussion: Discussion, statement_id: int | None = None) -> bool:
    """The lock note every reader sees on a locked discussion's pages (one query)."""
    return policy.lock_on(discussion.id, statement_id) is not None


# --- The discussion page ------------------------------------------------------------------


def _render_show(
    discussion: Discussion,
    form: StatementForm | None = None,
    similar: list[tuple[Statement, float]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    now = utcnow()
    page = paging.page_arg()
    sort = request.args.get("sort", "new")
    if sort not in SORTS:
        sort = "new"
    statements, total = queries.statement_page(discussion, sort, page)
    uid = _uid()
    my_votes = queries.statements_voted(uid, [s.id for s in statements])
    locked = _locked(discussion)
    problem = policy.participation_problem(current_user, discussion, now, locked=locked)
    if form is None and problem is None:
        form = StatementForm()
    if form is not None and not policy.can_add_seed(current_user, discussion):
        del form.seed
    pages = paging.page_count(total, PAGE_SIZE)
    return render_template(
        "discussion/show.html",
        discussion=discussion,
        proposal=discussion.proposal,
        proposal_link=_proposal_link(discussion.proposal),
        statements=statements,
        my_votes=my_votes,
        problem=problem,
        is_open=discussion_is_open(discussion.proposal, now),
        locked=locked,
        form=form,
        similar=similar,
        page=page,
        pages=pages,
        total=total,
        sort=sort,
        progress=queries.progress(discussion, uid),
        max_length=STATEMENT_MAX_LENGTH,
    ), status


@bp.route("/proposals/<int:proposal_id>/discussion")
def show(proposal_id: int) -> tuple[str, int]:
    return _render_show(_discussion_for(proposal_id))


@bp.route("/proposals/<int:proposal_id>/discussion/statements", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def post_statement(proposal_id: int) -> Any:
    discussion = _discussion_for(proposal_id)
    here = url_for(".show", proposal_id=proposal_id)
    refusal = policy.participation_refusal(current_user, discussion)
    if refusal is not None:
        return _refused(refusal, here)
    form = StatementForm()
    if not policy.can_add_seed(current_user, discussion):
        del form.seed
    if not form.validate_on_submit():
        return _render_show(discussion, form=form, status=400)
    if form.confirmed.data != "1":
        similar = queries.similar_statements(discussion, form.text.data)
        if similar:
            form.confirmed.data = "1"
            return _render_show(discussion, form=form, similar=similar)
    seed = bool(form.seed.data) if "seed" in form else False
    try:
        result = operations.post_statement(current_user, discussion, form.text.data, seed=seed)
    except RuleError as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            return _render_show(discussion, form=form, status=exc.status)
        page = _refusal_page(exc)
        if page is not None:
            return page
        flash(exc.message, "error")
        return redirect(here)
    _flash_posted(result, _("Your statement is posted. Others can now vote on it."))
    if result.held:
        return redirect(here)
    return redirect(
        url_for(".show", proposal_id=proposal_id, _anchor=f"statement-{result.item.id}")
    )


@bp.route("/proposals/<int:proposal_id>/discussion/similar.json")
@limiter.limit(_similar_limit, key_func=ratelimit.person_key)
def similar(proposal_id: int) -> Response:
    """Statements similar to what is being typed, for the live duplicate warning (its own
    rate limit; the discussion's index is cached, see ``discussion.similar``)."""
    discussion = _discussion_for(proposal_id)
    text = (request.args.get("text") or "")[: STATEMENT_MAX_LENGTH * 2]
    found = queries.similar_statements(discussion, text)
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
    statement = queries.next_statement(
        discussion, uid, priorities=_routing_priorities(discussion.id) or None
    )
    locked = _locked(discussion)
    context = {
        "discussion": discussion,
        "proposal": discussion.proposal,
        "statement": statement,
        "problem": policy.participation_problem(current_user, discussion, locked=locked),
        "progress": queries.progress(discussion, uid),
    }
    if request.args.get("fragment"):
        return render_template("discussion/_card.html", **context)
    return render_template("discussion/vote.html", locked=locked, **context)


@bp.route("/discussion/statements/<int:statement_id>/vote", methods=["POST"])
@ratelimit.counts_itself  # limited by participate.ratelimit (one round trip), not Flask-Limiter
def vote(statement_id: int) -> Any:
    """The hot path: a fixed-window limit per person (``participate.ratelimit``: one
    round trip), one query loads the statement, its discussion and proposal, the voter,
    the lock and the analysis state (``queries.vote_context``), then the vote operation
    asks the policy about that data and writes. JSON for fetch, else a redirect back to
    where the vote was cast (the card, by default). The request and the voter are looked
    up once (each use of Flask's ``request`` or ``current_user`` proxy is a context-variable
    lookup), and the way back is built only for the answers that use it. The script's
    votes are answered in front of Flask by ``discussion.lane`` with these same parts;
    this view answers what the lane hands over (forms, visitors, refusals, staff)."""
    # Once a request: the lane may have counted this vote before handing it over.
    ratelimit.enforce(
        current_app.config["VOTE_RATE_LIMIT"], "vote", ratelimit.person_key(), request.environ
    )
    context = queries.vote_context(statement_id)
    statement = context.statement
    user = use_user(context.user)
    if statement is None:
        abort(404)
    req = request._get_current_object()  # type: ignore[attr-defined]
    raw = req.form.get("value")
    is_json = req.is_json
    if raw is None and is_json:
        raw = str((req.get_json(silent=True) or {}).get("value", ""))
    value = VOTE_WORDS.get((raw or "").strip().lower())
    json_wanted = is_json or wants_json()

    def back() -> str:
        default = url_for(".card", proposal_id=statement.discussion.proposal_id)
        return _safe_next(req.form.get("next"), default)

    if value is None:
        message = _("Choose agree, disagree or pass.")
        if json_wanted:
            return error_response(400, "invalid", message, {"value": [message]})
        flash(message, "error")
        return redirect(back())
    try:
        result = operations.vote(
            user, statement, value, locked=context.locked, analysis=context.analysis
        )
    except RuleError as exc:
        if json_wanted:
            return _rule_error(exc)
        if exc.status == 401:
            return redirect(url_for("auth.login", next=back()))
        page = _refusal_page(exc)
        if page is not None:
            return page
        flash(exc.message, "error")
        return redirect(back())
    if json_wanted:
        return jsonify(result.answer())
    return redirect(back())


# --- Threads ----------------------------------------------------------------------------


@bp.route("/discussion/statements/<int:statement_id>")
def thread(statement_id: int) -> Any:
    return _render_thread(_statement_or_404(statement_id))


def _render_thread(
    statement: Statement, form: ReplyForm | None = None, status: int = 200
) -> tuple[str, int]:
    now = utcnow()
    tallies.show_live([statement])  # the votes not folded into its counters yet
    page = paging.page_arg()
    replies = queries.reply_page(statement, page)
    total = statement.reply_count or 0
    discussion = statement.discussion
    problem = policy.participation_problem(current_user, discussion, now, statement.id)
    if form is None and problem is None:
        form = ReplyForm()
    reply_to = None
    wanted = paging.id_arg("reply_to") or (
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
        my_vote=queries.statements_voted(uid, [statement.id]).get(statement.id),
        problem=problem,
        is_open=discussion_is_open(discussion.proposal, now),
        locked=_locked(discussion, statement.id),
        form=form,
        reply_to=reply_to,
        page=page,
        pages=paging.page_count(total, REPLY_PAGE_SIZE),
        now=now,
        # policy.can_edit_reply, with the thread's participation problem asked once above
        can_edit=lambda user, reply, at: (
            problem is None and policy.is_own_fresh_reply(user, reply, at)
        ),
        can_delete=policy.can_delete,
        max_nesting=operations.MAX_NESTING,
        delete_form=DeleteForm(),
    ), status


@bp.route("/discussion/statements/<int:statement_id>/replies", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def post_reply(statement_id: int) -> Any:
    statement = _statement_or_404(statement_id)
    here = url_for(".thread", statement_id=statement.id)
    refusal = policy.participation_refusal(current_user, statement.discussion, None, statement.id)
    if refusal is not None:
        return _refused(refusal, here)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_thread(statement, form=form, status=400)
    parent = None
    if (form.parent_id.data or "").isdigit():
        parent = db.session.get(Reply, int(form.parent_id.data))
        if parent is None:
            abort(400)
    try:
        result = operations.reply(current_user, statement, form.body.data, parent=parent)
    except RuleError as exc:
        if exc.field == "body":
            form.body.errors = [*form.body.errors, exc.message]
            return _render_thread(statement, form=form, status=exc.status)
        page = _refusal_page(exc)
        if page is not None:
            return page
        flash(exc.message, "error")
        return redirect(here)
    _flash_posted(result, _("Your reply is posted."))
    return redirect(here if result.held else _reply_url(result.item))


def _reply_url(item: Reply) -> str:
    page = min(queries.reply_position(item) // REPLY_PAGE_SIZE + 1, paging.MAX_PAGE)
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
    if request.method == "POST":
        refusal = policy.participation_refusal(
            current_user, statement.discussion, None, statement.id
        )
        page = _refusal_page(refusal) if refusal is not None else None
        if page is not None:
            return page
    if not policy.can_edit_reply(current_user, item):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        flash(_("Replies can only be edited by their author within 15 minutes."), "error")
        return redirect(_reply_url(item))
    form = EditReplyForm(obj=item)
    status = 200
    if form.validate_on_submit():
        try:
            result = operations.edit_reply(current_user, item, form.body.data)
        except RuleError as exc:
            form.body.errors = [*form.body.errors, exc.message]
            status = 400
        else:
            _flash_posted(result, _("Your reply is updated."))
            if result.held:
                return redirect(url_for(".thread", statement_id=statement.id))
            return redirect(_reply_url(item))
    elif form.is_submitted():
        status = 400
    return render_template(
        "discussion/edit_reply.html", form=form, item=item, statement=statement
    ), status


def _delete(item: Statement | Reply, done: str, back: str, then: str) -> Any:
    try:
        operations.delete(current_user, item)
    except RuleError as exc:
        page = _refusal_page(exc)
        if page is not None:
            return page
        flash(exc.message, "error")
        return redirect(back)
    flash(done, "success")
    return redirect(then)


@bp.route("/discussion/replies/<int:reply_id>/delete", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def delete_reply(reply_id: int) -> Any:
    item = db.session.get(Reply, reply_id)
    if item is None:
        abort(404)
    DeleteForm().validate_on_submit()
    back = url_for(".thread", statement_id=item.statement_id)
    return _delete(item, _("Your reply is deleted."), back, _reply_url(item))


@bp.route("/discussion/statements/<int:statement_id>/delete", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def delete_statement(statement_id: int) -> Any:
    statement = _statement_or_404(statement_id)
    back = url_for(".thread", statement_id=statement.id)
    then = url_for(".show", proposal_id=statement.discussion.proposal_id)
    return _delete(statement, _("Your statement is deleted."), back, then)


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
            operations.report(current_user, item, form.reason.data, form.text.data or "")
        except RuleError as exc:
            if exc.field in ("reason", "text"):
                form[exc.field].errors = [*form[exc.field].errors, exc.message]
            else:
                page = _refusal_page(exc)
                if page is not None:
                    return page
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
    lane.install(app)
    signals.connect(signals.personal_data, data.personal_data)
    cli.register(app)
