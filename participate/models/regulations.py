"""Draft regulations open for public comment (法規預告), article by article.

Vocabulary (one word per idea):

- a **draft** (:class:`RegulationDraft`) is an agency's draft regulation or amendment, with
  its legal basis, responsible unit and summary; it is prepared privately, then published
  for a **comment period**, then answered with a **response table**, then its **final text**
  is recorded when promulgated. Status changes happen only in
  :func:`participate.regulations.lifecycle.transition`.
- an **article** (:class:`RegulationArticle`) is one row of the comparison table
  (條文對照表): the proposed text, the current text and the explanation; new, amended or
  deleted.
- a **comment** (:class:`RegulationComment`) is what a person writes on one article or on
  the whole draft; replies to a comment are comments too (``parent_id``), forming a thread.
  Others agree or disagree with a comment (:class:`RegulationCommentVote`).
- a **response row** (:class:`RegulationResponseRow`) answers one comment or a group of
  similar comments: adopted, partly adopted or not adopted, and why.

Comments share the discussion's visibility (``ContentStatus``), reports (``Report`` with
content type ``reg_comment``) and the moderation queue.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import Agency, User, enum_column
from participate.models.discussion import ContentStatus
from participate.models.proposals import Decision
from participate.timeutil import utcnow

# The content type of a comment in reports and the moderation queue (the columns hold 16).
COMMENT_CONTENT_TYPE = "reg_comment"
COMMENT_MAX_LENGTH = 5000
ARTICLE_TEXT_MAX_LENGTH = 20000


class DraftStatus(enum.StrEnum):
    PREPARING = "preparing"  # the agency is writing it; only its staff see it
    OPEN = "open"  # published; the comment period runs (closes on its date, on read)
    CLOSED = "closed"  # the period is over; the response table is due
    RESPONDED = "responded"  # the response table is published
    PROMULGATED = "promulgated"  # the final text is recorded


class ArticleChange(enum.StrEnum):
    NEW = "new"  # 新增
    AMENDED = "amended"  # 修正
    DELETED = "deleted"  # 刪除


class RegulationDraft(db.Model):
    __tablename__ = "regulation_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[DraftStatus] = mapped_column(
        enum_column(DraftStatus), default=DraftStatus.PREPARING, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # 法源依據
    unit: Mapped[str] = mapped_column(String(120), default="")  # 主辦單位
    summary: Mapped[str] = mapped_column(Text, default="")  # 總說明
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    # The comment period: from publication to the end of its last Taipei day.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    period_days: Mapped[int | None] = mapped_column(Integer)
    # Why the period is shorter than the default (required then, shown on the page).
    short_period_reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The response clock and the collated response table.
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_overall: Mapped[str] = mapped_column(Text, default="")

    # Promulgation of the final text.
    promulgated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promulgated_on: Mapped[date | None] = mapped_column(Date)
    promulgation_reference: Mapped[str] = mapped_column(String(200), default="")

    agency: Mapped[Agency] = relationship()
    author: Mapped[User | None] = relationship()
    articles: Mapped[list[RegulationArticle]] = relationship(
        back_populates="draft",
        order_by="RegulationArticle.position",
        cascade="all, delete-orphan",
    )
    response_rows: Mapped[list[RegulationResponseRow]] = relationship(
        back_populates="draft",
        order_by="RegulationResponseRow.position",
        cascade="all, delete-orphan",
    )


class RegulationArticle(db.Model):
    """One row of the comparison table (條文對照表)."""

    __tablename__ = "regulation_article"
    __table_args__ = (UniqueConstraint("draft_id", "position", name="uq_regulation_article_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("regulation_draft.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40), default="")  # 條次: 第三條, 第五條之一
    change: Mapped[ArticleChange] = mapped_column(
        enum_column(ArticleChange), default=ArticleChange.AMENDED
    )
    proposed_text: Mapped[str] = mapped_column(Text, default="")
    current_text: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    # The promulgated wording (None until the final text is recorded; "" = not kept).
    final_text: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[RegulationDraft] = relationship(back_populates="articles")


class RegulationComment(db.Model):
    """A comment on one article (``article_id``) or on the whole draft (none), or a reply
    in a comment's thread (``parent_id``; its ``path`` orders the thread like replies in a
    discussion). ``agree_count``/``disagree_count`` cache the current votes, changed in the
    vote's own transaction."""

    __tablename__ = "regulation_comment"
    __table_args__ = (
        Index("ix_regulation_comment_draft_status", "draft_id", "status", "created_at"),
        Index("ix_regulation_comment_article", "article_id"),
        Index("ix_regulation_comment_root_path", "root_id", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("regulation_draft.id", ondelete="CASCADE"))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("regulation_article.id", ondelete="SET NULL")
    )
    # The thread's first comment (None for a comment that starts a thread).
    root_id: Mapped[int | None] = mapped_column(ForeignKey("regulation_comment.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regulation_comment.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    path: Mapped[str] = mapped_column(String(1100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ContentStatus] = mapped_column(
        enum_column(ContentStatus), default=ContentStatus.VISIBLE
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agree_count: Mapped[int] = mapped_column(Integer, default=0)
    disagree_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)

    draft: Mapped[RegulationDraft] = relationship()
    article: Mapped[RegulationArticle | None] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_visible(self) -> bool:
        return self.status == ContentStatus.VISIBLE and self.deleted_at is None

    @property
    def is_thread_start(self) -> bool:
        return self.parent_id is None


class RegulationCommentVote(db.Model):
    """A person's current agree (+1) or disagree (-1) on someone else's comment."""

    __tablename__ = "regulation_comment_vote"
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_regulation_comment_vote"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("regulation_comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegulationResponseRow(db.Model):
    """One row of the collated response table: the comments it answers (one, or a group
    of similar ones), their gist, the decision and its reasons. Public once the draft's
    ``responded_at`` is set."""

    __tablename__ = "regulation_response_row"
    __table_args__ = (
        UniqueConstraint("draft_id", "position", name="uq_regulation_response_row_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("regulation_draft.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("regulation_article.id", ondelete="SET NULL")
    )
    comment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision), nullable=True)
    reasoning: Mapped[str] = mapped_column(Text, default="")

    draft: Mapped[RegulationDraft] = relationship(back_populates="response_rows")
    article: Mapped[RegulationArticle | None] = relationship()


class RegulationCommentAnalysis(db.Model):
    """The keywords and topics of a draft's comments, per article: a snapshot the job
    writes after comments change and the pages read (``result`` keyed by article id, or
    ``"draft"`` for comments on the whole draft)."""

    __tablename__ = "regulation_comment_analysis"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_draft.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
