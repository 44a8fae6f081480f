"""Comments on a draft: on an article or the whole draft, replies in a thread, agree or
disagree, withdrawing one's own, reporting one; screened and moderated as in discussions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ContentStatus,
    RegulationArticle,
    RegulationComment,
    RegulationCommentVote,
    RegulationDraft,
    Report,
    ReportReason,
    User,
)
from participate.models.discussion import PATH_WIDTH
from participate.models.regulations import (
    COMMENT_CONTENT_TYPE,
    COMMENT_MAX_LENGTH,
)
from participate.moderation import queue
from participate.moderation.screening import ScreenRequest, ScreenResult, screen
from participate.regulations.lifecycle import at
from participate.regulations.operations.common import (
    MAX_NESTING,
    REPORT_TEXT_MAX,
    clean_multiline,
)
from participate.regulations.visibility import request_analysis


@dataclass(frozen=True)
class PostResult:
    """The comment written, and whether it waits for a moderator (``held``)."""

    comment: RegulationComment
    held: bool = False
    reason: str | None = None


# Refusals JSON callers see as the error code (as in the discussion).
CODED_REFUSALS = ("suspended",)


def _refuse(refusal: policy.Refusal) -> RuleError:
    code = refusal.code if refusal.code in CODED_REFUSALS else None
    return RuleError(refusal.message, status=refusal.status, code=code)


def _require_commenting(user: Any, draft: RegulationDraft, now: datetime) -> None:
    refusal = policy.comment_refusal(user, draft, now)
    if refusal is not None:
        raise _refuse(refusal)


def clean_comment(body: str | None) -> str:
    cleaned = clean_multiline(body, "body", required=True, empty=_l("Write your comment first."))
    if len(cleaned) > COMMENT_MAX_LENGTH:
        raise RuleError(
            _("A comment can have at most %(max)d characters.", max=COMMENT_MAX_LENGTH),
            field="body",
        )
    return cleaned


def _screened(user: User, text: str) -> ScreenResult | None:
    """Moderation's screening: None or a "hold" to write hidden; a "reject" is refused."""
    result = screen(ScreenRequest(user, COMMENT_CONTENT_TYPE, text, None))
    if result is None or result.action == "publish":
        return None
    if result.action == "reject":
        raise RuleError(
            result.message or _("This cannot be published."),
            field="body",
            status=409 if result.reason in ("duplicate", "flood") else 400,
        )
    return result


