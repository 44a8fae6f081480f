"""``similar.json``, the duplicate warning while people type (issue 13): its own rate limit,
and one cached index per discussion, rebuilt only when the discussion's visible statements
changed (a new statement is found at once; a hidden one is no longer offered)."""

from __future__ import annotations

from typing import Any

from participate.boundary import unit
from participate.discussion import similar
from participate.extensions import db
from tests import discussion_fixtures
from tests.discussion_fixtures import add_statements

make_discussion = discussion_fixtures.make_discussion  # the fixture, found by pytest here

NEAR = "大眾運輸票價應該依照距離計算，短程要更便宜"
ORIGINAL = "大眾運輸的票價應該依照距離計算，短程更便宜"
NEW = "路口的行人專用時相應該全面設置"
NEW_TYPED = "路口行人專用時相應該要全面設置"


def _ask(client: Any, pid: int, text: str) -> Any:
    return client.get(
        f"/proposals/{pid}/discussion/similar.json",
        query_string={"text": text},
        headers={"Accept": "application/json"},
    )


def _texts(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return [item["text"] for item in resp.get_json()["similar"]]


def test_the_warning_has_its_own_rate_limit(app, client, make_discussion, make_user, login):
    app.config["SIMILAR_RATE_LIMIT"] = "3 per minute"
    pid, did = make_discussion()
    add_statements(app, did, [ORIGINAL])
    for _ in range(3):
        assert _texts(_ask(client, pid, NEAR)) == [ORIGINAL]
    limited = _ask(client, pid, NEAR)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers
    # Per person once logged in (people behind one school's address do not share it).
    login(client, make_user())
    assert _texts(_ask(client, pid, NEAR)) == [ORIGINAL]
    # Writing is not limited by the warning's limit: posting still works.
    resp = client.post(
        f"/proposals/{pid}/discussion/statements", data={"text": NEW, "confirmed": "1"}
    )
    assert resp.status_code == 302


def test_the_limit_comes_from_the_environment(monkeypatch):
    from participate.config import load_config

    monkeypatch.delenv("PARTICIPATE_SIMILAR_RATE_LIMIT", raising=False)
    assert load_config()["SIMILAR_RATE_LIMIT"] == "30 per minute"
    monkeypatch.setenv("PARTICIPATE_SIMILAR_RATE_LIMIT", "5 per minute")
    assert load_config()["SIMILAR_RATE_LIMIT"] == "5 per minute"


def test_the_index_is_built_once_per_change_and_finds_a_new_statement(
    app, client, make_discussion, make_user, login
):
    pid, did = make_discussion()
    add_statements(app, did, [ORIGINAL, "長照人力嚴重不足，應提高薪資"])
    login(client, make_user())
    start = similar.builds
    assert _texts(_ask(client, pid, NEAR)) == [ORIGINAL]
    assert similar.builds == start + 1  # the first question builds the index
    for text in (NEAR, "長照人員的薪資應該提高", NEW_TYPED, "完全無關的句子在這裡"):
        _texts(_ask(client, pid, text))
    assert similar.builds == start + 1  # the same statements: the same index
    assert _texts(_ask(client, pid, NEW_TYPED)) == []

    # Someone posts the statement: the next question sees it (one more build).
    posted = client.post(
        f"/proposals/{pid}/discussion/statements", data={"text": NEW, "confirmed": "1"}
    )
    assert posted.status_code == 302
    assert _texts(_ask(client, pid, NEW_TYPED)) == [NEW]
    assert similar.builds == start + 2
    assert _texts(_ask(client, pid, NEAR)) == [ORIGINAL]
    assert similar.builds == start + 2

    # A moderator hides the original: it is no longer offered, and the index follows.
    from participate.discussion.operations import set_status
    from participate.models import ContentStatus, Statement

    with app.test_request_context(), unit():
        original = db.session.scalar(db.select(Statement).where(Statement.text == ORIGINAL))
        set_status(None, original, ContentStatus.HIDDEN, "test")
    assert _texts(_ask(client, pid, NEAR)) == []
    assert similar.builds == start + 3


def test_each_discussion_has_its_own_index(app, client, make_discussion):
    first, first_d = make_discussion(title="公車")
    second, second_d = make_discussion(title="長照")
    add_statements(app, first_d, [ORIGINAL])
    add_statements(app, second_d, [NEW])
    start = similar.builds
    assert _texts(_ask(client, first, NEAR)) == [ORIGINAL]
    assert _texts(_ask(client, second, NEAR)) == []
    assert _texts(_ask(client, second, NEW_TYPED)) == [NEW]
    assert _texts(_ask(client, first, NEW_TYPED)) == []
    assert similar.builds == start + 2


def test_the_watermark_moves_with_visible_statements_only(app, make_discussion):
    from participate.models import ContentStatus, Statement

    _pid, did = make_discussion()
    with app.app_context():
        empty = similar.watermark(did)
        assert empty == (0, 0, 0)
    [sid] = add_statements(app, did, [ORIGINAL])
    add_statements(app, did, ["被隱藏的意見"], status=ContentStatus.HIDDEN)
    with app.app_context():
        one = similar.watermark(did)
        assert one == (1, sid, sid)
        # Votes and replies change nothing the warning compares.
        db.session.get(Statement, sid).agree_count = 5
        db.session.commit()
        assert similar.watermark(did) == one
