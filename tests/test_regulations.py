"""Draft regulations (法規預告) through the pages and the operations, on the real database:
preparing and publishing with the comparison table, the comment period, comments on an
article with threads and agree/disagree, moderation (screening, reports, the queue), the
response table with near-duplicate groups, the overdue flag, the final text's diff, the
CSV downloads, the open data and personal data. Runs on SQLite and PostgreSQL."""
# ruff: noqa: F811 - pytest fixtures imported from the fixture modules

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from participate.boundary import unit
from participate.extensions import db
from participate.models import (
    ArticleChange,
    AuditLog,
    ContentStatus,
    DraftStatus,
    ItemKind,
    ModerationItem,
    RegulationArticle,
    RegulationComment,
    RegulationCommentAnalysis,
    RegulationCommentVote,
    RegulationDraft,
    RegulationResponseRow,
)
from participate.regulations import operations
from participate.timeutil import aware
from tests.moderation_fixtures import quick_login  # noqa: F401 - fixture
from tests.regulations_fixtures import (  # noqa: F401 - fixtures
    DAY,
    T0,
    TABLE,
    add_comment,
    cast,
    client_for,
    comment,
    count,
    draft,
    freeze,
    make_draft,
)

JSON = {"Accept": "application/json"}


def _text(resp) -> str:
    return resp.get_data(as_text=True)


# --- Preparing and publishing -----------------------------------------------------------


def test_staff_prepare_a_draft_article_by_article_and_publish_it(app, cast, client_for):
    freeze(app, T0)
    staff = client_for(cast.staff)
    resp = staff.post(
        "/regulations/new",
        data={
            "title": "電動自行車管理辦法草案",
            "legal_basis": "",
            "unit": "路政司",
            "summary": "管理電動自行車。",
        },
    )
    assert resp.status_code == 302
    did = int(re.search(r"/regulations/(\d+)$", resp.headers["Location"]).group(1))
    # An amended article without its current text is refused next to the field.
    bad = staff.post(
        f"/regulations/{did}/articles/new",
        data={
            "label": "",
            "change": "amended",
            "proposed_text": "第一條　新文字。",
            "current_text": "",
        },
    )
    assert bad.status_code == 400 and 'id="current_text-error"' in _text(bad)
    ok = staff.post(
        f"/regulations/{did}/articles/new",
        data={"label": "", "change": "new", "proposed_text": "第一條　本辦法依法訂定。"},
    )
    assert ok.status_code == 302
    # Before publication the draft does not exist for the public or another agency.
    assert client_for(None).get(f"/regulations/{did}").status_code == 404
    assert client_for(cast.citizen).get(f"/regulations/{did}").status_code == 404
    assert client_for(cast.other_staff).get(f"/regulations/{did}").status_code == 404
    assert client_for(cast.other_staff).get(f"/regulations/{did}/publish").status_code == 404
    page = _text(staff.get(f"/regulations/{did}"))
    assert "第一條" in page and "電動自行車管理辦法草案" in page
    # Thirty days without a reason is refused; the default sixty needs none.
    short = staff.post(f"/regulations/{did}/publish", data={"days": "30", "reason": ""})
    assert short.status_code == 400 and 'id="reason-error"' in _text(short)
    assert draft(app, did).status == DraftStatus.PREPARING
    assert staff.post(f"/regulations/{did}/publish", data={"days": "60"}).status_code == 302
    d = draft(app, did)
    assert d.status == DraftStatus.OPEN and d.period_days == 60 and d.short_period_reason == ""
    assert d.comment_ends_at.date().isoformat() == "2026-05-01"  # 60 Taipei days, day's end
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "regulation.create",
        "regulation.article_add",
        "regulation.open",
    ]
    # Published: public, and no longer editable.
    assert client_for(None).get(f"/regulations/{did}").status_code == 200
    again = staff.post(
        f"/regulations/{did}/articles/new",
        data={"change": "new", "proposed_text": "第二條　又一條。"},
    )
    assert again.status_code == 302  # back to the draft, with the reason as a note
    assert "草案只能在公告前修改" in _text(staff.get(again.headers["Location"]))
    assert count(app, RegulationArticle) == 1


