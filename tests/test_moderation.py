"""Moderation: reports and auto-hide, the queue, decisions, appeals, suspensions, locks,
pre-moderation, screening (banned words, floods, links), alerts, transparency, 429s."""
# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    Appeal,
    AuditLog,
    ContentStatus,
    ItemKind,
    ItemState,
    MailMessage,
    ModerationItem,
    ModerationNotice,
    Proposal,
    ProposalStatus,
    Reply,
    Statement,
    ThreadLock,
    User,
)
from participate.timeutil import aware, utcnow
from tests.moderation_fixtures import (  # noqa: F401 - fixtures
    add_statement,
    count,
    get,
    items,
    make_consultation,
    quick_login,
)

JSON = {"Accept": "application/json"}


@pytest.fixture()
def login(quick_login):
    """Session login without argon2 (see moderation_fixtures.quick_login)."""
    return quick_login


def new_client(app):
    from tests.conftest import CsrfClient

    app.test_client_class = CsrfClient
    return app.test_client()


def report(client, sid, reason="abuse", text=""):
    return client.post(f"/discussion/report/statement/{sid}", data={"reason": reason, "text": text})


def reporters(app, make_user, login, n):
    clients = []
    for _ in range(n):
        c = new_client(app)
        login(c, make_user())
        clients.append(c)
    return clients


# --- Reports and the automatic hide ------------------------------------------------------


def test_three_reports_from_distinct_people_hide_the_statement(
    app, make_user, login, make_consultation
):
    author = make_user(name="作者")
    _pid, did = make_consultation()
    sid = add_statement(app, did, author.id, "你們都是白痴")
    first, second, third = reporters(app, make_user, login, 3)
    assert report(first, sid).status_code == 302
    assert report(second, sid, "spam").status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    (item,) = items(
        app, ModerationItem.content_id == sid, ModerationItem.content_type == "statement"
    )
    assert item.kind == ItemKind.REPORT and item.report_count == 2 and item.is_open
    # The same person again does not count twice.
    assert report(first, sid).status_code in (302, 409)
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert report(third, sid).status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    (item,) = items(
        app, ModerationItem.content_id == sid, ModerationItem.content_type == "statement"
    )
    assert item.report_count == 3 and item.detail["auto_hidden"]
    assert item.detail["reasons"] == {"abuse": 2, "spam": 1}
    assert count(app, AuditLog, AuditLog.action == "moderation.auto_hide") == 1
    # The author is told; the statement is gone from the public page.
    assert count(app, ModerationNotice, ModerationNotice.user_id == author.id) == 1
    anon = new_client(app)
    assert "你們都是白痴" not in anon.get(f"/proposals/{_pid}/discussion").get_data(as_text=True)


def test_threshold_is_configurable_and_restore_resets_the_count(
    app, client, make_user, login, make_consultation
):
    app.config["MODERATION_REPORT_THRESHOLD"] = 2
    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "有爭議但合法的意見")
    a, b, c, d = reporters(app, make_user, login, 4)
    report(a, sid)
    report(b, sid)
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    mod = make_user(role="moderator")
    login(client, mod)
    (item,) = items(
        app, ModerationItem.content_id == sid, ModerationItem.content_type == "statement"
    )
    resp = client.post(f"/moderation/items/{item.id}", data={"action": "restore"})
    assert resp.status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    # One new report after the restore opens a new item but does not hide again.
    report(c, sid)
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    open_items = items(
        app,
        ModerationItem.content_id == sid,
        ModerationItem.content_type == "statement",
        ModerationItem.state == "open",
    )
    assert len(open_items) == 1 and open_items[0].report_count == 1
    report(d, sid)
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN


def test_syncing_reports_again_is_idempotent(app, make_user, make_consultation, login):
    from participate.boundary import unit
    from participate.models import Report
    from participate.moderation.queue import sync_reports

    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "意見")
    for c in reporters(app, make_user, login, 3):
        report(c, sid)
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    with app.test_request_context(), unit():
        for r in db.session.scalars(select(Report)).all():
            assert sync_reports(r.content_type, r.content_id) is False  # already hidden
    assert count(app, ModerationItem, ModerationItem.kind == ItemKind.REPORT) == 1
    assert count(app, AuditLog, AuditLog.action == "moderation.auto_hide") == 1


# --- The queue ----------------------------------------------------------------------------


