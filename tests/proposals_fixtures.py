"""Builders for proposals tests: the cast of users and proposals in each lifecycle phase,
made through the real operations with a frozen clock, each in its own unit of work (as a
request would: committed, then its side effects run)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from participate.boundary import unit
from participate.extensions import db
from participate.models import Proposal, User
from participate.proposals import operations
from participate.proposals.lifecycle import S

# Monday 2 March 2026, 10:00 in Taipei.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def freeze(app: Flask, when: datetime) -> datetime:
    app.config["FROZEN_NOW"] = when
    return when


def proposal_input(**kw: Any) -> operations.ProposalInput:
    data = {
        "title": "改善機車待轉區的設計",
        "summary": "待轉區設在車流中間，很危險。",
        "problem": "許多路口的待轉區設計不良。",
        "measures": ["訂定全國一致的待轉區設計準則", "檢討號誌時相", "公布事故熱點"],
        "benefits": "減少機車事故。",
        "evidence_links": ["https://example.tw/data"],
        "agency_ids": [],
    }
    data.update(kw)
    return operations.ProposalInput(**data)


@dataclass
class Cast:
    citizen: Any
    author: Any
    unverified: Any
    moderator: Any
    staff: Any
    other_staff: Any
    admin: Any
    agency: Any
    other_agency: Any

    def get(self, name: str) -> User:
        """The user re-loaded into the current session."""
        return db.session.get(User, getattr(self, name).id)


@pytest.fixture()
def cast(make_user: Any, make_agency: Any) -> Cast:
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    other = make_agency(slug="mohw", name_zh="衛生福利部", name_en="Ministry of Health")
    return Cast(
        citizen=make_user(name="市民甲"),
        author=make_user(name="提案人"),
        unverified=make_user(verified=False, name="未驗證"),
        moderator=make_user(role="moderator", name="審核員"),
        staff=make_user(role="agency_staff", agency=agency, name="交通部承辦"),
        other_staff=make_user(role="agency_staff", agency=other, name="衛福部承辦"),
        admin=make_user(role="admin", name="管理員"),
        agency=agency,
        other_agency=other,
    )


def make_draft(cast: Cast, now: datetime = T0, **kw: Any) -> Proposal:
    kw.setdefault("agency_ids", [cast.agency.id])
    with unit():
        return operations.create_proposal(
            cast.get("author"), proposal_input(**kw), submit=False, now=now
        )


def make_in_review(cast: Cast, now: datetime = T0, **kw: Any) -> Proposal:
    p = make_draft(cast, now, **kw)
    with unit():
        operations.submit_proposal(cast.get("author"), p, now)
    return p


def make_endorsing(cast: Cast, now: datetime = T0, **kw: Any) -> Proposal:
    p = make_in_review(cast, now, **kw)
    with unit():
        operations.accept_proposal(cast.get("moderator"), p, now)
    return p


def make_established(app: Flask, cast: Cast, now: datetime = T0, assign: bool = True) -> Proposal:
    """Threshold lowered to 2 for the test; two endorsements establish it."""
    app.config["ENDORSEMENT_THRESHOLD"] = 2
    p = make_endorsing(cast, now)
    with unit():
        operations.endorse(cast.get("citizen"), p.id, now + DAY)
    with unit():
        operations.endorse(cast.get("author"), p.id, now + DAY)
    db.session.refresh(p)
    assert p.status == S.ESTABLISHED
    if assign:
        with unit():
            operations.assign_agencies(cast.get("moderator"), p, [cast.agency.id], now + 2 * DAY)
    return p


def full_points(p: Proposal, decision: str = "adopted") -> list[operations.PointInput]:
    return [
        operations.PointInput(
            measure_id=m.id,
            decision=decision,
            reasoning=f"理由{m.position}",
            responsible_unit="公路局",
            follow_up_on=None,
        )
        for m in p.measures
    ]


def make_consultation(cast: Cast, now: datetime = T0, days: int | None = None) -> Proposal:
    data = operations.ConsultationInput(
        title="道路交通安全基本法草案公眾諮詢",
        summary="請提供意見。",
        background="交通事故死亡人數居高不下。",
        draft_text="第一條　為保障用路人生命安全，特制定本法。",
        questions=["應優先保護哪些用路人？", "權責分工是否清楚？"],
        links=[],
        closes_on=(now + timedelta(days=days)).date() if days else None,
    )
    with unit():
        return operations.open_consultation(cast.get("staff"), data, now)


@pytest.fixture()
def req(app: Flask) -> Any:
    """An app and request context (gettext needs one for the rule messages)."""
    with app.test_request_context():
        yield
        db.session.remove()
