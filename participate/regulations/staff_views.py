"""The agency's pages for a draft regulation: start and edit a draft, its comparison
table article by article or pasted in bulk, publish it for comment, write and publish the
collated response table (near-duplicate groups offered as its first rows), and record the
promulgated text. Thin: who acts for the draft is asked of the policy, the operation asks
again and writes; a refusal comes back next to the fields."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participate import policy
from participate.errors import RuleError
from participate.extensions import limiter
from participate.permissions import requires, write_limit
from participate.regulations import lifecycle, operations, queries
from participate.regulations.blueprint import (
    bp,
    draft_url,
    field_error,
    now,
    rule_error,
    staff_draft,
)
from participate.regulations.forms import (
    ArticleForm,
    ConfirmForm,
    DraftForm,
    FinalTextForm,
    PasteForm,
    PublishForm,
    ResponseForm,
)
from participate.regulations.grouping import CommentText, suggest_groups

agency_staff_required = requires(policy.can_create_draft)


def _not_editable(draft: Any) -> Any:
    """Back to the draft with the reason, when it is no longer being prepared (or None)."""
    if policy.can_edit_draft(current_user, draft, now()):
        return None
    flash(_("The draft can only be changed before it is published."), "error")
    return redirect(draft_url(draft))


def _draft_input(form: DraftForm) -> operations.DraftInput:
    return operations.DraftInput(
        form.title.data or "",
        form.legal_basis.data or "",
        form.unit.data or "",
        form.summary.data or "",
    )


def _article_input(form: ArticleForm) -> operations.ArticleInput:
    return operations.ArticleInput(
        form.label.data or "",
        form.change.data or "",
        form.proposed_text.data or "",
        form.current_text.data or "",
        form.explanation.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@agency_staff_required
@limiter.limit(write_limit, methods=["POST"])
def new() -> Any:
    form = DraftForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                draft = operations.create_draft(current_user, _draft_input(form))
            except RuleError as exc:
                field_error(form, exc)
            else:
                flash(_("The draft is saved. Add its articles, then publish it."), "success")
                return redirect(draft_url(draft))
    return render_template("regulations/draft_form.html", form=form, d=None), status


@bp.route("/<int:draft_id>/edit", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def edit(draft_id: int) -> Any:
    draft = staff_draft(draft_id)
    if (back := _not_editable(draft)) is not None:
        return back
    form = DraftForm(obj=draft)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                operations.update_draft(current_user, draft, _draft_input(form))
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                field_error(form, exc)
            else:
                flash(_("The draft is saved."), "success")
                return redirect(draft_url(draft))
    return render_template("regulations/draft_form.html", form=form, d=draft), status


@bp.route("/<int:draft_id>/articles/new", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def add_article(draft_id: int) -> Any:
    draft = staff_draft(draft_id)
    if (back := _not_editable(draft)) is not None:
        return back
    form = ArticleForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                article = operations.add_article(current_user, draft, _article_input(form))
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                field_error(form, exc)
            else:
                flash(_("The article is added."), "success")
                if request.form.get("another"):
                    return redirect(url_for(".add_article", draft_id=draft.id))
                return redirect(draft_url(draft, _anchor=f"article-{article.id}"))
    return render_template("regulations/article_form.html", form=form, d=draft, a=None), status


@bp.route("/<int:draft_id>/articles/<int:article_id>/edit", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def edit_article(draft_id: int, article_id: int) -> Any:
    draft = staff_draft(draft_id)
    article = queries.article_of(draft, article_id)
    if article is None:
        abort(404)
    if (back := _not_editable(draft)) is not None:
        return back
    form = ArticleForm(obj=article)
    if not form.is_submitted():
        form.change.data = article.change.value
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                operations.update_article(current_user, article, _article_input(form))
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                field_error(form, exc)
            else:
                flash(_("The article is saved."), "success")
                return redirect(draft_url(draft, _anchor=f"article-{article.id}"))
    return render_template(
        "regulations/article_form.html", form=form, d=draft, a=article, delete_form=ConfirmForm()
    ), status


@bp.route("/<int:draft_id>/articles/<int:article_id>/delete", methods=["POST"])
@limiter.limit(write_limit, methods=["POST"])
def delete_article(draft_id: int, article_id: int) -> Any:
    draft = staff_draft(draft_id)
    article = queries.article_of(draft, article_id)
    if article is None:
        abort(404)
    try:
        operations.remove_article(current_user, article)
    except RuleError as exc:
        return rule_error(exc, draft_url(draft))
    flash(_("The article is removed."), "success")
    return redirect(draft_url(draft, _anchor="articles-h"))


@bp.route("/<int:draft_id>/articles/paste", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def paste(draft_id: int) -> Any:
    draft = staff_draft(draft_id)
    if (back := _not_editable(draft)) is not None:
        return back
    form = PasteForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                added = operations.paste_articles(
                    current_user, draft, form.text.data or "", replace=bool(form.replace.data)
                )
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                field_error(form, exc)
            else:
                flash(_("%(n)d articles are added.", n=len(added)), "success")
                return redirect(draft_url(draft, _anchor="articles-h"))
    return render_template("regulations/paste.html", form=form, d=draft), status


@bp.route("/<int:draft_id>/publish", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def publish(draft_id: int) -> Any:
    draft = staff_draft(draft_id)
    if (back := _not_editable(draft)) is not None:
        return back
    default = lifecycle.default_period_days()
    form = PublishForm()
    if not form.is_submitted():
        form.days.data = default
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                operations.publish_draft(
                    current_user, draft, form.days.data, form.reason.data or ""
                )
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                field_error(form, exc)
            else:
                flash(_("The draft is published for comment."), "success")
                return redirect(draft_url(draft))
    return render_template(
        "regulations/publish.html",
        form=form,
        d=draft,
        default_days=default,
        min_days=lifecycle.min_period_days(),
        response_days=lifecycle.cfg("REGULATION_RESPONSE_DAYS"),
    ), status


# --------------------------------------------------------------------------- responses


def _suggested_rows(draft: Any) -> list[dict[str, Any]]:
    comments = queries.answerable_comments(draft.id)
    groups = suggest_groups([CommentText(c.id, c.article_id, c.body) for c in comments])
    return [{"comment_ids": ", ".join(str(i) for i in g)} for g in groups]


def _saved_rows(draft: Any) -> list[dict[str, Any]]:
    return [
        {
            "comment_ids": ", ".join(str(i) for i in r.comment_ids or []),
            "summary": r.summary,
            "decision": r.decision.value if r.decision else "",
            "reasoning": r.reasoning,
        }
        for r in draft.response_rows
    ]


def _listed(raw: str | None) -> list[int]:
    """The comment numbers a row names, read leniently for showing their texts."""
    out = []
    for part in operations.SEPARATORS.split(raw or ""):
        if part.isdecimal() and len(part) <= 10:
            out.append(int(part))
    return out


@bp.route("/<int:draft_id>/response", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def respond(draft_id: int) -> Any:
    """The collated response table: one row per comment or group of similar comments. The
    first time, the rows are the suggested groups of near-duplicates; ``?suggest=1`` offers
    them again."""
    draft = staff_draft(draft_id)
    at = now()
    if not policy.can_respond_draft(current_user, draft, at):
        flash(
            _("The response table is written after the comment period and until it is published."),
            "error",
        )
        return redirect(draft_url(draft))
    status = 200
    rows_error = ""
    if request.method == "POST":
        form = ResponseForm()
        if form.validate_on_submit():
            rows = [
                operations.RowInput(
                    e.form.comment_ids.data or "",
                    e.form.summary.data or "",
                    e.form.decision.data or None,
                    e.form.reasoning.data or "",
                )
                for e in form.rows.entries
            ]
            publish = bool(form.publish.data)
            try:
                operations.save_response_table(
                    current_user, draft, form.overall.data or "", rows, publish=publish
                )
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                rows_error = exc.fields.get("rows", "")
                if not rows_error or len(exc.fields) > 1:
                    field_error(form, exc)
            else:
                if publish:
                    flash(_("The response table is published."), "success")
                    return redirect(draft_url(draft, _anchor="responses-h"))
                flash(_("The response table is saved; it is not public yet."), "success")
                return redirect(url_for(".respond", draft_id=draft.id))
        status = 400
    else:
        saved = _saved_rows(draft)
        rows = saved if saved and not request.args.get("suggest") else _suggested_rows(draft)
        form = ResponseForm(
            data={"overall": draft.response_overall, "rows": [*rows, {"comment_ids": ""}]}
        )
    comments = {c.id: c for c in queries.answerable_comments(draft.id)}
    listed = {e.form.comment_ids.name: _listed(e.form.comment_ids.data) for e in form.rows.entries}
    used = {i for ids in listed.values() for i in ids}
    articles = {a.id: a for a in draft.articles}
    return render_template(
        "regulations/response_form.html",
        form=form,
        d=draft,
        comments=comments,
        listed=listed,
        unanswered=[c for cid, c in comments.items() if cid not in used],
        articles=articles,
        clock=lifecycle.response_clock(draft, at),
        has_errors=status == 400,
        rows_error=rows_error,
    ), status


@bp.route("/<int:draft_id>/final", methods=["GET", "POST"])
@limiter.limit(write_limit, methods=["POST"])
def final_text(draft_id: int) -> Any:
    draft = staff_draft(draft_id)
    if not policy.can_record_final_text(current_user, draft, now()):
        flash(_("The final text is recorded once the response table is published."), "error")
        return redirect(draft_url(draft))
    form = FinalTextForm()
    texts = {
        a.id: request.form.get(f"final_{a.id}", a.proposed_text)
        if request.method == "POST"
        else (a.final_text if a.final_text is not None else a.proposed_text)
        for a in draft.articles
    }
    errors: dict[str, str] = {}
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                operations.record_final_text(
                    current_user, draft, texts, form.promulgated_on.data, form.reference.data or ""
                )
            except RuleError as exc:
                if exc.status in (403, 409):
                    return rule_error(exc, draft_url(draft))
                errors = dict(exc.fields)
                field_error(form, exc)
            else:
                flash(_("The final text is recorded."), "success")
                return redirect(draft_url(draft, _anchor="final-h"))
    return render_template(
        "regulations/final_form.html", form=form, d=draft, texts=texts, errors=errors
    ), status