def test_a_pasted_comparison_table_becomes_marked_articles(app, cast):
    did = make_draft(app, cast, publish=False)
    with app.app_context():
        articles = db.session.scalars(
            select(RegulationArticle)
            .where(RegulationArticle.draft_id == did)
            .order_by(RegulationArticle.position)
        ).all()
        assert [(a.label, a.change) for a in articles] == [
            ("第一條", ArticleChange.NEW),
            ("第二條", ArticleChange.AMENDED),
            ("第三條", ArticleChange.DELETED),
        ]
        assert articles[1].current_text.startswith("第二條　汽車行近")
        assert articles[2].proposed_text == "" and articles[2].explanation == "本條刪除。"


def test_a_shorter_period_shows_its_reason_and_the_days_left(app, cast, client_for):
    did = make_draft(app, cast, days=30, reason="配合七月一日施行，須提前完成。")
    freeze(app, T0 + 10 * DAY)
    page = _text(client_for(None).get(f"/regulations/{did}"))
    assert "配合七月一日施行，須提前完成。" in page
    assert "距預告期滿剩 20 天。" in page


def test_staff_of_another_agency_cannot_act_on_the_draft(app, cast, client_for):
    did = make_draft(app, cast, publish=False)
    other = client_for(cast.other_staff)
    with app.test_request_context():
        import pytest

        from participate.errors import RuleError

        with pytest.raises(RuleError) as refused, unit():
            d = db.session.get(RegulationDraft, did)
            operations.publish_draft(cast.get("other_staff"), d, 60, "", now=T0)
        assert refused.value.status == 403
    assert draft(app, did).status == DraftStatus.PREPARING
    assert other.post(f"/regulations/{did}/publish", data={"days": "60"}).status_code == 404


# --- Comments -----------------------------------------------------------------------------


def test_a_citizen_comments_on_an_article_and_others_agree_or_disagree(app, cast, client_for):
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    with app.app_context():
        article_id = db.session.scalar(
            select(RegulationArticle.id).where(
                RegulationArticle.draft_id == did, RegulationArticle.position == 2
            )
        )
    citizen = client_for(cast.citizen)
    resp = citizen.post(
        f"/regulations/{did}/comments",
        data={"body": "  「暫停」應明定為完全停止。 ", "article_id": str(article_id)},
    )
    assert resp.status_code == 302 and "/regulations/comments/" in resp.headers["Location"]
    with app.app_context():
        c = db.session.scalar(select(RegulationComment))
        cid = c.id
        assert c.article_id == article_id and c.body == "「暫停」應明定為完全停止。"
        assert c.status == ContentStatus.VISIBLE and c.path == f"{cid:010d}"
    article_page = _text(client_for(None).get(f"/regulations/{did}/articles/{article_id}"))
    assert "「暫停」應明定為完全停止。" in article_page
    # The author cannot agree with their own comment; others can, and change their mind.
    own = citizen.post(f"/regulations/comments/{cid}/vote", data={"value": "agree"}, headers=JSON)
    assert own.status_code == 403
    second = client_for(cast.second)
    voted = second.post(f"/regulations/comments/{cid}/vote", data={"value": "agree"}, headers=JSON)
    assert voted.json == {
        "comment_id": cid,
        "value": 1,
        "previous": None,
        "agree": 1,
        "disagree": 0,
    }
    changed = second.post(f"/regulations/comments/{cid}/vote", data={"value": "disagree"})
    assert changed.status_code == 302
    c = comment(app, cid)
    assert (c.agree_count, c.disagree_count) == (0, 1)
    assert count(app, RegulationCommentVote) == 1
    # A reply in the thread.
    reply = second.post(f"/regulations/comments/{cid}/replies", data={"body": "同意，應該明定。"})
    assert reply.status_code == 302
    with app.app_context():
        r = db.session.scalar(select(RegulationComment).where(RegulationComment.parent_id == cid))
        assert r.root_id == cid and r.article_id == article_id and r.depth == 1
        assert r.path == f"{cid:010d}/{r.id:010d}"
    assert comment(app, cid).reply_count == 1
    thread = _text(client_for(None).get(f"/regulations/comments/{cid}"))
    assert "同意，應該明定。" in thread
    # Logged out and unconfirmed people are told what to do; nothing is written.
    anon = client_for(None).post(f"/regulations/{did}/comments", data={"body": "匿名"})
    assert anon.status_code == 302 and "/auth/login" in anon.headers["Location"]
    unverified = client_for(cast.unverified).post(
        f"/regulations/{did}/comments", data={"body": "未驗證"}
    )
    assert unverified.status_code == 302
    assert count(app, RegulationComment) == 2


