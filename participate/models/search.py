"""The search index row: one per searchable item (owned by the search module).

The full-text part lives outside the ORM: an FTS5 table on SQLite and an expression GIN
index on PostgreSQL, both created by raw SQL in the ``search_0001`` migration over
``search_text``. Keeping the documents in a plain table means both databases index the very
same token string, which is what makes their hits identical.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participate.extensions import db
from participate.timeutil import utcnow


class SearchDocument(db.Model):
    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "item_id", name="uq_search_document_kind_item"),
        Index("ix_search_document_proposal", "proposal_id"),
        # Covers the ranking pass (join on id, visibility, filters, recency) so SQLite never
        # reads the wide rows of the thousands of hits a common word has.
        Index(
            "ix_search_document_cover",
            "id",
            "visible",
            "updated_at",
            "kind",
            "status",
            "agency_ids",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # proposal | consultation | statement | response
    item_id: Mapped[int] = mapped_column(Integer)
    # No foreign keys on purpose: the index may briefly outlive what it points to, and
    # deleting a proposal must never be blocked by its search rows.
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    agency_ids: Mapped[str] = mapped_column(String(255), default="")  # ",3,7," for LIKE
    status: Mapped[str] = mapped_column(String(24), default="")  # the proposal's status
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