def _write_comment(
    user: User,
    draft: RegulationDraft,
    body: str,
    now: datetime,
    article_id: int | None,
    parent: RegulationComment | None,
) -> PostResult:
    held = _screened(user, body)
    comment = RegulationComment(
        draft_id=draft.id,
        article_id=article_id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        author_id=user.id,
        depth=min(parent.depth + 1, MAX_NESTING) if parent else 0,
        body=body,
        status=ContentStatus.HIDDEN if held else ContentStatus.VISIBLE,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    segment = f"{comment.id:0{PATH_WIDTH}d}"
    comment.path = f"{parent.path}/{segment}" if parent else segment
    if comment.root_id is not None:
        db.session.execute(
            update(RegulationComment)
            .where(RegulationComment.id == comment.root_id)
            .values(reply_count=RegulationComment.reply_count + 1)
        )
    audit.record(
        user,
        "reg_comment.post",
        COMMENT_CONTENT_TYPE,
        comment.id,
        draft_id=draft.id,
        article_id=article_id,
        parent_id=comment.parent_id,
    )
    if held:
        queue.hold(comment, COMMENT_CONTENT_TYPE, held.reason, now)
    request_analysis(draft.id)
    return PostResult(comment, bool(held), held.reason if held else None)


def post_comment(
    user: User,
    draft: RegulationDraft,
    body: str,
    article: RegulationArticle | None = None,
    now: datetime | None = None,
) -> PostResult:
    """Comment on one article of the draft, or on the whole draft (``article`` None),
    while the comment period is open. Screening may hold it for a moderator."""
    now = at(now)
    _require_commenting(user, draft, now)
    if article is not None and article.draft_id != draft.id:
        raise RuleError(_("That article belongs to another draft."), status=400)
    return _write_comment(
        user, draft, clean_comment(body), now, article.id if article else None, None
    )


def reply_comment(
    user: User, parent: RegulationComment, body: str, now: datetime | None = None
) -> PostResult:
    """Reply in a comment's thread (on the same article as the comment)."""
    now = at(now)
    draft = parent.draft
    _require_commenting(user, draft, now)
    if not parent.is_visible:
        raise RuleError(_("This comment is no longer shown."), status=409)
    return _write_comment(user, draft, clean_comment(body), now, parent.article_id, parent)


def delete_comment(user: User, comment: RegulationComment, now: datetime | None = None) -> None:
    """The author withdraws a comment while the period is open; its thread keeps a
    placeholder."""
    now = at(now)
    if not policy.can_delete_comment(user, comment, now):
        if comment.author_id == getattr(user, "id", None) and not comment.is_deleted:
            raise RuleError(
                _("Comments can be withdrawn only while the period is open."), status=409
            )
        raise RuleError(_("You can only withdraw what you wrote."), status=403)
    comment.deleted_at = now
    comment.body = ""
    db.session.flush()
    audit.record(user, "reg_comment.delete", COMMENT_CONTENT_TYPE, comment.id)
    request_analysis(comment.draft_id)


@dataclass(frozen=True)
class VoteResult:
    comment_id: int
    value: int
    previous: int | None
    agree: int
    disagree: int


def _dialect_insert(table: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def vote_comment(
    user: User, comment: RegulationComment, value: int, now: datetime | None = None
) -> VoteResult:
    """Agree (+1) or disagree (-1) with someone else's comment; the last choice counts.
    The unique (comment, person) key decides between two clicks at once, as for votes on
    statements; the counters move in the same transaction."""
    now = at(now)
    _require_commenting(user, comment.draft, now)
    if not comment.is_visible:
        raise RuleError(_("This comment is no longer shown."), status=409)
    if comment.author_id == user.id:
        raise RuleError(_("You cannot agree or disagree with your own comment."), status=403)
    if value not in (1, -1):
        raise RuleError(_("Choose agree or disagree."), field="value")
    table = RegulationCommentVote.__table__
    ids = {"comment_id": comment.id, "user_id": user.id}
    inserted = db.session.execute(
        _dialect_insert(table)
        .values(value=value, created_at=now, updated_at=now, **ids)
        .on_conflict_do_nothing(index_elements=["comment_id", "user_id"])
        .returning(table.c.id)
    ).scalar()
    previous: int | None = None
    if inserted is None:
        query = select(table.c.id, table.c.value).where(
            table.c.comment_id == comment.id, table.c.user_id == user.id
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = db.session.execute(query).one()
        previous = int(row.value)
        if previous == value:
            return VoteResult(
                comment.id, value, previous, comment.agree_count, comment.disagree_count
            )
        db.session.execute(
            update(table).where(table.c.id == row.id).values(value=value, updated_at=now)
        )
    columns = {1: "agree_count", -1: "disagree_count"}
    ct = RegulationComment.__table__
    deltas = {columns[value]: 1}
    if previous is not None:
        deltas[columns[previous]] = -1
    agree, disagree = db.session.execute(
        update(ct)
        .where(ct.c.id == comment.id)
        .values({ct.c[col]: ct.c[col] + d for col, d in deltas.items()})
        .returning(ct.c.agree_count, ct.c.disagree_count)
    ).one()
    set_committed_value(comment, "agree_count", agree)
    set_committed_value(comment, "disagree_count", disagree)
    return VoteResult(comment.id, value, previous, agree, disagree)


def report_comment(
    user: User,
    comment: RegulationComment,
    reason: ReportReason | str,
    text: str = "",
    now: datetime | None = None,
) -> Report:
    """Flag a comment for the moderators, once per person; enough distinct reports hide
    it at once (``queue.sync_reports``, the same threshold as in discussions)."""
    now = at(now)
    if not policy.can_report_comment(user, now):
        refusal = policy.account_refusal(user, now)
        if refusal is not None and refusal.code == "suspended":
            raise _refuse(refusal)
        raise RuleError(_("Log in with a confirmed email address to report content."), status=403)
    try:
        reason = ReportReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose a reason."), field="reason") from exc
    text = clean_multiline(text, "text")
    if len(text) > REPORT_TEXT_MAX:
        raise RuleError(_("Keep the explanation under 1000 characters."), field="text")
    exists = db.session.scalar(
        select(Report.id).where(
            Report.content_type == COMMENT_CONTENT_TYPE,
            Report.content_id == comment.id,
            Report.reporter_id == user.id,
        )
    )
    if exists:
        raise RuleError(_("You have already reported this."), status=409)
    entry = Report(
        content_type=COMMENT_CONTENT_TYPE,
        content_id=comment.id,
        discussion_id=None,
        reporter_id=user.id,
        reason=reason,
        text=text,
        created_at=now,
    )
    try:
        with savepoint():  # the same person reporting twice at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("You have already reported this."), status=409) from exc
    audit.record(user, "report.create", COMMENT_CONTENT_TYPE, comment.id, reason.value)
    queue.sync_reports(COMMENT_CONTENT_TYPE, comment.id, now)
    return entry