def test_queue_sorts_by_urgency_filters_and_paginates(
    app, client, make_user, login, make_consultation
):
    app.config["MODERATION_PAGE_SIZE"] = 2
    _p1, d1 = make_consultation(title="討論一")
    _p2, d2 = make_consultation(title="討論二")
    author = make_user()
    few = add_statement(app, d1, author.id, "一則檢舉")
    many = add_statement(app, d2, author.id, "兩則檢舉")
    old = add_statement(app, d1, author.id, "最早一則檢舉")
    clients = reporters(app, make_user, login, 2)
    report(clients[0], old)
    report(clients[0], few)
    report(clients[0], many)
    report(clients[1], many)
    login(client, make_user(role="moderator"))
    page1 = client.get("/moderation/").get_data(as_text=True)
    # Most reports first, then the oldest.
    assert page1.index("兩則檢舉") < page1.index("最早一則檢舉")
    assert "一則檢舉</blockquote>" not in page1.replace("最早一則檢舉", "")
    page2 = client.get("/moderation/?page=2").get_data(as_text=True)
    assert "一則檢舉" in page2
    only_d2 = client.get(f"/moderation/?discussion={d2}").get_data(as_text=True)
    assert "兩則檢舉" in only_d2 and "最早一則檢舉" not in only_d2
    # The navigation shows the count to moderators only.
    assert "審核 (3)" in page1 or "Moderation (3)" in page1
    citizen = new_client(app)
    login(citizen, make_user())
    assert "審核 (" not in citizen.get("/").get_data(as_text=True)


def test_bulk_actions_decide_many_items_in_one_go(app, client, make_user, login, make_consultation):
    _pid, did = make_consultation()
    author = make_user()
    sids = [add_statement(app, did, author.id, f"垃圾廣告 {i}") for i in range(3)]
    c = reporters(app, make_user, login, 1)[0]
    for sid in sids:
        report(c, sid, "spam")
    login(client, make_user(role="moderator"))
    ids = [i.id for i in items(app)]
    resp = client.post(
        "/moderation/bulk",
        data={
            "items": [str(i) for i in ids],
            "action": "reject",
            "reason": "commercial",
            "message": "請勿張貼廣告",
        },
    )
    assert resp.status_code == 302
    assert all(get(app, Statement, s).status == ContentStatus.HIDDEN for s in sids)
    assert all(i.decision == "reject" for i in items(app))
    notices = count(
        app,
        ModerationNotice,
        ModerationNotice.user_id == author.id,
        ModerationNotice.reason == "commercial",
    )
    assert notices == 3
    assert count(app, MailMessage, MailMessage.recipient == author.email) == 3
    assert count(app, AuditLog, AuditLog.action == "moderation.reject") == 3
    # Reject without a published reason is refused, nothing written.
    resp = client.post("/moderation/bulk", data={"items": [str(ids[0])], "action": "reject"})
    assert resp.status_code == 302


def _proposal_in_review(app, author, title: str, submitted_at) -> int:
    """A submitted proposal, its queue item opened as submitting opens it."""
    from participate.boundary import unit
    from participate.moderation import queue

    with app.test_request_context(), unit():
        proposal = Proposal(
            title=title,
            summary="摘要",
            problem="問題",
            status=ProposalStatus.IN_REVIEW,
            author_id=author.id,
            submitted_at=submitted_at,
        )
        db.session.add(proposal)
        db.session.flush()
        queue.open_proposal_review(proposal)
        queue.open_proposal_review(proposal)  # once per proposal, however often asked
        return proposal.id


def test_proposal_in_review_is_decided_from_the_queue(app, client, make_user, login):
    """The queue is the one review surface: a decision there changes the proposal through
    the proposals area's operations, resolves the item, and tells the author."""
    author = make_user()
    submitted = utcnow() - timedelta(hours=30)
    pid = _proposal_in_review(app, author, "改善機車待轉區", submitted)
    other = _proposal_in_review(app, author, "增設自行車道", utcnow())
    (item, other_item) = items(app, ModerationItem.kind == ItemKind.PROPOSAL)
    assert item.content_id == pid and item.reason == "proposal_review"
    # waiting since submission, not since the item was opened
    assert abs(aware(item.opened_at) - submitted) < timedelta(seconds=1)
    login(client, make_user(role="moderator"))
    page = client.get("/moderation/").get_data(as_text=True)
    assert "改善機車待轉區" in page
    assert page.index("改善機車待轉區") < page.index("增設自行車道")  # waited longer
    assert f'datetime="{aware(item.opened_at).isoformat()}"' in page  # since submission
    resp = client.post(f"/moderation/items/{item.id}", data={"action": "request_edit"})
    assert resp.status_code == 400  # a message is required
    assert get(app, Proposal, pid).status == ProposalStatus.IN_REVIEW
    assert items(app, ModerationItem.id == item.id)[0].is_open
    resp = client.post(
        f"/moderation/items/{item.id}", data={"action": "request_edit", "message": "請補充資料"}
    )
    assert resp.status_code == 302
    assert get(app, Proposal, pid).status == ProposalStatus.CHANGES_REQUESTED
    decided = items(app, ModerationItem.id == item.id)[0]
    assert decided.decision == "request_edit" and not decided.is_open
    assert count(app, AuditLog, AuditLog.action == "moderation.request_edit") == 1
    resp = client.post(f"/moderation/items/{other_item.id}", data={"action": "approve"})
    assert resp.status_code == 302
    assert get(app, Proposal, other).status == ProposalStatus.ENDORSING
    assert (
        items(app, ModerationItem.kind == ItemKind.PROPOSAL, ModerationItem.state == "open") == []
    )


