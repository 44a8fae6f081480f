"""Chromium walks the whole loop: propose → review (in the moderation queue) → endorse →
established → the agency answers point by point → the citizen sees the answer and the
closed clock; and an agency consultation from opening to closing and its concluding
response."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from participate.extensions import db
from participate.models import Proposal, ProposalStatus
from tests.conftest import PASSWORD, pass_second_factor

pytestmark = pytest.mark.browser


def _login(browser, base: str, user, errors: list[str]):
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("input[name=submit]")
    pass_second_factor(page, user)
    page.wait_for_url(re.compile(r".*/$|.*/account/.*"))
    return context, page


def _unexpected(errors: list[str]) -> list[str]:
    """Console errors, except the browser's note on our deliberate 400 (form errors) pages."""
    return [e for e in errors if "status of 400" not in e]


def _proposal_id(app) -> int:
    with app.app_context():
        pid = db.session.scalar(select(Proposal.id).order_by(Proposal.id.desc()))
        db.session.remove()
        return pid


def test_propose_review_endorse_establish_respond(
    app, live_server, browser, make_user, make_agency
):
    app.config["ENDORSEMENT_THRESHOLD"] = 2
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    author = make_user(name="提案人小林")
    second = make_user(name="附議者阿美")
    moderator = make_user(role="moderator", name="審核員")
    staff = make_user(role="agency_staff", agency=agency, name="交通部承辦")
    errors: list[str] = []
    contexts = []

    # The citizen writes the proposal; an empty submit first shows errors beside fields.
    ctx, page = _login(browser, live_server, author, errors)
    contexts.append(ctx)
    page.goto(f"{live_server}/proposals/new")
    page.click("input[name=submit]")
    assert page.locator("#title-error").is_visible()
    assert page.locator("#measures-error").is_visible()
    page.fill("#title", "機車待轉區改設在安全位置")
    page.fill("#summary", "待轉區畫在車流之間，十分危險。")
    page.fill("#problem", "許多路口的待轉區設在快慢車道之間。")
    page.fill("#measures", "訂定全國一致的設計準則\n檢討號誌時相")
    page.fill("#benefits", "降低機車事故。")
    page.locator(f'#agencies input[value="{agency.id}"]').check()
    page.click("input[name=submit]")
    page.wait_for_url(re.compile(r".*/proposals/\d+$"))
    assert page.locator(".badge.status-in_review").is_visible()
    assert "審核" in page.content()
    pid = _proposal_id(app)

    # The moderator accepts it for endorsement in the moderation queue (the old review
    # address leads there), from the proposal's own "Review" button.
    ctx, mod = _login(browser, live_server, moderator, errors)
    contexts.append(ctx)
    mod.goto(f"{live_server}/proposals/review")
    mod.wait_for_url(re.compile(r".*/moderation/\?kind=proposal$"))
    assert "機車待轉區改設在安全位置" in mod.content()
    mod.goto(f"{live_server}/proposals/{pid}")
    mod.get_by_role("link", name="審核", exact=True).click()
    mod.wait_for_url(re.compile(r".*/moderation/items/\d+$"))
    mod.select_option("#action", "approve")
    mod.click("form.form button[type=submit]")
    mod.wait_for_url(re.compile(r".*/moderation/$"))

    # Two citizens endorse: the author (allowed) and another; the second establishes it.
    page.goto(f"{live_server}/proposals/{pid}")
    assert page.locator(".badge.status-endorsing").is_visible()
    page.get_by_role("button", name="附議此提案").click()
    assert page.locator("#endorse-count").inner_text() == "1"
    ctx, other = _login(browser, live_server, second, errors)
    contexts.append(ctx)
    other.goto(f"{live_server}/proposals/{pid}")
    other.get_by_role("button", name="附議此提案").click()
    assert other.locator(".badge.status-established").is_visible()
    assert other.locator("#endorse-count").inner_text() == "2"

    # The moderator confirms the agency: the 60-day clock starts.
    mod.goto(f"{live_server}/proposals/{pid}/assign")
    mod.locator(f'#agencies input[value="{agency.id}"]').check()
    mod.click("input[name=submit]")
    mod.wait_for_url(re.compile(rf".*/proposals/{pid}$"))
    assert mod.locator(".clock").is_visible()
    assert "剩餘 60 天" in mod.locator(".clock").inner_text()

    # Agency staff answer point by point; publishing with a point missing is refused.
    ctx, st = _login(browser, live_server, staff, errors)
    contexts.append(ctx)
    st.goto(f"{live_server}/staff/")
    st.get_by_role("link", name="撰寫回應").first.click()
    selects = st.locator("select[id^=decision_]")
    reasons = st.locator("textarea[id^=reasoning_]")
    units = st.locator("input[id^=unit_]")
    assert selects.count() == 2
    selects.nth(0).select_option("adopted")
    reasons.nth(0).fill("明年六月前修訂設計規範。")
    units.nth(0).fill("公路局")
    st.fill("#overall", "感謝提案，本部回應如下。")
    st.click("input[name=publish]")
    assert st.locator(".error-summary").is_visible()
    selects.nth(1).select_option("under_study")
    reasons.nth(1).fill("委託研究並選定路口試辦。")
    units.nth(1).fill("運輸研究所")
    st.check("#confirm")  # publishing is final: the form asks to confirm it
    st.click("input[name=publish]")
    st.wait_for_url(re.compile(rf".*/proposals/{pid}$"))

    # The citizen sees the answer for each point and the clock closed, answered on time.
    page.goto(f"{live_server}/proposals/{pid}")
    assert page.locator(".badge.status-responded").is_visible()
    answer = page.locator(".official-response").inner_text()
    assert "感謝提案，本部回應如下。" in answer
    points = page.locator(".measures .point")
    assert points.count() == 2
    assert "參採" in points.nth(0).inner_text() and "公路局" in points.nth(0).inner_text()
    assert "研議中" in points.nth(1).inner_text()
    clock = page.locator(".clock").inner_text()
    assert "已於" in clock and "準時回應" in clock
    # The bell shows the unread notifications (established, assigned, responded).
    assert page.locator(".bell-count").is_visible()
    for c in contexts:
        c.close()
    assert _unexpected(errors) == []
    with app.app_context():
        assert db.session.get(Proposal, pid).status == ProposalStatus.RESPONDED
        db.session.remove()


