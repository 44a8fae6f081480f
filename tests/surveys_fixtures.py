"""Builders for survey tests: a survey made through the real operations (each step in its
own unit of work, as a request would commit it), and many respondents with profiles."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from participate.boundary import unit
from participate.extensions import db
from participate.models import ParticipantProfile, Role, Survey, User
from participate.surveys import operations
from participate.timeutil import utcnow

DAY = timedelta(days=1)


def build_survey(
    staff: Any,
    anonymous: bool = True,
    open_it: bool = True,
    closes_at: datetime | None = None,
    questions: list[operations.QuestionInput] | None = None,
) -> Survey:
    """A survey by ``staff`` with a single choice (Q1: 捷運/公車/機車/開車), a Likert
    question (Q2), a question asked only of those who chose 機車 in Q1 (Q3, multiple
    choice), a ranking (Q4), a number (Q5, optional, 0..120) and a short text (Q6,
    optional)."""
    staff = db.session.get(User, staff.id)
    with unit():
        survey = operations.create_survey(
            staff,
            operations.SurveyInput(
                title="通勤方式調查",
                description="了解大家怎麼上班上學。",
                method="已驗證帳號每人一份；結果以年齡、性別與地區加權。",
                anonymous=anonymous,
                closes_at=closes_at or utcnow() + 10 * DAY,
            ),
        )
        sid = survey.id
    for q in questions if questions is not None else default_questions(sid):
        with unit():
            survey = db.session.get(Survey, sid)
            if isinstance(q, dict):  # skip logic on an earlier question, by position
                first = sorted(survey.questions, key=lambda x: x.position)[q["on"] - 1]
                q = operations.QuestionInput(**{**q["input"], "show_if_question_id": first.id})
            operations.add_question(db.session.get(User, staff.id), survey, q)
    if open_it:
        with unit():
            operations.open_survey(db.session.get(User, staff.id), db.session.get(Survey, sid))
    return db.session.get(Survey, sid)


def default_questions(_sid: int) -> list[Any]:
    return [
        operations.QuestionInput(
            "single", "你主要怎麼通勤？", options=["捷運", "公車", "機車", "開車"]
        ),
        operations.QuestionInput("likert", "應該擴大機車停車收費。"),
        {
            "on": 1,
            "input": {
                "kind": "multiple",
                "text": "騎機車的主要原因？",
                "options": ["方便", "便宜", "沒有大眾運輸"],
                "show_if_options": [2],
            },
        },
        operations.QuestionInput(
            "ranking", "請排序優先改善項目", options=["人行道", "公車班次", "停車"]
        ),
        operations.QuestionInput(
            "number", "每天通勤幾分鐘？", required=False, min_value=0, max_value=120
        ),
        operations.QuestionInput("text", "其他建議", required=False),
    ]


def questions_of(survey: Survey) -> list[Any]:
    return sorted(survey.questions, key=lambda q: q.position)


def crowd(n: int, profile: Any = None, prefix: str = "resp") -> list[int]:
    """``n`` verified citizens in bulk (no password); ``profile(i)`` gives each one's
    (age_band, sex, county) or None for no profile."""
    now = utcnow()
    tag = secrets.token_hex(3)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"{prefix}{i}-{tag}@example.tw",
                "display_name": f"填答者{i}",
                "role": Role.CITIZEN,
                "email_verified_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
                "email_digest": False,
                "session_version": 1,
            }
            for i in range(n)
        ],
    )
    ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"{prefix}%-{tag}@example.tw")).order_by(User.id)
        )
    )
    if profile is not None:
        rows = []
        for i, uid in enumerate(ids):
            p = profile(i)
            if p is None:
                continue
            rows.append(
                {
                    "user_id": uid,
                    "age_band": p[0],
                    "sex": p[1],
                    "county": p[2],
                    "indigenous": False,
                    "hakka": False,
                    "new_immigrant": False,
                    "consented_at": now,
                    "updated_at": now,
                }
            )
        if rows:
            db.session.execute(insert(ParticipantProfile), rows)
    db.session.commit()
    return ids


def answer_as(uid: int, survey_id: int, raw: dict[int, Any]) -> operations.ResponseResult:
    with unit():
        return operations.submit_response(
            db.session.get(User, uid), db.session.get(Survey, survey_id), raw
        )


T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture()
def req(app: Flask) -> Any:
    """An app and request context (gettext needs one for the rule messages)."""
    with app.test_request_context():
        yield
        db.session.remove()
