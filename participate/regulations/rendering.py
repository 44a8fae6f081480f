"""Rendering the reading pages of draft regulations (a draft, an article, a thread),
shared by the view modules that show them and the ones that show them again with a form's
errors. Reads through :mod:`participate.regulations.queries`; what is offered comes from
:mod:`participate.policy`."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user

from participate import paging, policy
from participate.models import RegulationComment
from participate.regulations import lifecycle, queries
from participate.regulations.blueprint import now
from participate.regulations.forms import CommentForm, ConfirmForm, ReplyForm
from participate.regulations.operations import MAX_NESTING


def _uid() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _page() -> int:
    return paging.page_arg()  # checked at the edge, like every list's


def _comment_form(draft: Any, article_id: int | None = None) -> CommentForm | None:
    """The comment form when the person may comment now, else None (the page says why)."""
    if policy.comment_refusal(current_user, draft, now()) is not None:
        return None
    form = CommentForm()
    form.article_id.data = str(article_id) if article_id else ""
    return form


def render_show(draft: Any, form: CommentForm | None = None, status: int = 200) -> Any:
    at = now()
    user = current_user
    starts, total = queries.thread_starts(draft.id, None, _page())
    state = lifecycle.effective_status(draft, at)
    analysis = queries.analysis_of(draft.id)
    responded = draft.responded_at is not None
    return render_template(
        "regulations/show.html",
        d=draft,
        status=state,
        clock=lifecycle.response_clock(draft, at),
        days=lifecycle.days_left(draft, at),
        short_period=lifecycle.is_short_period(draft),
        default_days=lifecycle.default_period_days(),
        counts=queries.comment_counts(draft.id),
        analysis=analysis.result if analysis else {},
        analysis_at=analysis.computed_at if analysis else None,
        comments=starts,
        total=total,
        page=_page(),
        pages=paging.page_count(total, queries.THREAD_PAGE_SIZE),
        my_votes=queries.votes_of(_uid(), [c.id for c in starts]),
        form=form or _comment_form(draft),
        refusal=policy.comment_refusal(user, draft, at),
        table=queries.response_table(draft) if responded else [],
        acts=policy.acts_for_draft(user, draft, at),
        can_edit=policy.can_edit_draft(user, draft, at),
        can_respond=policy.can_respond_draft(user, draft, at),
        can_record=policy.can_record_final_text(user, draft, at),
        promulgated=draft.promulgated_at is not None,
        can_vote=lambda c: policy.can_vote_comment(user, c, at),
    ), status


def render_article(
    draft: Any, item: Any, form: CommentForm | None = None, status: int = 200
) -> Any:
    at = now()
    user = current_user
    starts, total = queries.thread_starts(draft.id, item.id, _page())
    analysis = queries.analysis_of(draft.id)
    return render_template(
        "regulations/article.html",
        d=draft,
        a=item,
        status=lifecycle.effective_status(draft, at),
        days=lifecycle.days_left(draft, at),
        analysis=(analysis.result or {}).get(str(item.id), {}) if analysis else {},
        analysis_at=analysis.computed_at if analysis else None,
        comments=starts,
        total=total,
        page=_page(),
        pages=paging.page_count(total, queries.THREAD_PAGE_SIZE),
        my_votes=queries.votes_of(_uid(), [c.id for c in starts]),
        form=form or _comment_form(draft, item.id),
        refusal=policy.comment_refusal(user, draft, at),
        can_vote=lambda c: policy.can_vote_comment(user, c, at),
    ), status


def comment_or_404(comment_id: int) -> RegulationComment:
    found = queries.load_comment(comment_id)
    if found is None or not policy.can_view_comment(current_user, found):
        abort(404)
    return found


def render_thread(item: RegulationComment, form: ReplyForm | None = None, status: int = 200) -> Any:
    """A thread: its first comment and the replies, with the reply form (``reply_to``
    answers one reply in particular)."""
    at = now()
    user = current_user
    root = item if item.root_id is None else queries.load_comment(item.root_id) or item
    replies = queries.thread(root, include_hidden=False)
    refusal = policy.comment_refusal(user, root.draft, at)
    if form is None and refusal is None and root.is_visible:
        form = ReplyForm()
    reply_to = None
    wanted = paging.id_arg("reply_to") or (
        int(form.parent_id.data) if form and (form.parent_id.data or "").isdigit() else None
    )
    if wanted:
        reply_to = next((r for r in replies if r.id == wanted and r.is_visible), None)
        if reply_to is not None and form is not None:
            form.parent_id.data = str(reply_to.id)
    everyone = [root, *replies]
    return render_template(
        "regulations/thread.html",
        d=root.draft,
        root=root,
        replies=replies,
        reply_to=reply_to,
        form=form,
        refusal=refusal,
        my_votes=queries.votes_of(_uid(), [c.id for c in everyone]),
        can_vote=lambda c: policy.can_vote_comment(user, c, at),
        can_delete=lambda c: policy.can_delete_comment(user, c, at),
        delete_form=ConfirmForm(),
        max_nesting=MAX_NESTING,
    ), status
