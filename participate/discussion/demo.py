"""Demo discussions for ``make run``: four conversations with statements, seed statements,
threaded replies and a few thousand votes by synthetic participants.

Why synthetic votes with a planted structure: the opinion report (PCA, groups, consensus)
is the point of the platform, and it only shows something on data that has opinion groups.
Each discussion has two or three latent groups of participants; every statement carries a
stance per group ("+" agree, "-" disagree, "0" split) written with the statement, so the
consensus statements really are agreed across groups and the divisive ones split them.
Participants vote on 40-90 % of the statements, pass sometimes, change a few votes, and
5 % of votes are noise. A fixed seed makes the demo identical on every machine.

Idempotent: synthetic participants are found by display name (``參與者0001`` ...), a
discussion counts as seeded when its first seed statement exists. It writes and flushes
only: ``participate.cli.seed_all`` commits the whole demo once. Votes, history and
statements are bulk inserts (Core ``insert()`` with lists of dicts) with the statement
counters computed from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from participate.extensions import db
from participate.models import (
    Proposal,
    Reply,
    Role,
    Statement,
    User,
    Vote,
    VoteHistory,
)
from participate.models.discussion import PATH_WIDTH, get_or_create_discussion
from participate.text import render_reply
from participate.timeutil import aware, utcnow

SEED = 20260415
PARTICIPANTS = 240
PARTICIPANT_PREFIX = "參與者"
NOISE = 0.05
CHANGE_RATE = 0.03
# (agree, disagree, pass) probabilities for a participant whose group has this stance.
STANCE_PROBS = {
    "+": (0.78, 0.10, 0.12),
    "-": (0.10, 0.78, 0.12),
    "0": (0.36, 0.30, 0.34),
}


@dataclass(frozen=True)
class DemoDiscussion:
    """One demo conversation. ``statements`` are ``(text, stance per group)``; ``replies``
    are ``(statement index, parent reply index or None, body)``, indices into the
    statements list (seeds first) and into ``replies``."""

    title: str
    seed_author_email: str
    groups: tuple[float, ...]
    seeds: Sequence[tuple[str, str]]
    statements: Sequence[tuple[str, str]]
    replies: Sequence[tuple[int, int | None, str]] = field(default_factory=tuple)
    share: float = 0.8  # of the participant pool taking part

    @property
    def all_statements(self) -> list[tuple[str, str]]:
        return [*self.seeds, *self.statements]


STAFF_MOTC = "staff@demo.participate.tw"
STAFF_MOHW = "staff-mohw@demo.participate.tw"
MODERATOR = "moderator@demo.participate.tw"

# Groups: 行人安全優先 / 機車通勤族 / 開車族與地方自治.
ROAD_SAFETY = DemoDiscussion(
    title="「道路交通安全基本法」草案公眾諮詢",
    seed_author_email=STAFF_MOTC,
    groups=(0.4, 0.35, 0.25),
    seeds=[
        ("「行人優先」應該寫進法律，成為所有道路設計的第一原則。", "++0"),
        ("中央應訂定全國一致的道路設計準則，縣市不能各做各的。", "++0"),
        ("交通安全經費應該專款專用，不受一般預算刪減影響。", "+++"),
    ],
    statements=[
        ("市區巷道速限應全面降為每小時 30 公里。", "+--"),
        ("路口應全面劃設行人庇護島與標線型人行道。", "++0"),
        ("機車強制兩段式左轉應該全面取消。", "-+0"),
        ("違規停車檢舉獎金制度應該恢復並擴大。", "+--"),
        ("檢舉達人太多，大家被罰怕了，應該限制檢舉項目。", "-++"),
        ("高齡駕駛應每五年重新檢測一次駕駛能力。", "++-"),
        ("酒駕累犯應沒收車輛，不能只罰錢。", "+++"),
        ("騎樓與人行道應全面淨空，不能再停機車。", "+-0"),
        ("偏鄉沒有公車，不能只靠罰款要求大家少騎車。", "0++"),
        ("路口科技執法應該大量增設。", "+--"),
        ("科技執法只是增加罰單收入，路口並沒有變安全。", "-++"),
        ("學校周邊 500 公尺內應劃為低速區。", "+++"),
        ("駕照考試太簡單，應該加考實際道路駕駛。", "+++"),
        ("機慢車道寬度至少要有 1.5 公尺。", "++0"),
        ("汽車撞傷行人的罰則應該大幅提高。", "+0-"),
        ("路邊停車格應逐步取消，把空間還給人行道。", "+--"),
        ("大型車應強制加裝右轉內輪差警示與視野輔助系統。", "+++"),
        ("各縣市每年應公開交通事故熱點與改善進度。", "+++"),
        ("行人低頭看手機過馬路也有責任，不能只罰駕駛。", "-++"),
        ("與其修新法，不如先把現有法規執法到位。", "0++"),
        ("應設立獨立的交通事故調查機關，像運安會一樣調查重大事故。", "++0"),
        ("「停讓行人」罰款太重，應該調回原本的金額。", "-++"),
        ("機車待轉區畫在車流中間很危險，應該改位置。", "+++"),
        ("應提高燃料稅，用來改善人行環境。", "+--"),
        ("路口應增設行人專用時相，讓行人可以斜角穿越。", "+0-"),
        ("機車應該可以行駛快速道路與部分國道。", "-+0"),
        ("道路設計應尊重縣市自治，中央不要管太多。", "-0+"),
        ("交通罰單收入應全部用在交通安全改善。", "+++"),
        ("把公車和捷運做好，比罰行人和駕駛更有效。", "++0"),
        ("道路安全是個人的事，政府不需要立專法。", "---"),
    ],
    replies=[
        (10, None, "我家附近的國小門口每天早上都很驚險，低速區真的需要。"),
        (10, 0, "同意，而且要搭配實體設計，例如路面縮減或減速丘，不然只是多一塊牌子。"),
        (10, 1, "減速丘對機車也比較安全，不會突然急煞。"),
        (5, None, "機車族不是不守法，是待轉區的位置讓人很難守法。"),
        (5, 3, "兩段式左轉在大路口確實比較安全，問題是待轉區畫錯地方。"),
    ],
)

# Groups: 照顧工作者與勞工權益 / 使用服務的家屬 / 財政與機構經營.
LONG_TERM_CARE = DemoDiscussion(
    title="長照 2.0 居家服務員薪資與職涯制度化，留住照顧人力",
    seed_author_email=STAFF_MOHW,
    groups=(0.4, 0.38, 0.22),
    seeds=[
        ("居家服務員往返個案之間的交通時間應該納入計薪。", "++0"),
        ("照顧服務員的年資應該跨單位承認。", "+++"),
    ],
    statements=[
        ("居家服務員應有最低月薪保障，不能只論件計酬。", "+0-"),
        ("長照經費應靠菸稅與遺贈稅支應，不要開徵長照保險。", "+0-"),
        ("長照應改採保險制，像健保一樣大家一起負擔。", "-++"),
        ("開放更多外籍看護是解決人力不足最快的方法。", "-++"),
        ("外籍看護應該納入勞基法保障。", "+--"),
        ("家人自己照顧長輩，也應該可以領照顧津貼。", "-+0"),
        ("照服員的專業形象需要提升，政府應辦理公開表揚。", "+++"),
        ("長照服務的申請流程太複雜，應該簡化。", "+++"),
        ("照服員薪水提高，部分負擔也會跟著漲，家屬負擔不起。", "-++"),
        ("失能等級高的家庭補助上限應該提高。", "++-"),
        ("民間長照機構應公開財務報表。", "++-"),
        ("政府應直接聘用照服員，納入公共服務體系。", "+--"),
        ("偏鄉居家服務的交通補助應該加倍。", "+++"),
        ("應該讓照服員可以晉升為督導或個案管理師。", "+++"),
        ("應鼓勵更多男性投入照顧工作。", "+0+"),
        ("高中職應開設照顧服務科，提早培養人才。", "0++"),
        ("照服員遇到個案家屬騷擾或暴力時，應有明確的申訴與保護機制。", "+++"),
        ("失智症照顧應有獨立的專業加給。", "++0"),
        ("政府財政有限，長照不能無上限擴大。", "-0+"),
        ("應推動「長照假」，讓上班族照顧家人不必離職。", "++-"),
        ("人力不足就是因為薪水太低，其他理由都是藉口。", "+--"),
        ("感測器與遠距照護等科技可以減少照顧人力需求。", "-++"),
        ("居服單位抽成太多，應規定給付至少八成給照服員。", "+0-"),
        ("日間照顧中心應該普及到每個鄉鎮。", "+++"),
        ("鼓勵中高齡者二度就業投入照顧工作。", "0++"),
        ("照顧長輩是家庭的責任，政府不該包辦。", "---"),
        ("喘息服務的時數太少，家屬根本休息不到。", "0+0"),
    ],
    replies=[
        (2, None, "我在居服單位做了六年，換單位後年資歸零，薪水又從頭開始，真的很挫折。"),
        (2, 0, "謝謝分享。年資若能跨單位承認，也能讓單位之間比服務品質，而不是比誰給得低。"),
        (17, None, "騎車跑案一天四、五個地方，路上的時間都沒有錢，雨天更辛苦。"),
        (17, 2, "交通時間計薪之外，也希望油資與車險有補助。"),
    ],
)

# Groups: 都會通勤族 / 偏鄉與非使用者 / 重視財政與汽機車族.
TRANSIT_PASS = DemoDiscussion(
    title="推動全國公共運輸定期票，通勤族跨縣市也能一票到底",
    seed_author_email=STAFF_MOTC,
    groups=(0.45, 0.3, 0.25),
    seeds=[
        ("跨生活圈通勤的定期票應該可以互通使用。", "+0-"),
        ("定期票的補助成效應該公開，並定期檢討。", "+++"),
    ],
    statements=[
        ("全國通用月票要在一千元以內才有吸引力。", "+0-"),
        ("票價補助是在補貼都市人，偏鄉連公車都沒有。", "-++"),
        ("比起降價，先增加班次更重要。", "0++"),
        ("臺鐵與客運之間轉乘應該有優惠。", "+++"),
        ("定期票應該包含 YouBike 前 30 分鐘免費。", "+0-"),
        ("月票應採自動封頂，搭到上限就不再扣款。", "++0"),
        ("高鐵也應該納入定期票。", "+--"),
        ("中央補助應該優先給沒有捷運的縣市。", "-+0"),
        ("通勤月票補助浪費稅金，應該使用者付費。", "--+"),
        ("學生與長者應該有更便宜的月票。", "+++"),
        ("全國公車路線與即時動態應整合在同一個 App。", "+++"),
        ("應該提高停車費，讓大眾運輸更有競爭力。", "+--"),
        ("機車是很多人唯一的選擇，不應該被當成壞人。", "-++"),
        ("月票應可以綁定手機行動支付。", "++0"),
        ("客運補貼應與準點率和服務品質掛鉤。", "+++"),
        ("1200 月票證明低價月票有效，應該推廣到全國。", "+--"),
        ("月票讓運量變多，但車廂太擠，服務品質反而下降。", "-0+"),
        ("偏鄉應發展預約式的需求反應公車。", "0+0"),
        ("各縣市自己決定票價就好，中央不用統一。", "-0+"),
        ("企業替員工購買月票，應該給予稅賦優惠。", "++0"),
        ("深夜與清晨班次太少，輪班工作者沒辦法搭大眾運輸。", "++0"),
        ("臺鐵誤點問題不解決，月票再便宜也沒有人要搭。", "0++"),
        ("公共運輸應該全面免費。", "+--"),
        ("票價太便宜大家不會珍惜，應維持合理價格。", "--+"),
        ("不搭公共運輸的人不應該為此付稅。", "---"),
        ("轉乘時間超過半小時就很難吸引人改搭，應優化班表銜接。", "+++"),
    ],
    replies=[
        (3, None, "住在苗栗、在新竹上班，每天臺鐵加公車，兩邊月票都不能用。"),
        (3, 0, "一樣。跨區加價也可以接受，至少不要買兩張。"),
        (4, None, "我們村子一天只有三班公車，票價再便宜也沒用。"),
        (4, 2, "預約式公車在一些鄉鎮試辦過，希望能擴大。"),
    ],
)

# Groups: 隱私與人權 / 便利與數位化 / 關心長輩與數位落差. Seeds by the moderator: the
# proposal awaits its agency assignment, so no agency's staff may add seeds yet.
DIGITAL_ID = DemoDiscussion(
    title="數位身分證明應以隱私為先，並保留不使用數位憑證的選擇",
    seed_author_email=MODERATOR,
    groups=(0.4, 0.35, 0.25),
    seeds=[
        ("數位憑證應該是選項之一，而不是唯一的辦理方式。", "+0+"),
        ("驗證紀錄不應集中儲存在政府的資料庫。", "+0+"),
    ],
    statements=[
        ("用手機出示身分比帶實體證件方便多了。", "-+-"),
        ("政府一定會濫用數位身分資料，不能相信。", "+-0"),
        ("數位皮夾 App 的原始碼應該全部公開。", "+00"),
        ("只出示「已滿 18 歲」而不是生日，這種選擇性揭露應該寫進法律。", "+++"),
        ("長輩不會用手機，所有服務都應保留臨櫃辦理。", "+0+"),
        ("數位憑證應該可以用在銀行開戶與電信門號申辦。", "-+-"),
        ("應由獨立第三方定期稽核數位身分系統的隱私與資安。", "+++"),
        ("推動數位身分前應先立專法，而不是用行政命令。", "+0+"),
        ("數位身分可以減少詐騙，應該盡快普及。", "-+0"),
        ("手機遺失或被盜時，要能簡單快速地停用憑證。", "+++"),
        ("私人企業不能要求民眾出示數位憑證。", "+-+"),
        ("數位身分應該和健保卡、駕照整合成一個。", "-+-"),
        ("應提供不需要智慧型手機的替代方案，例如實體卡片。", "+0+"),
        ("隱私問題被過度放大，其他國家早就在用了。", "-+-"),
        ("民眾應能自己決定每次驗證要揭露哪些資料。", "+++"),
        ("個資外洩時，主管機關應負起賠償責任。", "+0+"),
        ("應先在小範圍試辦，確認沒問題再全面推行。", "+-+"),
        ("數位部應定期公布數位憑證的使用統計與資安事件。", "+++"),
        ("數位錢包應採國際標準，可以互通，不要綁定單一 App。", "++0"),
        ("社區應開設長輩數位課程，教大家使用數位憑證。", "0++"),
        ("數位身分會讓行蹤被追蹤，等於走向監控社會。", "+-0"),
        ("數位化可以節省行政成本，應該加快腳步。", "-+-"),
        ("民眾應能隨時查詢自己的憑證被誰驗證過。", "+++"),
        ("外籍人士與新住民也應該能使用數位憑證。", "++0"),
        ("數位身分系統應由政府自建，不應外包給私人企業。", "+-+"),
        ("驗證失敗時，第一線人員應該有人工處理的流程。", "+++"),
        ("數位身分不應被拿來推動網路發言實名制。", "+-0"),
        ("沒有手機的人很少，不需要為少數人保留舊制度。", "---"),
    ],
    replies=[
        (5, None, "選擇性揭露很重要，去便利商店買酒不需要讓店員看到我的地址。"),
        (5, 0, "也希望驗證端不能偷偷多要欄位，要有罰則。"),
        (6, None, "我媽媽七十幾歲只用傳統手機，如果只能用 App 她就完全沒辦法。"),
        (6, 2, "所以替代方案一定要寫在法律裡，不然預算一砍就沒了。"),
        (6, 3, "同意，也可以讓家人協助，但不能變成代替本人。"),
    ],
)

DEMO_DISCUSSIONS = [ROAD_SAFETY, LONG_TERM_CARE, TRANSIT_PASS, DIGITAL_ID]


# --- The plan: pure numpy, no database, so it is reproducible and testable --------------


@dataclass(frozen=True)
class VotePlan:
    """Everything to insert for one discussion, by index.

    ``members``: participant indices (into the pool) taking part, shape (m,);
    ``groups``: their latent group, shape (m,); ``events``: vote events in time order as
    (participant index, statement index, value, seconds after the discussion start);
    ``final``: the current vote per (participant, statement) pair, same tuple shape;
    ``statement_offsets``: seconds after start each statement was posted; ``authors``:
    participant index of each non-seed statement's author.
    """

    members: np.ndarray
    groups: np.ndarray
    events: list[tuple[int, int, int, float]]
    final: list[tuple[int, int, int, float]]
    statement_offsets: list[float]
    authors: list[int]


def plan_votes(
    spec: DemoDiscussion, pool: int, span_seconds: float, rng: np.random.Generator
) -> VotePlan:
    """Draw the participants, their latent groups, their votes and the statement times."""
    stmts = spec.all_statements
    n_seed = len(spec.seeds)
    n = len(stmts)
    n_groups = len(spec.groups)
    members = np.nonzero(rng.random(pool) < spec.share)[0]
    weights = np.asarray(spec.groups, dtype=float)
    groups = rng.choice(n_groups, size=members.size, p=weights / weights.sum())

    # Seeds at the very start; other statements spread over the first 85 % of the span.
    offsets = [3600.0 * (i + 1) for i in range(n_seed)]
    later = np.sort(rng.uniform(0.02, 0.85, size=n - n_seed)) * span_seconds
    offsets.extend(float(x) for x in later)

    # Authors: a member of a group agreeing with the statement (falls back to anyone).
    authors: list[int] = []
    for _text, stance in stmts[n_seed:]:
        agreeing = [g for g, s in enumerate(stance) if s == "+"]
        candidates = members[np.isin(groups, agreeing)] if agreeing else members
        if candidates.size == 0:
            candidates = members
        authors.append(int(rng.choice(candidates)))
    author_of = {n_seed + i: a for i, a in enumerate(authors)}

    values_for = np.array([1, -1, 0])
    final: list[tuple[int, int, int, float]] = []
    events: list[tuple[int, int, int, float]] = []
    for member, group in zip(members.tolist(), groups.tolist(), strict=True):
        arrival = float(rng.uniform(0.0, 0.9)) * span_seconds
        fraction = float(rng.uniform(0.4, 0.9))
        k = max(1, round(fraction * n))
        # Seeds are shown first by the routing, so nearly everyone voted on them.
        order = np.concatenate([np.arange(n_seed), n_seed + rng.permutation(n - n_seed)])
        chosen = sorted(order[:k].tolist())
        for idx, author in author_of.items():  # authors agree with what they wrote
            if author == member and idx not in chosen:
                chosen.append(idx)
        for idx in chosen:
            stance = stmts[idx][1][group]
            if author_of.get(idx) == member:
                value = 1
            elif rng.random() < NOISE:
                value = int(rng.choice(values_for))
            else:
                value = int(rng.choice(values_for, p=STANCE_PROBS[stance]))
            start = max(arrival, offsets[idx])
            at = start + float(rng.uniform(60.0, max(120.0, 0.1 * (span_seconds - start))))
            at = min(at, span_seconds - 60.0)
            if rng.random() < CHANGE_RATE and author_of.get(idx) != member:
                earlier = int(rng.choice([v for v in (1, -1, 0) if v != value]))
                events.append((member, idx, earlier, at - 30.0))
            events.append((member, idx, value, at))
            final.append((member, idx, value, at))
    events.sort(key=lambda e: (e[3], e[0], e[1]))
    return VotePlan(members, groups, events, final, offsets, authors)


# --- Writing ------------------------------------------------------------------------------


def participant_name(index: int) -> str:
    return f"{PARTICIPANT_PREFIX}{index + 1:04d}"


def _participant_pool(now: datetime) -> list[int]:
    """User ids of the synthetic participants ``參與者0001`` ..., created once in bulk.

    No email and no password: nobody can log in as them; they exist to have voted.
    """
    names = [participant_name(i) for i in range(PARTICIPANTS)]
    existing = dict(
        db.session.execute(
            select(User.display_name, User.id).where(
                User.display_name.in_(names), User.email.is_(None)
            )
        ).all()
    )
    missing = [
        {
            "email": None,
            "display_name": name,
            "password_hash": None,
            "role": Role.CITIZEN,
            "created_at": now - timedelta(days=200),
            "session_version": 1,
            "email_digest": False,
        }
        for name in names
        if name not in existing
    ]
    if missing:
        ids = db.session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True), missing
        ).all()
        existing.update(zip((r["display_name"] for r in missing), ids, strict=True))
    return [existing[name] for name in names]


def _insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany on the table (measured fastest here on both databases: ORM bulk
    inserts and multi-row VALUES spend their time in SQLAlchemy, not in the database)."""
    if rows:
        db.session.execute(insert(model.__table__), rows)


