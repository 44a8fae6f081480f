"""Hostile input at the edge of the app (issue 13): out-of-range ids in every route, deeply
nested JSON, oversized bodies, clients behind a proxy, HSTS only over HTTPS, and the shared
text cleaner. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.exceptions import BadRequest, MethodNotAllowed, NotFound
from werkzeug.routing import Rule

from participate.extensions import db
from participate.security import MAX_ID, MAX_JSON_DEPTH
from participate.text import clean_name, clean_text, is_blank
from tests.conftest import PASSWORD
from tests.search_fixtures import Corpus, corpus_fixture  # noqa: F401 - fixture

# The values, and the first one past PostgreSQL's INTEGER.
HUGE = (2**63, 10**20, 2**31)
_ARG = re.compile(r"<(?:(?P<conv>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def _token(app: Flask, user: Any, scopes: list[str]) -> str:
    from participate.api.tokens import create_token
    from participate.boundary import unit
    from participate.models import User

    with app.app_context(), unit():
        _row, secret = create_token(db.session.get(User, user.id), "hardening", scopes)
    return secret


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _nested(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


# --------------------------------------------------------------------------- ids in URLs


def _int_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "int" in {c for c, _a, _n in _parts(r)}]


def _parts(rule: Rule) -> list[tuple[str, str, str]]:
    return [(m["conv"] or "default", m["args"] or "", m["name"]) for m in _ARG.finditer(rule.rule)]


def _path(rule: Rule, number: int | str) -> str:
    """The rule's URL with every int argument set to ``number``, the others to a valid value."""

    def value(m: re.Match[str]) -> str:
        conv = m["conv"] or "default"
        if conv == "int":
            return str(number)
        if conv == "any":
            return m["args"].split(",")[0].strip().strip("'\"")
        return "x"

    return _ARG.sub(value, rule.rule)


def _methods(rule: Rule) -> list[str]:
    """GET and POST on every route, whatever it accepts (a GET-only route answers a POST
    with 405, which is fine: the point is that nothing answers 500), and its other methods."""
    return sorted(((rule.methods or set()) | {"GET", "POST"}) - {"HEAD", "OPTIONS"})


def test_every_int_route_refuses_out_of_range_ids(app, client, login, make_user):
    """Generated from the URL map, so a route added later is covered: routing itself refuses
    the id (the view, its guards and the error page never see it), and the answer is a 404,
    never a server error, for GET and POST alike, logged in as an admin (who passes every
    permission check that could otherwise answer first)."""
    rules = _int_rules(app)
    assert len(rules) >= 40, [r.rule for r in rules]  # the app has about 48: not vacuous
    login(client, make_user(role="admin"))
    token = client.fetch_csrf()
    adapter = app.url_map.bind("localhost")
    answers: dict[str, int] = {}
    covered: set[tuple[str, str]] = set()
    for rule in rules:
        for number in HUGE:
            path = _path(rule, number)
            for method in _methods(rule):
                # Refused by routing: 404, or 405 when Werkzeug first saw another method's
                # rule for the same path (it compares methods before converting).
                with pytest.raises((NotFound, MethodNotAllowed)):
                    adapter.match(path, method=method)
                if method == "GET":
                    resp = client.get(path)
                else:
                    resp = client.open(path, method=method, data={"csrf_token": token})
                answers[f"{method} {path}"] = resp.status_code
                covered.add((rule.rule, method))
    assert answers and all(status in (404, 405) for status in answers.values()), {
        k: v for k, v in answers.items() if v not in (404, 405)
    }
    # GET and POST reached every int route: the URL map's list, whole.
    assert covered >= {(r.rule, m) for r in rules for m in ("GET", "POST")}
    # The page the issue saw fail (its banners looked the id up again) is the full 404 page.
    page = client.get(f"/discussion/statements/{10**20}")
    assert page.status_code == 404 and 'name="csrf-token"' in page.get_data(as_text=True)


def test_max_id_is_what_the_id_columns_hold(app):
    """MAX_ID follows the id columns' type: INTEGER is 32 bits on PostgreSQL. A migration to
    BIGINT ids may raise it (to 2**63 - 1), and this test says so."""
    from sqlalchemy import BigInteger, Integer

    for table in db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is not None and column.primary_key:
            assert isinstance(column.type, Integer), table.name
            assert not isinstance(column.type, BigInteger), table.name
    assert MAX_ID == 2**31 - 1


