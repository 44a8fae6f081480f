"""Chromium: a citizen with only a confirmed email tries to endorse, is sent to verify a
mobile number, reads the code in the dev outbox, comes back to the proposal and endorses."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.identity.operations import number_hash
from participate.models import Endorsement, PhoneNumber
from participate.timeutil import utcnow
from tests import proposals_fixtures as fixtures
from tests.conftest import PASSWORD
from tests.proposals_fixtures import make_endorsing

pytestmark = pytest.mark.browser

cast = fixtures.cast


def test_email_only_citizen_verifies_a_mobile_number_and_endorses(
    app, live_server, page, cast, make_user
):
    app.config["WRITE_RATE_LIMIT"] = "1000 per minute"
    with app.test_request_context():
        pid = make_endorsing(cast, now=utcnow()).id
        db.session.remove()
    citizen = make_user(mobile=False, name="只有信箱的市民")

    page.goto(f"{live_server}/auth/login")
    page.fill("#email", citizen.email)
    page.fill("#password", PASSWORD)
    page.click("input[name=submit]")
    page.wait_for_url(re.compile(r".*/$|.*/account/.*"))

    page.goto(f"{live_server}/proposals/{pid}")
    page.click("#verify-to-endorse")
    page.wait_for_url(re.compile(r".*/identity/mobile\?next=.*"))
    page.fill("#number", "0912 345 678")
    page.click("input[name=submit]")
    page.wait_for_url(re.compile(r".*/identity/mobile/code\?next=.*"))
    code_page = page.url

    page.click("a[href='/dev/outbox']")
    page.wait_for_url(re.compile(r".*/dev/outbox$"))
    sms = page.locator("article.mail").first
    assert "SMS" in sms.inner_text() and "912345678" not in sms.inner_text()
    code = re.search(r"\d{6}", sms.locator("pre").inner_text()).group(0)

    page.goto(code_page)
    page.fill("#code", code)
    page.click("input[name=submit]")
    page.wait_for_url(f"{live_server}/proposals/{pid}")
    assert "你的手機號碼已驗證" in page.content()

    page.click("form.js-endorse button[type=submit]")
    page.wait_for_function("document.getElementById('endorse-count').textContent.trim() === '1'")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Endorsement)) == 1
        stored = db.session.scalar(
            select(PhoneNumber.number_hash).where(PhoneNumber.user_id == citizen.id)
        )
        assert stored == number_hash("+886912345678")
        db.session.remove()
    assert [e for e in page.console_errors if "status of 4" not in e] == []
