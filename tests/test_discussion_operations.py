"""The discussion's operations are the one way in: the site and the API refuse and accept
the same things (locks, screening, the policy), a refused write leaves no row behind, and
what an operation queues for after the commit never runs when its request fails."""
# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import (
    AuditLog,
    BannedTerm,
    ContentStatus,
    ItemKind,
    MailMessage,
    ModerationItem,
    ModerationNotice,
    Reply,
    Report,
    Statement,
    ThreadLock,
    User,
    Vote,
    VoteHistory,
)
from tests.moderation_fixtures import (  # noqa: F401 - fixtures
    add_statement,
    count,
    get,
    items,
    make_consultation,
    quick_login,
)

JSON = {"Accept": "application/json"}
WRITE_TABLES = (Statement, Reply, Vote, VoteHistory, Report, AuditLog, ModerationItem)


def _client(app: Any) -> Any:
    from tests.conftest import CsrfClient

    app.test_client_class = CsrfClient
    return app.test_client()


def _token(app: Any, user: Any) -> dict[str, str]:
    from participate.api.tokens import create_token
    from participate.boundary import unit

    with app.app_context(), unit():
        _row, secret = create_token(
            db.session.get(User, user.id), "bot", ["statements:write", "vote"]
        )
    return {"Authorization": f"Bearer {secret}"}


def _rows(app: Any) -> dict[str, int]:
    return {model.__name__: count(app, model) for model in WRITE_TABLES}


def _api_post(api: Any, url: str, payload: dict[str, Any], auth: dict[str, str]) -> Any:
    return api.post(url, json=payload, headers=auth, csrf=False)


# --- Locks: the site and the API ------------------------------------------------------------


@pytest.mark.parametrize("scope", ["discussion", "thread"])
def test_a_lock_refuses_votes_statements_and_replies_on_the_site_and_the_api(
    app, make_user, quick_login, make_consultation, scope
):
    pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "公車路線應該重新規劃")
    citizen, moderator = make_user(), make_user(role="moderator")
    site, mod_site, api = _client(app), _client(app), _client(app)
    quick_login(site, citizen)
    quick_login(mod_site, moderator)
    citizen_auth, moderator_auth = _token(app, citizen), _token(app, moderator)

    lock = {"statement_id": str(sid)} if scope == "thread" else {}
    assert mod_site.post(f"/moderation/discussions/{did}/lock", data=lock).status_code == 302
    assert count(app, ThreadLock) == 1
    before = _rows(app)
    # Every reader sees the lock where it applies (the discussion page shows a whole lock).
    note = "這個討論已被管理員鎖定"
    reader = _client(app)
    assert note in reader.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    on_page = note in reader.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert on_page == (scope == "discussion")

    vote_url, reply_url = (
        f"/discussion/statements/{sid}/vote",
        f"/discussion/statements/{sid}/replies",
    )
    statement_url, api_statements = (
        f"/proposals/{pid}/discussion/statements",
        f"/api/v1/proposals/{pid}/statements",
    )
    api_vote = f"/api/v1/statements/{sid}/vote"
    # The citizen: every write into the locked thread is refused, on both ways in.
    r = site.post(vote_url, data={"value": "agree"}, headers=JSON)
    assert (r.status_code, r.json["error"]["code"]) == (403, "locked")
    assert site.post(vote_url, data={"value": "agree"}).status_code == 403
    assert site.post(reply_url, data={"body": "我也想說"}).status_code == 403
    r = _api_post(api, api_vote, {"value": 1}, citizen_auth)
    assert (r.status_code, r.json["error"]["code"]) == (403, "locked")
    if scope == "discussion":
        assert site.post(statement_url, data={"text": "新的想法"}).status_code == 403
        r = _api_post(api, api_statements, {"text": "機器人的想法"}, citizen_auth)
        assert (r.status_code, r.json["error"]["code"]) == (403, "locked")
    assert _rows(app) == before  # nothing written, not even an audit entry

    # A thread lock leaves the rest of the discussion open.
    if scope == "thread":
        assert site.post(statement_url, data={"text": "另一個主題"}).status_code == 302
        r = _api_post(api, api_statements, {"text": "機器人的另一個主題"}, citizen_auth)
        assert r.status_code == 201
    # Anyone may still report; moderators write through the lock, on both ways in.
    assert (
        site.post(f"/discussion/report/statement/{sid}", data={"reason": "spam"}).status_code == 302
    )
    assert mod_site.post(vote_url, data={"value": "pass"}, headers=JSON).status_code == 200
    assert mod_site.post(reply_url, data={"body": "請大家冷靜討論"}).status_code == 302
    assert _api_post(api, api_vote, {"value": 1}, moderator_auth).status_code == 200
    r = _api_post(api, api_statements, {"text": "主持人的補充說明"}, moderator_auth)
    assert r.status_code == 201
    with app.app_context():
        voters = set(db.session.scalars(select(Vote.participant_id)))
        repliers = set(db.session.scalars(select(Reply.author_id)))
    assert voters == {moderator.id} and repliers == {moderator.id}
    assert count(app, Report) == 1


