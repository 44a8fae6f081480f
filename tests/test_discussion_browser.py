"""Chromium in the discussion: post a statement, see the duplicate warning on a near-copy,
vote through five statements with the keyboard, reply in a thread; and the same voting with
JavaScript switched off (plain form posts and redirects back to the card)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from participate.extensions import db
from participate.models import Reply, Statement, Vote
from tests.conftest import PASSWORD, pass_second_factor
from tests.discussion_fixtures import add_statements, make_discussion  # noqa: F401

pytestmark = pytest.mark.browser

TEXTS = [
    "學校周邊應劃設低速區，限速每小時三十公里。",
    "機車待轉區應改設在行人穿越道前方。",
    "路口應增設行人專用時相。",
    "大型車應加裝右轉內輪差警示系統。",
    "各縣市應每年公開交通事故熱點。",
    "酒駕累犯應沒收車輛。",
]


def _login(page: Any, base: str, user: Any, then: str) -> None:
    """Log in and land on ``then`` (the login form follows ``next``)."""
    page.goto(f"{base}/auth/login?next={then}")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("input[name=submit]")
    pass_second_factor(page, user)
    page.wait_for_url(f"{base}{then}")


def _votes(app: Any, user_id: int) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Vote.statement_id, Vote.value).where(Vote.participant_id == user_id)
        ).all()
        db.session.remove()
    return dict(rows)


def _vote_five(page: Any, by_keyboard: bool) -> list[tuple[int, str]]:
    """Vote agree, disagree, pass, agree, disagree on the card; return (statement, vote)."""
    cast = []
    for word in ["agree", "disagree", "pass", "agree", "disagree"]:
        card = page.locator("#card-statement")
        sid = int(card.get_attribute("data-statement"))
        if by_keyboard:
            page.keyboard.press(word[0])
        else:
            page.click(f"#vote-card button.vote-{word}")
        page.wait_for_function(
            "sid => { const c = document.querySelector('#card-statement');"
            " return !c || c.getAttribute('data-statement') !== String(sid); }",
            arg=sid,
        )
        cast.append((sid, word))
    return cast


def test_post_warn_vote_by_keyboard_and_reply(
    app,
    live_server,
    page,
    make_user,
    make_discussion,  # noqa: F811
):
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    proposal_id, discussion_id = make_discussion(title="道路交通安全")
    other = make_user(name="路人甲")
    ids = add_statements(app, discussion_id, TEXTS, author_id=other.id)
    user = make_user(name="熱心市民")
    _login(page, live_server, user, f"/proposals/{proposal_id}/discussion")

    # Post a statement: it appears in the list and is stored.
    mine = "人行道上的電箱與變電箱應該移到不妨礙通行的位置。"
    page.fill("#text", mine)
    page.click("form.statement-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/discussion#statement-\d+$"))
    assert page.locator(".statement-text", has_text=mine).is_visible()
    with app.app_context():
        stored = db.session.scalar(select(Statement).where(Statement.text == mine))
        assert stored is not None and stored.author_id == user.id
        db.session.remove()

    # A near-copy of an existing statement: the live warning lists the original.
    page.fill("#text", "學校周邊應該劃設低速區，限速每小時三十公里！")
    warning = page.locator("#similar-live")
    warning.wait_for(state="visible")
    assert TEXTS[0] in warning.inner_text()
    assert (
        warning.get_by_role("link", name=TEXTS[0])
        .get_attribute("href")
        .endswith(f"/discussion/statements/{ids[0]}")
    )

    # Five votes on the card with A / D / P, without a page reload.
    page.goto(f"{live_server}/proposals/{proposal_id}/discussion/vote")
    page.evaluate("window.__noReload = true")
    answered = app.wsgi_app.answered
    cast = _vote_five(page, by_keyboard=True)
    assert page.evaluate("window.__noReload") is True  # still the same document
    # The script's votes took the server's quick lane (participate.discussion.lane).
    assert app.wsgi_app.answered == answered + 5
    progress = page.locator("#vote-card .progress").inner_text()
    assert "5" in progress and "6" in progress  # 7 statements; the user's own is not offered
    values = {"agree": 1, "disagree": -1, "pass": 0}
    assert _votes(app, user.id) == {sid: values[word] for sid, word in cast}
    assert len({sid for sid, _w in cast}) == 5

    # Reply under a statement, then answer that reply: a nested thread.
    page.goto(f"{live_server}/discussion/statements/{ids[1]}")
    page.fill("#body", "同意，待轉區畫在車流中間真的很危險。")
    page.click("#reply-form button[type=submit]")
    first = page.locator(".reply.depth-0").filter(has_text="真的很危險")
    first.wait_for()
    first.get_by_role("link", name="回應").first.click()
    page.fill("#body", "我騎車上班每天都要經過這種路口。")
    page.click("#reply-form button[type=submit]")
    page.locator(".reply.depth-1").filter(has_text="每天都要經過").wait_for()
    with app.app_context():
        replies = db.session.scalars(
            select(Reply).where(Reply.statement_id == ids[1]).order_by(Reply.path)
        ).all()
        assert [r.depth for r in replies] == [0, 1]
        assert replies[1].parent_id == replies[0].id and replies[0].author_id == user.id
        assert db.session.get(Statement, ids[1]).reply_count == 2
        db.session.remove()
    assert page.console_errors == []


def test_voting_without_javascript(
    app,
    live_server,
    browser,
    make_user,
    make_discussion,  # noqa: F811
):
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    proposal_id, discussion_id = make_discussion(title="公共運輸定期票")
    ids = add_statements(app, discussion_id, TEXTS)
    user = make_user(name="不用腳本的人")
    context = browser.new_context(locale="zh-TW", java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        _login(page, live_server, user, f"/proposals/{proposal_id}/discussion/vote")
        card_url = f"{live_server}/proposals/{proposal_id}/discussion/vote"
        assert page.locator("kbd").count() == 3  # the hint is there, but only buttons work
        cast = _vote_five(page, by_keyboard=False)
        assert page.url == card_url  # redirected back to the card after each vote
        values = {"agree": 1, "disagree": -1, "pass": 0}
        assert _votes(app, user.id) == {sid: values[word] for sid, word in cast}
        assert "5" in page.locator("#vote-card .progress").inner_text()

        # The last statement, then the card says everything is done.
        page.click("#vote-card button.vote-agree")
        assert page.locator("#vote-card .done").is_visible()
        assert set(_votes(app, user.id)) == set(ids)
        assert errors == []
    finally:
        context.close()