def _start_of(proposal: Proposal, now: datetime) -> datetime:
    start = aware(proposal.opened_at) or aware(proposal.created_at) or now - timedelta(days=30)
    return max(start, now - timedelta(days=120))


def _find_proposal(title: str) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.title == title))


def seed_discussion(
    spec: DemoDiscussion, proposal: Proposal, pool: list[int], rng: np.random.Generator
) -> bool:
    """Write one demo discussion; False (and nothing written) when it already exists."""
    discussion = get_or_create_discussion(proposal)
    first_seed = spec.seeds[0][0]
    if db.session.scalar(
        select(Statement.id).where(
            Statement.discussion_id == discussion.id, Statement.text == first_seed
        )
    ):
        return False
    now = utcnow()
    start = _start_of(proposal, now)
    span = max((now - start).total_seconds(), 2 * 86400.0)
    start = now - timedelta(seconds=span)
    plan = plan_votes(spec, len(pool), span, rng)
    stmts = spec.all_statements
    n_seed = len(spec.seeds)

    counts = np.zeros((len(stmts), 3), dtype=np.int64)  # agree, disagree, pass
    column = {1: 0, -1: 1, 0: 2}
    for _member, idx, value, _at in plan.final:
        counts[idx, column[value]] += 1
    reply_counts = [0] * len(stmts)
    for idx, _parent, _body in spec.replies:
        reply_counts[idx] += 1

    seed_author = db.session.scalar(select(User.id).where(User.email == spec.seed_author_email))

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    rows = [
        {
            "discussion_id": discussion.id,
            "author_id": seed_author if i < n_seed else pool[plan.authors[i - n_seed]],
            "text": text,
            "is_seed": i < n_seed,
            "created_at": at(plan.statement_offsets[i]),
            "agree_count": int(counts[i, 0]),
            "disagree_count": int(counts[i, 1]),
            "pass_count": int(counts[i, 2]),
            "reply_count": reply_counts[i],
        }
        for i, (text, _stance) in enumerate(stmts)
    ]
    statement_ids = db.session.scalars(
        insert(Statement).returning(Statement.id, sort_by_parameter_order=True), rows
    ).all()

    def vote_rows(items: list[tuple[int, int, int, float]], updated: bool) -> list[dict[str, Any]]:
        out = []
        for member, idx, value, seconds in items:
            row = {
                "discussion_id": discussion.id,
                "statement_id": statement_ids[idx],
                "participant_id": pool[member],
                "value": value,
                "created_at": at(seconds),
            }
            if updated:
                row["updated_at"] = row["created_at"]
            out.append(row)
        return out

    _insert_rows(Vote, vote_rows(plan.final, updated=True))
    _insert_rows(VoteHistory, vote_rows(plan.events, updated=False))

    # A few threads, replies by participants who voted on the statement, in time order.
    made: list[Reply] = []
    for n, (idx, parent, body) in enumerate(spec.replies):
        voters = [m for m, i, _v, _t in plan.final if i == idx]
        author = pool[voters[(7 * n + 3) % len(voters)]] if voters else None
        parent_item = made[parent] if parent is not None else None
        created = max(at(plan.statement_offsets[idx]), start) + timedelta(hours=5 + 7 * n)
        item = Reply(
            statement_id=statement_ids[idx],
            parent_id=parent_item.id if parent_item else None,
            author_id=author,
            depth=parent_item.depth + 1 if parent_item else 0,
            body=body,
            body_html=render_reply(body),
            created_at=min(created, now - timedelta(minutes=30)),
        )
        db.session.add(item)
        db.session.flush()
        segment = f"{item.id:0{PATH_WIDTH}d}"
        item.path = f"{parent_item.path}/{segment}" if parent_item else segment
        made.append(item)
    db.session.flush()
    return True


def seed_demo(echo: Callable[[str], None] = print) -> None:
    """The discussion area's demo data (``participate.cli.seed_all`` runs it after the
    proposals area's, whose proposals it discusses)."""
    now = utcnow()
    pool = _participant_pool(now)
    made = 0
    for n, spec in enumerate(DEMO_DISCUSSIONS):
        proposal = _find_proposal(spec.title)
        if proposal is None:
            echo(f"  discussion demo: proposal {spec.title!r} not found, skipped")
            continue
        # One generator per discussion: each is reproducible on its own.
        if seed_discussion(spec, proposal, pool, np.random.default_rng(SEED + n)):
            made += 1
    db.session.flush()
    echo(f"discussion: {made} demo discussions added ({PARTICIPANTS} synthetic participants)")
