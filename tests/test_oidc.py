"""Government digital identity (OpenID Connect) against a real provider on 127.0.0.1
(tests/oidc_provider.py, Authlib's server side): discovery, authorization code, RS256
id_token, state and nonce; sign-in, linking, one account per identity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from participate import policy
from participate.extensions import db
from participate.models import AuditLog, User
from participate.models.mfa import OidcIdentity
from tests.conftest import second_factor
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    prov = Provider()
    prov.start()
    yield prov
    prov.stop()


@pytest.fixture()
def gov(app: Any, provider: Provider) -> Provider:
    """The app configured for the test provider (the settings are restored after the test)."""
    app.config.update(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_HMAC_KEY="test-oidc-hmac-key",
    )
    provider.subject = "A123456789-subject"
    provider.tamper_nonce = False
    return provider


def _at_provider(resp: Any, provider: Provider) -> str:
    """Follow the app's redirect to the provider over HTTP; return the callback path the
    provider sends the browser back to."""
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    location = resp.headers["Location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["client_id"] == CLIENT_ID and query["nonce"] and query["state"]
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:300]
    parts = urlsplit(back.headers["Location"])
    assert parts.path == "/auth/oidc/callback"
    return f"{parts.path}?{parts.query}"


def _sign_in(client: Any, provider: Provider) -> Any:
    return client.get(_at_provider(client.get("/auth/oidc/login"), provider))


def _link(client: Any, provider: Provider) -> Any:
    return client.get(_at_provider(client.post("/auth/oidc/link"), provider))


def _rows(app: Any) -> list[OidcIdentity]:
    with app.app_context():
        rows = list(db.session.scalars(select(OidcIdentity)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _logged_in_as(client: Any) -> int | None:
    with client.session_transaction() as sess:
        value = sess.get("_user_id")
    return int(value.split(":")[0]) if value else None


def test_off_without_settings_no_button(app, client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "/auth/oidc/login" not in page
    assert client.get("/auth/oidc/login").status_code == 404


def test_button_shows_when_configured(app, client, gov):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "/auth/oidc/login" in page


def test_link_then_sign_in_keeps_only_a_keyed_hash(app, client, gov, make_user, login):
    person = make_user()
    login(client, person)
    resp = _link(client, gov)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/security")
    rows = _rows(app)
    assert len(rows) == 1 and rows[0].user_id == person.id
    assert rows[0].provider == gov.issuer
    assert gov.subject not in rows[0].subject_hash and len(rows[0].subject_hash) == 64
    with app.app_context():
        assert policy.has_government_identity(db.session.get(User, person.id))
        assert db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "identity.link", AuditLog.target_id == person.id)
        )
    page = client.get("/auth/security").get_data(as_text=True)
    assert "/auth/oidc/unlink" in page

    client.post("/auth/logout")
    assert _logged_in_as(client) is None
    resp = _sign_in(client, gov)
    assert resp.status_code == 302
    assert _logged_in_as(client) == person.id
    assert client.get("/account/").status_code == 200


def test_unlinked_identity_is_asked_to_log_in_and_link(app, client, gov, make_user):
    make_user()
    gov.subject = "nobody-linked-this"
    resp = _sign_in(client, gov)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/login")
    assert _logged_in_as(client) is None
    page = client.get("/auth/login").get_data(as_text=True)
    assert "/auth/security" not in page  # a flash message explains; no account was made
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert _rows(app) == []


def test_second_account_cannot_link_the_same_identity(app, gov, make_user, login):
    first, second = make_user(), make_user()
    one, two = app.test_client(), app.test_client()
    login(one, first)
    assert _link(one, gov).status_code == 302
    login(two, second)
    resp = _link(two, gov)
    assert resp.status_code == 409
    rows = _rows(app)
    assert [r.user_id for r in rows] == [first.id]


def test_state_mismatch_is_refused(app, client, gov, make_user, login):
    person = make_user()
    login(client, person)
    path = _at_provider(client.post("/auth/oidc/link"), gov)
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query))
    query["state"] = "forged-state"
    resp = client.get(f"{parts.path}?{urlencode(query)}")
    assert resp.status_code == 400
    assert _rows(app) == []


def test_nonce_mismatch_is_refused(app, client, gov, make_user, login):
    person = make_user()
    login(client, person)
    gov.tamper_nonce = True
    resp = _link(client, gov)
    assert resp.status_code == 400
    assert _rows(app) == []
    client.post("/auth/logout")
    resp = _sign_in(client, gov)
    assert resp.status_code == 400 and _logged_in_as(client) is None


def test_staff_signing_in_with_identity_still_give_the_second_factor(
    app, client, gov, make_user, login, make_agency
):
    staff = make_user(role="moderator")
    login(client, staff)
    assert _link(client, gov).status_code == 302
    client.post("/auth/logout")
    resp = _sign_in(client, gov)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/auth/two-factor")
    assert _logged_in_as(client) is None  # held until the code
    second_factor(app, client, staff)
    assert _logged_in_as(client) == staff.id
    assert client.get("/moderation/").status_code == 200


def test_unlink_and_deleted_account_free_the_identity(app, client, gov, make_user, login):
    person = make_user()
    login(client, person)
    _link(client, gov)
    assert client.post("/auth/oidc/unlink").status_code == 302
    assert _rows(app) == []
    _link(client, gov)
    assert len(_rows(app)) == 1
    with app.app_context():
        from participate.auth.operations import delete_account

        delete_account(db.session.get(User, person.id))
        db.session.commit()
    assert _rows(app) == []


def test_eight_accounts_linking_one_identity_at_once_one_wins(app, make_user):
    """One identity, one account, even when eight try at the same moment (both databases:
    the unique key decides, the losers get a clear refusal and write nothing)."""
    import threading

    from participate.auth import oidc
    from participate.boundary import unit
    from participate.errors import RuleError

    app.config["OIDC_HMAC_KEY"] = "test-oidc-hmac-key"
    people = [make_user() for _ in range(8)]
    start = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(user_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                with unit():
                    oidc.link(db.session.get(User, user_id), "https://id.example.tw", "same")
                result = "linked"
            except RuleError as err:
                result = f"refused {err.status}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(p.id,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["linked"] + ["refused 409"] * 7, outcomes
    assert len(_rows(app)) == 1