# --- Appeals ------------------------------------------------------------------------------


def test_appeal_once_and_a_different_moderator_decides(
    app, client, make_user, login, make_consultation
):
    _pid, did = make_consultation()
    author = make_user()
    sid = add_statement(app, did, author.id, "被誤判的意見")
    report(reporters(app, make_user, login, 1)[0], sid)
    first_mod = make_user(role="moderator")
    second_mod = make_user(role="moderator")
    login(client, first_mod)
    (item,) = items(app)
    client.post(
        f"/moderation/items/{item.id}",
        data={"action": "reject", "reason": "abusive", "message": "用語不當"},
    )
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN

    author_client = new_client(app)
    login(author_client, author)
    page = author_client.get("/moderation/notices").get_data(as_text=True)
    assert "用語不當" in page
    notice_id = db_first_notice(app, author.id)
    assert (
        author_client.post(f"/moderation/notices/{notice_id}/appeal", data={"text": ""}).status_code
        == 400
    )
    resp = author_client.post(
        f"/moderation/notices/{notice_id}/appeal", data={"text": "我只是引用別人的話"}
    )
    assert resp.status_code == 302
    # Once only.
    resp = author_client.post(f"/moderation/notices/{notice_id}/appeal", data={"text": "再一次"})
    assert resp.status_code == 302
    assert count(app, Appeal) == 1
    (appeal_item,) = items(app, ModerationItem.kind == ItemKind.APPEAL)
    assert appeal_item.excluded_moderator_id == first_mod.id

    # The first moderator sees it but may not decide it.
    resp = client.post(f"/moderation/items/{appeal_item.id}", data={"action": "overturn"})
    assert resp.status_code == 403
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    other = new_client(app)
    login(other, second_mod)
    resp = other.post(
        f"/moderation/items/{appeal_item.id}",
        data={"action": "overturn", "message": "引用不算違規"},
    )
    assert resp.status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert "引用不算違規" in author_client.get("/moderation/notices").get_data(as_text=True)


def db_first_notice(app, user_id):
    with app.app_context():
        return db.session.scalar(
            select(ModerationNotice.id).where(
                ModerationNotice.user_id == user_id, ModerationNotice.appealable.is_(True)
            )
        )


# --- Suspensions --------------------------------------------------------------------------


def test_suspension_blocks_writes_but_not_reading(app, client, make_user, login, make_consultation):
    pid, did = make_consultation()
    troll = make_user()
    sid = add_statement(app, did, make_user().id, "別人的意見")
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    resp = mod.post(
        f"/moderation/users/{troll.id}/suspend",
        data={"days": "7", "reason": "abusive", "message": "請冷靜一週"},
    )
    assert resp.status_code == 302
    assert get(app, User, troll.id).is_suspended()
    login(client, troll)
    # Reading works, with a banner explaining why writing does not.
    page = client.get(f"/proposals/{pid}/discussion")
    assert page.status_code == 200
    assert "停權" in page.get_data(as_text=True) or "suspended" in page.get_data(as_text=True)
    # Every write is refused: statement, vote, reply, report, JSON for fetch.
    r = client.post(f"/proposals/{pid}/discussion/statements", data={"text": "我又來了"})
    assert r.status_code == 403
    r = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert r.status_code == 403 and r.json["error"]["code"] == "suspended"
    assert (
        client.post(f"/discussion/statements/{sid}/replies", data={"body": "回應"}).status_code
        == 403
    )
    assert report(client, sid).status_code == 403
    assert count(app, Statement) == 1 and count(app, Reply) == 0
    # Appeals and logging out still work.
    notice_id = db_first_notice(app, troll.id)
    assert (
        client.post(
            f"/moderation/notices/{notice_id}/appeal", data={"text": "我會改進"}
        ).status_code
        == 302
    )
    assert client.post("/auth/logout").status_code == 302
    # Permanent suspension, then lifting it.
    r = mod.post(f"/moderation/users/{troll.id}/unsuspend")
    assert r.status_code == 302 and not get(app, User, troll.id).is_suspended()
    mod.post(f"/moderation/users/{troll.id}/suspend", data={"days": "", "reason": "abusive"})
    assert get(app, User, troll.id).is_suspended(utcnow() + timedelta(days=3650))


