# ruff: noqa: E501 - demo prose in Chinese reads better unwrapped
"""Personal-data export, account deletion and the demo data of the proposals area.

Demo data is honest: every ``endorsement_count`` equals the number of ``Endorsement`` rows.
The established examples need 5,000 endorsements at the default threshold, so the seeder
bulk-inserts 5,000 synthetic demo citizens (no password: they cannot log in) once, and
their endorsements with plain multi-row INSERTs; that stays well under ten seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select

from participate.extensions import db
from participate.models import (
    Agency,
    AgencyResponse,
    Decision,
    Endorsement,
    Follow,
    Notification,
    Proposal,
    ProposalKind,
    ProposalMeasure,
    ProposalStatus,
    RejectionReason,
    ResponseExtension,
    ResponsePoint,
    Role,
    User,
)
from participate.moderation.queue import open_proposal_review
from participate.timeutil import add_working_days, deadline_after, taipei_today, utcnow

S = ProposalStatus


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_personal_data(user: User) -> tuple[str, Any]:
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id)
    ).all()
    endorsements = db.session.execute(
        select(Endorsement.proposal_id, Proposal.title, Endorsement.created_at)
        .join(Proposal, Proposal.id == Endorsement.proposal_id)
        .where(Endorsement.user_id == user.id)
        .order_by(Endorsement.id)
    ).all()
    follows = db.session.execute(
        select(Follow.proposal_id, Proposal.title, Follow.created_at)
        .join(Proposal, Proposal.id == Follow.proposal_id)
        .where(Follow.user_id == user.id)
        .order_by(Follow.id)
    ).all()
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    return "proposals", {
        "proposals": [
            {
                "id": p.id,
                "kind": p.kind.value,
                "status": p.status.value,
                "title": p.title,
                "summary": p.summary,
                "problem": p.problem,
                "measures": [m.text for m in p.measures],
                "benefits": p.benefits,
                "evidence_links": p.evidence_links,
                "created_at": _iso(p.created_at),
            }
            for p in proposals
        ],
        "endorsements": [
            {"proposal_id": pid, "title": title, "at": _iso(at)} for pid, title, at in endorsements
        ],
        "follows": [
            {"proposal_id": pid, "title": title, "since": _iso(at)} for pid, title, at in follows
        ],
        "notifications": [
            {"kind": n.kind.value, "proposal_id": n.proposal_id, "at": _iso(n.created_at)}
            for n in notifications
        ],
    }


def on_account_deletion(user: User) -> None:
    """Follows and notifications are personal and go; endorsements stay (the public count
    must not change) but point to the erased account; proposals stay as "deleted user"."""
    db.session.execute(delete(Follow).where(Follow.user_id == user.id))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))


# --------------------------------------------------------------------------- demo data

SYNTHETIC = 5000
SYNTHETIC_DOMAIN = "endorser.demo.participate.tw"


def _synthetic_citizens(echo: Callable[[str], None], wanted: int) -> list[int]:
    """Verified demo citizens without passwords (5,000 by default), created once in bulk."""
    target = max(SYNTHETIC, wanted)
    have = db.session.scalar(
        select(func.count()).select_from(User).where(User.email.like(f"%@{SYNTHETIC_DOMAIN}"))
    )
    if (have or 0) < target:
        existing = set(
            db.session.scalars(select(User.email).where(User.email.like(f"%@{SYNTHETIC_DOMAIN}")))
        )
        now = utcnow()
        rows = [
            {
                "email": f"citizen{i:05d}@{SYNTHETIC_DOMAIN}",
                "display_name": f"附議市民{i:05d}",
                "password_hash": None,
                "role": Role.CITIZEN,
                "email_verified_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
                "email_digest": True,
                "session_version": 1,
            }
            for i in range(1, target + 1)
            if f"citizen{i:05d}@{SYNTHETIC_DOMAIN}" not in existing
        ]
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(User), rows[start : start + 1000])
        echo(f"  {len(rows)} synthetic demo citizens created (no password, cannot log in)")
    return list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"%@{SYNTHETIC_DOMAIN}")).order_by(User.id)
        )
    )


def _endorse_bulk(proposal: Proposal, user_ids: list[int], at: datetime) -> None:
    """One INSERT ... SELECT per proposal: the database copies the rows itself."""
    if user_ids:
        first, last = user_ids[0], user_ids[-1]
        db.session.execute(
            insert(Endorsement).from_select(
                ["proposal_id", "user_id", "created_at"],
                select(
                    literal(proposal.id),
                    User.id,
                    literal(at, type_=Endorsement.__table__.c.created_at.type),
                ).where(
                    User.email.like(f"%@{SYNTHETIC_DOMAIN}"), User.id >= first, User.id <= last
                ),
            )
        )
    proposal.endorsement_count = len(user_ids)


DEMO: list[dict[str, Any]] = [
    {
        "key": "機車",
        "title": "機車族也是用路人：全面檢討機車兩段式左轉與機車道設計",
        "summary": "許多路口的機車待轉區設在車流中間，機車族一天要冒險好幾次。建議以路口安全為優先，全面檢討兩段式左轉規定與機車道設計。",
        "problem": "臺灣登記的機車超過一千四百萬輛，機車事故死傷占交通事故的六成以上。"
        "不少路口強制兩段式左轉，但待轉區畫在快慢車道之間，直行車貼著待轉區呼嘯而過；"
        "部分路段的機慢車道寬度不足一公尺，還被路邊停車和公車站擠壓。\n\n"
        "各縣市規定不一，同一條省道跨越兩個縣市，左轉方式就可能不同，用路人無所適從。",
        "measures": [
            "由交通部訂定全國一致的機車左轉設計準則，取消不必要的強制兩段式左轉路口。",
            "機慢車道寬度至少 1.5 公尺，並與路邊停車格以實體標線分隔。",
            "待轉區改設於路口行人穿越道前方之安全位置，並檢討號誌時相。",
            "每年公布各縣市機車事故熱點與改善進度。",
        ],
        "benefits": "降低機車事故死傷，讓道路設計回到以人為本，也減少各縣市規定不一造成的違規與罰單爭議。",
        "links": ["https://roadsafety.tw/"],
        "agencies": ["motc"],
    },
    {
        "key": "長照",
        "title": "長照 2.0 居家服務員薪資與職涯制度化，留住照顧人力",
        "summary": "長照需求快速增加，但居家服務員流動率高。建議建立年資加給與職涯階梯，讓照顧工作成為可以做一輩子的專業。",
        "problem": "臺灣已進入超高齡社會，長照服務使用人數逐年成長。居家服務員多以論件計酬，"
        "交通時間不計薪，跑一天案子實際時薪偏低；年資不被承認，換一家單位就從頭算起。"
        "許多受過訓練的照顧服務員做不到兩年就離開。",
        "measures": [
            "居家服務員交通時間納入計薪，並訂定最低月薪保障。",
            "建立跨單位承認的年資與職級制度，依職級調整給付。",
            "補助照顧服務員進修與督導培訓，開放晉升為個案管理師之路徑。",
        ],
        "benefits": "穩定照顧人力，讓長輩由熟悉的照顧者持續服務，也減少家屬因照顧離職。",
        "links": ["https://1966.gov.tw/"],
        "agencies": ["mohw"],
    },
    {
        "key": "票價",
        "title": "推動全國公共運輸定期票，通勤族跨縣市也能一票到底",
        "summary": "北北基桃已有 1200 公共運輸定期票，但跨生活圈通勤的人仍要分開買票。建議由中央整合，推出全國通用的公共運輸月票。",
        "problem": "許多人住在一個縣市、工作在另一個縣市，每天搭乘臺鐵、客運和市區公車。"
        "各生活圈月票互不通用，通勤成本高，也讓人寧可騎車或開車。",
        "measures": [
            "中央補助各生活圈定期票互通，跨區使用只需加價。",
            "整合電子票證與行動支付，以月結方式自動封頂收費。",
            "公開各路線載客量與補助成效，每年檢討票價。",
        ],
        "benefits": "降低通勤支出、減少私人運具使用與碳排放，也讓偏鄉居民更容易使用公共運輸。",
        "links": [],
        "agencies": ["motc"],
    },
    {
        "key": "數位身分",
        "title": "數位身分證明應以隱私為先，並保留不使用數位憑證的選擇",
        "summary": "數位憑證皮夾上路後，建議在法律中明訂最小揭露原則、資料不集中儲存，並保證不用手機的民眾一樣能辦理業務。",
        "problem": "數位身分證明可以讓民眾少跑機關，但若設計不當，可能讓個人行蹤被串連分析，"
        "也可能讓沒有智慧型手機的長輩被排除在外。",
        "measures": [
            "以法律明定選擇性揭露：只出示必要欄位，例如「已滿 18 歲」而非生日。",
            "驗證紀錄不得集中儲存，並定期接受第三方資安與隱私稽核。",
            "任何服務不得以數位憑證為唯一辦理方式。",
            "開源錢包與驗證程式碼，接受公眾檢視。",
        ],
        "benefits": "兼顧便利與隱私，建立民眾對數位政府的信任。",
        "links": ["https://moda.gov.tw/"],
        "agencies": ["moda"],
    },
    {
        "key": "塑膠",
        "title": "外送與手搖飲全面推動循環杯，訂定一次性塑膠減量時程",
        "summary": "外送與手搖飲每年產生大量一次性杯具。建議訂出分階段減量時程，並補助循環容器的租借與清洗系統。",
        "problem": "一次性飲料杯與外送餐盒回收率低，混雜食物殘渣後多半只能焚化。"
        "部分縣市試辦循環杯效果不錯，但沒有全國一致的規範，業者也擔心成本。",
        "measures": [
            "訂定一次性飲料杯分階段減量目標，2030 年前減半。",
            "補助跨品牌循環杯租借站與清洗中心。",
            "外送平台預設「不需要餐具」，並提供循環容器選項。",
        ],
        "benefits": "減少垃圾與塑膠污染，帶動在地清洗與物流的綠色工作機會。",
        "links": ["https://www.moenv.gov.tw/"],
        "agencies": ["moenv"],
    },
]

EXTRA: list[dict[str, Any]] = [
    {
        "key": "校園午餐",
        "title": "校園午餐使用在地食材，補助國產可追溯標章",
        "summary": "建議提高學校午餐在地食材比例，並補助使用有產銷履歷的國產食材。",
        "problem": "部分學校午餐經費有限，只能選擇價格較低的進口食材，家長難以知道孩子吃的食物從哪裡來。",
        "measures": ["提高午餐食材補助，優先使用在地可追溯食材。", "公開每校每月食材來源。"],
        "benefits": "讓孩子吃得安心，同時支持在地農民。",
        "agencies": ["moe"],
    },
    {
        "key": "騎樓",
        "title": "騎樓整平，讓輪椅和嬰兒車走得過去",
        "summary": "騎樓高低不平又被占用，行動不便者只能走到車道上。建議中央補助各縣市騎樓整平。",
        "problem": "許多市區騎樓高低落差大，加上機車停放與攤商占用，輪椅與嬰兒車無法通行。",
        "measures": ["補助騎樓整平工程。", "訂定騎樓淨空的執法準則。"],
        "benefits": "提升步行安全與無障礙環境。",
        "agencies": ["moi"],
    },
]


def _ensure(
    spec: dict[str, Any],
    agencies: dict[str, Agency],
    author: User,
    status: ProposalStatus,
    created: datetime,
) -> tuple[Proposal, bool]:
    """Find the demo proposal by title or create it with its measures."""
    found = db.session.scalar(select(Proposal).where(Proposal.title == spec["title"]))
    if found is not None:
        return found, False
    p = Proposal(
        kind=ProposalKind.PROPOSAL,
        status=status,
        title=spec["title"],
        summary=spec["summary"],
        problem=spec["problem"],
        benefits=spec["benefits"],
        evidence_links=list(spec.get("links", [])),
        author_id=author.id,
        created_at=created,
    )
    p.measures = [ProposalMeasure(position=i + 1, text=t) for i, t in enumerate(spec["measures"])]
    p.proposed_agencies = [agencies[s] for s in spec["agencies"] if s in agencies]
    db.session.add(p)
    db.session.flush()
    db.session.add(Follow(proposal_id=p.id, user_id=author.id, created_at=created))
    return p, True


def _opened(p: Proposal, at: datetime) -> None:
    p.submitted_at = at - timedelta(days=3)
    p.review_due_at = add_working_days(p.submitted_at, 5)
    p.reviewed_at = at
    p.opened_at = at
    p.deadline = deadline_after(at, current_app.config["ENDORSEMENT_DAYS"])


def _assigned(p: Proposal, agencies: list[Agency], at: datetime) -> None:
    p.responsible_agencies = agencies
    p.response_started_at = at
    p.response_due_at = deadline_after(at, current_app.config["RESPONSE_DAYS"])


def _discussion(p: Proposal) -> None:
    from participate.models.discussion import get_or_create_discussion

    get_or_create_discussion(p)


def seed_demo(echo: Callable[[str], None]) -> None:
    """Proposals and consultations in every state, idempotent (looked up by title)."""
    from participate.demo import get_or_create_user

    now = utcnow()
    day = timedelta(days=1)
    agencies = {a.slug: a for a in db.session.scalars(select(Agency))}
    if not agencies:
        return
    citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.participate.tw"))
    moderator = db.session.scalar(select(User).where(User.email == "moderator@demo.participate.tw"))
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.participate.tw"))
    if citizen is None or moderator is None:
        return
    author2 = get_or_create_user("author2@demo.participate.tw", "關心交通的阿哲", Role.CITIZEN)
    threshold = current_app.config["ENDORSEMENT_THRESHOLD"]
    crowd = _synthetic_citizens(echo, threshold)

    def below(n: int) -> int:  # an open or lapsed proposal stays under the threshold
        return max(0, min(n, threshold - 1))

    made = 0
    motc, mohw, moda, moenv = (agencies.get(s) for s in ("motc", "mohw", "moda", "moenv"))

    # 1. Established with a published point-by-point response (交通部, 機車).
    p, new = _ensure(DEMO[0], agencies, author2, S.RESPONDED, now - 105 * day)
    if new:
        _opened(p, now - 100 * day)
        _endorse_bulk(p, crowd[:threshold], now - 55 * day)
        p.established_at = now - 55 * day
        _assigned(p, [motc], now - 52 * day)  # answered within the 60 days
        p.responded_at = now - 1 * day
        r = AgencyResponse(
            proposal_id=p.id,
            agency_id=motc.id,
            author_id=staff.id if staff else None,
            overall="感謝提案人與五千多位附議者的意見。機車安全是本部道路安全政策的首要工作，"
            "我們已邀集各縣市政府與專家學者召開兩次研商會議，結論如下，並將持續公開辦理進度。",
            published_at=now - 1 * day,
        )
        answers = [
            (
                Decision.ADOPTED,
                "本部將於明年六月前修訂「交通工程規範」，訂定全國一致的機車左轉設計原則，"
                "並請各縣市檢討現行強制兩段式左轉路口。",
                "公路局",
                taipei_today(now) + timedelta(days=200),
            ),
            (
                Decision.PARTLY,
                "新闢及拓寬道路將以 1.5 公尺為原則；既有道路受限路幅，改以逐年改善計畫辦理。",
                "公路局",
                None,
            ),
            (
                Decision.UNDER_STUDY,
                "待轉區位置涉及號誌時相與路口幾何，將委託研究並選定十處路口試辦。",
                "運輸研究所",
                taipei_today(now) + timedelta(days=365),
            ),
            (
                Decision.ADOPTED,
                "自明年起每年三月公布各縣市機車事故熱點與改善進度。",
                "道安會報",
                None,
            ),
        ]
        r.points = [
            ResponsePoint(
                measure_id=m.id, decision=d, reasoning=t, responsible_unit=u, follow_up_on=f
            )
            for m, (d, t, u, f) in zip(p.measures, answers, strict=True)
        ]
        db.session.add(r)
        _discussion(p)
        made += 1

    # 2. Established, clock running and overdue (衛福部, 長照).
    p, new = _ensure(DEMO[1], agencies, citizen, S.ESTABLISHED, now - 150 * day)
    if new:
        _opened(p, now - 145 * day)
        _endorse_bulk(p, crowd[:threshold], now - 100 * day)
        p.established_at = now - 100 * day
        _assigned(p, [mohw], now - 72 * day)  # due 60 days later: overdue by about 12 days
        _discussion(p)
        made += 1

    # 3. Established, clock extended once (交通部, 票價).
    p, new = _ensure(DEMO[2], agencies, author2, S.ESTABLISHED, now - 110 * day)
    if new:
        _opened(p, now - 105 * day)
        _endorse_bulk(p, crowd[:threshold], now - 70 * day)
        p.established_at = now - 70 * day
        _assigned(p, [motc], now - 65 * day)
        previous = p.response_due_at
        p.response_due_at = deadline_after(now, 45)
        db.session.add(
            ResponseExtension(
                proposal_id=p.id,
                agency_id=motc.id,
                actor_id=staff.id if staff else None,
                reason="本案涉及各縣市政府票價補助分攤，需與地方政府完成協商並估算中央補助經費，"
                "故延長回應期限。",
                previous_due_at=previous,
                new_due_at=p.response_due_at,
                created_at=now - 6 * day,
            )
        )
        _discussion(p)
        made += 1

    # 4. Established, awaiting agency assignment (數位發展部, 數位身分).
    p, new = _ensure(DEMO[3], agencies, citizen, S.ESTABLISHED, now - 50 * day)
    if new:
        _opened(p, now - 45 * day)
        _endorse_bulk(p, crowd[:threshold], now - 2 * day)
        p.established_at = now - 2 * day
        _discussion(p)
        made += 1

    # 5. Endorsing (環境部, 塑膠) with a few hundred endorsements.
    p, new = _ensure(DEMO[4], agencies, citizen, S.ENDORSING, now - 20 * day)
    if new:
        _opened(p, now - 18 * day)
        _endorse_bulk(p, crowd[: below(327)], now - 5 * day)
        _discussion(p)
        made += 1

    # 6. Endorsing, closing in two days.
    p, new = _ensure(EXTRA[1], agencies, author2, S.ENDORSING, now - 62 * day)
    if new:
        _opened(p, now - 58 * day)
        _endorse_bulk(p, crowd[: below(1284)], now - 30 * day)
        _discussion(p)
        made += 1

    # 7. Lapsed.
    lapsed = {
        **EXTRA[0],
        "title": "國中小營養午餐全面改用國產有機食材",
        "summary": "建議國中小營養午餐全面改用國產有機食材。",
    }
    p, new = _ensure(lapsed, agencies, citizen, S.LAPSED, now - 120 * day)
    if new:
        _opened(p, now - 100 * day)
        _endorse_bulk(p, crowd[: below(812)], now - 60 * day)
        p.ended_at = p.deadline
        _discussion(p)
        made += 1

    # 8-11. Review states: in review, changes requested, rejected, draft.
    p, new = _ensure(EXTRA[0], agencies, citizen, S.IN_REVIEW, now - 2 * day)
    if new:
        p.submitted_at = now - 2 * day
        p.review_due_at = add_working_days(p.submitted_at, 5)
        db.session.flush()
        open_proposal_review(p, now)  # reviewed in the moderation queue, like any submission
        made += 1
    changes = {
        "title": "高中生上學通勤補助",
        "summary": "補助高中生通勤。",
        "problem": "通勤很貴。",
        "measures": ["補助通勤。"],
        "benefits": "省錢。",
        "agencies": ["moe"],
    }
    p, new = _ensure(changes, agencies, author2, S.CHANGES_REQUESTED, now - 6 * day)
    if new:
        p.submitted_at = now - 6 * day
        p.review_due_at = add_working_days(p.submitted_at, 5)
        p.reviewed_at = now - 4 * day
        p.reviewer_id = moderator.id
        p.review_message = "請補充問題的具體情況（例如哪些地區、通勤距離與費用），"
        "並說明建議的補助方式與對象，以便附議者了解提案內容。"
        made += 1
    rejected = {
        "title": "請政府幫我家巷口的店家降價",
        "summary": "巷口早餐店太貴了。",
        "problem": "早餐店漲價。",
        "measures": ["要求店家降價。"],
        "benefits": "早餐便宜。",
        "agencies": [],
    }
    p, new = _ensure(rejected, agencies, author2, S.REJECTED, now - 12 * day)
    if new:
        p.submitted_at = now - 12 * day
        p.reviewed_at = now - 10 * day
        p.reviewer_id = moderator.id
        p.rejection_reason = RejectionReason.UNCLEAR
        p.review_message = "本提案屬個別店家之商業行為，非公共政策議題。"
        made += 1
    draft = {
        "title": "社區公園增設共融遊具（草稿）",
        "summary": "草稿：希望社區公園有適合各種孩子的遊具。",
        "problem": "尚未完成。",
        "measures": ["增設共融遊具。"],
        "benefits": "尚未完成。",
        "agencies": ["moi"],
    }
    _p, new = _ensure(draft, agencies, citizen, S.DRAFT, now - 1 * day)
    made += int(new)

    # Consultations: open, closed awaiting the conclusion, and concluded.
    consultations = [
        (
            motc,
            "「道路交通安全基本法」草案公眾諮詢",
            "為落實「以人為本」的交通安全政策，本部擬具道路交通安全基本法草案，請大家提供意見。",
            "近十年交通事故死亡人數居高不下，行人與高齡者傷亡比例上升。",
            "第一條　為保障用路人生命安全，建立以人為本之道路交通安全體系，特制定本法。\n"
            "第二條　本法所稱主管機關：在中央為交通部；在直轄市為直轄市政府；在縣（市）為縣（市）政府。",
            ["您認為草案應優先保護哪些用路人？", "中央與地方的權責分工是否清楚？"],
            S.OPEN,
            now - 10 * day,
            deadline_after(now, 35),
        ),
        (
            moenv,
            "一次用飲料杯源頭減量措施（草案）意見徵集",
            "本部研擬一次用飲料杯減量措施，包括自備杯優惠與循環杯推廣，邀請各界提供意見。",
            "全國每年使用約 15 億個一次用飲料杯。",
            "一、連鎖飲料店應提供自備杯至少新臺幣五元優惠。\n二、大型活動場所應提供循環杯租借服務。",
            [
                "自備杯優惠金額是否合適？",
                "循環杯推動應從哪些場所開始？",
                "對小型店家應有哪些配套？",
            ],
            S.CLOSED,
            now - 70 * day,
            now - 9 * day,
        ),
    ]
    for (
        agency,
        title,
        summary,
        background,
        text,
        questions,
        status,
        opened,
        deadline,
    ) in consultations:
        if agency is None or db.session.scalar(select(Proposal.id).where(Proposal.title == title)):
            continue
        c = Proposal(
            kind=ProposalKind.CONSULTATION,
            status=status,
            title=title,
            summary=summary,
            problem=background,
            draft_text=text,
            author_id=staff.id if staff else None,
            owner_agency_id=agency.id,
            created_at=opened,
            opened_at=opened,
            deadline=deadline,
        )
        c.measures = [ProposalMeasure(position=i + 1, text=q) for i, q in enumerate(questions)]
        c.responsible_agencies = [agency]
        if status == S.CLOSED:
            c.ended_at = deadline
        db.session.add(c)
        db.session.flush()
        _discussion(c)
        made += 1
    if moda is not None and not db.session.scalar(
        select(Proposal.id).where(Proposal.title == "數位中介服務透明度報告格式徵詢")
    ):
        c = Proposal(
            kind=ProposalKind.CONSULTATION,
            status=S.RESPONDED,
            title="數位中介服務透明度報告格式徵詢",
            summary="本部研擬大型平台透明度報告的統一格式，徵詢公眾意見，已完成結論回應。",
            problem="各平台發布的透明度報告格式不一，難以比較。",
            draft_text="透明度報告應包含：內容下架數量、申訴處理時間、政府請求數量。",
            owner_agency_id=moda.id,
            created_at=now - 120 * day,
            opened_at=now - 120 * day,
            deadline=now - 60 * day,
            ended_at=now - 60 * day,
            responded_at=now - 20 * day,
        )
        c.measures = [
            ProposalMeasure(position=1, text="報告應多久發布一次？"),
            ProposalMeasure(position=2, text="哪些數據最需要公開？"),
        ]
        c.responsible_agencies = [moda]
        db.session.add(c)
        db.session.flush()
        r = AgencyResponse(
            proposal_id=c.id,
            agency_id=moda.id,
            overall="感謝各界提供的 312 則意見與 4,100 次表態，本部彙整結論如下。",
            published_at=now - 20 * day,
        )
        r.points = [
            ResponsePoint(
                measure_id=c.measures[0].id,
                decision=Decision.ADOPTED,
                reasoning="多數意見支持每半年發布一次，本部採納。",
                responsible_unit="數位產業署",
            ),
            ResponsePoint(
                measure_id=c.measures[1].id,
                decision=Decision.PARTLY,
                reasoning="申訴處理時間與政府請求數量將列為必要項目；演算法細節涉及營業秘密，另案研議。",
                responsible_unit="數位產業署",
                follow_up_on=taipei_today(now) + timedelta(days=180),
            ),
        ]
        db.session.add(r)
        _discussion(c)
        made += 1
    db.session.flush()  # the caller's unit of work commits (``flask seed-demo``: seed_all)
    echo(f"proposals: {made} demo proposals and consultations added")
