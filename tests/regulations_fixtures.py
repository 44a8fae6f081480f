"""Builders for the draft regulations tests: an agency with its staff, another agency's
staff, citizens and a moderator; drafts made through the real operations with a frozen
clock, each step in its own unit of work (as a request would: committed, then its side
effects run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from participate.boundary import unit
from participate.extensions import db
from participate.models import RegulationComment, RegulationDraft, User
from participate.regulations import operations

# Monday 2 March 2026, 10:00 in Taipei.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)

TABLE = (
    "修正條文\t現行條文\t說明\n"
    "第一條　本規則依道路交通管理處罰條例訂定之。\t\t本條新增。\n"
    "第二條　汽車行近行人穿越道，無論有無號誌，均應暫停讓行人先行。"
    "\t第二條　汽車行近行人穿越道，應暫停讓行人先行。\t明定無論有無號誌均應停讓。\n"
    "\t第三條　夜間應閃爍燈光示警。\t本條刪除。\n"
)


def freeze(app: Flask, when: datetime) -> datetime:
    app.config["FROZEN_NOW"] = when
    return when


@dataclass
class Cast:
    agency: Any
    other_agency: Any
    staff: Any
    other_staff: Any
    admin: Any
    moderator: Any
    citizen: Any
    second: Any
    third: Any
    unverified: Any

    def get(self, name: str) -> User:
        return db.session.get(User, getattr(self, name).id)


@pytest.fixture()
def cast(make_user: Any, make_agency: Any) -> Cast:
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    other = make_agency(slug="mohw", name_zh="衛生福利部", name_en="Ministry of Health")
    return Cast(
        agency=agency,
        other_agency=other,
        staff=make_user(role="agency_staff", agency=agency, name="交通部承辦"),
        other_staff=make_user(role="agency_staff", agency=other, name="衛福部承辦"),
        admin=make_user(role="admin", name="管理員"),
        moderator=make_user(role="moderator", name="審核員"),
        citizen=make_user(name="市民甲"),
        second=make_user(name="市民乙"),
        third=make_user(name="市民丙"),
        unverified=make_user(verified=False, name="未驗證"),
    )


def make_draft(
    app: Flask,
    cast: Cast,
    publish: bool = True,
    days: int = 60,
    reason: str = "",
    at: datetime = T0,
    table: str = TABLE,
) -> int:
    """A draft of ``cast.agency`` with the three-article table, published at ``at``."""
    freeze(app, at)
    with app.test_request_context(), unit():
        staff = cast.get("staff")
        draft = operations.create_draft(
            staff,
            operations.DraftInput(
                "道路交通安全規則部分條文修正草案", "道交條例第92條", "路政司", "行人優先。"
            ),
            now=at,
        )
        operations.paste_articles(staff, draft, table, now=at)
        if publish:
            operations.publish_draft(staff, draft, days, reason, now=at)
        return draft.id


def add_comment(
    app: Flask,
    cast: Cast,
    draft_id: int,
    who: str,
    body: str,
    article: int | None = None,
    at: datetime | None = None,
) -> int:
    """A comment by ``who`` through the operation (``article``: its position, 1-based)."""
    with app.test_request_context(), unit():
        draft = db.session.get(RegulationDraft, draft_id)
        target = draft.articles[article - 1] if article else None
        result = operations.post_comment(cast.get(who), draft, body, article=target, now=at)
        return result.comment.id


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def comment(app: Flask, comment_id: int) -> RegulationComment:
    with app.app_context():
        found = db.session.get(RegulationComment, comment_id)
        db.session.expunge(found)
        return found


def draft(app: Flask, draft_id: int) -> RegulationDraft:
    with app.app_context():
        found = db.session.get(RegulationDraft, draft_id)
        db.session.expunge(found)
        return found


@pytest.fixture()
def client_for(app: Flask, quick_login: Callable[..., Any]) -> Callable[[Any], Any]:
    """A fresh logged-in test client for a user (or anonymous for None)."""
    from tests.conftest import CsrfClient

    def make(user: Any = None) -> Any:
        app.test_client_class = CsrfClient
        c = app.test_client()
        if user is not None:
            quick_login(c, user)
        return c

    return make
