"""The session cookie and the CSRF token are verified once per process and then remembered
(participate.signed): what is remembered must still expire, must vouch for nothing but the
exact string, and a token must stay bound to its own session."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.sessions import session_json_serializer
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

MISSING_STATEMENT = "/discussion/statements/999999/vote"


def _cookie(client: Any, app: Flask) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def _page_token(app: Flask, cookie: str) -> str:
    page = _fresh(app, cookie).get("/account/")
    assert page.status_code == 200
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    assert match
    return match.group(1)


def _fresh(app: Flask, cookie: str | None) -> Any:
    """A client that sends exactly this cookie and keeps nothing the server sets."""
    client = FlaskClient(app, use_cookies=False)
    if cookie is not None:
        client.environ_base["HTTP_COOKIE"] = f"{app.config['SESSION_COOKIE_NAME']}={cookie}"
    return client


def _signed_ago(app: Flask, cookie: str, seconds: int) -> str:
    """The same session, signed ``seconds`` ago with the app's key, as Flask signs it."""
    data = app.session_interface.get_signing_serializer(app).loads(cookie)  # type: ignore[attr-defined]

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    signer = URLSafeTimedSerializer(
        app.secret_key,  # type: ignore[arg-type]
        salt="cookie-session",
        serializer=session_json_serializer,
        signer=Earlier,
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )
    return signer.dumps(data)


def _logged_in(app: Flask, cookie: str) -> bool:
    resp = _fresh(app, cookie).get("/account/")
    return resp.status_code == 200


def test_a_remembered_session_cookie_still_expires(app, client, make_user, login):
    login(client, make_user())
    old = _signed_ago(app, _cookie(client, app), 3600)
    assert _logged_in(app, old)  # verified, and now remembered
    assert _logged_in(app, old)
    lifetime = app.permanent_session_lifetime
    app.permanent_session_lifetime = timedelta(minutes=30)
    try:
        assert not _logged_in(app, old)  # an hour old: past the lifetime, remembered or not
    finally:
        app.permanent_session_lifetime = lifetime
    assert _logged_in(app, old)


def test_a_remembered_cookie_vouches_for_nothing_else(app, client, make_user, login):
    login(client, make_user())
    cookie = _cookie(client, app)
    assert _logged_in(app, cookie)
    payload, _, signature = cookie.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not _logged_in(app, forged)
    assert _logged_in(app, cookie)


def test_a_changed_secret_forgets_what_was_verified(app, client, make_user, login):
    login(client, make_user())
    cookie = _cookie(client, app)
    assert _logged_in(app, cookie)
    secret = app.secret_key
    app.secret_key = "another-secret-key-that-is-long-enough-9876543210"
    try:
        assert not _logged_in(app, cookie)
    finally:
        app.secret_key = secret
    assert _logged_in(app, cookie)


def _post(app: Flask, cookie: str, token: str, **kwargs: Any) -> Any:
    return _fresh(app, cookie).post(
        MISSING_STATEMENT,
        data={"value": "agree"},
        headers={"Accept": "application/json", "X-CSRFToken": token, **kwargs.pop("headers", {})},
        **kwargs,
    )


def test_a_remembered_csrf_token_is_good_only_with_its_own_session(app, client, make_user, login):
    # Past the CSRF check, the vote on a statement that does not exist is a 404: the
    # status tells which way the check went, and nothing is written either way.
    login(client, make_user())
    mine = _cookie(client, app)
    token = _page_token(app, mine)
    other = app.test_client()
    login(other, make_user())
    theirs = _cookie(other, app)

    assert _post(app, mine, token).status_code == 404  # checked in full, remembered
    assert _post(app, mine, token).status_code == 404  # remembered
    refused = _post(app, theirs, token)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    # A changed signature character that carries only signature bits: the last one of the
    # base64 text also holds two padding bits, and changing only those ("B" to "A") decodes
    # to the same signature, which is still good (it failed this test by chance once).
    i = len(token) - 5
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    assert _post(app, mine, tampered).status_code == 400
    assert _post(app, mine, token).status_code == 404


def test_a_remembered_csrf_token_keeps_the_https_referrer_rule(app, client, make_user, login):
    login(client, make_user())
    mine = _cookie(client, app)
    token = _page_token(app, mine)
    assert _post(app, mine, token).status_code == 404  # remembered over http
    secure = {"base_url": "https://localhost"}
    assert _post(app, mine, token, **secure).status_code == 400  # no referrer
    foreign = {"headers": {"Referer": "https://elsewhere.example/"}}
    assert _post(app, mine, token, **secure, **foreign).status_code == 400
    ours = {"headers": {"Referer": "https://localhost/discussion"}}
    assert _post(app, mine, token, **secure, **ours).status_code == 404


def _post_https(app: Flask, cookie: str, token: str, path: str) -> Any:
    """A POST over HTTPS with the remembered pair and no referrer."""
    return _fresh(app, cookie).post(
        path, json={"value": 1}, headers={"X-CSRFToken": token}, base_url="https://localhost"
    )


def test_exempt_views_stay_exempt(app, client, make_user, login):
    # The API authenticates by its own tokens and is exempt from CSRF: a remembered pair
    # sent there over HTTPS without a referrer must not bring the referrer rule to it.
    login(client, make_user())
    mine = _cookie(client, app)
    token = _page_token(app, mine)
    assert _post(app, mine, token).status_code == 404  # the pair is remembered
    resp = _post_https(app, mine, token, "/api/v1/statements/999999/vote")
    assert resp.status_code == 401, resp.get_data(as_text=True)


def test_a_path_with_no_route_answers_404_not_a_csrf_error(app, client, make_user, login):
    # As Flask-WTF does: no matched route, no CSRF check (the 404 says what is wrong).
    login(client, make_user())
    mine = _cookie(client, app)
    token = _page_token(app, mine)
    assert _post(app, mine, token).status_code == 404  # the pair is remembered
    assert _post_https(app, mine, token, "/no/such/page").status_code == 404


def _raw_session_token(app: Flask, cookie: str) -> str:
    data = app.session_interface.get_signing_serializer(app).loads(cookie)  # type: ignore[attr-defined]
    return data["csrf_token"]


def test_a_first_seen_token_is_checked_for_its_age_and_its_referrer(app, client, make_user, login):
    login(client, make_user())
    mine = _cookie(client, app)
    _page_token(app, mine)  # the session now holds its raw token
    raw = _raw_session_token(app, mine)

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 7200

    old = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=TwoHoursAgo)
    token = old.dumps(raw)
    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    try:
        assert _post(app, mine, token).status_code == 400  # two hours old: expired
    finally:
        app.config["WTF_CSRF_TIME_LIMIT"] = limit
    fresh = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    assert _post_https(app, mine, fresh, MISSING_STATEMENT).status_code == 400  # no referrer
    ours = {"headers": {"Referer": "https://localhost/"}, "base_url": "https://localhost"}
    assert _post(app, mine, fresh, **ours).status_code == 404
