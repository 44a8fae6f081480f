"""The language switch (issue 13): a POST form with its CSRF token in every page's header,
which works without JavaScript and stores a logged-in account's preference; a GET link
switches only the session, so a link on another site cannot change anyone's account."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from participate.extensions import db
from participate.models import User
from tests.search_fixtures import Corpus, corpus_fixture  # noqa: F401 - fixture
from tests.test_paging import _get_routes, _objects, _path

_FORM = re.compile(
    r'<form class="lang-switch" method="post" action="(?P<action>[^"]+)">(?P<body>.*?)</form>',
    re.S,
)
_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)">')


def _switch(page: str) -> tuple[str, dict[str, str]]:
    """The language form of a page: where it posts and what it sends."""
    found = _FORM.search(page)
    assert found, "no language switch form on the page"
    fields = {m["name"]: html.unescape(m["value"]) for m in _HIDDEN.finditer(found["body"])}
    return html.unescape(found["action"]), fields


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found
    return found.group(1)


def _stored_locale(app: Any, user: Any) -> str | None:
    with app.app_context():
        locale = db.session.get(User, user.id).locale
        db.session.remove()
        return locale


def test_a_get_link_switches_the_session_only(app, client, login, make_user):
    user = make_user()
    login(client, user)
    resp = client.get("/lang/en?next=/account/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/"
    assert _lang(client.get("/account/").get_data(as_text=True)) == "en"
    assert _stored_locale(app, user) is None  # a cross-site link changed nothing stored
    # Nor does it undo a stored choice.
    client.post("/lang/zh_Hant_TW")
    client.get("/lang/en")
    assert _stored_locale(app, user) == "zh_Hant_TW"


def test_the_form_needs_its_csrf_token(app, client, login, make_user):
    user = make_user()
    login(client, user)
    resp = client.post("/lang/en", data={"next": "/account/"}, csrf=False)
    assert resp.status_code == 400
    assert _stored_locale(app, user) is None
    assert _lang(client.get("/account/").get_data(as_text=True)) == "zh-Hant-TW"


def test_the_form_stores_the_accounts_language(app, client, login, make_user):
    user = make_user()
    login(client, user)
    action, fields = _switch(client.get("/account/").get_data(as_text=True))
    assert action == "/lang/en" and fields["next"] == "/account/" and fields["csrf_token"]
    resp = client.post(action, data=fields, csrf=False)  # exactly what the browser sends
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/"
    assert _stored_locale(app, user) == "en"
    # The next visit (a new session) is in English too.
    other = app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert _lang(other.get("/account/").get_data(as_text=True)) == "en"


def test_anonymous_visitors_switch_their_session(client):
    action, fields = _switch(client.get("/proposals/?sort=newest").get_data(as_text=True))
    assert fields["next"] == "/proposals/?sort=newest"
    resp = client.post(action, data=fields, csrf=False)
    assert resp.headers["Location"] == "/proposals/?sort=newest"
    assert _lang(client.get("/proposals/").get_data(as_text=True)) == "en"


def test_the_switch_only_returns_to_this_site(client):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        resp = client.post("/lang/en", data={"next": target})
        assert resp.headers["Location"] == "/", target


def test_every_page_switches_language_without_javascript(
    app, client, corpus: Corpus, login, make_user
):
    """Every HTML page of the site (generated from the URL map, logged in as an admin so
    every page opens) carries the form; posting what it holds comes back to the same page,
    now in the other language, and back again."""
    admin = make_user(role="admin")
    objects = _objects(app, corpus, admin)
    login(client, admin)
    pages = 0
    for rule in _get_routes(app):
        path = _path(rule, objects)
        resp = client.get(path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        page = resp.get_data(as_text=True)
        if rule.endpoint == "reports.printable":
            assert 'class="lang-switch"' not in page  # the printout has no site chrome
            continue
        pages += 1
        for expected in ("en", "zh-Hant-TW"):
            action, fields = _switch(page)
            back = client.post(action, data=fields, csrf=False)
            assert back.status_code == 302, (path, back.status_code)
            assert back.headers["Location"] == path, (path, back.headers["Location"])
            page = client.get(path).get_data(as_text=True)
            assert _lang(page) == expected, path
    assert pages >= 35, pages
    assert _stored_locale(app, admin) == "zh_Hant_TW"


def test_a_form_shown_again_switches_back_to_the_page_it_was_on(client, make_user, login):
    """A page answering a POST (a form with its errors) cannot be opened again at its URL:
    the switch returns to the page the form was on."""
    login(client, make_user())
    client.get("/account/")
    resp = client.post(
        "/account/tokens/",
        data={"name": "", "scopes": "vote"},
        headers={"Referer": "http://localhost/account/tokens/"},
    )
    assert resp.status_code == 400
    _action, fields = _switch(resp.get_data(as_text=True))
    assert fields["next"] == "/account/tokens/"


@pytest.mark.browser
def test_the_switch_works_in_a_browser_without_javascript(browser, live_server):
    context = browser.new_context(locale="zh-TW", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/proposals/?sort=newest")
        assert page.get_attribute("html", "lang") == "zh-Hant-TW"
        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.url == f"{live_server}/proposals/?sort=newest"
        assert page.get_attribute("html", "lang") == "en"
        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "zh-Hant-TW"
    finally:
        context.close()
