"""Chromium: the look. The phone menu (390x844) opens, closes and leads where it says; the
report on a phone keeps every card within its width; publishing an agency response asks
for a confirmation first; axe-core finds no serious or critical violation on the main
pages, for an anonymous visitor, a citizen and a moderator, on a desktop and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    Agency,
    Proposal,
    ProposalKind,
    ProposalMeasure,
    ProposalStatus,
    Statement,
)
from participate.reports import scheduler
from participate.timeutil import utcnow
from tests.conftest import PASSWORD, pass_second_factor
from tests.reports_fixtures import make_camps

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _context(browser, viewport, errors):
    context = browser.new_context(locale="zh-TW", viewport=viewport)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("input[name=submit]")
    pass_second_factor(page, user)  # staff give their code; others go on
    page.wait_for_load_state()
    assert "/auth/login" not in page.url and "/auth/two-factor" not in page.url


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def _analysed_consultation(app) -> int:
    camps = make_camps(app, people=24)
    with app.app_context():
        consultation = db.session.get(Proposal, camps.proposal_id)
        consultation.opened_at = utcnow() - timedelta(days=10)
        consultation.deadline = utcnow() + timedelta(days=20)  # as every real one has
        db.session.commit()
        assert scheduler.run_analysis(camps.discussion_id, "command", requeue=False).status == (
            "succeeded"
        )
        db.session.remove()
    return camps.proposal_id


def test_phone_menu_opens_closes_and_its_links_work(app, live_server, browser, make_user):
    errors: list[str] = []
    context, page = _context(browser, PHONE, errors)
    page.goto(f"{live_server}/")
    header = page.locator(".site-header")
    # One line of header: the brand, the language switch and the menu button.
    assert header.bounding_box()["height"] <= 72
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible() and toggle.inner_text().strip() == "選單"
    link = page.locator(".main-nav").get_by_role("link", name="提案", exact=True)
    assert not link.is_visible()

    toggle.click()
    assert link.is_visible()
    # The open menu lies over the page, within the screen's width.
    box = page.locator(".main-nav").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    page.keyboard.press("Escape")
    assert not link.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")

    toggle.click()
    link.click()
    page.wait_for_url(re.compile(r".*/proposals/$"))
    assert page.get_by_role("heading", level=1).is_visible()
    assert not page.locator(".main-nav").get_by_role("link", name="提案", exact=True).is_visible()

    # A click elsewhere closes it too; the logged-in menu holds the account and log-out.
    citizen = make_user(name="手機使用者")
    _log_in(page, live_server, citizen)
    page.locator(".nav-toggle").click()
    nav = page.locator(".main-nav")
    assert nav.get_by_role("link", name="我的帳號").is_visible()
    assert nav.get_by_role("button", name="登出").is_visible()
    page.mouse.click(195, 830)  # below the open menu
    assert not nav.get_by_role("link", name="我的帳號").is_visible()
    context.close()

    # Without JavaScript the menu still opens (a <details>), and on a desktop it is a row.
    nojs = browser.new_context(locale="zh-TW", viewport=PHONE, java_script_enabled=False)
    p2 = nojs.new_page()
    p2.goto(f"{live_server}/")
    p2.locator(".nav-toggle").click()
    p2.locator(".main-nav").get_by_role("link", name="機關", exact=True).click()
    p2.wait_for_url(re.compile(r".*/agencies/$"))
    p2.set_viewport_size(DESKTOP)
    assert not p2.locator(".nav-toggle").is_visible()
    assert p2.locator(".main-nav").get_by_role("link", name="提案", exact=True).is_visible()
    nojs.close()
    wide, p3 = _context(browser, DESKTOP, errors)
    p3.goto(f"{live_server}/")
    assert not p3.locator(".nav-toggle").is_visible()
    assert p3.locator(".main-nav").get_by_role("link", name="提案", exact=True).is_visible()
    assert p3.locator(".site-header").bounding_box()["height"] <= 80
    wide.close()
    assert errors == [], errors


OVERFLOW = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      '.card, .group-card, details.section, .report-findings, .stmt, .topic, main')) {
    if (el.closest('.table-scroll')) continue;  // a wrapper that scrolls by design
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push((el.id || el.className) + ': ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    out.push('page: ' + document.documentElement.scrollWidth);
  }
  return out;
}"""


def test_report_on_a_phone_has_no_overflow_inside_its_cards(app, live_server, browser):
    pid = _analysed_consultation(app)
    errors: list[str] = []
    context, page = _context(browser, PHONE, errors)
    page.goto(f"{live_server}/proposals/{pid}/report")
    findings = page.locator(".report-findings")
    assert findings.is_visible()
    assert "意見群" in findings.inner_text()
    # The first screen holds the findings: the sections below start collapsed.
    sections = page.locator("details.section")
    assert sections.count() >= 8
    assert page.locator("details.section[open]").count() == 0
    for i in range(sections.count()):
        sections.nth(i).locator(":scope > summary").click()
    assert page.locator("details.section[open]").count() == sections.count()
    page.locator("main details").evaluate_all("els => els.forEach(d => d.open = true)")
    assert page.locator(".group-card").count() == 2
    problems = page.evaluate(OVERFLOW)
    assert problems == [], problems
    # A group's statements keep a readable width (not squeezed to a few characters).
    widths = page.locator(".group-table td.rep-text").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert widths and min(widths) > 250, widths
    # A link to a statement opens the section that holds it.
    page.locator("details.section").evaluate_all("els => els.forEach(d => d.open = false)")
    page.locator(".report-findings a.quote").first.click()
    target = page.locator("#sec-statements")
    assert target.get_attribute("open") is not None
    context.close()
    assert errors == [], errors