# --- The same statement through the site and the API ----------------------------------------


def _outcome_site(resp: Any) -> str:
    if resp.status_code == 302:
        return "posted"
    assert 'aria-invalid="true"' in resp.get_data(as_text=True)  # next to the field
    return f"refused {resp.status_code}"


def _outcome_api(resp: Any) -> str:
    if resp.status_code == 201:
        return "posted"
    assert "text" in resp.json["error"]["fields"]
    return f"refused {resp.status_code}"


def _shape(app: Any, discussion_id: int) -> list[dict[str, Any]]:
    """The stored statement and what came with it, without ids, times and the author."""
    with app.app_context():
        rows = []
        for s in db.session.scalars(
            select(Statement).where(Statement.discussion_id == discussion_id)
        ):
            rows.append(
                {
                    "text": s.text,
                    "status": s.status,
                    "is_seed": s.is_seed,
                    "counts": (s.agree_count, s.disagree_count, s.pass_count, s.reply_count),
                    "audit": db.session.scalars(
                        select(AuditLog.action).where(
                            AuditLog.target_type == "statement", AuditLog.target_id == s.id
                        )
                    ).all(),
                    "queue": [
                        (i.kind, i.reason, i.state)
                        for i in db.session.scalars(
                            select(ModerationItem).where(
                                ModerationItem.content_type == "statement",
                                ModerationItem.content_id == s.id,
                            )
                        )
                    ],
                }
            )
        return rows


@pytest.mark.parametrize(
    ("text", "expected", "status"),
    [
        ("公園應該增加遮蔭的樹", "posted", ContentStatus.VISIBLE),
        ("線上賭場的廣告應該禁止", "posted", ContentStatus.HIDDEN),  # held: "賭場"
        ("你這個王八蛋", "refused 400", None),  # rejected: "王八蛋"
        ("   ", "refused 400", None),
    ],
    ids=["published", "held", "rejected", "empty"],
)
def test_the_site_and_the_api_post_a_statement_the_same_way(
    app, make_user, quick_login, make_consultation, text, expected, status
):
    with app.app_context():
        db.session.add(BannedTerm(term="賭場", action="hold"))
        db.session.add(BannedTerm(term="王八蛋", action="reject"))
        db.session.commit()
    site_pid, site_did = make_consultation(title="網站")
    api_pid, api_did = make_consultation(title="應用程式介面")
    site, api = _client(app), _client(app)
    quick_login(site, make_user())
    auth = _token(app, make_user())

    by_site = site.post(
        f"/proposals/{site_pid}/discussion/statements", data={"text": text, "confirmed": "1"}
    )
    by_api = _api_post(api, f"/api/v1/proposals/{api_pid}/statements", {"text": text}, auth)
    assert _outcome_site(by_site) == _outcome_api(by_api) == expected
    site_rows, api_rows = _shape(app, site_did), _shape(app, api_did)
    assert site_rows == api_rows
    if status is None:
        assert site_rows == []  # refused: no statement, no audit entry, no queue item
        assert count(app, AuditLog, AuditLog.target_type == "statement") == 0
        assert count(app, ModerationItem) == 0
    else:
        (row,) = site_rows
        assert row["status"] == status and row["audit"] == ["statement.post"]
        held = [(ItemKind.HELD, "banned_term", "open")] if status == ContentStatus.HIDDEN else []
        assert row["queue"] == held
    if expected == "posted":
        assert by_api.json["text"] == text.strip()


