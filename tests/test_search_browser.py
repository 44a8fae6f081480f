"""The search page and the API docs in a real Chromium: no JavaScript needed, no console
errors, a narrow (phone) screen works."""

from __future__ import annotations

import pytest

from tests.search_fixtures import corpus_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def test_search_from_the_nav_with_filters(live_server, page, corpus):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server}/auth/login")
    page.get_by_text("選單").click()  # on a phone the navigation sits in the menu
    page.get_by_role("link", name="搜尋").first.click()
    page.get_by_label("搜尋提案、眾開講、意見與機關回應").fill("长照")
    page.get_by_role("button", name="搜尋").click()
    assert page.locator(".search-hit").count() == 2
    assert page.locator(".search-hit mark").first.inner_text() == "長照"
    page.get_by_label("類型").select_option("statement")
    page.get_by_role("button", name="搜尋").click()
    assert page.locator(".search-hit").count() == 1
    assert "薪資" in page.locator(".search-hit").inner_text()
    assert page.console_errors == []


def test_api_docs_and_downloads_pages_render(live_server, page, corpus):
    page.goto(f"{live_server}/api/v1/docs")
    assert page.get_by_role("heading", name="開放資料 API").is_visible()
    page.get_by_role("link", name="GET /api/v1/search").click()
    assert page.locator("#search").is_visible()
    page.goto(f"{live_server}/opendata/")
    assert page.get_by_role("heading", name="開放資料下載").is_visible()
    assert page.console_errors == []
