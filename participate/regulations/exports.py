"""The comments and the response table as CSV (the page's downloads, UTF-8 with BOM so
Excel opens Chinese correctly), and the same rows for the open-data dumps.

Only public content: published drafts, visible comments, published response tables.
People appear as pseudonymous participant numbers assigned per draft in order of their
first comment; no names, emails or account ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import RegulationComment, RegulationDraft
from participate.regulations import queries
from participate.regulations.lifecycle import effective_status
from participate.timeutil import aware

COMMENT_HEADER = [
    "draft_id",
    "comment_id",
    "article_position",
    "article_label",
    "parent_id",
    "participant",
    "created_at",
    "agree",
    "disagree",
    "body",
]
RESPONSE_HEADER = [
    "draft_id",
    "row",
    "article_position",
    "article_label",
    "comment_ids",
    "summary",
    "decision",
    "reasoning",
    "published_at",
]


def _iso(value: datetime | None) -> str:
    value = aware(value)
    return value.isoformat() if value else ""


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM and CRLF line ends (what Excel on Windows expects)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")


def participant_numbers(draft_id: int) -> dict[int, int]:
    """Pseudonymous numbers 1, 2, ... in order of each author's first comment on the draft."""
    numbers: dict[int, int] = {}
    for (author_id,) in db.session.execute(
        select(RegulationComment.author_id)
        .where(RegulationComment.draft_id == draft_id, RegulationComment.author_id.is_not(None))
        .order_by(RegulationComment.id)
    ):
        numbers.setdefault(author_id, len(numbers) + 1)
    return numbers


def comment_rows(draft: RegulationDraft) -> list[list[Any]]:
    articles = {a.id: a for a in draft.articles}
    numbers = participant_numbers(draft.id)
    rows = []
    for c in db.session.scalars(queries.public_comments(draft.id)):
        article = articles.get(c.article_id) if c.article_id else None
        rows.append(
            [
                draft.id,
                c.id,
                article.position if article else "",
                article.label if article else "",
                c.parent_id,
                numbers.get(c.author_id) if c.author_id else "",
                _iso(c.created_at),
                c.agree_count,
                c.disagree_count,
                c.body,
            ]
        )
    return rows


def response_rows(draft: RegulationDraft) -> list[list[Any]]:
    """The published response table's rows (none before it is published)."""
    if draft.responded_at is None:
        return []
    articles = {a.id: a for a in draft.articles}
    out = []
    for r in draft.response_rows:
        article = articles.get(r.article_id) if r.article_id else None
        out.append(
            [
                draft.id,
                r.position,
                article.position if article else "",
                article.label if article else "",
                " ".join(str(i) for i in r.comment_ids or []),
                r.summary,
                r.decision.value if r.decision else "",
                r.reasoning,
                _iso(draft.responded_at),
            ]
        )
    return out


def open_data_tables(now: datetime) -> list[tuple[str, list[str], list[list[Any]], str]]:
    """``(stem, header, rows, description)`` for each regulations file of the open-data
    dumps: the drafts, their articles, the comments, the response tables."""
    drafts = queries.published_drafts_for_export()
    draft_rows = [
        [
            d.id,
            d.agency_id,
            effective_status(d, now).value,
            d.title,
            d.legal_basis,
            d.unit,
            d.summary,
            _iso(d.published_at),
            _iso(d.comment_ends_at),
            d.period_days,
            d.short_period_reason,
            _iso(d.response_due_at),
            _iso(d.responded_at),
            d.promulgated_on.isoformat() if d.promulgated_on else "",
            d.promulgation_reference,
            f"/regulations/{d.id}",
        ]
        for d in drafts
    ]
    article_rows = [
        [
            d.id,
            a.position,
            a.label,
            a.change.value,
            a.proposed_text,
            a.current_text,
            a.explanation,
            a.final_text if d.promulgated_at is not None and a.final_text is not None else "",
        ]
        for d in drafts
        for a in d.articles
    ]
    comments = [row for d in drafts for row in comment_rows(d)]
    responses = [row for d in drafts for row in response_rows(d)]
    return [
        (
            "regulations",
            [
                "id",
                "agency_id",
                "status",
                "title",
                "legal_basis",
                "unit",
                "summary",
                "published_at",
                "comment_ends_at",
                "period_days",
                "short_period_reason",
                "response_due_at",
                "responded_at",
                "promulgated_on",
                "promulgation_reference",
                "url",
            ],
            draft_rows,
            "Draft regulations published for comment (法規預告)",
        ),
        (
            "regulation-articles",
            [
                "draft_id",
                "position",
                "label",
                "change",
                "proposed_text",
                "current_text",
                "explanation",
                "final_text",
            ],
            article_rows,
            "The comparison tables of the drafts, one row per article",
        ),
        (
            "regulation-comments",
            COMMENT_HEADER,
            comments,
            "Visible comments on the drafts, with agree/disagree counts",
        ),
        (
            "regulation-responses",
            RESPONSE_HEADER,
            responses,
            "Published response tables, one row per comment or group of comments",
        ),
    ]