def test_refusals_by_the_policy_leave_no_row_behind(app, make_user, quick_login, make_consultation):
    pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "捷運應該延長營運時間")
    unverified = make_user(verified=False)
    suspended = make_user()
    auth = _token(app, suspended)  # made before the suspension
    with app.app_context():
        from participate.timeutil import utcnow

        db.session.get(User, suspended.id).suspended_until = utcnow().replace(year=2999)
        db.session.commit()
    before = _rows(app)
    for person, code in ((unverified, "forbidden"), (suspended, "suspended")):
        site, api = _client(app), _client(app)
        quick_login(site, person)
        site.post(f"/proposals/{pid}/discussion/statements", data={"text": "我的意見"})
        site.post(f"/discussion/statements/{sid}/replies", data={"body": "我的回應"})
        r = site.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
        assert (r.status_code, r.json["error"]["code"]) == (403, code)
        if person is suspended:
            r = _api_post(api, f"/api/v1/statements/{sid}/vote", {"value": 1}, auth)
            assert (r.status_code, r.json["error"]["code"]) == (403, "suspended")
            r = _api_post(api, f"/api/v1/proposals/{pid}/statements", {"text": "我的意見"}, auth)
            assert (r.status_code, r.json["error"]["code"]) == (403, "suspended")
    assert _rows(app) == before


# --- Side effects of a failed request ----------------------------------------------------------


class Effects:
    """What the after-commit effects leave behind, read from the real system: the analysis
    request is the discussion's scheduling row, a mail is a line the mail transport logs
    as it sends (a mail sent inside a failed request would log it even though its outbox
    row rolled back)."""

    def __init__(self, app: Any, caplog: pytest.LogCaptureFixture) -> None:
        self.app = app
        self.caplog = caplog

    def analysis_requested(self, discussion_id: int) -> bool:
        from participate.models import AnalysisState

        with self.app.app_context():
            state = db.session.get(AnalysisState, discussion_id)
            return bool(state is not None and state.requested_at is not None)

    def mails_to(self, user: Any) -> int:
        return sum(
            1
            for r in self.caplog.records
            if r.name == "participate.mail" and r.getMessage().startswith(f"mail to {user.email}:")
        )


@pytest.fixture()
def effects(app: Any, caplog: pytest.LogCaptureFixture) -> Effects:
    caplog.set_level(logging.INFO, logger="participate.mail")
    app.config["ANALYSIS_MIN_DELAY_SECONDS"] = 60  # requested and scheduled, not run
    return Effects(app, caplog)


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("the request fails after the operation")


def test_a_vote_whose_request_fails_asks_for_no_analysis(
    app, make_user, quick_login, make_consultation, effects, monkeypatch
):
    from participate.discussion import views

    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "停車位應該收費")
    site = _client(app)
    quick_login(site, make_user())
    # JSON, but not the exact Accept header the vote's lane takes: the view answers it.
    by_view = {"Accept": "application/json, text/html;q=0.5"}
    with monkeypatch.context() as patch:
        patch.setattr(views, "jsonify", _boom)  # after operations.vote queued its effect
        r = site.post(
            f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=by_view
        )
    assert r.status_code == 500
    assert not effects.analysis_requested(did)
    assert count(app, Vote) == 0 and count(app, VoteHistory) == 0
    assert get(app, Statement, sid).agree_count == 0
    # The same vote in a request that succeeds: kept, and the analysis asked for once.
    r = site.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert r.status_code == 200
    assert effects.analysis_requested(did)
    assert count(app, Vote) == 1


