"""Chromium walks a draft regulation through its life: agency staff start a draft, paste
its comparison table and publish it for comment; a citizen comments on one article;
after the period (the clock moved on) staff publish the response table from the groups
offered; the public page shows the answer. axe-core finds no violation at all (of any
impact) on the pages each of them uses, and the citizen's part works without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from participate.extensions import db
from participate.models import DraftStatus, RegulationComment, RegulationDraft
from participate.timeutil import aware, utcnow
from tests.conftest import PASSWORD, pass_second_factor
from tests.regulations_fixtures import TABLE

pytestmark = pytest.mark.browser


def _violations(results) -> list[str]:
    """Every violation axe-core reports, whatever its impact (minor ones too)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]


def _login(browser, base: str, user, errors: list[str], javascript: bool = True):
    context = browser.new_context(locale="zh-TW", java_script_enabled=javascript)
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


def _axe_clean(page) -> None:
    violations = _violations(Axe().run(page))
    assert not violations, f"{page.url}: {violations}"


def test_publish_comment_respond_in_chromium(app, live_server, browser, make_user, make_agency):
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    staff = make_user(role="agency_staff", agency=agency, name="交通部承辦")
    citizen = make_user(name="關心交通的市民")
    errors: list[str] = []
    contexts = []
    try:
        # Staff start the draft from the list page, paste the table and publish it.
        ctx, st = _login(browser, live_server, staff, errors)
        contexts.append(ctx)
        st.goto(f"{live_server}/regulations/")
        st.get_by_role("link", name="新增草案").click()
        st.fill("#title", "道路交通安全規則部分條文修正草案")
        st.fill("#unit", "路政司")
        st.fill("#summary", "落實行人優先。")
        _axe_clean(st)
        st.click("input[name=submit]")
        st.wait_for_url(re.compile(r".*/regulations/\d+$"))
        did = int(st.url.rsplit("/", 1)[1])
        st.get_by_role("link", name="貼上條文對照表").click()
        st.fill("#text", TABLE)
        _axe_clean(st)
        st.click("input[name=submit]")
        st.wait_for_url(re.compile(rf".*/regulations/{did}#articles-h$"))
        assert st.locator(".reg-article").count() == 3
        assert "刪除" in st.locator(".reg-article").nth(2).inner_text()
        st.get_by_role("link", name="公告預告").click()
        assert st.locator("#days").input_value() == "60"
        _axe_clean(st)
        st.click("input[name=submit]")
        st.wait_for_url(re.compile(rf".*/regulations/{did}$"))
        assert st.locator(".reg-status-open").is_visible()
        assert "距預告期滿剩 60 天。" in st.content()

        # A citizen, without JavaScript, comments on the second article.
        ctx, cz = _login(browser, live_server, citizen, errors, javascript=False)
        contexts.append(ctx)
        cz.goto(f"{live_server}/regulations/{did}")
        _axe_clean_without_js(browser, live_server, f"/regulations/{did}")
        cz.locator("#articles-h ~ .reg-article").nth(1).get_by_role(
            "link", name=re.compile("對本條提出意見")
        ).click()
        assert cz.get_by_role("heading", level=1).inner_text().startswith("第二條")
        cz.fill("#body", "「暫停」應明定為完全停止，並加強夜間照明。")
        cz.get_by_role("button", name="送出意見").click()
        cz.wait_for_url(re.compile(r".*/regulations/comments/\d+#comment-\d+$"))
        assert "「暫停」應明定為完全停止" in cz.locator(".reg-comment-root").inner_text()
        with app.app_context():
            comment_id = db.session.scalar(select(RegulationComment.id))
            ends = aware(db.session.get(RegulationDraft, did).comment_ends_at)
            db.session.remove()

        # The period is over: staff write the response table from the offered rows.
        app.config["FROZEN_NOW"] = ends + timedelta(days=2)
        st.goto(f"{live_server}/regulations/{did}")
        st.get_by_role("link", name="撰寫意見回應表").click()
        assert st.locator("#rows-0-comment_ids").input_value() == str(comment_id)
        _axe_clean(st)
        st.select_option("#rows-0-decision", "partly")
        st.fill("#rows-0-reasoning", "將明定完全停止；照明另案請地方政府改善。")
        st.fill("#overall", "感謝各界意見，回應如下。")
        st.get_by_role("button", name="公布意見回應表").click()
        st.wait_for_url(re.compile(rf".*/regulations/{did}#responses-h$"))

        # Anyone sees the answer, with the response deadline met.
        public = browser.new_context(locale="zh-TW")
        contexts.append(public)
        pg = public.new_page()
        pg.goto(f"{live_server}/regulations/{did}")
        table = pg.get_by_role("table")
        assert "部分參採" in table.inner_text()
        assert "將明定完全停止" in table.inner_text()
        assert "準時回應" in pg.locator(".clock").inner_text()
        assert pg.locator(".reg-status-responded").is_visible()
        _axe_clean(pg)
        pg.goto(f"{live_server}/regulations/comments/{comment_id}")
        _axe_clean(pg)
        pg.goto(f"{live_server}/regulations/")
        _axe_clean(pg)
        with app.app_context():
            assert db.session.get(RegulationDraft, did).status == DraftStatus.RESPONDED
            db.session.remove()
    finally:
        app.config.pop("FROZEN_NOW", None)
        for c in contexts:
            c.close()
    assert not [e for e in errors if "status of 400" not in e], errors


def _axe_clean_without_js(browser, base: str, path: str) -> None:
    """axe-core needs JavaScript to run; the no-JavaScript citizen's page is checked in a
    context with it on (the markup is the same)."""
    context = browser.new_context(locale="zh-TW")
    try:
        page = context.new_page()
        page.goto(f"{base}{path}")
        _axe_clean(page)
    finally:
        context.close()


def test_a_phone_sees_the_comparison_table_one_column(
    app, live_server, browser, make_user, make_agency
):
    """At a phone's width the three texts of an article stack instead of squeezing."""
    from participate.boundary import unit
    from participate.regulations import operations

    staff = make_user(role="agency_staff", agency=make_agency(slug="motc"))
    with app.test_request_context(), unit():
        from participate.models import User

        person = db.session.get(User, staff.id)
        d = operations.create_draft(person, operations.DraftInput("手機版草案", "", "", "說明"))
        operations.paste_articles(person, d, TABLE)
        operations.publish_draft(person, d, 60, "", now=utcnow())
        did = d.id
    context = browser.new_context(locale="zh-TW", viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/regulations/{did}")
        first = page.locator(".reg-article").nth(1)
        proposed = first.locator(".reg-proposed").bounding_box()
        current = first.locator(".reg-current").bounding_box()
        assert current["y"] > proposed["y"] + proposed["height"] - 1  # stacked
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width  # nothing wider than the screen
        _axe_clean(page)
    finally:
        context.close()
