"""Chromium: agency staff build a survey in the builder, a citizen answers it on a phone
(390 x 844, skip logic hiding and showing a question as they answer), and once the survey
closes the results page shows the representativeness chart with its table and the weighted
and unweighted shares side by side; axe-core finds no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from participate.extensions import db
from participate.models import Survey, SurveyResponse
from participate.participants import population as pop
from participate.timeutil import taipei_today
from tests.conftest import PASSWORD, pass_second_factor
from tests.surveys_fixtures import answer_as, crowd, questions_of

pytestmark = pytest.mark.browser


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def _login(page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/auth/login?next={next_path}")
    page.get_by_label("電子郵件").fill(email)
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    pass_second_factor(page, email)
    page.wait_for_load_state()


def _add_question(page, kind: str, text: str, options: str = "", show_if: str = "", picks=""):
    page.select_option("#q-kind", kind)
    page.fill("#q-text", text)
    page.fill("#q-options", options)
    if show_if:
        page.select_option("#q-show_if_question_id", label=show_if)
        page.fill("#q-show_if_options", picks)
    page.get_by_role("button", name="加入題目").click()
    page.wait_for_load_state()
    assert page.get_by_text("已加入題目。").is_visible()


def test_staff_build_a_citizen_answers_on_a_phone_and_results_show_who_took_part(
    app, live_server, browser, page, make_user, make_agency
):
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    staff = make_user(role="agency_staff", agency=agency, name="交通部承辦")
    citizen = make_user(name="手機市民")

    # --- Staff build the survey (desktop) ---------------------------------------------------
    _login(page, live_server, staff.email, "/surveys/new")
    page.fill("#title", "通勤與停車意向調查")
    page.fill("#description", "了解大家的通勤方式。")
    page.fill("#method", "已驗證帳號每人一份；結果依年齡、性別與地區加權。")
    page.get_by_label("與帳號連結保存（結束前可修改回答）").check()
    page.fill("#closes_on", (taipei_today() + timedelta(days=10)).isoformat())
    violations = _serious(Axe().run(page))
    assert not violations, violations
    page.get_by_role("button", name="儲存").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("編輯調查")
    _add_question(page, "single", "你主要怎麼通勤？", "捷運\n公車\n機車")
    _add_question(page, "likert", "應該擴大機車停車收費。")
    _add_question(
        page, "multiple", "騎機車的原因？", "方便\n便宜", show_if="1. 你主要怎麼通勤？", picks="3"
    )
    assert page.locator(".question-list > li").count() == 3
    violations = _serious(Axe().run(page))
    assert not violations, violations
    page.get_by_role("button", name="開放填答").click()
    page.wait_for_load_state()
    assert page.get_by_text("調查已開放填答。").is_visible()
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id).where(Survey.title == "通勤與停車意向調查"))
        db.session.remove()

    # --- A citizen answers on a phone -------------------------------------------------------
    phone = browser.new_context(
        locale="zh-TW", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    mobile = phone.new_page()
    errors: list[str] = []
    mobile.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(mobile, live_server, citizen.email, f"/surveys/{survey_id}")
    assert mobile.get_by_role("heading", level=1).inner_text() == "通勤與停車意向調查"
    assert mobile.get_by_text("你的回答與帳號連結保存").is_visible()
    q3 = mobile.locator("fieldset.question").nth(2)
    assert not q3.is_visible()  # skip logic: asked only of those who ride a scooter
    mobile.get_by_role("radio", name="機車", exact=True).check()
    assert q3.is_visible()
    q3.get_by_role("checkbox", name="方便").check()
    mobile.get_by_role("radio", name="同意", exact=True).check()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    violations = _serious(Axe().run(mobile))
    assert not violations, violations
    mobile.get_by_role("button", name="送出回答").click()
    mobile.wait_for_load_state()
    assert mobile.get_by_text("謝謝，已儲存你的回答。").is_visible()
    with app.app_context():
        mine = db.session.scalar(select(SurveyResponse).where(SurveyResponse.user_id == citizen.id))
        assert mine is not None and len(mine.answers) == 3
        db.session.remove()

    # --- 59 more people, with profiles skewed young, answer; staff close the survey ----------
    with app.test_request_context():
        bands = ["18-29", "18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
        ids = crowd(59, lambda i: (bands[i % 7], pop.SEXES[i % 2], ["TPE", "KHH", "TXG"][i % 3]))
        survey = db.session.get(Survey, survey_id)
        q1, q2, q3_ = questions_of(survey)
        for i, uid in enumerate(ids):
            young = bands[i % 7] in ("18-29", "30-39")
            raw = {q1.id: "0" if young else "2", q2.id: "4" if young else "1"}
            if not young:
                raw[q3_.id] = ["0"]
            answer_as(uid, survey_id, raw)
        db.session.remove()
    page.goto(f"{live_server}/surveys/{survey_id}/edit")
    page.get_by_role("button", name="立即結束調查").click()
    page.wait_for_load_state()
    assert page.get_by_text("調查已結束。").is_visible()

    # --- The results on the phone -----------------------------------------------------------
    mobile.goto(f"{live_server}/surveys/{survey_id}/results")
    assert mobile.get_by_role("heading", name="誰參與了").is_visible()
    chart = mobile.get_by_role("img", name="參與者的年齡分布")
    assert chart.is_visible()
    age_table = mobile.get_by_role("table", name="年齡：參與者與全國人口比較")
    assert age_table.is_visible() and "18–29 歲" in age_table.inner_text()
    assert "有效樣本數" in mobile.locator(".representation").inner_text()
    answers = mobile.get_by_role("table", name="第 2 題的回答")
    header = answers.locator("thead").inner_text()
    assert "比例" in header and "加權比例" in header
    agree_row = answers.locator("tbody tr", has_text="非常同意").inner_text()
    cells = [c.strip() for c in agree_row.split("\t")]
    assert cells[2] != cells[4], f"weighted and unweighted shares should differ: {cells}"
    for details in mobile.locator("details").all():
        details.evaluate("d => d.open = true")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the results scroll sideways on a phone ({width}px)"
    violations = _serious(Axe().run(mobile))
    assert not violations, violations
    assert not errors, errors
    assert not page.console_errors, page.console_errors
    phone.close()