def test_suspension_bad_input_is_shown_next_to_the_field(app, client, make_user, login):
    target = make_user()
    login(client, make_user(role="moderator"))
    r = client.post(f"/moderation/users/{target.id}/suspend", data={"days": "-3", "reason": ""})
    assert r.status_code == 400
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    assert not get(app, User, target.id).is_suspended()


def test_every_discussion_operation_refuses_a_suspended_account(app, make_user, make_consultation):
    """The policy, asked by each operation (not a guard in front of some endpoints): the
    refusal says "suspended" and leaves no row behind."""
    from participate.discussion import operations
    from participate.errors import RuleError
    from participate.models import Discussion, Report, Vote

    _pid, did = make_consultation()
    user = make_user()
    sid = add_statement(app, did, make_user().id, "別人的意見")
    with app.test_request_context():
        u = db.session.get(User, user.id)
        u.suspended_until = utcnow() + timedelta(days=1)
        db.session.commit()
        statement = db.session.get(Statement, sid)
        attempts = {
            "post": lambda: operations.post_statement(u, db.session.get(Discussion, did), "又來"),
            "reply": lambda: operations.reply(u, statement, "回應"),
            "vote": lambda: operations.vote(u, statement, 1),
            "report": lambda: operations.report(u, statement, "spam"),
        }
        for name, attempt in attempts.items():
            with pytest.raises(RuleError) as refused:
                attempt()
            assert (refused.value.status, refused.value.code) == (403, "suspended"), name
            db.session.rollback()
    assert count(app, Statement) == 1
    assert count(app, Reply) == 0 and count(app, Vote) == 0 and count(app, Report) == 0


# --- Locks and pre-moderation ---------------------------------------------------------


def test_locked_discussion_can_be_read_and_reported_but_not_written(
    app, client, make_user, login, make_consultation
):
    pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "意見")
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    assert (
        mod.post(f"/moderation/discussions/{did}/lock", data={"reason": "洗版"}).status_code == 302
    )
    assert count(app, ThreadLock) == 1
    login(client, make_user())
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "鎖定" in page or "locked" in page
    assert (
        client.post(
            f"/proposals/{pid}/discussion/statements", data={"text": "新的意見"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON
        ).json["error"]["code"]
        == "locked"
    )
    assert report(client, sid).status_code == 302
    # Unlock, then a single thread lock stops replies there only.
    with app.app_context():
        lock_id = db.session.scalar(select(ThreadLock.id))
    assert mod.post(f"/moderation/locks/{lock_id}/delete").status_code == 302
    mod.post(f"/moderation/discussions/{did}/lock", data={"statement_id": str(sid)})
    assert (
        client.post(f"/discussion/statements/{sid}/replies", data={"body": "回應"}).status_code
        == 403
    )
    assert (
        client.post(
            f"/proposals/{pid}/discussion/statements", data={"text": "其他意見可以"}
        ).status_code
        == 302
    )


def test_premoderation_holds_new_statements_until_approved(
    app, client, make_user, login, make_consultation
):
    pid, did = make_consultation()
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    assert (
        mod.post(f"/moderation/discussions/{did}/premoderation", data={"enabled": "y"}).status_code
        == 302
    )
    author = make_user()
    login(client, author)
    r = client.post(
        f"/proposals/{pid}/discussion/statements",
        data={"text": "等待審核的意見"},
        follow_redirects=True,
    )
    assert "審核" in r.get_data(as_text=True) or "reviewed" in r.get_data(as_text=True)
    with app.app_context():
        s = db.session.scalar(select(Statement))
        sid = s.id
        assert s.status == ContentStatus.HIDDEN
    (item,) = items(app, ModerationItem.kind == ItemKind.HELD)
    assert item.reason == "premoderation"
    anon = new_client(app).get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "等待審核的意見" not in anon
    mod.post(f"/moderation/items/{item.id}", data={"action": "restore"})
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert "等待審核的意見" in new_client(app).get(f"/proposals/{pid}/discussion").get_data(
        as_text=True
    )


# --- Screening ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "去死吧臺灣人",
        "去死吧台灣人",
        "去　死 吧，台灣人",
        "ＳＰＡＭＢＯＴ來了",
        "spambot",
        "SpamBot!",
    ],
)
def test_banned_word_variants_are_caught(app, make_user, text):
    from participate.models import BannedTerm
    from participate.moderation import screening
    from participate.moderation.screening import ScreenRequest

    with app.test_request_context():
        db.session.add(BannedTerm(term="去死吧台灣人", action="reject"))
        db.session.add(BannedTerm(term="spambot", action="hold"))
        db.session.commit()
        user = db.session.get(User, make_user().id)
        result = screening.screen(ScreenRequest(user, "statement", text, None))
        assert result is not None and result.reason == "banned_term"
        assert result.action == ("reject" if "死" in text else "hold")
        # Latin words keep word boundaries; Chinese context without the term passes.
        assert (
            screening.screen(ScreenRequest(user, "statement", "spambots? no: spam bot", None))
            is None
        )
        assert screening.screen(ScreenRequest(user, "statement", "臺灣人加油", None)) is None


