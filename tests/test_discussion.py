"""Discussion: statements, replies, votes, routing, permissions, reports, scale bounds."""
# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from participate.extensions import db
from participate.models import (
    AuditLog,
    ContentStatus,
    ProposalStatus,
    Reply,
    Report,
    Statement,
    Vote,
    VoteHistory,
)
from participate.timeutil import utcnow
from tests.discussion_fixtures import (  # noqa: F401 - fixtures
    add_statements,
    bulk_discussion,
    count_queries,
    make_discussion,
    set_proposal_status,
)

JSON = {"Accept": "application/json"}


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _statement(app, sid):
    with app.app_context():
        s = db.session.get(Statement, sid)
        db.session.expunge(s)
        return s


# --- Posting statements -----------------------------------------------------------------


def test_post_statement_is_shown_on_the_discussion_page(
    app, client, make_user, login, make_discussion
):
    pid, did = make_discussion()
    login(client, make_user())
    resp = client.post(
        f"/proposals/{pid}/discussion/statements", data={"text": "  機車待轉區應該全面檢討  "}
    )
    assert resp.status_code == 302
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "機車待轉區應該全面檢討" in page
    with app.app_context():
        s = db.session.scalar(select(Statement))
        assert s.text == "機車待轉區應該全面檢討"
        assert s.discussion_id == did and not s.is_seed
        assert db.session.scalar(select(AuditLog.action)) == "statement.post"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your statement first"),
        ("   \n\t  ", "Write your statement first"),
        ("長" * 301, "at most 300 characters"),
    ],
)
def test_bad_statements_are_refused_next_to_the_field(
    app, client, make_user, login, make_discussion, text, message
):
    pid, _did = make_discussion()
    login(client, make_user())
    client.get("/", headers={"Accept-Language": "en"})
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    resp = client.post(f"/proposals/{pid}/discussion/statements", data={"text": text})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    field_error = re.search(r'<p class="field-error" id="text-error">(.*?)</p>', html, re.S)
    assert field_error and message in field_error.group(1)
    assert _count(app, Statement) == 0


def test_exactly_300_characters_is_allowed(app, client, make_user, login, make_discussion):
    pid, _ = make_discussion()
    login(client, make_user())
    resp = client.post(f"/proposals/{pid}/discussion/statements", data={"text": "好" * 300})
    assert resp.status_code == 302
    assert _count(app, Statement) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        '"><svg onload=alert(1)>',
        "[點我](javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
    ],
)
def test_html_and_script_in_statements_render_inert(
    app, client, make_user, login, make_discussion, payload
):
    pid, _ = make_discussion()
    login(client, make_user())
    client.post(f"/proposals/{pid}/discussion/statements", data={"text": payload})
    with app.app_context():
        assert db.session.scalar(select(Statement.text)) == payload  # stored as written
    html = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    main = html.split('<ol class="statement-list">', 1)[1]
    assert "<script>alert" not in main
    assert "<img" not in main and "<svg" not in main
    assert "javascript:" not in re.sub(
        r"&[a-z]+;", "", " ".join(re.findall(r'href="([^"]*)"', main))
    )


def test_duplicate_warning_before_posting_then_post_anyway(
    app, client, make_user, login, make_discussion
):
    pid, did = make_discussion()
    add_statements(app, did, ["大眾運輸的票價應該依照距離計算，短程更便宜"])
    login(client, make_user())
    near = "大眾運輸票價應該依照距離計算，短程要更便宜"
    found = client.get(f"/proposals/{pid}/discussion/similar.json", query_string={"text": near})
    assert found.status_code == 200
    assert found.json["similar"][0]["text"].startswith("大眾運輸的票價")
    resp = client.post(f"/proposals/{pid}/discussion/statements", data={"text": near})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="similar-warning"' in html and "大眾運輸的票價應該依照距離計算" in html
    assert _count(app, Statement) == 1  # nothing written yet
    confirmed = re.search(r'name="confirmed" type="hidden" value="1"', html)
    assert confirmed, "the form now carries the confirmation"
    resp = client.post(
        f"/proposals/{pid}/discussion/statements", data={"text": near, "confirmed": "1"}
    )
    assert resp.status_code == 302
    assert _count(app, Statement) == 2
    unrelated = client.get(
        f"/proposals/{pid}/discussion/similar.json", query_string={"text": "長照人力嚴重不足"}
    )
    assert unrelated.json["similar"] == []


# --- Who may take part --------------------------------------------------------------------


