"""Chromium walks the oversight loop of a major project: agency staff publish it through
the form and approve it, a citizen asks a question, staff publish a progress report, and
the public page shows the report (the planned-vs-actual chart and its table) and the
question; the citizen is told of the report. axe-core finds no serious or critical
violation on any of the pages, and no page logs a console error."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from participate.extensions import db
from participate.models import Project, ProjectNotification
from tests.conftest import PASSWORD, pass_second_factor

pytestmark = pytest.mark.browser

NOW = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)  # 2 April 2026, 10:00 in Taipei


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


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


def test_publish_ask_report_and_the_public_page(app, live_server, browser, make_user, make_agency):
    app.config["FROZEN_NOW"] = NOW
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    staff = make_user(role="agency_staff", agency=agency, name="交通部承辦")
    citizen = make_user(name="關心花東的市民")
    errors: list[str] = []
    violations: list[str] = []
    contexts = []
    try:
        # Staff publish the project; an empty submit first shows errors beside the fields.
        ctx, s = _login(browser, live_server, staff, errors)
        contexts.append(ctx)
        s.goto(f"{live_server}/projects/")
        s.get_by_role("link", name="公開計畫").click()
        s.get_by_role("button", name="公開計畫").click()
        assert s.locator("#name-error").is_visible()
        assert s.locator(".error-summary").is_visible()
        violations += _serious(s)
        s.fill("#name", "花東鐵路雙軌電氣化計畫")
        s.fill("#summary", "花東鐵路全線雙軌化，縮短東部往返時間。")
        s.fill("#goals", "臺北到臺東三小時半。")
        s.fill("#starts_on", "2026-01-01")
        s.fill("#ends_on", "2027-12-31")
        s.fill("#total_budget", "2,000,000")
        s.fill("#budgets", "2026: 800,000\n2027: 1,200,000")
        s.get_by_label("花蓮縣").check()
        s.get_by_label("臺東縣").check()
        s.fill("#kpis", "雙軌化里程 | 155 | 公里")
        s.fill("#milestones", "2026-03-31 完成綜合規劃\n2026-09-30 第一標段開工")
        s.get_by_role("button", name="公開計畫").click()
        s.wait_for_url(re.compile(r".*/projects/\d+$"))
        assert s.get_by_role("heading", level=1).inner_text() == "花東鐵路雙軌電氣化計畫"
        project_url = s.url
        s.get_by_role("button", name="核定並開始執行").click()
        s.wait_for_load_state()
        assert "計畫已核定，開始執行。" in s.content()
        assert s.locator(".badge.status-underway").is_visible()

        # A citizen asks a question (and so follows the project).
        ctx, c = _login(browser, live_server, citizen, errors)
        contexts.append(ctx)
        c.goto(project_url)
        violations += _serious(c)
        c.get_by_label("您的提問").fill("施工期間的替代接駁怎麼安排？")
        c.get_by_role("button", name="向機關提問").click()
        c.wait_for_load_state()
        assert "您的提問已公開" in c.content()
        assert "1 則提問尚未回覆" in c.locator(".question-figures").inner_text()

        # Staff publish the first quarterly progress report.
        s.goto(project_url)
        s.get_by_role("link", name="發布進度報告").click()
        violations += _serious(s)
        s.fill("#as_of", "2026-03-31")
        s.fill("#planned_percent", "12.5")
        s.fill("#actual_percent", "10")
        s.fill("#budget_executed", "150,000")
        first = s.locator("fieldset.milestone-form").nth(0)
        first.get_by_label("已達成").check()
        first.get_by_label("達成日期").fill("2026-03-28")
        second = s.locator("fieldset.milestone-form").nth(1)
        second.get_by_label("如期").check()
        s.get_by_label(re.compile("^雙軌化里程")).fill("12")
        s.fill("#note", "第一季依計畫推動。")
        s.get_by_role("button", name="發布進度報告").click()
        s.wait_for_url(re.compile(r".*/projects/\d+(#progress)?$"))
        assert "進度報告已發布" in s.content()

        # The public page shows the report: the chart, its table, and the question.
        anon = browser.new_context(locale="zh-TW")
        contexts.append(anon)
        pub = anon.new_page()
        pub.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pub.goto(project_url)
        chart = pub.get_by_role("img", name="進度：預定與實際")
        assert chart.is_visible()
        table = pub.get_by_role("table", name="進度報告：圖表中的數據")
        row = table.locator("tbody tr").first
        assert row.locator("th").inner_text() == "2026-03-31"
        assert "12.5%" in row.inner_text() and "10%" in row.inner_text()
        assert "施工期間的替代接駁怎麼安排？" in pub.content()
        assert "已達成" in pub.get_by_role("table", name="查核點、預定日期與目前狀態").inner_text()
        violations += _serious(pub)
        pub.goto(f"{live_server}/projects/")
        assert pub.get_by_role("link", name="花東鐵路雙軌電氣化計畫").is_visible()
        violations += _serious(pub)
        pub.goto(f"{live_server}/projects/?county=KIN")
        assert "沒有符合" in pub.content()

        # The citizen was told of the report.
        c.goto(f"{live_server}/projects/following")
        assert "發布了進度報告（截至 2026-03-31）" in c.content()
        violations += _serious(c)
        with app.app_context():
            pid = db.session.scalar(select(Project.id))
            notes = db.session.scalars(
                select(ProjectNotification).where(ProjectNotification.project_id == pid)
            ).all()
            assert [n.user_id for n in notes] == [citizen.id]
            db.session.remove()
    finally:
        for ctx in contexts:
            ctx.close()
    assert not violations, "\n".join(violations)
    assert not _unexpected(errors), errors