def test_the_comment_period_is_enforced_at_its_end(app, cast, client_for):
    did = make_draft(app, cast)
    ends = aware(draft(app, did).comment_ends_at)
    citizen = client_for(cast.citizen)
    freeze(app, ends)  # the last second: still open
    assert (
        citizen.post(f"/regulations/{did}/comments", data={"body": "最後一刻"}).status_code == 302
    )
    freeze(app, ends + DAY / 86400)  # one second later
    late = citizen.post(f"/regulations/{did}/comments", data={"body": "太晚了"}, headers=JSON)
    assert late.status_code == 403 and late.json["error"]["code"] == "closed"
    assert count(app, RegulationComment) == 1
    page = _text(client_for(cast.citizen).get(f"/regulations/{did}"))
    assert "預告期間已結束" in page and 'name="body"' not in page


def test_withdrawing_a_comment_leaves_a_placeholder(app, cast, client_for):
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    cid = add_comment(app, cast, did, "citizen", "我想撤回這則。")
    assert client_for(cast.second).post(f"/regulations/comments/{cid}/delete").status_code == 403
    assert client_for(cast.citizen).post(f"/regulations/comments/{cid}/delete").status_code == 302
    c = comment(app, cid)
    assert c.deleted_at is not None and c.body == ""
    assert "［作者已撤回］" in _text(client_for(None).get(f"/regulations/comments/{cid}"))


def test_comments_are_rate_limited(app, cast, client_for):
    app.config["WRITE_RATE_LIMIT"] = "2 per minute"
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    citizen = client_for(cast.citizen)
    codes = [
        citizen.post(
            f"/regulations/{did}/comments", data={"body": f"第{i}則不同的意見"}
        ).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert count(app, RegulationComment) == 2


# --- Moderation -----------------------------------------------------------------------------


def test_screening_holds_a_comment_for_the_queue_and_a_moderator_publishes_it(
    app, cast, client_for
):
    app.config["MODERATION_BANNED_WORDS"] = "笨蛋"
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    resp = client_for(cast.citizen).post(
        f"/regulations/{did}/comments", data={"body": "承辦是笨 蛋"}
    )
    assert resp.status_code == 302
    with app.app_context():
        c = db.session.scalar(select(RegulationComment))
        assert c.status == ContentStatus.HIDDEN
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.kind == ItemKind.HELD))
        assert (item.content_type, item.content_id, item.reason) == (
            "reg_comment",
            c.id,
            "banned_term",
        )
        cid, item_id = c.id, item.id
    assert "承辦是笨 蛋" not in _text(client_for(None).get(f"/regulations/{did}"))
    assert client_for(None).get(f"/regulations/comments/{cid}").status_code == 404
    moderator = client_for(cast.moderator)
    queue = _text(moderator.get("/moderation/"))
    assert "法規草案意見" in queue
    item_page = _text(moderator.get(f"/moderation/items/{item_id}"))
    assert f"/regulations/comments/{cid}" in item_page
    decided = moderator.post(f"/moderation/items/{item_id}", data={"action": "restore"})
    assert decided.status_code == 302
    assert comment(app, cid).status == ContentStatus.VISIBLE
    assert count(app, AuditLog, AuditLog.action == "reg_comment.status") == 1


def test_three_reports_hide_a_comment_and_a_moderator_restores_it(app, cast, client_for, make_user):
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    cid = add_comment(app, cast, did, "citizen", "這個草案寫得很爛。")
    reporters = [client_for(cast.second), client_for(cast.third), client_for(make_user())]
    for i, c in enumerate(reporters):
        resp = c.post(f"/regulations/comments/{cid}/report", data={"reason": "abuse"})
        assert resp.status_code == 302
        expected = ContentStatus.HIDDEN if i == 2 else ContentStatus.VISIBLE
        assert comment(app, cid).status == expected
    again = reporters[0].post(f"/regulations/comments/{cid}/report", data={"reason": "spam"})
    assert again.status_code in (302, 404)  # hidden now: not found for a participant
    with app.app_context():
        item = db.session.scalar(
            select(ModerationItem).where(ModerationItem.content_type == "reg_comment")
        )
        assert (
            item.kind == ItemKind.REPORT and item.report_count == 3 and item.detail["auto_hidden"]
        )
        item_id = item.id
    moderator = client_for(cast.moderator)
    assert (
        moderator.post(f"/moderation/items/{item_id}", data={"action": "restore"}).status_code
        == 302
    )
    assert comment(app, cid).status == ContentStatus.VISIBLE