@pytest.mark.parametrize("status", [ProposalStatus.CLOSED, ProposalStatus.LAPSED])
def test_closed_discussion_refuses_every_write_with_a_clear_message(
    app, client, make_user, login, make_discussion, status
):
    pid, did = make_discussion()
    user = make_user()
    (sid,) = add_statements(app, did, ["公車票價應該凍漲"], author_id=user.id)
    login(client, user)
    set_proposal_status(app, pid, status)
    resp = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert resp.status_code == 403
    assert resp.json["error"]["message"] == "此討論已結束，您仍可閱讀內容。"
    resp = client.post(
        f"/proposals/{pid}/discussion/statements", data={"text": "新意見"}, follow_redirects=True
    )
    assert "此討論已結束" in resp.get_data(as_text=True)
    resp = client.post(f"/discussion/statements/{sid}/replies", data={"body": "回應"})
    assert resp.status_code == 302
    assert _count(app, Statement) == 1
    assert _count(app, Vote) == 0
    assert _count(app, Reply) == 0
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "此討論已結束" in page
    assert 'name="value"' not in page  # no vote buttons
    assert "公車票價應該凍漲" in page  # still readable


def test_anonymous_and_unverified_people_cannot_vote(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["長照人力需要提高薪資"])
    resp = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert resp.status_code == 401
    resp = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    login(client, make_user(verified=False))
    resp = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert resp.status_code == 403
    assert "電子郵件" in resp.json["error"]["message"]
    assert _count(app, Vote) == 0


def test_draft_proposals_have_no_public_discussion(app, client, make_discussion):
    pid, _ = make_discussion(status=ProposalStatus.DRAFT)
    assert client.get(f"/proposals/{pid}/discussion").status_code == 404


def test_seed_statements_only_from_moderators_and_agency_staff(
    app, client, make_user, login, make_discussion
):
    from participate.discussion import operations
    from participate.errors import RuleError

    pid, did = make_discussion()
    citizen = make_user()
    moderator = make_user(role="moderator")
    login(client, citizen)
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert 'name="seed"' not in page
    client.post(f"/proposals/{pid}/discussion/statements", data={"text": "一般意見", "seed": "y"})
    with app.test_request_context():
        assert db.session.scalar(select(Statement.is_seed)) is False
        discussion = db.session.get(Statement, 1).discussion
        with pytest.raises(RuleError):
            operations.post_statement(db.session.merge(citizen), discussion, "種子", seed=True)
    client2 = app.test_client()
    login(client2, moderator)
    page = client2.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert 'name="seed"' in page
    client2.post(f"/proposals/{pid}/discussion/statements", data={"text": "種子意見", "seed": "y"})
    assert _count(app, Statement, Statement.is_seed.is_(True)) == 1


# --- Votes ----------------------------------------------------------------------------------


def test_vote_change_keeps_one_vote_exact_counts_and_full_history(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["機車應該可以行駛快速道路"])
    login(client, make_user())
    url = f"/discussion/statements/{sid}/vote"
    first = client.post(url, data={"value": "agree"}, headers=JSON)
    assert first.status_code == 200
    assert first.json["counts"] == {"agree": 1, "disagree": 0, "pass": 0}
    assert first.json["previous"] is None
    second = client.post(url, data={"value": "disagree"}, headers=JSON)
    assert second.json["counts"] == {"agree": 0, "disagree": 1, "pass": 0}
    assert second.json["previous"] == 1
    again = client.post(url, data={"value": "disagree"}, headers=JSON)
    assert again.json["changed"] is False
    third = client.post(url, json={"value": "pass"})
    assert third.json["counts"] == {"agree": 0, "disagree": 0, "pass": 1}
    with app.app_context():
        assert db.session.scalars(select(Vote.value)).all() == [0]
        assert db.session.scalars(select(VoteHistory.value).order_by(VoteHistory.id)).all() == [
            1,
            -1,
            0,
        ]
    bad = client.post(url, data={"value": "maybe"}, headers=JSON)
    assert bad.status_code == 400 and "value" in bad.json["error"]["fields"]


def test_counts_appear_after_voting(app, client, make_user, login, make_discussion):
    pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["公共運輸票價應該凍漲"])
    login(client, make_user())
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "data-counts hidden" in page
    client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"})
    page = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "data-counts hidden" not in page
    assert '<strong data-count="agree">1</strong>' in page


