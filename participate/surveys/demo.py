"""Demo surveys for ``flask seed-demo`` (called from :func:`participate.cli.seed_all`).

Two surveys of the Ministry of Transportation: one open (nobody has answered yet), one
closed with about 500 synthetic respondents whose profiles lean young, male and urban, as
online participants do, and whose answers depend on age, so the weighted results visibly
differ from the unweighted ones. Idempotent: surveys are found by title, respondents by
their e-mail domain. Written in bulk (like the other demo seeders), not through the answer
operation, which refuses a closed survey.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from sqlalchemy import insert, select

from participate.extensions import db
from participate.models import (
    Agency,
    ParticipantProfile,
    QuestionKind,
    Role,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
    User,
)
from participate.participants import population as pop
from participate.surveys.operations import new_response_id
from participate.timeutil import taipei_today, utcnow

K = QuestionKind
RESPONDENTS = 500
DOMAIN = "respondent.demo.participate.tw"
OPEN_TITLE = "公共運輸使用習慣調查"
CLOSED_TITLE = "都市機車停車收費意向調查"
METHOD = (
    "對象：本平臺已驗證電子郵件的帳號，每人填答一次。期間：如頁面所示。"
    "結果：公布各選項人數與比例（95% 信賴區間），少於 5 人的數字不公布；"
    "另依內政部戶籍人口統計，以年齡層×性別與地區反覆比例加權（權數限制在平均的 0.2 至 5 倍），"
    "加權與未加權結果並列。線上填答者不是隨機樣本，加權只能校正基本資料問到的面向。"
)

# Online participants: young, male and urban (shares of the synthetic crowd).
AGE_SKEW = {"18-29": 0.37, "30-39": 0.27, "40-49": 0.15, "50-59": 0.10, "60-69": 0.07, "70+": 0.04}
URBAN_SKEW = 0.82
MALE_SHARE = 0.58
NO_PROFILE = 0.08
TEXTS = [
    "希望增加公車班次，尤其是晚上",
    "機車停車格太少，收費前應先增加車位",
    "捷運站周邊應該有更多機車停車位",
    "停車收費的收入應該用來改善人行道",
    "希望改善人行道，讓行人走得安全",
    "收費太貴會影響通勤族的生活",
    "偏鄉沒有大眾運輸，只能騎機車",
    "支持收費，但要有配套的大眾運輸",
    "公車誤點太嚴重，希望改善準點率",
    "希望有更多自行車道",
]


def _agency() -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.slug == "motc"))


def _staff() -> User | None:
    return db.session.scalar(select(User).where(User.email == "staff@demo.participate.tw"))


def _survey(title: str, status: SurveyStatus, anonymous: bool, questions: list[dict]) -> Survey:
    agency, staff = _agency(), _staff()
    now = utcnow()
    survey = Survey(
        title=title,
        description="交通部想了解民眾通勤方式與對機車停車收費的看法，作為政策規劃參考。",
        method=METHOD,
        status=status,
        anonymous=anonymous,
        owner_agency_id=agency.id if agency else None,
        created_by_id=staff.id if staff else None,
        opened_at=now - timedelta(days=40 if status == SurveyStatus.CLOSED else 2),
        closes_at=now + timedelta(days=28)
        if status == SurveyStatus.OPEN
        else now - timedelta(days=5),
        closed_at=now - timedelta(days=5) if status == SurveyStatus.CLOSED else None,
    )
    survey.sections.append(SurveySection(position=1, title="通勤方式", description=""))
    survey.sections.append(SurveySection(position=2, title="政策看法", description=""))
    db.session.add(survey)
    db.session.flush()
    made: list[SurveyQuestion] = []
    for position, q in enumerate(questions, start=1):
        cond = q.pop("show_if", None)
        question = SurveyQuestion(
            survey_id=survey.id,
            section_id=survey.sections[q.pop("section", 1) - 1].id,
            position=position,
            show_if_question_id=made[cond[0] - 1].id if cond else None,
            show_if_options=cond[1] if cond else None,
            **q,
        )
        db.session.add(question)
        db.session.flush()
        made.append(question)
    db.session.refresh(survey)
    return survey


def _questions() -> list[dict]:
    return [
        {
            "kind": K.SINGLE,
            "text": "你平常主要的通勤方式？",
            "options": ["捷運或火車", "公車", "機車", "汽車", "步行或自行車"],
            "required": True,
        },
        {
            "kind": K.NUMBER,
            "text": "單程通勤大約幾分鐘？",
            "required": False,
            "min_value": 0,
            "max_value": 240,
        },
        {
            "kind": K.SINGLE,
            "text": "你贊成在都市地區擴大機車停車收費嗎？",
            "options": ["贊成", "反對", "沒有意見"],
            "required": True,
            "section": 2,
        },
        {
            "kind": K.MULTIPLE,
            "text": "你反對的主要原因？（可複選）",
            "options": ["增加通勤負擔", "停車位不足", "大眾運輸不夠方便"],
            "required": True,
            "section": 2,
            "show_if": (3, [1]),
        },
        {
            "kind": K.LIKERT,
            "text": "停車收費的收入應專款用於改善人行道與公車。",
            "required": True,
            "section": 2,
        },
        {
            "kind": K.RANKING,
            "text": "請排序你最希望優先改善的項目",
            "options": ["人行道", "公車班次", "機車停車位"],
            "required": True,
            "section": 2,
        },
        {"kind": K.TEXT, "text": "其他建議", "required": False, "section": 2},
    ]


def _respondents(rng: np.random.Generator) -> list[int]:
    """The synthetic crowd, with skewed profiles (created once)."""
    have = list(
        db.session.scalars(select(User.id).where(User.email.like(f"%@{DOMAIN}")).order_by(User.id))
    )
    if len(have) >= RESPONDENTS:
        return have[:RESPONDENTS]
    now = utcnow()
    db.session.execute(
        insert(User),
        [
            {
                "email": f"r{i}-{secrets.token_hex(2)}@{DOMAIN}",
                "display_name": f"填答者{i}",
                "role": Role.CITIZEN,
                "email_verified_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
                "email_digest": False,
                "session_version": 1,
            }
            for i in range(len(have), RESPONDENTS)
        ],
    )
    ids = list(
        db.session.scalars(select(User.id).where(User.email.like(f"%@{DOMAIN}")).order_by(User.id))
    )
    bands, band_p = list(AGE_SKEW), np.array(list(AGE_SKEW.values()))
    urban = list(pop.URBAN[:5])
    rural = [c for c in pop.COUNTIES if c not in pop.URBAN]
    rows = []
    for uid in ids:
        if rng.random() < NO_PROFILE:
            continue
        county = rng.choice(urban) if rng.random() < URBAN_SKEW else rng.choice(rural)
        rows.append(
            {
                "user_id": uid,
                "age_band": str(rng.choice(bands, p=band_p / band_p.sum())),
                "sex": "male" if rng.random() < MALE_SHARE else "female",
                "county": str(county),
                "indigenous": bool(rng.random() < 0.02),
                "hakka": bool(rng.random() < 0.12),
                "new_immigrant": bool(rng.random() < 0.02),
                "consented_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(ParticipantProfile), rows)
    return ids


def _answer(
    rng: np.random.Generator, qs: list[SurveyQuestion], age: str | None
) -> dict[int, object]:
    """Answers that depend on age: the young support the fee more, older people less."""
    older = {"18-29": 0, "30-39": 1, "40-49": 2, "50-59": 3, "60-69": 4, "70+": 5}.get(age or "", 2)
    modes = [0.32, 0.18, 0.30, 0.12, 0.08] if older < 2 else [0.12, 0.22, 0.36, 0.24, 0.06]
    mode = int(rng.choice(5, p=modes))
    support = max(0.08, 0.62 - 0.11 * older)
    against = min(0.85, 0.26 + 0.12 * older)
    probs = np.array([support, against, max(0.02, 1 - support - against)])
    view = int(rng.choice(3, p=probs / probs.sum()))
    answers: dict[int, object] = {qs[0].id: mode, qs[2].id: view}
    if rng.random() < 0.85:
        answers[qs[1].id] = int(rng.integers(10, 70))
    if view == 1:
        picks = sorted({int(x) for x in rng.choice(3, size=int(rng.integers(1, 3)), replace=False)})
        answers[qs[3].id] = picks
    answers[qs[4].id] = int(min(4, max(0, round(rng.normal(2.1 + 0.3 * older, 1.15)))))
    order = [0, 1, 2] if older >= 3 else [1, 2, 0] if mode == 2 else [1, 0, 2]
    answers[qs[5].id] = order
    if rng.random() < 0.4:
        answers[qs[6].id] = TEXTS[int(rng.integers(0, len(TEXTS)))]
    return answers


def seed_demo(echo: Callable[[str], None] = print) -> None:
    if _agency() is None:
        return
    if db.session.scalar(select(Survey.id).where(Survey.title == OPEN_TITLE)) is None:
        _survey(OPEN_TITLE, SurveyStatus.OPEN, False, _questions())
        echo(f"Demo survey (open): {OPEN_TITLE}")
    if db.session.scalar(select(Survey.id).where(Survey.title == CLOSED_TITLE)) is not None:
        return
    rng = np.random.default_rng(17)
    survey = _survey(CLOSED_TITLE, SurveyStatus.CLOSED, True, _questions())
    qs = sorted(survey.questions, key=lambda q: q.position)
    ids = _respondents(rng)
    profiles = {
        p.user_id: p
        for p in db.session.scalars(
            select(ParticipantProfile).where(ParticipantProfile.user_id.in_(ids))
        )
    }
    day = taipei_today(survey.closed_at)
    participations, responses, answers = [], [], []
    taken = set(db.session.scalars(select(SurveyResponse.id)))
    for uid in ids:
        p = profiles.get(uid)
        rid = new_response_id()
        while rid in taken:
            rid = new_response_id()
        taken.add(rid)
        participations.append(
            {"survey_id": survey.id, "user_id": uid, "created_at": survey.opened_at}
        )
        responses.append(
            {
                "id": rid,
                "survey_id": survey.id,
                "user_id": None,
                "submitted_on": day,
                "age_band": p.age_band if p else None,
                "sex": p.sex if p else None,
                "county": p.county if p else None,
                "groups": ",".join(p.groups) if p else "",
            }
        )
        for qid, value in _answer(rng, qs, p.age_band if p else None).items():
            text = value if isinstance(value, str) else None
            answers.append(
                {
                    "response_id": rid,
                    "question_id": qid,
                    "value": None if text else value,
                    "text": text,
                }
            )
    db.session.execute(insert(SurveyParticipation), participations)
    db.session.execute(insert(SurveyResponse), responses)
    db.session.execute(insert(SurveyAnswer), answers)
    db.session.flush()
    echo(f"Demo survey (closed): {CLOSED_TITLE}, {len(responses)} synthetic respondents")