# --- Responses ------------------------------------------------------------------------------


def _comments_for_response(app, cast, did):
    at = T0 + 2 * DAY
    ids = [
        add_comment(app, cast, did, "citizen", "夜間行人穿越道照明不足，應同步改善。", 2, at),
        add_comment(app, cast, did, "second", "夜間行人穿越道的照明不足，應該同步改善。", 2, at),
        add_comment(app, cast, did, "third", "刪除第三條沒有問題。", 3, at),
        add_comment(app, cast, did, "second", "整體方向支持。", None, at),
    ]
    return ids


def test_the_response_table_is_written_after_the_period_with_groups_offered(app, cast, client_for):
    did = make_draft(app, cast)
    freeze(app, T0 + DAY)
    a, b, c, d = _comments_for_response(app, cast, did)
    staff = client_for(cast.staff)
    # During the period there is no response table to write.
    assert staff.get(f"/regulations/{did}/response").status_code == 302
    freeze(app, aware(draft(app, did).comment_ends_at) + DAY)
    page = _text(staff.get(f"/regulations/{did}/response"))
    # The near-duplicates are offered as one row; the others alone.
    values = re.findall(r'name="rows-\d+-comment_ids" type="text" value="([^"]*)"', page)
    assert values[:3] == [f"{a}, {b}", f"{c}", f"{d}"]
    # Publishing with a comment left out is refused, naming it; nothing is written.
    rows = {
        "rows-0-comment_ids": f"{a}, {b}",
        "rows-0-summary": "夜間照明",
        "rows-0-decision": "adopted",
        "rows-0-reasoning": "將函請地方政府改善照明。",
        "rows-1-comment_ids": f"{c}",
        "rows-1-decision": "not_adopted",
        "rows-1-reasoning": "維持刪除。",
        "publish": "1",
    }
    refused = staff.post(f"/regulations/{did}/response", data=rows)
    assert refused.status_code == 400 and f"#{d}" in _text(refused)
    assert count(app, RegulationResponseRow) == 0
    assert draft(app, did).responded_at is None
    # A comment answered twice is refused too.
    twice = staff.post(
        f"/regulations/{did}/response",
        data={
            **rows,
            "rows-2-comment_ids": f"{d}, {a}",
            "rows-2-decision": "partly",
            "rows-2-reasoning": "x",
        },
    )
    assert twice.status_code == 400 and "已在第 1 列回應" in _text(twice)
    # Saved as a draft table: not public.
    saved = staff.post(
        f"/regulations/{did}/response",
        data={**{k: v for k, v in rows.items() if k != "publish"}, "save": "1"},
    )
    assert saved.status_code == 302
    assert count(app, RegulationResponseRow) == 2 and draft(app, did).responded_at is None
    assert "將函請地方政府改善照明。" not in _text(client_for(None).get(f"/regulations/{did}"))
    assert client_for(None).get(f"/api/v1/regulations/{did}/responses").status_code == 404
    done = staff.post(
        f"/regulations/{did}/response",
        data={
            **rows,
            "rows-2-comment_ids": f"{d}",
            "rows-2-decision": "partly",
            "rows-2-reasoning": "納入宣導。",
            "overall": "感謝各界意見。",
        },
    )
    assert done.status_code == 302
    d_ = draft(app, did)
    assert d_.status == DraftStatus.RESPONDED and d_.response_overall == "感謝各界意見。"
    with app.app_context():
        stored = db.session.scalars(
            select(RegulationResponseRow).order_by(RegulationResponseRow.position)
        ).all()
        assert [r.comment_ids for r in stored] == [[a, b], [c], [d]]
        assert stored[2].article_id is None and stored[0].article_id is not None
    public = _text(client_for(None).get(f"/regulations/{did}"))
    assert "將函請地方政府改善照明。" in public and "部分參採" in public and "準時回應" in public
    api = client_for(None).get(f"/api/v1/regulations/{did}/responses").json
    assert [r["decision"] for r in api["rows"]] == ["adopted", "not_adopted", "partly"]
    # Published once: the table cannot be rewritten.
    assert staff.post(f"/regulations/{did}/response", data=rows).status_code == 302
    assert count(app, RegulationResponseRow) == 3


