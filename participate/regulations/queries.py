"""Reads shared by the draft regulation pages, the API, the exports and the operations:
the public list, the comparison table's comment counts, threads, the comments a response
table must answer, and the response table with the comments of each row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from participate.extensions import db
from participate.models import (
    Agency,
    ContentStatus,
    DraftStatus,
    RegulationArticle,
    RegulationComment,
    RegulationCommentAnalysis,
    RegulationCommentVote,
    RegulationDraft,
    RegulationResponseRow,
)
from participate.regulations.lifecycle import overdue_clause, public_clause, status_clause

PAGE_SIZE = 20
THREAD_PAGE_SIZE = 30
LIST_STATUSES = (
    DraftStatus.OPEN,
    DraftStatus.CLOSED,
    DraftStatus.RESPONDED,
    DraftStatus.PROMULGATED,
)


@dataclass
class ListFilter:
    status: DraftStatus | None = None
    agency_id: int | None = None
    overdue: bool = False


def public_list(filters: ListFilter, now: datetime) -> Select[tuple[RegulationDraft]]:
    """Published drafts, newest publication first, with the filters of the list page and
    the API (status is the *effective* one: an open draft past its period is closed)."""
    query = select(RegulationDraft).where(public_clause())
    if filters.status is not None:
        query = query.where(status_clause(filters.status, now))
    if filters.agency_id is not None:
        query = query.where(RegulationDraft.agency_id == filters.agency_id)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    return query.options(selectinload(RegulationDraft.agency)).order_by(
        RegulationDraft.published_at.desc(), RegulationDraft.id.desc()
    )


def preparing_for(agency_id: int | None) -> list[RegulationDraft]:
    """The drafts an agency is still preparing (its staff see them on the list page)."""
    if agency_id is None:
        return []
    return list(
        db.session.scalars(
            select(RegulationDraft)
            .where(
                RegulationDraft.agency_id == agency_id,
                RegulationDraft.status == DraftStatus.PREPARING,
            )
            .order_by(RegulationDraft.id.desc())
        )
    )


def agency_by_slug(slug: str | None) -> Agency | None:
    if not slug:
        return None
    return db.session.scalar(select(Agency).where(Agency.slug == slug))


def agencies_with_drafts() -> list[Agency]:
    """Agencies that have published at least one draft (the list page's filter)."""
    ids = select(RegulationDraft.agency_id).where(public_clause())
    return list(db.session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.id)))


def _visible() -> Any:
    return (RegulationComment.status == ContentStatus.VISIBLE) & (
        RegulationComment.deleted_at.is_(None)
    )


def comment_counts(draft_id: int) -> dict[int | None, int]:
    """Visible comments (replies included) per article id; None = on the whole draft."""
    rows = db.session.execute(
        select(RegulationComment.article_id, func.count())
        .where(RegulationComment.draft_id == draft_id, _visible())
        .group_by(RegulationComment.article_id)
    ).all()
    return {article_id: int(n) for article_id, n in rows}


def total_comments(draft_ids: list[int]) -> dict[int, int]:
    """Visible comments per draft, for lists."""
    if not draft_ids:
        return {}
    rows = db.session.execute(
        select(RegulationComment.draft_id, func.count())
        .where(RegulationComment.draft_id.in_(draft_ids), _visible())
        .group_by(RegulationComment.draft_id)
    ).all()
    return {int(d): int(n) for d, n in rows}


def load_comment(comment_id: int) -> RegulationComment | None:
    return db.session.get(RegulationComment, comment_id)


