"""Linking an agency's point-by-point response to the statements of the opinion report.

The proposals area owns the response form and ``ResponsePoint.linked_statement_ids``; this
module gives it three things: the statements worth offering (from the latest report:
common ground first, then what each group stands for, then the divisive ones), a check of
submitted ids, and what the published response shows for a point. Templates use the macros
in ``templates/reports/_linkup.html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from participate.discussion import tallies
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ContentStatus, Discussion, Proposal, Statement
from participate.reports import present, queries

__all__ = [
    "LinkChoice",
    "LinkedStatement",
    "statement_choices",
    "clean_linked_ids",
    "linked_statements_for",
]


@dataclass(frozen=True)
class LinkChoice:
    """A statement offered in the response form, with why it is offered."""

    id: int
    text: str
    reason: str  # e.g. "Every group agrees", "Group 2"

    @property
    def label(self) -> str:
        return f"#{self.id} {self.text}"


@dataclass(frozen=True)
class LinkedStatement:
    """A statement shown under a published response point."""

    id: int
    text: str
    url: str | None
    tally: present.Tally
    reason: str | None


def _discussion(proposal: Proposal) -> Discussion | None:
    return db.session.scalar(select(Discussion).where(Discussion.proposal_id == proposal.id))


def _reasons(report: present.Report) -> dict[int, str]:
    """Why each notable statement matters, first reason wins (consensus before groups)."""
    reasons: dict[int, str] = {}
    for s in report.consensus_agree:
        reasons.setdefault(s.id, _("Every group agrees"))
    for s in report.consensus_disagree:
        reasons.setdefault(s.id, _("Every group disagrees"))
    for g in report.groups:
        for r in g.representative:
            reasons.setdefault(r.statement.id, g.label)
    for s, _score in report.divisive:
        reasons.setdefault(s.id, _("Divides the groups"))
    return reasons


def _report(discussion: Discussion) -> present.Report | None:
    analysis = queries.latest_succeeded(discussion.id)
    if analysis is None:
        return None
    texts = queries.visible_texts(discussion.id)
    return present.build(present.cached_result(analysis), texts, "zh", with_map=False)


def statement_choices(proposal: Proposal) -> list[LinkChoice]:
    """Statements to offer for linking, most useful first (empty without a report)."""
    discussion = _discussion(proposal)
    report = _report(discussion) if discussion else None
    if report is None:
        return []
    return [
        LinkChoice(sid, report.statements[sid].text, reason)
        for sid, reason in _reasons(report).items()
        if sid in report.statements
    ]


def clean_linked_ids(proposal: Proposal, ids: Iterable[Any]) -> list[int]:
    """Submitted ids, deduplicated in order, each a visible statement of this proposal's
    discussion (any of them, not only the offered ones); raises RuleError otherwise."""
    wanted: list[int] = []
    for raw in ids:
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise RuleError(
                _("Choose statements from this discussion."), field="linked_statements"
            ) from exc
        if value not in wanted:
            wanted.append(value)
    if not wanted:
        return []
    discussion = _discussion(proposal)
    found = set()
    if discussion is not None:
        found = set(
            db.session.scalars(
                select(Statement.id).where(
                    Statement.id.in_(wanted),
                    Statement.discussion_id == discussion.id,
                    Statement.status == ContentStatus.VISIBLE,
                )
            )
        )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise RuleError(
            _(
                "These statements are not in this discussion: %(ids)s",
                ids=", ".join(f"#{i}" for i in missing),
            ),
            field="linked_statements",
        )
    return wanted


def linked_statements_for(point: Any, proposal: Proposal | None = None) -> list[LinkedStatement]:
    """What a published response point shows: its linked statements, with their current
    votes and why the report noted them. Each links to its row in the report, or to its
    thread when it is newer than the latest analysis. Statements hidden since are left out."""
    ids: Sequence[int] = list(getattr(point, "linked_statement_ids", None) or [])
    if not ids:
        return []
    rows = {
        s.id: s
        for s in db.session.scalars(
            select(Statement).where(
                Statement.id.in_(ids), Statement.status == ContentStatus.VISIBLE
            )
        )
    }
    tallies.show_live(rows.values())  # "current votes": with those not folded yet
    reasons: dict[int, str] = {}
    if proposal is None and rows:
        discussion = db.session.get(Discussion, next(iter(rows.values())).discussion_id)
    else:
        discussion = _discussion(proposal) if proposal is not None else None
    report = _report(discussion) if discussion is not None else None
    if report is not None:
        reasons = _reasons(report)
    out = []
    for sid in ids:
        s = rows.get(sid)
        if s is None:
            continue
        if report is not None and discussion is not None and s.id in report.statements:
            # The report's row for the statement: its votes overall and per group.
            url = url_for("reports.show", proposal_id=discussion.proposal_id, _anchor=f"s{s.id}")
        else:  # newer than the latest analysis: its thread has the votes so far
            url = url_for("discussion.thread", statement_id=s.id)
        out.append(
            LinkedStatement(
                s.id,
                s.text,
                url,
                present.Tally(s.agree_count or 0, s.disagree_count or 0, s.pass_count or 0),
                reasons.get(s.id),
            )
        )
    return out