def test_the_largest_accepted_id_reaches_no_error(app, client, login, make_user):
    """MAX_ID itself is routed (it fits the id columns) and finds nothing: no 500 on either
    database, for GET and POST."""
    login(client, make_user(role="admin"))
    token = client.fetch_csrf()
    adapter = app.url_map.bind("localhost")
    statuses = {}
    for rule in _int_rules(app):
        path = _path(rule, MAX_ID)
        for method in _methods(rule):
            if method in (rule.methods or set()):
                endpoint, _args = adapter.match(path, method=method)
                assert endpoint == rule.endpoint
            resp = client.open(path, method=method, data={"csrf_token": token})
            statuses[f"{method} {path}"] = resp.status_code
    assert all(s < 500 for s in statuses.values()), {k: v for k, v in statuses.items() if v >= 500}


@pytest.mark.parametrize(
    ("segment", "routed"),
    [
        ("1", True),
        (str(MAX_ID), True),
        (str(MAX_ID + 1), False),
        ("0", False),
        ("007", False),  # one resource, one URL
        ("-1", False),
        ("١٢", False),  # Arabic-Indic digits: \d in Werkzeug's own int converter
        ("１２", False),  # full-width digits
        ("9" * 5000, False),
    ],
)
def test_int_converter_accepts_only_canonical_ids(app, segment: str, routed: bool):
    adapter = app.url_map.bind("localhost")
    if routed:
        endpoint, args = adapter.match(f"/proposals/{segment}")
        assert endpoint == "proposals.show" and args == {"proposal_id": int(segment)}
    else:
        with pytest.raises(NotFound):
            adapter.match(f"/proposals/{segment}")


def test_int_converter_still_builds_urls(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("proposals.show", proposal_id=42) == "/proposals/42"


def test_error_page_survives_a_failing_page_chrome(app, client):
    """The full error page draws navigation and banners, which read the database; when that
    fails too, a plain page still says what happened instead of the server's bare error."""
    from participate import signals

    def broken_banner(*_args: Any, **_kwargs: Any) -> list[Any]:
        raise OverflowError("the database refused the id")

    signals.banners.connect(broken_banner, weak=False)
    try:
        resp = client.get("/no-such-page")
    finally:
        signals.banners.disconnect(broken_banner)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert "404 · 找不到這個頁面。" in body  # status and message, in the person's language
    assert 'name="csrf-token"' not in body  # the plain page: no chrome, no base.html
    # And the usual page is back once the chrome works again.
    full = client.get("/no-such-page")
    assert full.status_code == 404 and 'name="csrf-token"' in full.get_data(as_text=True)


# --------------------------------------------------------------------------- nested JSON


def test_deep_json_to_api_writes_is_a_json_400(app, client, corpus: Corpus, make_user):
    user = make_user()
    secret = _token(app, user, ["vote", "statements:write"])
    cases = [
        (f"/api/v1/statements/{corpus.ids['S1']}/vote", "value"),
        (f"/api/v1/proposals/{corpus.ids['P1']}/statements", "text"),
    ]
    for url, field in cases:
        for levels in (50_000, MAX_JSON_DEPTH + 1):
            resp = client.post(
                url,
                data=f'{{"{field}": {_nested(levels)}}}',
                content_type="application/json",
                headers=_bearer(secret),
                csrf=False,
            )
            assert resp.status_code == 400, (url, levels, resp.status_code)
            error = resp.get_json()["error"]
            assert set(error) == {"code", "message", "fields"} and error["message"]
    # Nothing was written by the refused bodies, and a shallow one still works.
    from participate.models import VoteHistory

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(VoteHistory.id))) == 0
    ok = client.post(cases[0][0], json={"value": 1}, headers=_bearer(secret), csrf=False)
    assert ok.status_code == 200, ok.get_json()


def test_deep_json_to_the_site_vote_is_refused(app, client, corpus: Corpus, login, make_user):
    """The site's vote endpoint reads JSON from fetch() too."""
    login(client, make_user())
    token = client.fetch_csrf()
    resp = client.post(
        f"/discussion/statements/{corpus.ids['S1']}/vote",
        data='{"value": ' + _nested(50_000) + "}",
        content_type="application/json",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        csrf=False,
    )
    assert resp.status_code == 400
    assert set(resp.get_json()["error"]) == {"code", "message", "fields"}


