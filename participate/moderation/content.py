"""What a queue item is about: load the statement, reply, proposal or account it points at,
and describe it (author, excerpt, discussion) for the queue, notices and mail.

Reads only; the lowest layer of the area, so the queue, notices and operations can all use
it without importing each other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import Discussion, Proposal, RegulationComment, Reply, Statement, User
from participate.models.regulations import COMMENT_CONTENT_TYPE

CONTENT_MODELS: dict[str, Any] = {
    "statement": Statement,
    "reply": Reply,
    "proposal": Proposal,
    "user": User,
    COMMENT_CONTENT_TYPE: RegulationComment,  # a comment on a draft regulation
}
# Content a moderator hides and restores (the others are decided in other ways).
HIDEABLE_TYPES = ("statement", "reply", COMMENT_CONTENT_TYPE)


def load_content(content_type: str, content_id: int) -> Any:
    """The object an item is about, or None when it is gone (or the type is unknown)."""
    model = CONTENT_MODELS.get(content_type)
    return db.session.get(model, content_id) if model is not None else None


def content_author_id(obj: Any) -> int | None:
    """Who a decision about ``obj`` concerns: its author, or the account itself."""
    if isinstance(obj, User):
        return obj.id
    return getattr(obj, "author_id", None)


def content_excerpt(obj: Any, length: int = 120) -> str:
    """One line of the content, for the queue, a notice and its mail."""
    if isinstance(obj, Statement):
        text = obj.text
    elif isinstance(obj, Reply | RegulationComment):
        text = obj.body
    elif isinstance(obj, Proposal):
        text = obj.title
    elif isinstance(obj, User):
        text = obj.display_name
    else:
        text = ""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def content_discussion_id(obj: Any) -> int | None:
    """The discussion an item belongs to (the queue filters by it; agency staff moderate
    by it)."""
    if isinstance(obj, Statement):
        return obj.discussion_id
    if isinstance(obj, Reply):
        return db.session.scalar(
            select(Statement.discussion_id).where(Statement.id == obj.statement_id)
        )
    if isinstance(obj, Proposal):
        return db.session.scalar(select(Discussion.id).where(Discussion.proposal_id == obj.id))
    return None