def test_the_same_person_voting_twice_at_once_ends_with_one_vote(app, make_user, make_discussion):
    from participate.boundary import unit
    from participate.discussion import operations, queries
    from participate.models import User

    _pid, did = make_discussion()
    sids = add_statements(app, did, [f"意見 {i}" for i in range(6)])
    user = make_user()
    errors: list[BaseException] = []

    def cast(sid: int, value: int, barrier: threading.Barrier) -> None:
        try:
            with app.app_context():
                u = db.session.get(User, user.id)
                s = queries.load_statement(sid)
                barrier.wait()
                with unit():  # commits as the request would
                    operations.vote(u, s, value)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    for sid in sids:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=cast, args=(sid, v, barrier)) for v in (1, -1 if sid % 2 else 1)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with app.app_context():
        for sid in sids:
            votes = db.session.scalars(select(Vote).where(Vote.statement_id == sid)).all()
            assert len(votes) == 1
            s = db.session.get(Statement, sid)
            assert s.vote_count == 1
            col = {1: s.agree_count, -1: s.disagree_count}
            assert col[votes[0].value] == 1
            history = db.session.scalars(
                select(VoteHistory.value).where(VoteHistory.statement_id == sid)
            ).all()
            assert history[-1] == votes[0].value


def test_a_vote_asks_for_a_fresh_analysis_once_committed(
    app, client, make_user, login, make_discussion
):
    from participate.models import AnalysisState

    app.config["ANALYSIS_MIN_DELAY_SECONDS"] = 60  # scheduled, not run during the request
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["長照應該納入居家喘息服務"])
    login(client, make_user())
    r = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    assert r.status_code == 200
    with app.app_context():
        state = db.session.get(AnalysisState, did)
        assert state is not None and state.requested_at is not None
        assert state.scheduled_for is not None
    assert _count(app, Vote) == 1


def test_a_vote_costs_one_read_and_its_writes_with_one_lock_check(
    app, client, make_user, login, make_discussion
):
    """The hot path: one query for the statement (with its discussion and proposal), the
    account, the lock and the analysis state; then the writes: on PostgreSQL one statement
    (vote, history row and the voter's tally row as data-modifying CTEs), on SQLite three.
    A vote made while a run is already requested and queued asks nothing of the scheduler.
    On PostgreSQL the fold of the tallies follows the commit as a job, which the tests'
    queue runs at once: a separate unit of work, after the vote's."""
    app.config["ANALYSIS_MIN_DELAY_SECONDS"] = 60
    _pid, did = make_discussion()
    first, second = add_statements(app, did, ["第一則", "第二則"])
    login(client, make_user())
    client.post(f"/discussion/statements/{first}/vote", data={"value": "agree"}, headers=JSON)
    with count_queries(app) as seen:
        r = client.post(
            f"/discussion/statements/{second}/vote", data={"value": "agree"}, headers=JSON
        )
    assert r.status_code == 200 and r.get_json()["counts"]["agree"] == 1
    postgresql = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")
    if postgresql:  # the fold: its one-at-a-time lock, then the fold itself
        lock, fold = seen[-2:]
        assert "pg_try_advisory_xact_lock" in lock and "DELETE FROM statement_tally" in fold
        del seen[-2:]
    assert len(seen) == (2 if postgresql else 4), seen
    assert sum("FROM thread_lock" in q for q in seen) == 1, seen
    assert not any(
        q.lstrip().upper().startswith(("UPDATE ANALYSIS", "SELECT ANALYSIS")) for q in seen
    )
    assert _count(app, Vote) == 2 and _count(app, VoteHistory) == 2


# --- Voting card and routing ------------------------------------------------------------


def test_card_without_javascript_walks_through_every_statement_once(
    app, client, make_user, login, make_discussion
):
    pid, did = make_discussion()
    add_statements(app, did, [f"一般意見 {i}" for i in range(6)])
    (seed_id,) = add_statements(app, did, ["種子意見：票價應該透明"], is_seed=True)
    login(client, make_user())
    offered: list[int] = []
    url = f"/proposals/{pid}/discussion/vote"
    for _ in range(7):
        html = client.get(url).get_data(as_text=True)
        sid = int(re.search(r'id="card-statement" data-statement="(\d+)"', html).group(1))
        assert sid not in offered
        offered.append(sid)
        resp = client.post(
            f"/discussion/statements/{sid}/vote", data={"value": "pass", "next": url}
        )
        assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    assert offered[0] == seed_id  # seed statements first
    html = client.get(url).get_data(as_text=True)
    assert 'id="card-statement"' not in html
    assert "您已對所有意見表態" in html


