"""Helpers for the moderation tests: a consultation owned by an agency with a discussion,
statements by a given author, and reading rows back in a fresh session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import (
    ModerationItem,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Statement,
)
from participate.models.discussion import get_or_create_discussion
from participate.timeutil import utcnow
from tests.conftest import mark_second_factor


@pytest.fixture()
def make_consultation(app: Flask) -> Callable[..., tuple[int, int]]:
    """``make_consultation(agency=None, status=OPEN)`` -> ``(proposal_id, discussion_id)``."""

    def make(
        agency: Any = None,
        status: ProposalStatus = ProposalStatus.OPEN,
        title: str = "機車道路安全",
    ) -> tuple[int, int]:
        with app.app_context():
            proposal = Proposal(
                title=title,
                kind=ProposalKind.CONSULTATION,
                status=status,
                owner_agency_id=getattr(agency, "id", agency),
                opened_at=utcnow(),
                deadline=utcnow() + timedelta(days=30),
            )
            db.session.add(proposal)
            db.session.flush()
            discussion = get_or_create_discussion(proposal)
            db.session.commit()
            return proposal.id, discussion.id

    return make


def add_statement(app: Flask, discussion_id: int, author_id: int | None, text: str) -> int:
    with app.app_context():
        s = Statement(discussion_id=discussion_id, author_id=author_id, text=text)
        db.session.add(s)
        db.session.commit()
        return s.id


def get(app: Flask, model: Any, pk: int) -> Any:
    with app.app_context():
        obj = db.session.get(model, pk)
        if obj is not None:
            db.session.expunge(obj)
        return obj


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def items(app: Flask, *where: Any) -> list[ModerationItem]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(ModerationItem).where(*where).order_by(ModerationItem.id))
        )
        for r in rows:
            db.session.expunge(r)
        return rows


@pytest.fixture()
def quick_login(app: Flask) -> Callable[[Any, Any], Any]:
    """Log a test client in by writing the Flask-Login session directly: the real login
    (argon2 verification) is tested in the auth area and costs ~0.3 s per account here."""

    def do_login(client: Any, user: Any) -> Any:
        with client.session_transaction() as sess:
            sess["_user_id"] = f"{user.id}:{user.session_version or 1}"
            sess["_fresh"] = True
            mark_second_factor(app, sess, user)  # staff: the session holds the code too
        client.csrf_token = None
        return client

    return do_login