def test_overdue_drafts_are_flagged_on_the_list_and_in_the_api(app, cast, client_for):
    did = make_draft(app, cast, days=30, reason="急迫")
    due = aware(draft(app, did).response_due_at)
    freeze(app, due)
    listing = client_for(None).get("/regulations/?overdue=1")
    assert "逾期" not in _text(listing) or "共 0 筆" in _text(listing)
    assert client_for(None).get("/api/v1/regulations?overdue=true").json["meta"]["total"] == 0
    freeze(app, due + 3 * DAY)
    listing = _text(client_for(None).get("/regulations/?overdue=1"))
    assert "回應已逾期 3 天" in listing and "共 1 筆" in listing
    item = client_for(None).get("/api/v1/regulations?overdue=true").json["items"][0]
    assert item["overdue"] and item["response_clock"]["overdue_days"] == 3
    assert item["status"] == "closed"


def test_the_final_text_is_recorded_and_the_page_shows_the_changes(app, cast, client_for):
    did = make_draft(app, cast)
    freeze(app, aware(draft(app, did).comment_ends_at) + DAY)
    staff = client_for(cast.staff)
    assert staff.get(f"/regulations/{did}/final").status_code == 302  # responses first
    with app.test_request_context(), unit():
        d = db.session.get(RegulationDraft, did)
        operations.save_response_table(cast.get("staff"), d, "未收到意見。", [], publish=True)
        article_ids = [a.id for a in d.articles]
    form = {
        "promulgated_on": "2026-05-02",
        "reference": "交路字第1150000001號令",
        f"final_{article_ids[1]}": "第二條　汽車行近行人穿越道，應暫停讓行人先行通過。",
        f"final_{article_ids[2]}": "",
    }
    future = staff.post(f"/regulations/{did}/final", data={**form, "promulgated_on": "2027-01-01"})
    assert future.status_code == 400
    assert staff.post(f"/regulations/{did}/final", data=form).status_code == 302
    d = draft(app, did)
    assert d.status == DraftStatus.PROMULGATED and d.promulgated_on.isoformat() == "2026-05-02"
    page = _text(client_for(None).get(f"/regulations/{did}"))
    assert "<del>" in page and "<ins>" in page and "無論有無號誌，均" in page
    assert "照草案發布。" in page  # article 1 kept as proposed
    assert (
        client_for(None)
        .get(f"/api/v1/regulations/{did}")
        .json["articles"][1]["final_text"]
        .endswith("先行通過。")
    )


# --- Keywords, exports, open data, personal data ---------------------------------------------


def test_keywords_per_article_appear_once_there_are_enough_comments(app, cast, client_for):
    did = make_draft(app, cast)
    at = T0 + DAY
    texts = [
        "行人穿越道照明不足，夜間駕駛看不到行人。",
        "照明改善應該優先，行人穿越道太暗。",
        "夜間行人穿越道照明要加強。",
        "路口照明不足是事故主因，請改善照明。",
    ]
    for i, body in enumerate(texts):
        add_comment(app, cast, did, ("citizen", "second", "third")[i % 3], body, 2, at)
    with app.app_context():
        row = db.session.get(RegulationCommentAnalysis, did)
        assert row.comment_count == 4
        article_id = str(
            db.session.scalar(select(RegulationArticle.id).where(RegulationArticle.position == 2))
        )
        assert row.result[article_id]["keywords"] == []  # four are not enough
    add_comment(app, cast, did, "citizen", "照明設備老舊，行人穿越道應全面檢查照明。", 2, at)
    with app.app_context():
        row = db.session.get(RegulationCommentAnalysis, did)
        db.session.refresh(row)
        assert "照明" in row.result[article_id]["keywords"]
    page = _text(client_for(None).get(f"/regulations/{did}"))
    assert 'class="keyword">照明<' in page


