"""The discussion attached to each proposal or consultation: statements, replies, votes.

Vocabulary (one word per idea): a **statement** is the short opinion people vote on (a Pol.is
"comment"); a **reply** is threaded conversation under a statement; a **vote** is a person's
current agree (+1) / disagree (-1) / pass (0) on a statement, and **vote history** keeps every
vote event, because the clustering and the Pol.is export need changes too. A **report** is a
flag a participant raises on a statement or reply; the moderation area builds its queue on it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
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
from participate.models.core import User, enum_column
from participate.models.proposals import Proposal
from participate.timeutil import utcnow

STATEMENT_MAX_LENGTH = 300
REPLY_MAX_LENGTH = 5000
# Materialised path segment width: ids up to 10 digits keep lexical order equal to id order.
PATH_WIDTH = 10


class Discussion(db.Model):
    __tablename__ = "discussion"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship(backref=db.backref("discussion", uselist=False))


def get_or_create_discussion(proposal: Proposal) -> Discussion:
    """Every proposal and consultation has exactly one discussion, made on first need."""
    found = db.session.scalar(db.select(Discussion).where(Discussion.proposal_id == proposal.id))
    if found is None:
        found = Discussion(proposal_id=proposal.id)
        db.session.add(found)
        db.session.flush()
    return found


class ContentStatus(enum.StrEnum):
    """Visibility of a statement or reply. Moderators (and the reports threshold) change it
    through ``discussion.operations.set_status``; screening writes held content hidden."""

    VISIBLE = "visible"
    HIDDEN = "hidden"  # hidden by a moderator (or rejected in an imported Pol.is conversation)


class VoteValue(enum.IntEnum):
    """Same sign as the Pol.is CSV exports (its internal database uses the opposite)."""

    AGREE = 1
    DISAGREE = -1
    PASS = 0


class Statement(db.Model):
    """A short opinion statement participants vote on.

    ``agree_count`` etc. cache the tally of *current* votes; they are changed only in the
    same transaction as the vote row, so they stay exact and the list pages need no COUNT.
    """

    __tablename__ = "statement"
    __table_args__ = (
        Index("ix_statement_discussion_status_created", "discussion_id", "status", "created_at"),
        UniqueConstraint("discussion_id", "polis_id", name="uq_statement_discussion_polis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Text rather than String(300): imported Pol.is comments can be longer; new statements are
    # limited to STATEMENT_MAX_LENGTH by the form and again by the rule.
    text: Mapped[str] = mapped_column(Text)
    is_seed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ContentStatus] = mapped_column(
        enum_column(ContentStatus), default=ContentStatus.VISIBLE
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    agree_count: Mapped[int] = mapped_column(Integer, default=0)
    disagree_count: Mapped[int] = mapped_column(Integer, default=0)
    pass_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # The comment id in an imported Pol.is conversation (kept so an export round-trips).
    polis_id: Mapped[int | None] = mapped_column(Integer)

    discussion: Mapped[Discussion] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def vote_count(self) -> int:
        return (self.agree_count or 0) + (self.disagree_count or 0) + (self.pass_count or 0)

    @property
    def is_visible(self) -> bool:
        return self.status == ContentStatus.VISIBLE


class StatementTally(db.Model):
    """Votes not yet added to their statement's counters, spread over ``shard`` rows.

    On PostgreSQL a vote moves one of these rows (its voter's shard) instead of the
    statement's own counters, which every voter of a popular statement would otherwise
    queue for, row lock after row lock, until each commit; ``participate.discussion.tallies``
    folds them into the statement row in batches and adds what is not folded yet where an
    exact live figure is shown. The deltas may be negative (a changed vote). SQLite has one
    writer at a time anyway, so there the vote moves the statement's counters directly and
    this table stays empty.
    """

    __tablename__ = "statement_tally"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    agree_count: Mapped[int] = mapped_column(Integer, default=0)
    disagree_count: Mapped[int] = mapped_column(Integer, default=0)
    pass_count: Mapped[int] = mapped_column(Integer, default=0)


class Reply(db.Model):
    """A reply in the thread under a statement, possibly answering another reply.

    ``path`` is the materialised path of zero-padded ids (``0000000012/0000000040``), so a
    whole thread, in reading order, is one indexed range scan ``ORDER BY path``.
    """

    __tablename__ = "reply"
    __table_args__ = (Index("ix_reply_statement_path", "statement_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("reply.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    path: Mapped[str] = mapped_column(String(1100), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised by participate.text
    status: Mapped[ContentStatus] = mapped_column(
        enum_column(ContentStatus), default=ContentStatus.VISIBLE
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    statement: Mapped[Statement] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Vote(db.Model):
    """A participant's current vote on a statement: one row per (participant, statement)."""

    __tablename__ = "vote"
    __table_args__ = (
        UniqueConstraint("participant_id", "statement_id", name="uq_vote_participant_statement"),
        Index("ix_vote_statement_value", "statement_id", "value"),
        Index("ix_vote_discussion_participant", "discussion_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalised so "what has this person voted on here" needs no join.
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VoteHistory(db.Model):
    """Every vote event, changes included, in order (the Pol.is ``votes.csv`` rows)."""

    __tablename__ = "vote_history"
    __table_args__ = (
        Index("ix_vote_history_discussion_id", "discussion_id", "id"),
        Index("ix_vote_history_participant", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    MISINFORMATION = "misinformation"
    OTHER = "other"


class Report(db.Model):
    """A participant's flag on a statement or reply; at most one per person per item."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint(
            "content_type", "content_id", "reporter_id", name="uq_report_content_reporter"
        ),
        Index("ix_report_content", "content_type", "content_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(16))  # "statement" | "reply"
    content_id: Mapped[int] = mapped_column(Integer)
    discussion_id: Mapped[int | None] = mapped_column(ForeignKey("discussion.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    reporter: Mapped[User | None] = relationship()


class PolisParticipant(db.Model):
    """Maps a participant id of an imported Pol.is conversation to a placeholder account.

    Imported people get a pseudonymous account with no email and no password (so nobody
    can log in as them), display name ``polis-<pid>``; this row keeps the original id so an
    export writes the same ids back.
    """

    __tablename__ = "polis_participant"
    __table_args__ = (
        UniqueConstraint("discussion_id", "polis_pid", name="uq_polis_participant_pid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussion.id"))
    polis_pid: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
