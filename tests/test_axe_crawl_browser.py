"""axe-core on every kind of page the crawl reaches (tests/crawl.py), as a visitor, a citizen
and a moderator: one page of each shape (a proposal, a discussion, a report, a regulation's
article...), in Chromium, zh-Hant. No serious or critical violation.

The crawl itself (test_crawl.py) reads every page for text problems; this one renders one of
each kind for accessibility, which is what differs between pages of a kind."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.crawl import START_PAGES, crawl, login_demo

pytestmark = pytest.mark.browser

ROLES = (
    ("anonymous", None),
    ("citizen", "citizen@demo.participate.tw"),
    ("moderator", "moderator@demo.participate.tw"),
)


def _serious(results) -> list[str]:  # noqa: ANN001
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_every_kind_of_page_passes_axe(app, live_server, browser):
    app.config["RATELIMIT_ENABLED"] = False
    seeded = app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    axe = Axe()
    found: dict[str, list[str]] = {}
    checked = 0
    for role, email in ROLES:
        client = app.test_client()
        if email:
            login_demo(client, email)
        pages = crawl(client, role, starts=START_PAGES, limit=200, per_shape=1).html_pages
        context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 800})
        if email:
            # The browser carries the session the crawl signed in with (password and, for
            # staff, the authenticator's code: a code is accepted once, so not signed in twice).
            name = app.config["SESSION_COOKIE_NAME"]
            cookie = client.get_cookie(name)
            assert cookie is not None
            context.add_cookies([{"name": name, "value": cookie.value, "url": live_server}])
        page = context.new_page()
        for url in sorted(pages.values()):
            page.goto(f"{live_server}{url}")
            checked += 1
            violations = _serious(axe.run(page))
            if violations:
                found[f"{role} {url}"] = violations
        context.close()
    assert checked >= 60, checked
    assert found == {}, found