def thread_starts(
    draft_id: int, article_id: int | None, page: int = 1, size: int = THREAD_PAGE_SIZE
) -> tuple[list[RegulationComment], int]:
    """The comments that start a thread on one article (``article_id``) or on the whole
    draft (None), oldest first, with hidden ones left out (withdrawn ones stay as a
    placeholder when they have replies); and how many there are."""
    query = select(RegulationComment).where(
        RegulationComment.draft_id == draft_id,
        RegulationComment.parent_id.is_(None),
        RegulationComment.status == ContentStatus.VISIBLE,
        RegulationComment.article_id.is_(None)
        if article_id is None
        else RegulationComment.article_id == article_id,
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(RegulationComment.author))
        .order_by(RegulationComment.created_at, RegulationComment.id)
        .limit(size)
        .offset((max(page, 1) - 1) * size)
    ).all()
    return list(items), int(total)


def thread(root: RegulationComment, include_hidden: bool = False) -> list[RegulationComment]:
    """The replies under a thread's first comment, in reading order (by path)."""
    query = select(RegulationComment).where(RegulationComment.root_id == root.id)
    if not include_hidden:
        query = query.where(RegulationComment.status == ContentStatus.VISIBLE)
    return list(
        db.session.scalars(
            query.options(selectinload(RegulationComment.author)).order_by(RegulationComment.path)
        )
    )


def answerable_comments(draft_id: int) -> list[RegulationComment]:
    """The comments the response table answers: every visible thread start (replies are
    the conversation around them), in order."""
    return list(
        db.session.scalars(
            select(RegulationComment)
            .where(
                RegulationComment.draft_id == draft_id,
                RegulationComment.parent_id.is_(None),
                _visible(),
            )
            .order_by(RegulationComment.id)
        )
    )


def votes_of(user_id: int | None, comment_ids: list[int]) -> dict[int, int]:
    """The person's current agree (1) / disagree (-1) on these comments."""
    if user_id is None or not comment_ids:
        return {}
    rows = db.session.execute(
        select(RegulationCommentVote.comment_id, RegulationCommentVote.value).where(
            RegulationCommentVote.user_id == user_id,
            RegulationCommentVote.comment_id.in_(comment_ids),
        )
    ).all()
    return {int(c): int(v) for c, v in rows}


def analysis_of(draft_id: int) -> RegulationCommentAnalysis | None:
    return db.session.get(RegulationCommentAnalysis, draft_id)


def article_of(draft: RegulationDraft, article_id: int) -> RegulationArticle | None:
    found = db.session.get(RegulationArticle, article_id)
    return found if found is not None and found.draft_id == draft.id else None


@dataclass
class ResponseRowView:
    row: RegulationResponseRow
    comments: list[RegulationComment]


def response_table(draft: RegulationDraft) -> list[ResponseRowView]:
    """The response table's rows with the comments each answers (those still shown)."""
    rows = list(draft.response_rows)
    ids = sorted({i for r in rows for i in (r.comment_ids or [])})
    found = {
        c.id: c
        for c in db.session.scalars(select(RegulationComment).where(RegulationComment.id.in_(ids)))
    }
    return [
        ResponseRowView(
            r,
            [
                found[i]
                for i in (r.comment_ids or [])
                if i in found and found[i].status == ContentStatus.VISIBLE
            ],
        )
        for r in rows
    ]


def published_drafts_for_export() -> list[RegulationDraft]:
    """Every public draft with its articles and response rows (open data, the API)."""
    return list(
        db.session.scalars(
            select(RegulationDraft)
            .where(public_clause())
            .options(
                selectinload(RegulationDraft.articles),
                selectinload(RegulationDraft.response_rows),
                selectinload(RegulationDraft.agency),
            )
            .order_by(RegulationDraft.id)
        )
    )


def public_comments(draft_id: int, article_id: int | None = None) -> Select[Any]:
    """Visible comments of a draft (optionally of one article), oldest first: the API's
    and the CSV's rows. Withdrawn and hidden ones are left out."""
    query = select(RegulationComment).where(RegulationComment.draft_id == draft_id, _visible())
    if article_id is not None:
        query = query.where(RegulationComment.article_id == article_id)
    return query.order_by(RegulationComment.id)
