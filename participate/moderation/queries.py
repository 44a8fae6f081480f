"""Reads of the moderation area shared by its pages and the navigation: the queue (filtered
to what the viewer may moderate, by ``policy.moderated_items_clause``), its counts, the
content and discussion titles of a page of items, and the notice count."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from participate import policy
from participate.extensions import db
from participate.models import (
    Discussion,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    Proposal,
)
from participate.moderation.content import CONTENT_MODELS

SORTS = ("urgency", "oldest", "newest")


def queue_query(user: Any, kind: str, discussion_id: int | None, state: str) -> Any:
    """Items in ``state`` the user may moderate, of one kind and discussion when given."""
    query = select(ModerationItem).where(ModerationItem.state == ItemState(state))
    if kind:
        query = query.where(ModerationItem.kind == ItemKind(kind))
    if discussion_id:
        query = query.where(ModerationItem.discussion_id == discussion_id)
    return query.where(policy.moderated_items_clause(user))


def queue_order(sort: str, state: str) -> list[Any]:
    """Most urgent first (priority, reports, waiting longest), or by age; decided items
    newest decision first."""
    if state == "resolved":
        return [ModerationItem.decided_at.desc(), ModerationItem.id.desc()]
    return {
        "urgency": [
            ModerationItem.priority.desc(),
            ModerationItem.report_count.desc(),
            ModerationItem.opened_at.asc(),
            ModerationItem.id.asc(),
        ],
        "oldest": [ModerationItem.opened_at.asc(), ModerationItem.id.asc()],
        "newest": [ModerationItem.opened_at.desc(), ModerationItem.id.desc()],
    }[sort if sort in SORTS else "urgency"]


def kind_counts(user: Any) -> dict[str, int]:
    """Open items per kind, among those the user may moderate (the queue's tabs)."""
    base = queue_query(user, "", None, "open").subquery()
    return {
        getattr(k, "value", k): n
        for k, n in db.session.execute(select(base.c.kind, func.count()).group_by(base.c.kind))
    }


def open_count(user: Any) -> int:
    """Open items this user may decide (the navigation badge)."""
    query = (
        select(func.count())
        .select_from(ModerationItem)
        .where(ModerationItem.state == ItemState.OPEN, policy.moderated_items_clause(user))
    )
    return db.session.scalar(query) or 0


def unread_notices(user: Any) -> int:
    if not policy.is_authenticated(user):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ModerationNotice)
            .where(ModerationNotice.user_id == user.id, ModerationNotice.read_at.is_(None))
        )
        or 0
    )


def load_objects(items: list[ModerationItem]) -> dict[tuple[str, int], Any]:
    """The content of a page of items, one query per content type (no N+1)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        wanted[item.content_type].add(item.content_id)
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = CONTENT_MODELS.get(kind)
        if model is None:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(kind, obj.id)] = obj
    return found


def discussion_titles(ids: set[int]) -> dict[int, str]:
    """Discussion id -> its proposal's title, for the queue's filter and rows."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Discussion.id, Proposal.title)
        .join(Proposal, Discussion.proposal_id == Proposal.id)
        .where(Discussion.id.in_(ids))
    )
    return {i: t for i, t in rows}


def discussions_with_open_items(limit: int = 100) -> set[int]:
    return set(
        db.session.scalars(
            select(ModerationItem.discussion_id)
            .where(
                ModerationItem.state == ItemState.OPEN,
                ModerationItem.discussion_id.is_not(None),
            )
            .distinct()
            .limit(limit)
        )
    )