def test_csv_downloads_are_utf8_with_bom_and_name_nobody(app, cast, client_for):
    did = make_draft(app, cast)
    cid = add_comment(app, cast, did, "citizen", "第二條要寫清楚，\n包括距離。", 2, T0 + DAY)
    resp = client_for(None).get(f"/regulations/{did}/comments.csv")
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["draft_id", "comment_id", "article_position"]
    assert rows[1][1] == str(cid) and rows[1][3] == "第二條" and rows[1][5] == "1"
    assert rows[1][-1] == "第二條要寫清楚，\n包括距離。"
    assert "市民甲" not in resp.data.decode("utf-8-sig")
    assert client_for(None).get(f"/regulations/{did}/responses.csv").status_code == 404


def test_open_data_dumps_hold_the_public_drafts_and_comments_only(app, cast, tmp_path):
    did = make_draft(app, cast)
    make_draft(app, cast, publish=False)
    shown = add_comment(app, cast, did, "citizen", "公開的意見", 2, T0 + DAY)
    hidden = add_comment(app, cast, did, "second", "要被隱藏的意見", 2, T0 + DAY)
    with app.test_request_context(), unit():
        from participate.regulations.visibility import set_comment_status

        set_comment_status(
            cast.get("moderator"),
            db.session.get(RegulationComment, hidden),
            ContentStatus.HIDDEN,
            "abuse",
        )
    from participate.opendata.build import build

    with app.app_context():
        manifest = build(tmp_path / "dumps")
    names = {f["name"]: f for f in manifest["files"]}
    assert names["regulations.csv"]["rows"] == 1
    assert names["regulation-articles.csv"]["rows"] == 3
    body = (tmp_path / "dumps" / "regulation-comments-excel.csv").read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "公開的意見" in text and "要被隱藏的意見" not in text and str(shown) in text


def test_download_my_data_includes_comments_and_votes(app, cast, client_for):
    did = make_draft(app, cast)
    cid = add_comment(app, cast, did, "second", "我的意見", None, T0 + DAY)
    freeze(app, T0 + DAY)
    with app.test_request_context(), unit():
        c = db.session.get(RegulationComment, cid)
        operations.vote_comment(cast.get("citizen"), c, 1)
    from participate import signals

    with app.test_request_context():
        found = dict(result for _r, result in signals.personal_data.send(cast.get("citizen")))
    assert found["regulations"]["votes"][0]["comment_id"] == cid
    with app.test_request_context():
        mine = dict(result for _r, result in signals.personal_data.send(cast.get("second")))
    assert mine["regulations"]["comments"][0]["body"] == "我的意見"


def test_demo_drafts_cover_every_phase(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from participate.regulations.lifecycle import effective_status, is_overdue

        drafts = db.session.scalars(select(RegulationDraft)).all()
        states = {effective_status(d).value for d in drafts}
        assert {"open", "responded", "promulgated", "closed"} <= states
        assert any(is_overdue(d) for d in drafts)
        responded = [d for d in drafts if d.responded_at is not None]
        assert any(any(len(r.comment_ids) > 1 for r in d.response_rows) for d in responded)


def test_the_paste_parser_reads_plain_articles_with_explanations():
    from participate.regulations.articles import parse

    parsed = parse(
        "第一條　本辦法依法訂定。\n第二條之一　新增規定，\n分兩行。\n說明：新增。\n補充。\n"
    )
    assert [(p.label, p.change.value) for p in parsed] == [("第一條", "new"), ("第二條之一", "new")]
    assert parsed[1].proposed_text == "第二條之一　新增規定，\n分兩行。"
    assert parsed[1].explanation == "新增。\n補充。"
    quoted = parse('修正條文\t現行條文\t說明\n"第一條　甲\n乙"\t第一條　甲\t"一、改。\n二、增。"\n')
    assert len(quoted) == 1 and quoted[0].proposed_text == "第一條　甲\n乙"
    assert quoted[0].explanation == "一、改。\n二、增。"
    assert parse(TABLE)[2].change.value == "deleted"


def test_the_diff_marks_what_was_added_and_removed():
    from participate.regulations.diff import diff

    runs = diff("汽車應暫停讓行人。", "汽車應停讓行人先行。")
    assert "".join(r.text for r in runs if r.kind != "added") == "汽車應暫停讓行人。"
    assert "".join(r.text for r in runs if r.kind != "removed") == "汽車應停讓行人先行。"
    assert ("removed", "暫") in [(r.kind, r.text) for r in runs]