def test_banned_word_rejection_through_the_form_and_hold(
    app, client, make_user, login, make_consultation
):
    pid, did = make_consultation()
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    assert (
        mod.post("/moderation/terms", data={"term": "王八蛋", "action": "reject"}).status_code
        == 302
    )
    assert mod.post("/moderation/terms", data={"term": "re:(", "action": "hold"}).status_code == 400
    app.config["MODERATION_BANNED_WORDS"] = "賭場"
    login(client, make_user())
    r = client.post(f"/proposals/{pid}/discussion/statements", data={"text": "你這個王 八 蛋"})
    assert r.status_code == 400
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    assert count(app, Statement) == 0
    r = client.post(f"/proposals/{pid}/discussion/statements", data={"text": "線上賭場優惠"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Statement.status)) == ContentStatus.HIDDEN
    assert items(app)[0].reason == "banned_term"


def test_link_heavy_posts_and_new_accounts_are_held(
    app, client, make_user, login, make_consultation
):
    pid, _did = make_consultation()
    login(client, make_user())
    links = "看這裡 https://a.example http://b.example www.c.example"
    client.post(f"/proposals/{pid}/discussion/statements", data={"text": links})
    app.config["MODERATION_NEW_ACCOUNT_HOURS"] = 24
    client.post(f"/proposals/{pid}/discussion/statements", data={"text": "新帳號的第一則意見"})
    reasons = sorted(i.reason for i in items(app, ModerationItem.kind == ItemKind.HELD))
    assert reasons == ["links", "new_account"]
    # A young account whose content is held is also flagged for a look.
    assert len(items(app, ModerationItem.kind == ItemKind.ACCOUNT)) == 1


def test_flood_of_the_same_text_across_accounts(app, make_user, login, make_consultation):
    pid, _did = make_consultation()
    text = "立刻停止這個政策！大家一起來反對！"
    outcomes = []
    for _i in range(4):
        c = new_client(app)
        login(c, make_user())
        r = c.post(f"/proposals/{pid}/discussion/statements", data={"text": text, "confirmed": "1"})
        outcomes.append(r.status_code)
    # Two accounts post; the third identical copy is refused (3 accounts = flood).
    assert outcomes[:2] == [302, 302]
    assert outcomes[2:] == [409, 409]
    assert count(app, Statement) == 2
    # Near-duplicates (a few characters changed) from a third account are held.
    c = new_client(app)
    login(c, make_user())
    r = c.post(
        f"/proposals/{pid}/discussion/statements",
        data={"text": "立刻停止這個政策！！大家一起來反對吧！", "confirmed": "1"},
    )
    assert r.status_code == 302
    held = items(app, ModerationItem.kind == ItemKind.HELD)
    assert [i.reason for i in held] == ["flood_similar"]


def test_same_author_repeating_is_refused(app, client, make_user, login, make_consultation):
    pid, _did = make_consultation()
    login(client, make_user())
    data = {"text": "重複的意見", "confirmed": "1"}
    assert client.post(f"/proposals/{pid}/discussion/statements", data=data).status_code == 302
    r = client.post(f"/proposals/{pid}/discussion/statements", data=data)
    assert r.status_code == 409 and 'aria-invalid="true"' in r.get_data(as_text=True)
    assert count(app, Statement) == 1


