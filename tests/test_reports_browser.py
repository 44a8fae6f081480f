"""Chromium: the report renders with its map and the map's table alternative, passes axe-core
without serious or critical violations, refreshes itself when a new version is in, prints
without the site's chrome, and the CSV a staff member downloads has the right counts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, update

from participate.extensions import db
from participate.models import AnalysisState, Statement
from participate.reports import scheduler
from participate.timeutil import utcnow
from tests.conftest import PASSWORD, pass_second_factor
from tests.reports_fixtures import make_camps

pytestmark = pytest.mark.browser


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_report_in_chromium(app, live_server, page, make_user, make_agency):
    camps = make_camps(app, people=24)
    with app.app_context():
        assert scheduler.run_analysis(camps.discussion_id, "command", requeue=False).status == (
            "succeeded"
        )
        db.session.remove()
    url = f"{live_server}/proposals/{camps.proposal_id}/report"

    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text().startswith("意見報告")
    # The findings come first; the sections below are collapsed until opened.
    assert page.get_by_role("heading", name="重點發現").is_visible()
    assert not page.get_by_role("img", name="意見地圖").is_visible()
    page.locator("#sec-map > summary").click()
    assert page.get_by_role("img", name="意見地圖").is_visible()
    # The table alternative, opened like a reader would.
    page.get_by_text("以表格呈現意見地圖").click()
    table = page.get_by_role("table", name="地圖上的意見群")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 2
    assert "第 1 群" in table.inner_text()
    assert "意見地圖" in page.locator("#map-description").inner_text() or page.locator(
        "#map-description"
    ).inner_text().startswith("這張圖")

    violations = _serious(Axe().run(page))
    assert not violations, violations

    # Printable view: no navigation chrome, and printing hides the page's controls.
    page.goto(f"{url}/print")
    assert page.locator(".site-header, nav, .site-footer, form").count() == 0
    assert page.get_by_role("img", name="意見地圖").is_visible()
    page.emulate_media(media="print")
    assert page.locator("table").first.is_visible()
    page.emulate_media(media="screen")

    # Staff of the agency responsible for the consultation download the CSV from the page.
    agency = make_agency()
    with app.app_context():
        from participate.models import Agency, Proposal

        consultation = db.session.get(Proposal, camps.proposal_id)
        consultation.owner_agency_id = agency.id
        consultation.responsible_agencies = [db.session.get(Agency, agency.id)]
        db.session.commit()
    staff = make_user(role="agency_staff", agency=agency)
    page.goto(f"{live_server}/auth/login?next=/proposals/{camps.proposal_id}/report")
    page.get_by_label("電子郵件").fill(staff.email)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    pass_second_factor(page, staff)
    page.wait_for_load_state()
    page.goto(url)
    with page.expect_download() as info:
        page.get_by_role("link", name="各意見與各群票數（CSV）").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    with app.app_context():
        counts = {
            s.id: (s.agree_count, s.disagree_count, s.pass_count)
            for s in db.session.scalars(
                select(Statement).where(Statement.discussion_id == camps.discussion_id)
            )
        }
        db.session.remove()
    assert len(rows) == len(counts) == 10
    for row in rows:
        got = (int(row["agree"]), int(row["disagree"]), int(row["pass"]))
        assert got == counts[int(row["statement_id"])]

    violations = _serious(Axe().run(page))  # the staff view too
    assert not violations, violations
    assert not page.console_errors, page.console_errors


def test_report_refreshes_itself_when_a_new_version_is_in(app, live_server, page):
    camps = make_camps(app, people=16)
    with app.app_context():
        scheduler.run_analysis(camps.discussion_id, "command", requeue=False)
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(running_since=utcnow())
        )
        db.session.commit()
        db.session.remove()
    page.goto(f"{live_server}/proposals/{camps.proposal_id}/report")
    assert "更新中" in page.locator("#analysis-status").inner_text()
    with app.app_context():  # the worker finishes: a new version appears
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(running_since=None)
        )
        db.session.commit()
        assert scheduler.run_analysis(camps.discussion_id, "staff", requeue=False).status == (
            "succeeded"
        )
        db.session.remove()
    page.wait_for_function(
        "() => document.querySelector('.computed') &&"
        " document.querySelector('.computed').textContent.includes('第 2 版')",
        timeout=15000,
    )
    assert "更新中" not in page.locator("#analysis-status").inner_text()
    assert not page.console_errors, page.console_errors
