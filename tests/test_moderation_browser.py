"""Chromium: the report → auto-hide → restore → notice flow, and the XSS corpus.

The XSS test posts every payload of ``tests/xss_payloads.txt`` through every user-text
field that exists (display names, statements, replies, report texts, proposal fields,
moderators' decision messages, appeal texts, banned words), then loads every page that
shows them in Chromium **with the Content-Security-Policy bypassed**, so only escaping and
sanitising stand between a payload and execution. Payloads set ``window.__xss`` or call
``alert``; the test watches dialogs and reads the global after each page.
"""
# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    ContentStatus,
    ItemKind,
    ItemState,
    ModerationItem,
    ModerationNotice,
    Proposal,
    Statement,
    User,
)
from tests.conftest import PASSWORD, mark_second_factor, pass_second_factor
from tests.moderation_fixtures import add_statement, get, make_consultation, quick_login  # noqa: F401

pytestmark = pytest.mark.browser
PAYLOADS = [
    line
    for line in (Path(__file__).parent / "xss_payloads.txt").read_text("utf-8").splitlines()
    if line and not line.startswith("# ")
]


def _client(app: Any) -> Any:
    from tests.conftest import CsrfClient

    app.test_client_class = CsrfClient
    return app.test_client()


def browser_login(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form.form [type=submit]").first.click()
    pass_second_factor(page, user)
    page.wait_for_load_state()


def test_reported_three_times_hidden_restored_and_author_notified(
    app, live_server, browser, make_user, make_consultation
):
    pid, did = make_consultation()
    author = make_user(name="意見作者")
    sid = add_statement(app, did, author.id, "公車專用道應該延長到市郊")
    reporters_ = [make_user(name=f"檢舉人{i}") for i in range(3)]
    moderator = make_user(role="moderator", name="審核員")

    def fresh() -> Any:
        context = browser.new_context(locale="zh-TW")
        return context, context.new_page()

    for reporter in reporters_:
        context, page = fresh()
        browser_login(page, live_server, reporter)
        page.goto(f"{live_server}/discussion/statements/{sid}")
        page.locator("main").get_by_role("link", name="檢舉", exact=True).first.click()
        page.locator("select[name=reason]").select_option("abuse")
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        assert "謝謝" in page.content() or "Thank you" in page.content()
        context.close()

    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    context, page = fresh()
    page.goto(f"{live_server}/proposals/{pid}/discussion")
    assert "公車專用道應該延長到市郊" not in page.content()
    context.close()

    # The moderator sees it first in the queue (with its three reports) and restores it.
    context, page = fresh()
    browser_login(page, live_server, moderator)
    page.get_by_role("link", name=re.compile(r"審核 \(\d+\)")).click()
    row = page.locator("tr.mod-row").first
    assert "公車專用道應該延長到市郊" in row.inner_text()
    assert row.locator("td.num").inner_text().strip() == "3"
    row.get_by_role("link", name=re.compile("處理")).click()
    page.locator("select[name=action]").select_option("restore")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "已儲存處理結果" in page.content()
    context.close()
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE

    # The author sees the notice from the navigation, and the statement is back.
    context, page = fresh()
    browser_login(page, live_server, author)
    page.get_by_role("link", name=re.compile(r"審核通知 \(\d+\)")).click()
    text = page.content()
    assert "您的內容已恢復顯示" in text and "公車專用道應該延長到市郊" in text
    page.goto(f"{live_server}/proposals/{pid}/discussion")
    assert "公車專用道應該延長到市郊" in page.content()
    assert page.console_errors if hasattr(page, "console_errors") else True
    context.close()


# --- The XSS corpus -----------------------------------------------------------------------


def _post_everything(app: Any, make_user: Any, pid: int, did: int) -> dict[str, Any]:
    """Every user-text field gets every payload; returns the ids the pages need."""
    from participate.boundary import unit
    from participate.proposals import operations as proposal_rules

    cfg = app.config
    cfg.update(
        WRITE_RATE_LIMIT="100000 per minute",
        VOTE_RATE_LIMIT="100000 per minute",
        REGISTER_RATE_LIMIT="1000 per minute",
        MODERATION_FLOOD_MINUTES=0,  # one author posts many similar payloads on purpose
        MODERATION_MAX_LINKS=0,
        MODERATION_REPORT_THRESHOLD=0,
        MODERATION_PAGE_SIZE=500,
    )
    short = [p for p in PAYLOADS if len(p) <= 40]
    # Display names: three through the registration form, the rest directly.
    anon = _client(app)
    for n, payload in enumerate(short[:3]):
        anon.post(
            "/auth/register",
            data={
                "email": f"xss{n}@example.tw",
                "display_name": payload,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "accept_privacy": "y",
            },
        )
    named = [make_user(name=p) for p in short]
    author = make_user(name="作者甲")
    admin = make_user(role="admin", name="管理員")
    second_admin = make_user(role="admin", name="第二管理員")

    def logged(user: Any) -> Any:
        c = _client(app)
        with c.session_transaction() as sess:
            sess["_user_id"] = f"{user.id}:1"
            sess["_fresh"] = True
            mark_second_factor(app, sess, user)
        return c

    author_c = logged(author)
    for payload in PAYLOADS:
        r = author_c.post(
            f"/proposals/{pid}/discussion/statements", data={"text": payload, "confirmed": "1"}
        )
        assert r.status_code == 302, (payload, r.status_code)
    with app.app_context():
        sids = list(
            db.session.scalars(
                select(Statement.id).where(Statement.discussion_id == did).order_by(Statement.id)
            )
        )
    thread_sid = sids[0]
    for n, payload in enumerate(PAYLOADS):
        c = logged(named[n % len(named)])
        r = c.post(f"/discussion/statements/{thread_sid}/replies", data={"body": payload})
        assert r.status_code == 302, (payload, r.status_code)
    # Report texts: 42 reporters x 3 statements.
    reported = sids[1:4]
    for n, payload in enumerate(PAYLOADS):
        reporter = named[n // 3 % len(named)] if n // 3 < len(named) else make_user()
        c = logged(reporter)
        c.post(
            f"/discussion/report/statement/{reported[n % 3]}",
            data={"reason": "other", "text": payload},
        )
    # Decision messages on the remaining statements (one report each), then appeals.
    with app.app_context():
        for sid in sids[4:]:
            s = db.session.get(Statement, sid)
            db.session.add(
                ModerationItem(
                    kind=ItemKind.HELD,
                    content_type="statement",
                    content_id=sid,
                    discussion_id=did,
                    subject_user_id=s.author_id,
                    reason="premoderation",
                    state=ItemState.OPEN,
                )
            )
        db.session.commit()
        held = list(
            db.session.scalars(
                select(ModerationItem.id)
                .where(ModerationItem.kind == ItemKind.HELD)
                .order_by(ModerationItem.id)
            )
        )
    admin_c = logged(admin)
    for n, item_id in enumerate(held):
        r = admin_c.post(
            f"/moderation/items/{item_id}",
            data={"action": "reject", "reason": "abusive", "message": PAYLOADS[n]},
        )
        assert r.status_code == 302
    with app.app_context():
        notices = list(
            db.session.scalars(
                select(ModerationNotice.id)
                .where(ModerationNotice.user_id == author.id, ModerationNotice.appealable)
                .order_by(ModerationNotice.id)
            )
        )
    for n, notice_id in enumerate(notices[:60]):
        author_c.post(f"/moderation/notices/{notice_id}/appeal", data={"text": PAYLOADS[-1 - n]})
    # Proposal fields, then accepted from the moderation queue so they are public.
    from participate.boundary import unit
    from participate.moderation.queue import open_proposal_review

    with app.test_request_context(), unit():
        proposal_ids = []
        chunks = [PAYLOADS[i : i + 26] for i in range(0, len(PAYLOADS), 26)]
        for chunk in chunks:
            data = proposal_rules.ProposalInput(
                title=chunk[0][:120],
                # The operation needs every required field (the last chunk is short).
                summary="\n".join(chunk[:9]),
                problem="\n".join(chunk[9:18]) or "問題",
                measures=chunk[18:22] or ["措施"],
                benefits="\n".join(chunk[22:]) or "效益",
                evidence_links=[],
                agency_ids=[],
            )
            proposal = proposal_rules.create_proposal(
                db.session.get(User, author.id), data, submit=True
            )
            open_proposal_review(proposal)  # as submitting does (once per proposal)
            proposal_ids.append(proposal.id)
        proposal_items = list(
            db.session.scalars(
                select(ModerationItem.id).where(ModerationItem.kind == ItemKind.PROPOSAL)
            )
        )
    for item_id in proposal_items:
        r = admin_c.post(f"/moderation/items/{item_id}", data={"action": "approve"})
        assert r.status_code == 302
    # Banned words and a lock reason (moderators' own text is rendered too).
    for payload in PAYLOADS:
        admin_c.post("/moderation/terms", data={"term": payload[:200], "action": "hold"})
    admin_c.post(f"/moderation/discussions/{did}/lock", data={"reason": PAYLOADS[0][:64]})
    return {
        "author": author,
        "admin": admin,
        "second_admin": second_admin,
        "thread_sid": thread_sid,
        "reported": reported,
        "proposal_ids": proposal_ids,
        "statement_pages": (len(PAYLOADS) + 19) // 20,
        "reply_pages": (len(PAYLOADS) + 49) // 50,
        "moderator_user_id": named[0].id,
    }


def _check_pages(browser: Any, base: str, user: Any, paths: list[str]) -> list[str]:
    """Load each path (logged in as ``user`` when given) with CSP bypassed; return the
    paths on which a payload ran."""
    context = browser.new_context(locale="zh-TW", bypass_csp=True)
    page = context.new_page()
    fired: list[str] = []
    current = {"path": ""}

    def on_dialog(dialog: Any) -> None:
        fired.append(f"dialog on {current['path']}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    if user is not None:
        browser_login(page, base, user)
    for path in paths:
        current["path"] = path
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        page.mouse.move(5, 5)
        page.mouse.move(300, 300)
        page.keyboard.press("Tab")
        if page.evaluate("() => window.__xss === 1 || window.top.__xss === 1"):
            fired.append(f"window.__xss on {path}")
    context.close()
    return fired


def test_xss_corpus_never_runs_on_any_page(app, live_server, browser, make_user, make_consultation):
    assert len(PAYLOADS) >= 100
    pid, did = make_consultation()
    ids = _post_everything(app, make_user, pid, did)
    public = [f"/proposals/{pid}/discussion?page={n}" for n in range(1, ids["statement_pages"] + 1)]
    public += [
        f"/discussion/statements/{ids['thread_sid']}?page={n}"
        for n in range(1, ids["reply_pages"] + 1)
    ]
    public += [f"/proposals/{p}" for p in ids["proposal_ids"]]
    public += ["/proposals/", "/moderation/transparency", f"/proposals/{pid}/discussion/vote"]
    moderator_pages = [
        "/moderation/",
        "/moderation/?state=resolved",
        "/moderation/?kind=appeal",
        "/moderation/terms",
        "/moderation/audit",
        f"/moderation/discussions/{did}",
        f"/moderation/users/{ids['moderator_user_id']}",
        "/admin/users",
        "/admin/audit",
    ]
    with app.app_context():
        report_items = list(
            db.session.scalars(
                select(ModerationItem.id).where(
                    ModerationItem.content_id.in_(ids["reported"]),
                    ModerationItem.kind == ItemKind.REPORT,
                )
            )
        )
        appeal_items = list(
            db.session.scalars(
                select(ModerationItem.id).where(ModerationItem.kind == ItemKind.APPEAL).limit(3)
            )
        )
        assert (
            db.session.scalar(
                select(Proposal.status).where(Proposal.id == ids["proposal_ids"][0])
            ).value
            != "in_review"
        )
    moderator_pages += [f"/moderation/items/{i}" for i in report_items + appeal_items]
    fired = _check_pages(browser, live_server, None, public)
    fired += _check_pages(browser, live_server, ids["second_admin"], moderator_pages)
    fired += _check_pages(browser, live_server, ids["author"], ["/moderation/notices"])
    assert not fired, fired
    # Control: the detector does see a payload that is not escaped.
    context = browser.new_context(bypass_csp=True)
    control = context.new_page()
    control.set_content("<p>x</p><img src=x onerror=window.__xss=1>")
    control.wait_for_function("() => window.__xss === 1")
    context.close()