def test_old_posts_are_not_a_flood(app, make_user, make_consultation):
    from participate.moderation import screening
    from participate.moderation.screening import ScreenRequest

    _pid, did = make_consultation()
    old = utcnow() - timedelta(hours=2)
    with app.app_context():
        for _ in range(3):
            u = User(display_name="舊", role="citizen")
            db.session.add(u)
            db.session.flush()
            db.session.add(
                Statement(discussion_id=did, author_id=u.id, text="一樣", created_at=old)
            )
        db.session.commit()
    with app.test_request_context():
        user = db.session.get(User, make_user().id)
        assert screening.screen(ScreenRequest(user, "statement", "一樣", did)) is None


def test_display_name_with_banned_word_flags_the_account(app, client):
    from participate.models import BannedTerm

    with app.app_context():
        db.session.add(BannedTerm(term="代購", action="hold"))
        db.session.commit()
    r = client.post(
        "/auth/register",
        data={
            "email": "new@example.tw",
            "display_name": "專業代 購小王",
            "password": "correct-horse-battery",
            "confirm": "correct-horse-battery",
            "accept_privacy": "y",
        },
    )
    assert r.status_code == 302
    (item,) = items(app)
    assert item.kind == ItemKind.ACCOUNT and item.reason == "banned_term"
    assert item.content_type == "user"


# --- Alerts, audit view, transparency -----------------------------------------------------


def test_alert_when_the_queue_is_long_or_an_item_waits_too_long(
    app, make_user, make_consultation, login
):
    from participate.boundary import unit
    from participate.moderation.alerts import check_queue

    mod = make_user(role="moderator")
    app.config["MODERATION_ALERT_QUEUE_SIZE"] = 2
    _pid, did = make_consultation()
    c = reporters(app, make_user, login, 1)[0]
    for i in range(3):
        report(c, add_statement(app, did, None, f"意見 {i}"))
    with app.app_context():
        with unit():  # as the periodic task runs it: the mail follows the commit
            assert check_queue() is True
        with unit():
            assert check_queue() is False  # not again within the interval
    assert (
        count(
            app,
            ModerationNotice,
            ModerationNotice.user_id == mod.id,
            ModerationNotice.action == "alert",
        )
        == 1
    )
    assert count(app, MailMessage, MailMessage.recipient == mod.email) == 1
    with app.app_context():
        mail = db.session.scalar(select(MailMessage).where(MailMessage.recipient == mod.email))
        assert "審核佇列" in mail.subject and "有 3 個項目等待處理" in mail.body
    # An old item triggers the alert too, after the interval.
    app.config["MODERATION_ALERT_QUEUE_SIZE"] = 100
    later = utcnow() + timedelta(hours=49)
    app.config["FROZEN_NOW"] = later
    with app.app_context(), unit():
        assert check_queue() is True


def test_moderators_browse_the_moderation_log_and_the_public_sees_counts_only(
    app, client, make_user, login, make_consultation
):
    _pid, did = make_consultation()
    author = make_user(name="秘密作者")
    sid = add_statement(app, did, author.id, "不該公開的內容")
    mod = make_user(role="moderator", name="審核員甲")
    login(client, mod)
    report(reporters(app, make_user, login, 1)[0], sid)
    (item,) = items(app)
    client.post(f"/moderation/items/{item.id}", data={"action": "reject", "reason": "abusive"})
    log = client.get("/moderation/audit").get_data(as_text=True)
    # The log names the action in words (依公告理由移除), never its code.
    words = re.sub(r"<[^>]+>", " ", log)  # the filter's option values keep the codes
    assert "依公告理由移除" in words and "審核員甲" in words and "moderation.reject" not in words
    public = new_client(app).get("/moderation/transparency")
    assert public.status_code == 200
    body = public.get_data(as_text=True)
    assert "審核員甲" not in body and "秘密作者" not in body and "不該公開的內容" not in body
    assert "1</td>" in body
    citizen = new_client(app)
    login(citizen, make_user())
    assert citizen.get("/moderation/audit").status_code == 403


# --- Rate limits --------------------------------------------------------------------------


def _exhaust(client, url, data, limit_key, app, headers=None):
    app.config[limit_key] = "2 per minute"
    codes = [client.post(url, data=data, headers=headers or {}).status_code for _ in range(3)]
    return codes


