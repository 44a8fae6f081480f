"""Writing on draft regulations: comment on an article or the whole draft, reply in a
thread, agree or disagree, withdraw one's comment, report one. Thin: the policy first
(log in, the error page, or a note), the form, one operation; the request commits."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participate import policy, ratelimit
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db, limiter
from participate.models import RegulationComment
from participate.permissions import write_limit
from participate.regulations import operations, queries
from participate.regulations.blueprint import bp, now, rule_error, visible_draft
from participate.regulations.forms import CommentForm, ConfirmForm, ReplyForm, ReportForm
from participate.regulations.rendering import (
    comment_or_404,
    render_article,
    render_show,
    render_thread,
)

VOTE_WORDS = {"agree": 1, "disagree": -1, "1": 1, "-1": -1}


def _vote_limit() -> str:
    return current_app.config["VOTE_RATE_LIMIT"]


def _refused(refusal: policy.Refusal, back: str) -> Response:
    """A write the policy refuses before the form is read: JSON for fetch() callers; else
    log in, the error page for a suspension, or a note on the page."""
    if wants_json():
        return error_response(refusal.status, refusal.code, refusal.message)
    if refusal.code == "login_required":
        return redirect(url_for("auth.login", next=back))
    if refusal.code == "suspended":
        return error_response(refusal.status, refusal.code, refusal.message)
    flash(refusal.message, "error")
    return redirect(back)


def _posted(result: operations.PostResult, done: str) -> None:
    if result.held:
        flash(_("Your contribution will be shown after a moderator has reviewed it."), "info")
    else:
        flash(done, "success")


def comment_url(item: RegulationComment) -> str:
    """Where a comment is read: its thread, at the comment."""
    root = item.root_id or item.id
    return url_for("regulations.comment", comment_id=root, _anchor=f"comment-{item.id}")


@bp.route("/<int:draft_id>/comments", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def post_comment(draft_id: int) -> Any:
    draft = visible_draft(draft_id)
    form = CommentForm()
    raw = form.article_id.data or ""
    item = None
    if raw:
        if not raw.isdecimal() or len(raw) > 10:
            abort(400)
        item = queries.article_of(draft, int(raw))
        if item is None:
            abort(400)
    back = (
        url_for(".article", draft_id=draft.id, article_id=item.id)
        if item
        else url_for(".show", draft_id=draft.id)
    )
    refusal = policy.comment_refusal(current_user, draft, now())
    if refusal is not None:
        return _refused(refusal, back)

    def again(status: int) -> Any:
        if item is not None:
            return render_article(draft, item, form=form, status=status)
        return render_show(draft, form=form, status=status)

    if not form.validate_on_submit():
        return again(400)
    try:
        result = operations.post_comment(current_user, draft, form.body.data, article=item)
    except RuleError as exc:
        if exc.field == "body":
            form.body.errors = [*form.body.errors, exc.message]
            return again(exc.status)
        return rule_error(exc, back)
    _posted(result, _("Your comment is posted."))
    return redirect(back if result.held else comment_url(result.comment))


@bp.route("/comments/<int:comment_id>/replies", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def post_reply(comment_id: int) -> Any:
    root = comment_or_404(comment_id)
    here = url_for(".comment", comment_id=root.id)
    refusal = policy.comment_refusal(current_user, root.draft, now())
    if refusal is not None:
        return _refused(refusal, here)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_thread(root, form=form, status=400)
    parent = root
    if (form.parent_id.data or "").isdecimal() and len(form.parent_id.data) <= 10:
        parent = db.session.get(RegulationComment, int(form.parent_id.data)) or root
        if parent.id != root.id and parent.root_id != root.id:
            abort(400)
    try:
        result = operations.reply_comment(current_user, parent, form.body.data)
    except RuleError as exc:
        if exc.field == "body":
            form.body.errors = [*form.body.errors, exc.message]
            return render_thread(root, form=form, status=exc.status)
        return rule_error(exc, here)
    _posted(result, _("Your reply is posted."))
    return redirect(here if result.held else comment_url(result.comment))


@bp.route("/comments/<int:comment_id>/vote", methods=["POST"])
@limiter.limit(_vote_limit, key_func=ratelimit.person_key, methods=["POST"])
def vote(comment_id: int) -> Any:
    """Agree or disagree: JSON for fetch() callers, else back to where it was cast."""
    item = comment_or_404(comment_id)
    back = request.form.get("next") or comment_url(item)
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = comment_url(item)
    value = VOTE_WORDS.get((request.form.get("value") or "").strip().lower())
    if value is None:
        message = _("Choose agree or disagree.")
        if wants_json():
            return error_response(400, "invalid", message, {"value": [message]})
        flash(message, "error")
        return redirect(back)
    try:
        result = operations.vote_comment(current_user, item, value)
    except RuleError as exc:
        if exc.status == 401 and not wants_json():
            return redirect(url_for("auth.login", next=back))
        return rule_error(exc, back)
    if wants_json():
        return {
            "comment_id": result.comment_id,
            "value": result.value,
            "previous": result.previous,
            "agree": result.agree,
            "disagree": result.disagree,
        }
    return redirect(back)


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def delete_comment(comment_id: int) -> Any:
    item = comment_or_404(comment_id)
    ConfirmForm().validate_on_submit()
    try:
        operations.delete_comment(current_user, item)
    except RuleError as exc:
        return rule_error(exc, comment_url(item))
    flash(_("Your comment is withdrawn."), "success")
    return redirect(comment_url(item))


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def report(comment_id: int) -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    item = comment_or_404(comment_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            operations.report_comment(current_user, item, form.reason.data, form.text.data or "")
        except RuleError as exc:
            if exc.field in ("reason", "text"):
                form[exc.field].errors = [*form[exc.field].errors, exc.message]
            else:
                return rule_error(exc, comment_url(item))
        else:
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(comment_url(item))
    status = 400 if form.is_submitted() else 200
    return render_template("regulations/report.html", form=form, item=item, d=item.draft), status