def test_json_provider_limits_depth_and_get_json_answers_400(app):
    loads = app.json.loads
    assert loads(_nested(MAX_JSON_DEPTH)) == json.loads(_nested(MAX_JSON_DEPTH))
    assert loads('{"a": {"b": [1, {"c": 2}]}}') == {"a": {"b": [1, {"c": 2}]}}
    # Brackets inside strings are text, not depth.
    text = json.dumps({"text": "[" * 5000})
    assert loads(text.encode()) == {"text": "[" * 5000}
    for body in (_nested(MAX_JSON_DEPTH + 1), _nested(100_000), '{"a":' * 50_000):
        with pytest.raises(ValueError):
            loads(body)
        with pytest.raises(ValueError):
            loads(body.encode())
    with app.test_request_context(
        "/x", method="POST", data=_nested(50_000), content_type="application/json"
    ):
        from flask import request

        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest):
            request.get_json()


# --------------------------------------------------------------------------- body size


def test_size_limit_comes_from_the_environment(monkeypatch):
    from participate.config import MAX_CONTENT_LENGTH, load_config

    monkeypatch.delenv("PARTICIPATE_MAX_CONTENT_LENGTH", raising=False)
    assert load_config()["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH
    monkeypatch.setenv("PARTICIPATE_MAX_CONTENT_LENGTH", "4096")
    assert load_config()["MAX_CONTENT_LENGTH"] == 4096


def test_oversized_json_is_a_json_413(app, client, corpus: Corpus, make_user):
    secret = _token(app, make_user(), ["statements:write"])
    body = json.dumps({"text": "長" * 100, "padding": "x" * (20 * 1024 * 1024)})
    resp = client.post(
        f"/api/v1/proposals/{corpus.ids['P1']}/statements",
        data=body,
        content_type="application/json",
        headers=_bearer(secret),
        csrf=False,
    )
    assert resp.status_code == 413
    error = resp.get_json()["error"]
    assert error["code"] == "too_large" and error["message"]


def test_oversized_form_is_the_413_page(app, client):
    resp = client.post(
        "/auth/login", data={"email": "a@example.tw", "password": "x", "note": "x" * 2_000_000}
    )
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert "您送出的資料太大。" in resp.get_data(as_text=True)  # the bilingual error page
    english = client.post(
        "/auth/login",
        data={"note": "x" * 2_000_000},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 413
    assert "What you sent is too large." in english.get_data(as_text=True)


def test_the_largest_legitimate_form_fits(app, client, make_user):
    """An agency's response to a proposal with 10 measures, every field at its maximum, in
    Chinese, urlencoded as a browser sends it: the size limit leaves it room."""
    fields = {"overall": "政" * 20_000}
    for m in range(1, 11):
        fields |= {
            f"decision_{m}": "accepted",
            f"reasoning_{m}": "策" * 10_000,
            f"unit_{m}": "單" * 120,
            f"follow_up_{m}": "2026-12-31",
        }
    body = urlencode(fields)
    assert 1_000_000 < len(body) < app.config["MAX_CONTENT_LENGTH"]
    user = make_user()
    resp = client.post("/auth/login", data={**fields, "email": user.email, "password": PASSWORD})
    assert resp.status_code == 302  # read and handled: logged in


# --------------------------------------------------------------------------- behind a proxy


@pytest.fixture()
def proxied_app(app: Flask) -> Iterator[Flask]:
    """The app as configured behind one proxy (PARTICIPATE_TRUSTED_PROXIES=1)."""
    from participate import create_app

    other = create_app({**app.config, "TRUSTED_PROXIES": 1, "LOGIN_RATE_LIMIT": "2 per minute"})
    yield other
    with other.app_context():  # its own engine: close its connections
        db.session.remove()
        db.engine.dispose()


def _login_attempts(client: Any, forwarded_for: str, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        resp = client.post(
            "/auth/login",
            data={"email": "nobody@example.tw", "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        statuses.append(resp.status_code)
    return statuses


def test_clients_behind_the_proxy_get_their_own_login_limit(proxied_app: Flask):
    from tests.conftest import CsrfClient

    proxied_app.test_client_class = CsrfClient
    first, second = proxied_app.test_client(), proxied_app.test_client()
    assert _login_attempts(first, "198.51.100.7", 3)[-1] == 429
    assert 429 not in _login_attempts(second, "198.51.100.8", 2)
    # A client cannot pick its own bucket: with one proxy, only the address the proxy
    # appended (the right-most) counts, whatever the client wrote before it.
    spoofed = proxied_app.test_client()
    assert _login_attempts(spoofed, "203.0.113.99, 198.51.100.7", 1) == [429]


def test_without_trusted_proxies_the_header_is_ignored(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    assert app.config["TRUSTED_PROXIES"] == 0
    assert 429 not in _login_attempts(client, "198.51.100.7", 2)
    # Another X-Forwarded-For is not another client: same address, same bucket.
    assert _login_attempts(client, "198.51.100.8", 1) == [429]


def test_trusted_proxies_from_the_environment(monkeypatch):
    from participate.config import ConfigError, load_config

    monkeypatch.delenv("PARTICIPATE_TRUSTED_PROXIES", raising=False)
    assert load_config()["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("PARTICIPATE_TRUSTED_PROXIES", "2")
    assert load_config()["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("PARTICIPATE_TRUSTED_PROXIES", "-1")
    with pytest.raises(ConfigError):
        load_config()


def test_hsts_only_over_https_in_production(app, client, proxied_app: Flask):
    app.config["ENV_NAME"] = "production"
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/").headers
    # Without a trusted proxy a client's X-Forwarded-Proto changes nothing...
    spoofed = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers
    # ...behind one, the proxy's word is what tells HTTPS apart.
    proxied_app.config["ENV_NAME"] = "production"
    behind = proxied_app.test_client()
    assert (
        "Strict-Transport-Security"
        in behind.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    )
    assert (
        "Strict-Transport-Security"
        not in behind.get("/", headers={"X-Forwarded-Proto": "http"}).headers
    )
    # Not in development, even over HTTPS.
    app.config["ENV_NAME"] = "development"
    assert "Strict-Transport-Security" not in client.get("/", base_url="https://localhost").headers


# --------------------------------------------------------------------------- text cleaning


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("a\r\nb\rc\nd", True, "a\nb\nc\nd"),
        ("a\u2028b\u2029c\x85d", True, "a\nb\nc\nd"),
        ("a\r\nb\tc", False, "a b c"),
        ("a\x00b\x01c\x1bd\x7fe\x9ff", True, "abcdef"),
        ("\x00\x00", False, ""),
        ("tab\tkept", True, "tab\tkept"),
        ("lone \ud800 surrogate", True, "lone \ufffd surrogate"),
        # Visible text, emoji joiners and bidi marks in running text are left alone.
        ("👩\u200d💻 עברית\u200f 中文", True, "👩\u200d💻 עברית\u200f 中文"),
        ("  kept as typed  ", False, "  kept as typed  "),
        ("\uf900", False, "\uf900"),  # a CJK compatibility ideograph: no NFC rewrite
        (None, True, ""),
        ("", False, ""),
    ],
)
def test_clean_text(raw: str | None, multiline: bool, expected: str):
    assert clean_text(raw, multiline=multiline) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   \t\n",
        "\u200b\u200b\u200b",
        "\u200c\u200d\u200e\u200f",
        "\u202a\u202b\u202c\u202d\u202e",
        "\u2060\u2061\u2062\u2063\u2064",
        "\u2066\u2067\u2068\u2069",
        "\ufeff\u00ad\u034f\u061c",
        "\ufe0f\ufe00\U000e0100",  # variation selectors
        "\U000e0041\U000e007f",  # tag characters
        "\u3164\u115f\u1160\uffa0",  # Hangul fillers
        "\u3000\u00a0\u2007\u202f",  # ideographic and no-break spaces
        "\u2800",  # braille blank
        "\x00\x1f",
    ],
)
def test_is_blank_for_invisible_text(raw: str | None):
    assert is_blank(raw)


@pytest.mark.parametrize(
    "raw", ["a", "\u200b中\u200b", "。", "👍", "\u200b1", "é", "\u0301", "ㄅ", "\U0001f600"]
)
def test_is_blank_false_when_something_shows(raw: str):
    assert not is_blank(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u202eadmin\u200b", "admin"),
        ("\u202enimda", "nimda"),  # drawn as "admin" before; now shown as stored
        ("王\u200b小明", "王小明"),
        ("  陳　大文  ", "陳 大文"),
        ("a\u2066b\u2069c\u200ed\u061ce", "abcde"),
        ("x\u00ady", "xy"),
        ("\u3164", ""),
        ("\u2800\u2800", ""),
        ("line\nbreak\ttab", "line break tab"),
        ("nul\x00byte", "nulbyte"),
        ("a\ufe0fb", "ab"),
        ("Ada Lovelace", "Ada Lovelace"),
        (None, ""),
    ],
)
def test_clean_name(raw: str | None, expected: str):
    cleaned = clean_name(raw)
    assert cleaned == expected
    assert clean_name(cleaned) == cleaned  # idempotent
    assert is_blank(cleaned) == (cleaned == "")


# --------------------------------------------------------------------------- database unreachable


@pytest.fixture()
def unreachable_app(app: Flask) -> Iterator[Flask]:
    """The app pointed at a PostgreSQL server that is not there (nothing listens on port 9):
    every query fails to connect, on either test database."""
    from participate import create_app

    other = create_app(
        {**app.config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_unreachable_database_is_a_503_page_not_a_500(unreachable_app: Flask):
    client = unreachable_app.test_client()
    page = client.get("/proposals/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "10"
    html = page.get_data(as_text=True)
    assert "服務暫時無法使用，請稍後再試。" in html and 'href="/"' in html
    english = client.get("/proposals/", headers={"Accept-Language": "en"})
    assert "briefly unavailable" in english.get_data(as_text=True)


def test_unreachable_database_is_a_json_503_for_the_api_and_fetch(unreachable_app: Flask):
    client = unreachable_app.test_client()
    for resp in (
        client.get("/api/v1/proposals"),
        client.get("/proposals/", headers={"Accept": "application/json"}),
        client.get("/healthz"),
    ):
        assert resp.status_code == 503, resp.request.path
        body = resp.get_json()
        assert body is not None
    api = client.get("/api/v1/proposals").get_json()
    assert api["error"]["code"] == "unavailable" and api["error"]["message"]


def test_a_database_host_that_never_answers_is_a_503_not_a_hung_request(app: Flask):
    """A host that takes the connection and never speaks (a hung server, a half-open
    network path): the connection gives up after ``DATABASE_CONNECT_TIMEOUT`` seconds and
    the reader gets the 503, instead of a thread held for the system's TCP timeout."""
    import socket
    import threading

    from participate import create_app

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    other = create_app(
        {
            **app.config,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://nobody@127.0.0.1:{port}/none",
            "DATABASE_CONNECT_TIMEOUT": 1,
        }
    )
    answered: dict[str, Any] = {}

    def ask() -> None:
        answered["api"] = other.test_client().get("/api/v1/proposals")

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(60)  # a bound for a hung request, far above the one-second timeout
    try:
        assert not asking.is_alive(), "the request still waits on a host that never answers"
        assert answered["api"].status_code == 503
        assert answered["api"].get_json()["error"]["code"] == "unavailable"
    finally:
        silent.close()
        with other.app_context():
            db.engine.dispose()


def test_which_database_errors_mean_unavailable(app):
    """A lost connection or a refused one is a 503; SQLite busy and a lost race keep their
    answers (a 409 at the commit), and a bad statement stays a bug (500)."""
    import sqlite3

    from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

    from participate.errors import database_unavailable

    class RefusedError(Exception):
        sqlstate = None

    class AdminShutdownError(Exception):
        sqlstate = "57P01"

    class SerializationError(Exception):
        sqlstate = "40001"

    assert database_unavailable(OperationalError("SELECT 1", {}, RefusedError()))
    assert database_unavailable(OperationalError("SELECT 1", {}, AdminShutdownError()))
    assert database_unavailable(InterfaceError("SELECT 1", {}, RefusedError()))
    cut = OperationalError("SELECT 1", {}, SerializationError(), connection_invalidated=True)
    assert database_unavailable(cut)
    assert not database_unavailable(OperationalError("SELECT 1", {}, SerializationError()))
    locked = sqlite3.OperationalError("database is locked")
    assert not database_unavailable(OperationalError("UPDATE x", {}, locked))
    assert not database_unavailable(IntegrityError("INSERT", {}, RefusedError()))
    assert not database_unavailable(ProgrammingError("SELEC", {}, RefusedError()))
    assert not database_unavailable(ValueError("not a database error"))