def test_writes_are_rate_limited_with_429_and_retry_after(app, make_user, login, make_consultation):
    pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "意見")
    # Registration.
    anon = new_client(app)
    app.config["REGISTER_RATE_LIMIT"] = "1 per minute"
    anon.post("/auth/register", data={"email": "a@example.tw"})
    r = anon.post("/auth/register", data={"email": "b@example.tw"}, headers=JSON)
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0
    # Login.
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    anon.post("/auth/login", data={"email": "x@example.tw", "password": "x"})
    assert (
        anon.post("/auth/login", data={"email": "x@example.tw", "password": "x"}).status_code == 429
    )
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    # Posting, reporting, appealing (WRITE_RATE_LIMIT) and voting (VOTE_RATE_LIMIT).
    user = make_user()
    c = new_client(app)
    login(c, user)
    app.config["WRITE_RATE_LIMIT"] = "2 per minute"
    codes = [
        c.post(
            f"/proposals/{pid}/discussion/statements",
            data={"text": f"意見 {i} 號", "confirmed": "1"},
        ).status_code
        for i in range(3)
    ]
    assert codes[-1] == 429
    app.config["VOTE_RATE_LIMIT"] = "2 per minute"
    codes = [
        c.post(
            f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    for _ in range(2):
        c.post(f"/discussion/report/statement/{sid}", data={"reason": "spam"})
    page = c.post(f"/discussion/report/statement/{sid}", data={"reason": "spam"})
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    codes = [mod.post("/moderation/terms", data={"term": f"詞{i}"}).status_code for i in range(3)]
    assert codes[-1] == 429


def test_endorsing_is_rate_limited(app, make_user, login):
    with app.app_context():
        p = Proposal(
            title="附議測試",
            status=ProposalStatus.ENDORSING,
            deadline=utcnow() + timedelta(days=30),
            opened_at=utcnow(),
        )
        db.session.add(p)
        db.session.commit()
        pid = p.id
    app.config["WRITE_RATE_LIMIT"] = "1 per minute"
    c = new_client(app)
    login(c, make_user())
    c.post(f"/proposals/{pid}/endorse")
    assert c.post(f"/proposals/{pid}/endorse").status_code == 429


def test_held_items_state_is_listed_with_its_reason(app, client, make_user, login):
    login(client, make_user(role="moderator"))
    r = client.get("/moderation/?kind=held&state=resolved&sort=oldest")
    assert r.status_code == 200
    assert client.get("/moderation/?kind=bogus&sort=bogus").status_code == 200
    assert items(app, ModerationItem.state == ItemState.OPEN) == []


def test_download_my_data_and_deletion_cover_notices_and_appeals(
    app, client, make_user, login, make_consultation
):
    _pid, did = make_consultation()
    author = make_user()
    sid = add_statement(app, did, author.id, "意見")
    report(reporters(app, make_user, login, 1)[0], sid)
    mod = new_client(app)
    login(mod, make_user(role="moderator"))
    (item,) = items(app, ModerationItem.kind == ItemKind.REPORT)
    mod.post(f"/moderation/items/{item.id}", data={"action": "hide", "message": "請修正"})
    login(client, author)
    client.post(
        f"/moderation/notices/{db_first_notice(app, author.id)}/appeal",
        data={"text": "我的申訴理由"},
    )
    data = client.get("/account/data.json").json["moderation"]
    assert data["notices"][0]["message"] == "請修正"
    assert data["appeals"][0]["text"] == "我的申訴理由"
    from participate import signals

    with app.test_request_context():
        signals.account_deleting.send(db.session.get(User, author.id))
        db.session.commit()
    assert count(app, ModerationNotice, ModerationNotice.user_id == author.id) == 0
    with app.app_context():
        assert db.session.scalar(select(Appeal.text)) == ""


def test_editing_a_reply_into_banned_words_is_refused(
    app, client, make_user, login, make_consultation
):
    from participate.models import BannedTerm

    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "意見")
    with app.app_context():
        db.session.add(BannedTerm(term="王八蛋", action="reject"))
        db.session.commit()
    login(client, make_user())
    assert (
        client.post(f"/discussion/statements/{sid}/replies", data={"body": "好"}).status_code == 302
    )
    with app.app_context():
        rid = db.session.scalar(select(Reply.id))
    r = client.post(f"/discussion/replies/{rid}/edit", data={"body": "你這個王八蛋"})
    assert r.status_code == 400
    assert get(app, Reply, rid).body == "好"


def test_api_statements_are_screened_and_locks_apply(
    app, client, make_user, login, make_consultation
):
    from participate.api.tokens import create_token
    from participate.models import BannedTerm

    pid, did = make_consultation()
    user = make_user()
    with app.test_request_context():
        db.session.add(BannedTerm(term="賭場", action="hold"))
        _token, secret = create_token(
            db.session.get(User, user.id), "bot", ["statements:write", "vote"]
        )
        db.session.commit()
    api = new_client(app)
    auth = {"Authorization": f"Bearer {secret}"}
    r = api.post(
        f"/api/v1/proposals/{pid}/statements", json={"text": "線上賭場"}, headers=auth, csrf=False
    )
    assert r.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Statement.status)) == ContentStatus.HIDDEN
    assert [i.reason for i in items(app, ModerationItem.kind == ItemKind.HELD)] == ["banned_term"]
    with app.app_context():
        db.session.add(ThreadLock(discussion_id=did))
        db.session.commit()
    r = api.post(
        f"/api/v1/proposals/{pid}/statements", json={"text": "鎖定後"}, headers=auth, csrf=False
    )
    assert r.status_code == 403 and r.json["error"]["code"] == "locked"