def test_routing_never_offers_a_voted_statement(app, make_user, make_discussion):
    import random

    from participate.discussion import operations, queries
    from participate.models import Discussion, User

    _pid, did = make_discussion()
    sids = add_statements(app, did, [f"意見 {i}" for i in range(40)])
    user = make_user()
    rng = random.Random(4)
    with app.app_context():
        discussion = db.session.get(Discussion, did)
        u = db.session.get(User, user.id)
        seen: set[int] = set()
        priorities = {sids[3]: 1000.0}
        for i in range(40):
            s = queries.next_statement(
                discussion, u.id, priorities=priorities if i % 2 else None, rng=rng
            )
            assert s is not None and s.id not in seen
            seen.add(s.id)
            operations.vote(u, s, rng.choice([1, -1, 0]))
        assert queries.next_statement(discussion, u.id, rng=rng) is None


def test_routing_prefers_new_statements_with_few_votes():
    from participate.discussion.queries import routing_priority

    assert routing_priority(0, 0, 0) > routing_priority(30, 10, 5)
    assert routing_priority(5, 5, 0) > routing_priority(5, 5, 40)  # much-passed sinks


# --- Replies -------------------------------------------------------------------------------


def test_threaded_replies_edit_window_and_deleted_placeholder(
    app, client, make_user, login, make_discussion
):
    pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["公車應該增加夜間班次"])
    author = make_user(name="阿華")
    login(client, author)
    url = f"/discussion/statements/{sid}/replies"
    assert client.post(url, data={"body": "**同意**，尤其是郊區"}).status_code == 302
    with app.app_context():
        top = db.session.scalar(select(Reply))
    client.post(url, data={"body": "郊區真的需要", "parent_id": str(top.id)})
    with app.app_context():
        child = db.session.scalar(select(Reply).where(Reply.parent_id == top.id))
        assert child.depth == 1 and child.path.startswith(top.path + "/")
        assert db.session.get(Statement, sid).reply_count == 2
    html = client.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    assert "<strong>同意</strong>" in html
    assert 'class="reply depth-1"' in html
    # edit within 15 minutes
    resp = client.post(f"/discussion/replies/{child.id}/edit", data={"body": "郊區真的很需要"})
    assert resp.status_code == 302
    html = client.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    assert "郊區真的很需要" in html and "已編輯" in html
    # too late
    app.config["FROZEN_NOW"] = utcnow() + timedelta(minutes=16)
    resp = client.post(f"/discussion/replies/{child.id}/edit", data={"body": "改不了"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Reply, child.id).body == "郊區真的很需要"
    app.config["FROZEN_NOW"] = None
    # delete leaves a placeholder, the child stays in place
    client.post(f"/discussion/replies/{top.id}/delete")
    html = client.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    assert "[已刪除]" in html and "郊區真的很需要" in html
    assert "尤其是郊區" not in html
    # someone else cannot edit or delete
    other = app.test_client()
    login(other, make_user())
    other.post(f"/discussion/replies/{child.id}/delete")
    with app.app_context():
        assert db.session.get(Reply, child.id).deleted_at is None


def test_reply_bad_input_and_xss_are_handled(app, client, make_user, login, make_discussion):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["停車費應該提高"])
    login(client, make_user())
    url = f"/discussion/statements/{sid}/replies"
    resp = client.post(url, data={"body": "   "})
    assert resp.status_code == 400 and 'id="body-error"' in resp.get_data(as_text=True)
    client.post(
        url,
        data={"body": "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>"},
    )
    html = client.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    body = html.split('class="reply-list"', 1)[1]
    assert "<script>" not in body and "<img" not in body and 'href="javascript' not in body


def test_deleted_account_is_shown_as_deleted_user(app, client, make_user, login, make_discussion):
    from participate.auth.operations import delete_account
    from participate.boundary import unit
    from participate.models import User

    pid, did = make_discussion()
    user = make_user(name="將刪除的人")
    add_statements(app, did, ["自行車道應該連續"], author_id=user.id)
    with app.app_context(), unit():
        delete_account(db.session.get(User, user.id))
    html = client.get(f"/proposals/{pid}/discussion").get_data(as_text=True)
    assert "將刪除的人" not in html and "已刪除的使用者" in html
    assert "自行車道應該連續" in html


# --- Reports --------------------------------------------------------------------------------


def test_report_once_per_person(app, client, make_user, login, make_discussion):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["廣告：買我的產品"])
    login(client, make_user())
    url = f"/discussion/report/statement/{sid}"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"reason": "nonsense"}).status_code == 400
    resp = client.post(url, data={"reason": "spam", "text": "這是廣告"})
    assert resp.status_code == 302
    resp = client.post(url, data={"reason": "spam"}, follow_redirects=True)
    assert "您已經檢舉過" in resp.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Report)).all()
        assert len(rows) == 1 and rows[0].reason.value == "spam" and rows[0].text == "這是廣告"


