"""Chromium: a new citizen registers, confirms the address, logs in and switches language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from participate.extensions import db
from participate.models import MailMessage

pytestmark = pytest.mark.browser


def test_register_login_switch_language(app, live_server, page):
    page.goto(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    page.get_by_role("link", name="註冊").first.click()

    # Submitting empty shows errors next to fields and focuses the summary.
    page.get_by_role("button", name="建立帳號").click()
    assert page.locator("#email-error").is_visible()
    assert page.locator(".error-summary").evaluate("el => el === document.activeElement")

    page.get_by_label("電子郵件").fill("browser-user@example.tw")
    page.get_by_label("顯示名稱（公開顯示，可使用暱稱）").fill("瀏覽器測試者")
    page.get_by_label("密碼", exact=True).fill("a-very-long-passphrase")
    page.get_by_label("再次輸入密碼").fill("a-very-long-passphrase")
    page.get_by_label("我已閱讀並同意個人資料蒐集告知事項。").check()
    page.get_by_role("button", name="建立帳號").click()
    page.wait_for_url(re.compile(r".*/auth/unverified$"))
    assert "browser-user@example.tw" in page.content()

    with app.app_context():
        mail = db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc())).first()
    link = re.search(r"(/auth/verify/\S+)", mail.body).group(1)
    page.goto(f"{live_server}{link}")
    assert "您的電子郵件已完成驗證" in page.content()

    page.get_by_role("button", name="登出").click()
    page.get_by_role("link", name="登入").first.click()
    page.get_by_label("電子郵件").fill("browser-user@example.tw")
    page.get_by_label("密碼", exact=True).fill("a-very-long-passphrase")
    page.get_by_role("button", name="登入").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("link", name=re.compile("我的帳號")).is_visible()

    page.get_by_role("button", name="English").click()  # the header's language form
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name=re.compile("My account")).is_visible()
    page.get_by_role("link", name="My account").click()
    assert page.get_by_role("heading", name="My account", exact=True).is_visible()

    # keyboard users: the skip link is the first stop and it is visible when focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.console_errors == []