def _closed_consultation(app, agency_id: int) -> int:
    with app.app_context():
        now = utcnow()
        p = Proposal(
            kind=ProposalKind.CONSULTATION,
            status=ProposalStatus.CLOSED,
            title="自行車道設計準則草案意見徵集",
            summary="徵詢自行車道設計準則草案的意見。",
            problem="各縣市自行車道設計不一。",
            owner_agency_id=agency_id,
            created_at=now - timedelta(days=40),
            opened_at=now - timedelta(days=40),
            deadline=now - timedelta(days=2),
            ended_at=now - timedelta(days=2),
        )
        p.measures = [ProposalMeasure(position=1, text="車道寬度應為多少？")]
        p.responsible_agencies = [db.session.get(Agency, agency_id)]
        db.session.add(p)
        db.session.commit()
        return p.id


def test_publishing_a_response_asks_for_a_confirmation(
    app, live_server, browser, make_user, make_agency
):
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    staff = make_user(role="agency_staff", agency=agency, name="交通部承辦")
    pid = _closed_consultation(app, agency.id)
    errors: list[str] = []
    context, page = _context(browser, DESKTOP, errors)
    _log_in(page, live_server, staff)
    page.goto(f"{live_server}/proposals/{pid}/response")
    assert page.locator("input[name=confirm]").count() == 1
    page.locator("select[id^=decision_]").first.select_option("adopted")
    page.locator("textarea[id^=reasoning_]").first.fill("採納建議，明年起納入準則。")
    page.fill("#overall", "感謝各界意見，本部回應如下。")
    # Without the confirmation, nothing is published and the box says why.
    page.click("input[name=publish]")
    assert page.locator("#confirm-error").is_visible()
    with app.app_context():
        assert db.session.get(Proposal, pid).status == ProposalStatus.CLOSED
        db.session.remove()
    page.get_by_label("我了解回應公開後無法修改").check()
    page.click("input[name=publish]")
    page.wait_for_url(re.compile(rf".*/proposals/{pid}$"))
    assert "感謝各界意見，本部回應如下。" in page.locator(".official-response").inner_text()
    with app.app_context():
        assert db.session.get(Proposal, pid).status == ProposalStatus.RESPONDED
        db.session.remove()
    context.close()
    assert [e for e in errors if "status of 400" not in e] == []


def _review_item(app, author_id: int) -> None:
    from participate.moderation.queue import open_proposal_review

    with app.app_context():
        now = utcnow()
        p = Proposal(
            kind=ProposalKind.PROPOSAL,
            status=ProposalStatus.IN_REVIEW,
            title="路口行人早開時相全面設置",
            summary="讓行人先走幾秒，減少轉彎車撞人。",
            problem="轉彎車輛與行人衝突。",
            author_id=author_id,
            created_at=now - timedelta(days=3),
            submitted_at=now - timedelta(days=3),
        )
        p.measures = [ProposalMeasure(position=1, text="主要路口設置行人早開時相。")]
        db.session.add(p)
        db.session.flush()
        open_proposal_review(p, now)
        db.session.commit()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_main_pages_pass_axe(app, live_server, browser, make_user, viewport):
    pid = _analysed_consultation(app)
    citizen = make_user(name="市民")
    moderator = make_user(role="moderator", name="審核員")
    _review_item(app, citizen.id)
    with app.app_context():
        sid = db.session.scalar(select(Statement.id).order_by(Statement.id))
        db.session.remove()
    pages = [
        "/",
        "/proposals/",
        f"/proposals/{pid}",
        f"/proposals/{pid}/discussion",
        f"/proposals/{pid}/discussion/vote",
        f"/discussion/statements/{sid}",
        f"/proposals/{pid}/report",
        "/search?q=叫車",
        "/auth/login",
    ]
    errors: list[str] = []
    found: dict[str, list[str]] = {}
    for who in (None, citizen, moderator):
        context, page = _context(browser, viewport, errors)
        if who is not None:
            _log_in(page, live_server, who)
        paths = pages + (["/moderation/"] if who is moderator else [])
        for path in paths:
            if path == "/auth/login" and who is not None:
                continue
            page.goto(f"{live_server}{path}")
            page.locator("details.section").evaluate_all("els => els.forEach(d => d.open = true)")
            if viewport is PHONE:
                page.locator(".nav-toggle").click()
            violations = _serious(Axe().run(page))
            if violations:
                found[f"{getattr(who, 'display_name', 'anonymous')} {path}"] = violations
        context.close()
    assert found == {}, found
    assert [e for e in errors if "status of 4" not in e] == []