def test_personal_data_includes_statements_replies_and_votes(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    user = make_user()
    (sid,) = add_statements(app, did, ["我的意見"], author_id=user.id)
    login(client, user)
    client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"})
    client.post(f"/discussion/statements/{sid}/replies", data={"body": "我的回應"})
    data = client.get("/account/data.json").json["discussion"]
    assert data["statements"][0]["text"] == "我的意見"
    assert data["replies"][0]["body"] == "我的回應"
    assert data["votes"][0]["value"] == 1


def test_moderator_hides_a_statement_through_the_transition(app, make_user, make_discussion):
    from participate import outbox
    from participate.boundary import unit
    from participate.discussion import operations
    from participate.errors import RuleError
    from participate.models import User

    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["要隱藏的意見"])
    mod = make_user(role="moderator")
    citizen = make_user()
    with app.test_request_context():
        s = db.session.get(Statement, sid)
        with pytest.raises(RuleError) as refused:
            operations.set_status(db.session.get(User, citizen.id), s, ContentStatus.HIDDEN)
        assert refused.value.status == 403
        with unit():
            operations.set_status(db.session.get(User, mod.id), s, ContentStatus.HIDDEN, "spam")
            # hiding changes what the opinion report counts and what search shows: a fresh
            # analysis and the statement's index entry, after the commit
            assert [(e.fn.__name__, e.args) for e in outbox.pending()] == [
                ("index_statement", (s.id,)),
                ("request_analysis", (did, "moderation")),
            ]
        assert db.session.get(Statement, sid).status == ContentStatus.HIDDEN
        assert (
            db.session.scalar(select(AuditLog.reason).where(AuditLog.action == "statement.status"))
            == "spam"
        )
        with pytest.raises(RuleError) as refused:
            operations.set_status(
                db.session.get(User, mod.id), db.session.get(Statement, sid), ContentStatus.HIDDEN
            )
        assert refused.value.status == 409


# --- Scale: the number of SQL statements per page does not grow ---------------------------


def test_sql_per_page_is_bounded_on_a_large_discussion(
    app, client, make_user, login, make_discussion
):
    user = make_user()
    small_pid, small_did = make_discussion(title="小")
    bulk_discussion(app, small_did, user.id, statements=25, replies=40)
    big_pid, big_did = make_discussion(title="大")
    big_ids = bulk_discussion(app, big_did, user.id, statements=5000, replies=20000)
    login(client, user)
    with app.app_context():  # the viewer has voted on some statements (bulk, not the hot path)
        now = utcnow()
        db.session.execute(
            insert(Vote),
            [
                {
                    "discussion_id": big_did,
                    "statement_id": sid,
                    "participant_id": user.id,
                    "value": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for sid in big_ids[:30]
            ],
        )
        db.session.commit()

    def queries(url: str) -> int:
        with count_queries(app) as seen:
            resp = client.get(url)
        assert resp.status_code == 200, url
        return len(seen)

    small_first = bulk_first_statement = None
    with app.app_context():
        small_first = db.session.scalar(
            select(Statement.id).where(Statement.discussion_id == small_did).order_by(Statement.id)
        )
        bulk_first_statement = big_ids[0]
    pages = [
        (f"/proposals/{small_pid}/discussion", f"/proposals/{big_pid}/discussion"),
        (f"/proposals/{small_pid}/discussion?page=2", f"/proposals/{big_pid}/discussion?page=200"),
        (
            f"/proposals/{small_pid}/discussion?sort=votes",
            f"/proposals/{big_pid}/discussion?sort=votes",
        ),
        (f"/proposals/{small_pid}/discussion/vote", f"/proposals/{big_pid}/discussion/vote"),
        (f"/discussion/statements/{small_first}", f"/discussion/statements/{bulk_first_statement}"),
        (
            f"/discussion/statements/{small_first}?page=1",
            f"/discussion/statements/{bulk_first_statement}?page=1",
        ),
    ]
    for small_url, big_url in pages:
        small, big = queries(small_url), queries(big_url)
        assert big <= small + 1, (big_url, big, small)
        assert big <= 14, (big_url, big)
    html = client.get(f"/proposals/{big_pid}/discussion").get_data(as_text=True)
    assert html.count('class="statement card"') == 20
    assert "第 250 頁" in html or "250" in html
