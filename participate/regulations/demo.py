"""Demo draft regulations for ``make run``: one open for comment, one whose responses are
overdue, one with its response table published, one promulgated with changes.

The agency's side goes through the real operations with the clock set in the past (so
the periods, the response deadlines and the audit entries are what they would be); the
comments of synthetic citizens are written directly (the screening would hold comments
from accounts created a moment ago), each inside its draft's comment period, and the
keyword snapshots are computed at the end. Idempotent: a draft counts as seeded when its
title exists. Writes and flushes only: ``participate.cli.seed_all`` commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    ContentStatus,
    RegulationComment,
    RegulationCommentVote,
    RegulationDraft,
    Role,
    User,
)
from participate.models.discussion import PATH_WIDTH
from participate.regulations import analysis, operations
from participate.timeutil import taipei_today, utcnow

DAY = timedelta(days=1)


@dataclass
class DemoDraft:
    staff_email: str
    title: str
    legal_basis: str
    unit: str
    summary: str
    table: str  # a comparison table as pasted (tab-separated rows)
    published_days_ago: int
    period_days: int = 60
    short_reason: str = ""
    # (article position or None for the whole draft, text, replies, agree, disagree)
    comments: list[tuple[int | None, str, list[str], int, int]] = field(default_factory=list)
    respond_days_ago: int | None = None
    promulgate_days_ago: int | None = None
    final_changes: dict[int, str] = field(default_factory=dict)


DRAFTS = [
    DemoDraft(
        "staff@demo.participate.tw",
        "道路交通安全規則部分條文修正草案（行人優先）",
        "道路交通管理處罰條例第九十二條第一項",
        "路政及道安司",
        "為落實行人優先，明定汽車駕駛人行經無號誌路口應暫停讓行人先行，"
        "並增訂路口淨空距離，刪除已不合時宜之規定。",
        "修正條文\t現行條文\t說明\n"
        "第一百零三條　汽車行近行人穿越道，遇有行人穿越時，無論有無號誌，均應暫停讓行人先行通過。"
        "\t第一百零三條　汽車行近行人穿越道，遇有行人穿越時，應暫停讓行人先行通過。"
        "\t明定無論有無號誌均應暫停讓行人。\n"
        "第一百零三條之一　汽車於路口停等時，應與行人穿越道保持三公尺以上之距離。"
        "\t\t一、本條新增。\n二、明定路口淨空距離。\n"
        "\t第一百零四條　汽車駕駛人於夜間行經行人穿越道，應閃爍燈光示警。"
        "\t本條刪除，併入第一百零三條規範。\n",
        published_days_ago=12,
        comments=[
            (
                1,
                "無號誌路口也要停讓是好事，但應該同時加強路口照明。",
                ["同意，夜間很難看到行人。"],
                14,
                2,
            ),
            (1, "建議明定「暫停」的定義，是完全停止還是減速即可？", [], 9, 0),
            (2, "三公尺太短，大型車應該要更長的距離。", ["大客車至少要五公尺。"], 6, 1),
            (2, "停等距離的規定很難執法，要怎麼取締？", [], 3, 4),
            (None, "整體方向支持，但請同步檢討人行道被占用的問題。", [], 11, 0),
        ],
    ),
    DemoDraft(
        "staff@demo.participate.tw",
        "公路汽車客運業營業規則部分條文修正草案",
        "公路法第七十九條第五項",
        "公路局",
        "因應偏鄉公路客運服務需求，放寬需求反應式運輸服務之營運條件。",
        "修正條文\t現行條文\t說明\n"
        "第十九條　公路汽車客運業得於偏遠地區經營需求反應式運輸服務。"
        "\t第十九條　公路汽車客運業應依核定路線及班次營運。"
        "\t增列需求反應式運輸服務之依據。\n",
        published_days_ago=120,
        comments=[
            (1, "偏鄉需要預約制公車，支持修正。", [], 5, 0),
            (1, "預約服務要有電話預約，長者不一定會用手機。", [], 8, 0),
        ],
    ),
    DemoDraft(
        "staff-mohw@demo.participate.tw",
        "長期照顧服務機構設立標準部分條文修正草案",
        "長期照顧服務法第二十三條",
        "長期照顧司",
        "為提升住宿式長照機構照顧品質，調整夜間照顧人力比例並增訂失智專區規定。",
        "修正條文\t現行條文\t說明\n"
        "第九條　住宿式機構夜間照顧服務員與住民比例不得低於一比十五。"
        "\t第九條　住宿式機構夜間照顧服務員與住民比例不得低於一比二十五。"
        "\t提高夜間人力比例。\n"
        "第九條之一　機構設有失智症專區者，專區住民不得超過二十人。"
        "\t\t本條新增，明定失智專區規模。\n",
        published_days_ago=80,
        period_days=60,
        comments=[
            (1, "夜間人力一比十五仍然不夠，應該提高到一比十。", [], 21, 3),
            (1, "夜間照顧人力一比十五還是不夠，希望提高到一比十。", [], 15, 1),
            (1, "夜間照顧人力比例一比十五仍然不足，應該提高到一比十。", [], 12, 0),
            (1, "人力比例提高後，小型機構恐怕請不到人，應有過渡期。", ["同意要有過渡期。"], 9, 5),
            (1, "提高夜間人力要有補助，否則費用會轉嫁給家屬。", [], 17, 2),
            (2, "失智專區二十人的上限合理，建議再規定單人房比例。", [], 6, 0),
            (None, "請公布各機構的評鑑結果，讓家屬可以比較。", [], 10, 0),
        ],
        respond_days_ago=5,
    ),
    DemoDraft(
        "staff-mohw@demo.participate.tw",
        "醫療機構電子病歷製作及管理辦法修正草案",
        "醫療法第六十九條",
        "資訊處",
        "明定電子病歷之資訊安全要求與病人查閱方式。",
        "第一條　本辦法依醫療法第六十九條規定訂定之。\n"
        "第二條　醫療機構應提供病人以電子方式查閱其病歷。\n"
        "說明：保障病人查閱權。\n"
        "第三條　醫療機構應每年辦理資訊安全稽核。\n"
        "說明：強化資安管理。\n",
        published_days_ago=150,
        period_days=30,
        short_reason="配合全國電子病歷交換平臺上線時程，須於年底前發布。",
        comments=[
            (2, "查閱應該免費，不要再收病歷複製費。", [], 25, 1),
            (3, "小型診所每年稽核負擔太重，建議兩年一次。", [], 7, 6),
        ],
        respond_days_ago=100,
        promulgate_days_ago=60,
        final_changes={
            2: "第二條　醫療機構應免費提供病人以電子方式查閱其病歷。",
            3: "第三條　醫療機構應定期辦理資訊安全稽核；診所得每二年辦理一次。",
        },
    ),
]

RESPONSES = {
    "長期照顧服務機構設立標準部分條文修正草案": (
        "感謝各界提供意見，本部綜整回應如下，並將於發布時同步公告過渡期間。",
        [
            (
                "夜間人力比例應提高至一比十。",
                "partly",
                "將分階段提高，五年內達到一比十二，並檢討後續。",
            ),
            ("小型機構人力不足，應有過渡期。", "adopted", "增訂二年過渡期間。"),
            ("人力提高應有補助。", "adopted", "將納入長照機構獎助計畫。"),
            ("失智專區應規定單人房比例。", "not_adopted", "單人房比例另於評鑑基準規範。"),
            ("公布機構評鑑結果。", "adopted", "評鑑結果已公開於長照專區網站，將改善查詢方式。"),
        ],
    ),
    "醫療機構電子病歷製作及管理辦法修正草案": (
        "",
        [
            ("查閱應免費。", "adopted", "已修正條文，明定電子查閱免費。"),
            ("小型診所稽核頻率。", "partly", "診所得每二年辦理一次，醫院維持每年。"),
        ],
    ),
}


def _citizens(n: int) -> list[User]:
    """Verified demo citizens to write the comments: the synthetic ones the proposals demo
    made, else the demo citizen alone."""
    from participate.proposals.data import SYNTHETIC_DOMAIN

    found = list(
        db.session.scalars(
            select(User)
            .where(User.email.like(f"%@{SYNTHETIC_DOMAIN}"), User.role == Role.CITIZEN)
            .order_by(User.id)
            .limit(n)
        )
    )
    if not found:
        citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.participate.tw"))
        found = [citizen] if citizen else []
    return found


def _comment(
    draft: RegulationDraft,
    author: User,
    body: str,
    at: datetime,
    article_id: int | None,
    parent: RegulationComment | None = None,
) -> RegulationComment:
    c = RegulationComment(
        draft_id=draft.id,
        article_id=article_id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        author_id=author.id,
        depth=parent.depth + 1 if parent else 0,
        body=body,
        status=ContentStatus.VISIBLE,
        created_at=at,
    )
    db.session.add(c)
    db.session.flush()
    segment = f"{c.id:0{PATH_WIDTH}d}"
    c.path = f"{parent.path}/{segment}" if parent else segment
    if parent is not None:
        parent.reply_count = (parent.reply_count or 0) + 1
    return c


def _seed_comments(demo: DemoDraft, draft: RegulationDraft, people: list[User]) -> None:
    if not people:
        return
    start = utcnow() - demo.published_days_ago * DAY
    articles = {a.position: a.id for a in draft.articles}
    voters = iter(range(10**6))
    for i, (position, text, replies, agree, disagree) in enumerate(demo.comments):
        at = start + (i + 1) * timedelta(hours=7)
        author = people[i % len(people)]
        article_id = articles.get(position) if position else None
        root = _comment(draft, author, text, at, article_id)
        for j, reply in enumerate(replies):
            _comment(draft, people[(i + j + 1) % len(people)], reply, at + DAY, article_id, root)
        votes = [1] * agree + [-1] * disagree
        for value in votes:
            voter = people[(next(voters) + i + 3) % len(people)]
            if voter.id == author.id:
                continue
            exists = db.session.scalar(
                select(RegulationCommentVote.id).where(
                    RegulationCommentVote.comment_id == root.id,
                    RegulationCommentVote.user_id == voter.id,
                )
            )
            if exists:
                continue
            db.session.add(
                RegulationCommentVote(
                    comment_id=root.id, user_id=voter.id, value=value, created_at=at, updated_at=at
                )
            )
            if value == 1:
                root.agree_count = (root.agree_count or 0) + 1
            else:
                root.disagree_count = (root.disagree_count or 0) + 1
    db.session.flush()


def _respond(demo: DemoDraft, draft: RegulationDraft, staff: User) -> None:
    overall, answers = RESPONSES.get(demo.title, ("", []))
    from participate.regulations.grouping import CommentText, suggest_groups
    from participate.regulations.queries import answerable_comments

    comments = answerable_comments(draft.id)
    groups = suggest_groups([CommentText(c.id, c.article_id, c.body) for c in comments])
    rows = [
        operations.RowInput(group, *(answers[i] if i < len(answers) else answers[-1]))
        for i, group in enumerate(groups)
    ]
    at = utcnow() - (demo.respond_days_ago or 0) * DAY
    operations.save_response_table(staff, draft, overall, rows, publish=True, now=at)


def seed_demo(echo: Callable[[str], None] = print) -> None:
    """The demo drafts, each once (looked up by title)."""
    now = utcnow()
    people = _citizens(40)
    made = 0
    for demo in DRAFTS:
        if db.session.scalar(select(RegulationDraft.id).where(RegulationDraft.title == demo.title)):
            continue
        staff = db.session.scalar(select(User).where(User.email == demo.staff_email))
        if staff is None or staff.agency_id is None:
            continue
        start = now - demo.published_days_ago * DAY
        draft = operations.create_draft(
            staff,
            operations.DraftInput(demo.title, demo.legal_basis, demo.unit, demo.summary),
            now=start - 3 * DAY,
        )
        operations.paste_articles(staff, draft, demo.table, now=start - 2 * DAY)
        operations.publish_draft(staff, draft, demo.period_days, demo.short_reason, now=start)
        _seed_comments(demo, draft, people)
        if demo.respond_days_ago is not None:
            _respond(demo, draft, staff)
        if demo.promulgate_days_ago is not None:
            at = now - demo.promulgate_days_ago * DAY
            finals = {
                a.id: demo.final_changes.get(a.position, a.proposed_text) for a in draft.articles
            }
            operations.record_final_text(
                staff, draft, finals, taipei_today(at), "衛部資字第1150000001號令", now=at
            )
        analysis.analyse(draft.id)
        made += 1
    if made:
        echo(f"  {made} demo draft regulations")
