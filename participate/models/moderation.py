"""Moderation: the one queue of things awaiting a decision, appeals, thread locks, notices to
authors, the banned-term list and per-discussion pre-moderation.

The discussion model has only VISIBLE/HIDDEN, so "held for review" is status HIDDEN plus an
open :class:`ModerationItem` (kind ``held``); "hidden after reports" is HIDDEN plus an open
item of kind ``report``. Decided items stay (state ``resolved``) as the record an appeal
refers to; the audit log keeps every action append-only.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import User, enum_column
from participate.timeutil import utcnow


class ItemKind(enum.StrEnum):
    REPORT = "report"  # reported by participants
    HELD = "held"  # held by pre-moderation or automatic screening
    PROPOSAL = "proposal"  # a proposal waiting for review
    ACCOUNT = "account"  # a flagged new account
    APPEAL = "appeal"  # an author's appeal against a decision


class ItemState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ModerationItem(db.Model):
    """One thing awaiting (or having had) a moderator's decision."""

    __tablename__ = "moderation_item"
    __table_args__ = (
        Index("ix_moderation_item_open", "state", "report_count", "opened_at"),
        Index("ix_moderation_item_content", "content_type", "content_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    state: Mapped[ItemState] = mapped_column(enum_column(ItemState), default=ItemState.OPEN)
    content_type: Mapped[str] = mapped_column(String(16))  # statement|reply|proposal|user
    content_id: Mapped[int] = mapped_column(Integer)
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id"), index=True)
    # The person the decision concerns (the author, or the flagged account).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # For appeals: the moderator whose decision is appealed may not decide the appeal.
    excluded_moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_item.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(String(64))
    decision_message: Mapped[str | None] = mapped_column(Text)

    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    appeal_of: Mapped[ModerationItem | None] = relationship(remote_side=[id])

    @property
    def is_open(self) -> bool:
        return self.state == ItemState.OPEN


class Appeal(db.Model):
    """An author's appeal; one per decided item (the unique constraint enforces "once")."""

    __tablename__ = "moderation_appeal"
    __table_args__ = (UniqueConstraint("item_id", name="uq_moderation_appeal_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("moderation_item.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    review_item_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_item.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThreadLock(db.Model):
    """A locked discussion (``statement_id`` empty) or a locked statement thread."""

    __tablename__ = "thread_lock"
    __table_args__ = (
        UniqueConstraint("discussion_id", "statement_id", name="uq_thread_lock_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"), index=True)
    # No foreign key: the statement table lives in another migration branch.
    statement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModerationNotice(db.Model):
    """What an author (or a moderator, for alerts) is told; shown on "my moderation notices"."""

    __tablename__ = "moderation_notice"
    __table_args__ = (Index("ix_moderation_notice_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_item.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str | None] = mapped_column(String(16))
    content_id: Mapped[int | None] = mapped_column(Integer)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    appealable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Mail goes out after the decision is committed (never from inside it); empty = due.
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BannedTerm(db.Model):
    """A word or pattern screened out before publication, editable by moderators.

    ``term`` is matched as a substring of the normalised text (Chinese has no word
    boundaries); ``is_regex`` terms are regular expressions over the normalised text.
    """

    __tablename__ = "banned_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(16), default="hold")  # hold | reject
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DiscussionModeration(db.Model):
    """Per-discussion moderation settings (pre-moderation is off unless a row says so)."""

    __tablename__ = "discussion_moderation"

    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"), primary_key=True)
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
