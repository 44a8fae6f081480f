"""A small Chinese corpus for the search tests, written through the models in bulk, then
indexed the way bulk writers index theirs (``search.rebuild``); what operations change
afterwards reaches the index through their after-commit effects, as in production."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from participate.extensions import db
from participate.models import (
    AgencyResponse,
    ContentStatus,
    Discussion,
    Proposal,
    ProposalKind,
    ProposalMeasure,
    ProposalStatus,
    Statement,
)
from participate.search import rebuild

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class Corpus:
    ids: dict[str, int] = field(default_factory=dict)
    agencies: dict[str, int] = field(default_factory=dict)

    def key(self, name: str) -> tuple[str, int]:
        """``("proposal", 3)`` for a corpus name like ``P1``."""
        kind = {"P": "proposal", "C": "consultation", "S": "statement", "R": "response"}[name[0]]
        return (kind, self.ids[name])


def _proposal(name: str, corpus: Corpus, when: datetime, **kw: Any) -> Proposal:
    measures = kw.pop("measures", [])
    agencies = kw.pop("agencies", [])
    p = Proposal(created_at=when, updated_at=when, **kw)
    for i, text in enumerate(measures):
        p.measures.append(ProposalMeasure(position=i + 1, text=text))
    from participate.models import Agency

    for slug in agencies:
        p.responsible_agencies.append(db.session.get(Agency, corpus.agencies[slug]))
    db.session.add(p)
    db.session.flush()
    corpus.ids[name] = p.id
    return p


def _statements(p: Proposal, corpus: Corpus, items: list[tuple[str, str, bool]], when: datetime):
    d = Discussion(proposal_id=p.id)
    db.session.add(d)
    db.session.flush()
    for i, (name, text, visible) in enumerate(items):
        st = Statement(
            discussion_id=d.id,
            text=text,
            status=ContentStatus.VISIBLE if visible else ContentStatus.HIDDEN,
            created_at=when + timedelta(hours=i),
        )
        db.session.add(st)
        db.session.flush()
        corpus.ids[name] = st.id


def build_corpus(app: Flask, make_agency: Any) -> Corpus:
    corpus = Corpus()
    for slug, zh, en in (
        ("motc", "交通部", "Ministry of Transportation and Communications"),
        ("mohw", "衛生福利部", "Ministry of Health and Welfare"),
        ("moea", "經濟部", "Ministry of Economic Affairs"),
        ("moe", "教育部", "Ministry of Education"),
    ):
        corpus.agencies[slug] = make_agency(slug=slug, name_zh=zh, name_en=en).id
    S = ProposalStatus  # noqa: N806 - short alias keeps the corpus readable
    with app.app_context():
        p1 = _proposal(
            "P1",
            corpus,
            T0,
            title="臺北市機車待轉區改善",
            summary="台北市許多路口的待轉區設在車流中間，很危險。",
            problem="待轉區太小，尖峰時間擠不下。",
            measures=["訂定待轉區設計準則", "公布事故熱點"],
            status=S.ENDORSING,
            agencies=["motc"],
        )
        p2 = _proposal(
            "P2",
            corpus,
            T0 + timedelta(days=1),
            title="擴大長照2.0服務據點",
            summary="偏鄉長期照顧人力不足，建議增加日照中心。",
            status=S.ESTABLISHED,
            agencies=["mohw"],
        )
        _proposal(
            "C3",
            corpus,
            T0 + timedelta(days=2),
            kind=ProposalKind.CONSULTATION,
            title="電動機車補助辦法修正草案",
            summary="經濟部邀請民眾對電動機車補助提供意見。",
            draft_text="第三條　補助對象為購買電動機車之自然人。",
            status=S.OPEN,
            owner_agency_id=corpus.agencies["moea"],
        )
        _proposal(
            "P4",
            corpus,
            T0 + timedelta(days=3),
            title="台中捷運延伸到彰化",
            summary="審查中的提案不應被搜尋到。",
            status=S.IN_REVIEW,
        )
        p5 = _proposal(
            "P5",
            corpus,
            T0 + timedelta(days=4),
            title="校園午餐使用在地食材",
            summary="學校營養午餐應優先採用在地小農食材。",
            measures=["補助學校採購在地食材"],
            status=S.RESPONDED,
            agencies=["moe"],
        )
        _proposal(
            "P6",
            corpus,
            T0 + timedelta(days=5),
            title="AI 人工智慧應用於公共服務",
            summary="政府應導入ＡＩ客服，縮短民眾等待時間。",
            status=S.ENDORSING,
            agencies=["moea"],
        )
        _statements(
            p1,
            corpus,
            [
                ("S1", "待轉區應該移到路口內側", True),
                ("S2", "臺北的機車太多了，要發展大眾運輸", True),
                ("S3", "待轉區廣告 spam 連結", False),
                ("S7", "<script>alert(1)</script>待轉區標線要重畫", True),
            ],
            T0,
        )
        _statements(
            p2,
            corpus,
            [
                ("S4", "長照人員的薪資太低，留不住人", True),
                ("S5", "日照中心應該設在社區裡，方便家屬接送", True),
            ],
            T0 + timedelta(days=1),
        )
        r = AgencyResponse(
            proposal_id=p5.id,
            agency_id=corpus.agencies["moe"],
            overall="教育部將補助學校採購在地食材，並檢討營養午餐標準。",
            published_at=T0 + timedelta(days=10),
            created_at=T0 + timedelta(days=9),
            updated_at=T0 + timedelta(days=10),
        )
        db.session.add(r)
        draft = AgencyResponse(
            proposal_id=p2.id,
            agency_id=corpus.agencies["mohw"],
            overall="草稿：長照據點將於明年增加。",
        )
        db.session.add(draft)
        db.session.flush()
        corpus.ids["R5"] = r.id
        corpus.ids["R2draft"] = draft.id
        rebuild()
        db.session.commit()
    return corpus


@pytest.fixture(name="corpus")
def corpus_fixture(app: Flask, make_agency: Any) -> Corpus:
    return build_corpus(app, make_agency)
