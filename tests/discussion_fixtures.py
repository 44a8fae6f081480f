"""Helpers for the discussion tests: proposals in a given state, statements, votes in bulk,
and an SQL statement counter (SQLAlchemy event listener) for the no-N+1 bounds."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert

from participate.extensions import db
from participate.models import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    Reply,
    Statement,
)
from participate.models.discussion import PATH_WIDTH, get_or_create_discussion
from participate.timeutil import utcnow


@pytest.fixture()
def make_discussion(app: Flask) -> Callable[..., tuple[int, int]]:
    """``make_discussion(status=OPEN, kind=CONSULTATION, title=...)``.

    Returns ``(proposal_id, discussion_id)``.
    """

    def make(
        status: ProposalStatus = ProposalStatus.OPEN,
        kind: ProposalKind = ProposalKind.CONSULTATION,
        title: str = "機車道路安全",
    ) -> tuple[int, int]:
        with app.app_context():
            proposal = Proposal(title=title, kind=kind, status=status)
            db.session.add(proposal)
            db.session.flush()
            discussion = get_or_create_discussion(proposal)
            db.session.commit()
            return proposal.id, discussion.id

    return make


def set_proposal_status(app: Flask, proposal_id: int, status: ProposalStatus) -> None:
    with app.app_context():
        db.session.get(Proposal, proposal_id).status = status
        db.session.commit()


def add_statements(
    app: Flask, discussion_id: int, texts: list[str], author_id: int | None = None, **kw: Any
) -> list[int]:
    with app.app_context():
        items = [
            Statement(discussion_id=discussion_id, text=t, author_id=author_id, **kw) for t in texts
        ]
        db.session.add_all(items)
        db.session.commit()
        return [s.id for s in items]


def bulk_discussion(
    app: Flask, discussion_id: int, author_id: int, statements: int, replies: int
) -> list[int]:
    """A large discussion inserted in bulk: ``statements`` statements, ``replies`` replies
    spread over the first statements as threads three levels deep."""
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(Statement),
            [
                {
                    "discussion_id": discussion_id,
                    "author_id": author_id,
                    "text": f"第 {i} 則意見：機車道路安全需要更多的改善措施 {i}",
                    "is_seed": False,
                    "created_at": now,
                    "agree_count": i % 7,
                    "disagree_count": i % 3,
                    "pass_count": i % 2,
                    "reply_count": 0,
                }
                for i in range(statements)
            ],
        )
        db.session.commit()
        ids = list(
            db.session.scalars(
                db.select(Statement.id)
                .where(Statement.discussion_id == discussion_id)
                .order_by(Statement.id)
            )
        )
        rows = []
        next_id = (db.session.scalar(db.select(db.func.max(Reply.id))) or 0) + 1
        per = 20
        for n in range(replies):
            sid = ids[n // per]
            k = n % per
            rid = next_id + n
            depth = k % 3
            parent = rid - 1 if depth else None
            rows.append((rid, sid, parent, depth))
        paths: dict[int, str] = {}
        payload = []
        for rid, sid, parent, depth in rows:
            seg = f"{rid:0{PATH_WIDTH}d}"
            paths[rid] = f"{paths[parent]}/{seg}" if parent else seg
            payload.append(
                {
                    "id": rid,
                    "statement_id": sid,
                    "parent_id": parent,
                    "author_id": author_id,
                    "depth": depth,
                    "path": paths[rid],
                    "body": f"回應 {rid}",
                    "body_html": f"<p>回應 {rid}</p>",
                    "created_at": now,
                }
            )
        if payload:
            db.session.execute(insert(Reply), payload)
            counts: dict[int, int] = {}
            for _rid, sid, _p, _d in rows:
                counts[sid] = counts.get(sid, 0) + 1
            for sid, n in counts.items():
                db.session.execute(
                    db.update(Statement).where(Statement.id == sid).values(reply_count=n)
                )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('reply', 'id'),"
                    " (SELECT max(id) FROM reply))"
                )
        return ids


@contextlib.contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine executes inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