def test_consultation_open_to_close_with_frozen_clock(
    app, live_server, browser, make_user, make_agency
):
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    app.config["FROZEN_NOW"] = start
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    agency = make_agency(slug="moenv", name_zh="環境部", name_en="Ministry of Environment")
    staff = make_user(role="agency_staff", agency=agency, name="環境部承辦")
    citizen = make_user(name="關心環境的市民")
    errors: list[str] = []
    sctx, st = _login(browser, live_server, staff, errors)
    st.goto(f"{live_server}/staff/")
    st.get_by_role("link", name="開啟眾開講").click()
    st.fill("#title", "一次用飲料杯減量措施意見徵集")
    st.fill("#summary", "徵詢自備杯優惠與循環杯推廣的意見。")
    st.fill("#background", "全國每年使用約十五億個一次用飲料杯。")
    st.fill("#draft_text", "一、連鎖飲料店應提供自備杯優惠。")
    st.fill("#questions", "自備杯優惠金額是否合適？\n循環杯應從哪些場所開始？")
    st.fill("#closes_on", "2026-03-20")
    st.click("input[name=submit]")
    st.wait_for_url(re.compile(r".*/proposals/\d+$"))
    pid = _proposal_id(app)

    cctx, page = _login(browser, live_server, citizen, errors)
    page.goto(f"{live_server}/proposals/{pid}")
    assert page.locator(".badge.status-open").is_visible()
    assert "2026-03-20" in page.locator(".status-panel").inner_text()
    assert "討論進行中" in page.content()

    # Past the closing date: closed on read, although no periodic task has run.
    app.config["FROZEN_NOW"] = start + timedelta(days=19)
    page.reload()
    assert page.locator(".badge.status-closed").is_visible()
    assert "討論已結束" in page.content()

    # The agency writes the concluding response, point by point.
    st.goto(f"{live_server}/proposals/{pid}")
    st.get_by_role("link", name="撰寫回應").click()
    selects = st.locator("select[id^=decision_]")
    reasons = st.locator("textarea[id^=reasoning_]")
    for i, (decision, text) in enumerate(
        [("adopted", "多數意見支持五元優惠。"), ("partly", "先從大型活動場所開始。")]
    ):
        selects.nth(i).select_option(decision)
        reasons.nth(i).fill(text)
    st.fill("#overall", "感謝各界意見，結論如下。")
    st.check("#confirm")
    st.click("input[name=publish]")
    st.wait_for_url(re.compile(rf".*/proposals/{pid}$"))

    page.reload()
    assert page.locator(".badge.status-responded").is_visible()
    assert "感謝各界意見，結論如下。" in page.locator(".official-response").inner_text()
    assert "部分參採" in page.locator(".measures").inner_text()
    # Citizens may react for three days after the response.
    assert "討論進行中" in page.content()
    sctx.close()
    cctx.close()
    assert _unexpected(errors) == []