@pytest.mark.parametrize("failure", ["exception", "error status"])
def test_a_decision_whose_request_fails_sends_no_mail_and_asks_for_no_analysis(
    app, make_user, quick_login, make_consultation, effects, monkeypatch, failure
):
    from flask import abort

    from participate.moderation import queue_views

    _pid, did = make_consultation()
    author = make_user()
    sid = add_statement(app, did, author.id, "這是廣告")
    reporter = _client(app)
    quick_login(reporter, make_user())
    assert (
        reporter.post(f"/discussion/report/statement/{sid}", data={"reason": "spam"}).status_code
        == 302
    )
    (item,) = items(app, ModerationItem.kind == ItemKind.REPORT)
    moderator = _client(app)
    quick_login(moderator, make_user(role="moderator"))
    decision = {"action": "reject", "reason": "commercial", "message": "請勿張貼廣告"}

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        if failure == "exception":
            raise RuntimeError("the request fails after the decision")
        abort(409)  # a response >= 400, no exception reaching the boundary

    with monkeypatch.context() as patch:
        patch.setattr(queue_views, "flash", fail)  # after operations.decide queued its effects
        r = moderator.post(f"/moderation/items/{item.id}", data=decision)
    assert r.status_code == (500 if failure == "exception" else 409)
    assert effects.mails_to(author) == 0 and not effects.analysis_requested(did)
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert items(app, ModerationItem.id == item.id)[0].is_open
    assert count(app, ModerationNotice) == 0 and count(app, MailMessage) == 0
    # The same decision in a request that succeeds: the notice's mail and the analysis run.
    r = moderator.post(f"/moderation/items/{item.id}", data=decision)
    assert r.status_code == 302
    assert effects.mails_to(author) == 1 and effects.analysis_requested(did)
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    assert count(app, ModerationNotice, ModerationNotice.user_id == author.id) == 1


def test_report_that_hides_in_a_failed_request_leaves_the_content_and_tells_no_one(
    app, make_user, quick_login, make_consultation, effects, monkeypatch
):
    from participate.discussion import views

    app.config["MODERATION_REPORT_THRESHOLD"] = 1
    _pid, did = make_consultation()
    author = make_user()
    sid = add_statement(app, did, author.id, "可能被檢舉的意見")
    reporter = _client(app)
    quick_login(reporter, make_user())
    with monkeypatch.context() as patch:
        patch.setattr(views, "flash", _boom)  # after the report hid the statement
        r = reporter.post(f"/discussion/report/statement/{sid}", data={"reason": "abuse"})
    assert r.status_code == 500
    assert effects.mails_to(author) == 0 and not effects.analysis_requested(did)
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert count(app, Report) == 0 and count(app, ModerationItem) == 0
    assert count(app, ModerationNotice) == 0
    r = reporter.post(f"/discussion/report/statement/{sid}", data={"reason": "abuse"})
    assert r.status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    assert effects.mails_to(author) == 1 and effects.analysis_requested(did)


def test_a_reply_that_fails_after_its_flush_leaves_nothing(
    app, make_user, quick_login, make_consultation, monkeypatch
):
    """Screening holds the reply (a banned word): written, flushed, counted on its
    statement, its queue item opened; then the request fails. Nothing of it stays."""
    from participate.discussion import views

    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "公共自行車應該增加站點")
    with app.app_context():
        db.session.add(BannedTerm(term="代購", action="hold"))
        db.session.commit()
    site = _client(app)
    quick_login(site, make_user())
    with monkeypatch.context() as patch:
        patch.setattr(views, "_flash_posted", _boom)
        r = site.post(f"/discussion/statements/{sid}/replies", data={"body": "幫你代購腳踏車"})
    assert r.status_code == 500
    assert count(app, Reply) == 0 and count(app, ModerationItem) == 0
    with app.app_context():
        assert db.session.scalar(select(func.coalesce(func.sum(Statement.reply_count), 0))) == 0