def test_a_broken_mail_server_does_not_break_reports_or_decisions(
    app, client, make_user, login, make_consultation
):
    _pid, did = make_consultation()
    author = make_user()
    sid = add_statement(app, did, author.id, "意見")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MODERATION_REPORT_THRESHOLD=1)
    reporter = reporters(app, make_user, login, 1)[0]
    assert report(reporter, sid).status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    with app.app_context():
        notice = db.session.scalar(select(ModerationNotice))
        assert notice.action == "auto_hide" and notice.emailed_at is None
    # Mail goes out once the server is back (the periodic task retries).
    app.config.update(MAIL_SERVER=None)
    from participate.moderation.tasks import deliver_mail

    with app.app_context():
        assert deliver_mail() == 1
    assert count(app, MailMessage, MailMessage.recipient == author.email) == 1


def test_a_moderator_takes_an_item_and_the_queue_shows_who(
    app, client, make_user, login, make_consultation
):
    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "意見")
    report(reporters(app, make_user, login, 1)[0], sid)
    (item,) = items(app, ModerationItem.kind == ItemKind.REPORT)
    login(client, make_user(role="moderator", name="審核員乙"))
    assert client.post(f"/moderation/items/{item.id}/claim").status_code == 302
    queue = re.sub(r"<[^>]+>", "", client.get("/moderation/").get_data(as_text=True))
    assert "由 審核員乙 處理中" in queue  # the name marked as what a person wrote
    assert "意見" in client.get("/moderation/?mine=1").get_data(as_text=True)
    other = new_client(app)
    login(other, make_user(role="moderator"))
    assert "意見</blockquote>" not in other.get("/moderation/?mine=1").get_data(as_text=True)
    client.post(f"/moderation/items/{item.id}/claim", data={"release": "1"})
    assert items(app, ModerationItem.kind == ItemKind.REPORT)[0].assigned_to_id is None
    citizen = new_client(app)
    login(citizen, make_user())
    assert citizen.post(f"/moderation/items/{item.id}/claim").status_code == 403


def test_the_data_migration_opens_the_review_item_of_each_proposal_waiting(app, make_user):
    """moderation_0003 replaces the repair the queue page used to run on every GET: each
    proposal in review without an open item gets one, waiting since its submission; an
    existing item is not doubled, other proposals get none, and running it again adds
    nothing."""
    from flask_migrate import downgrade, upgrade

    author = make_user()
    submitted = utcnow() - timedelta(days=3)
    with app.app_context():
        waiting = Proposal(
            title="等待審查",
            summary="",
            status=ProposalStatus.IN_REVIEW,
            author_id=author.id,
            submitted_at=submitted,
        )
        has_item = Proposal(title="已在佇列", summary="", status=ProposalStatus.IN_REVIEW)
        public = Proposal(title="附議中", summary="", status=ProposalStatus.ENDORSING)
        db.session.add_all([waiting, has_item, public])
        db.session.flush()
        db.session.add(
            ModerationItem(
                kind=ItemKind.PROPOSAL,
                content_type="proposal",
                content_id=has_item.id,
                reason="proposal_review",
            )
        )
        db.session.commit()
        ids = (waiting.id, has_item.id, public.id)
        db.session.remove()
        downgrade(revision="api_0001")  # data only: the schema stays as it is
        upgrade(revision="head")
        upgrade(revision="head")
    opened = items(app, ModerationItem.kind == ItemKind.PROPOSAL)
    assert sorted(i.content_id for i in opened) == sorted(ids[:2])
    (item,) = [i for i in opened if i.content_id == ids[0]]
    assert (item.reason, item.state, item.subject_user_id) == ("proposal_review", "open", author.id)
    assert item.priority == 10  # queue.KIND_WEIGHT for proposals
    assert abs(aware(item.opened_at) - submitted) < timedelta(seconds=1)
