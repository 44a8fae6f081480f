"""Registration, email verification, login, password reset: through HTTP, real database."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from participate.extensions import db
from participate.models import MailMessage, User
from tests.conftest import PASSWORD

GOOD = {
    "email": "Lin.Mei@Example.tw ",
    "display_name": "林小美",
    "password": "a-long-unusual-passphrase",
    "confirm": "a-long-unusual-passphrase",
    "accept_privacy": "y",
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _last_mail(app) -> MailMessage:
    with app.app_context():
        return db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc())).first()


def _link(mail: MailMessage) -> str:
    match = re.search(r"http://[^/\s]+(/auth/[a-z]+/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_register_verify_and_login(app, client):
    resp = client.post("/auth/register", data=GOOD)
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "lin.mei@example.tw"  # normalised
        assert user.display_name == "林小美"
        assert user.password_hash.startswith("$argon2id$")
        assert user.privacy_accepted_at is not None
        assert user.email_verified_at is None
    mail = _last_mail(app)
    assert mail.recipient == "lin.mei@example.tw"
    page = client.get("/auth/unverified").get_data(as_text=True)
    assert "lin.mei@example.tw" in page

    resp = client.get(_link(mail))
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is not None

    client.post("/auth/logout")
    resp = client.post(
        "/auth/login", data={"email": "LIN.MEI@example.tw", "password": GOOD["password"]}
    )
    assert resp.status_code == 302
    assert "林小美" in client.get("/account/").get_data(as_text=True)


def test_register_bad_input_shows_errors_and_writes_nothing(app, client):
    cases = {
        "email": ("not-an-email", "valid email"),
        "display_name": ("   ", "display name"),
        "password": ("short", "at least 10"),
        "confirm": ("something-else-entirely", "do not match"),
        "accept_privacy": ("", "accept the notice"),
    }
    client.get("/lang/en")
    for field, (value, message) in cases.items():
        data = dict(GOOD)
        data[field] = value
        if field == "password":
            data["confirm"] = value
        resp = client.post("/auth/register", data=data)
        assert resp.status_code == 200, field
        html = resp.get_data(as_text=True)
        # the message sits in the field's own error element, tied by aria-describedby
        target = "confirm" if field == "confirm" else field
        assert f'id="{target}-error"' in html, field
        assert message in html.lower() or message in html, (field, html[:300])
    data = dict(GOOD, password="password1234", confirm="password1234")
    html = client.post("/auth/register", data=data).get_data(as_text=True)
    assert "too common" in html
    assert _count(app, User) == 0
    assert _count(app, MailMessage) == 0


def test_register_duplicate_email_rejected(app, client, make_user):
    make_user(email="taken@example.tw")
    client.get("/lang/en")
    resp = client.post("/auth/register", data=dict(GOOD, email="TAKEN@example.tw"))
    assert "already exists" in resp.get_data(as_text=True)
    assert _count(app, User) == 1


def test_register_without_csrf_token_is_refused(app, client):
    resp = client.post("/auth/register", data=GOOD, csrf=False)
    assert resp.status_code == 400
    assert _count(app, User) == 0


def test_login_wrong_password_then_throttled(app, client, make_user):
    user = make_user()
    client.get("/lang/en")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        resp = client.post("/auth/login", data={"email": user.email, "password": "wrong-password!"})
        assert resp.status_code == 200
        assert "not correct" in resp.get_data(as_text=True)
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 429
    assert resp.headers.get("Retry-After")
    assert "Too many requests" in resp.get_data(as_text=True)
    json_resp = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"Accept": "application/json"},
    )
    assert json_resp.status_code == 429
    assert json_resp.json["error"]["code"] == "rate_limited"


def test_login_unknown_email_same_message(app, client):
    client.get("/lang/en")
    resp = client.post(
        "/auth/login", data={"email": "nobody@example.tw", "password": "whatever-123"}
    )
    assert "The email or password is not correct." in resp.get_data(as_text=True)


def test_open_redirect_refused(app, client, make_user):
    user = make_user()
    resp = client.post(
        "/auth/login?next=https://evil.example/steal",
        data={"email": user.email, "password": PASSWORD},
    )
    assert resp.headers["Location"] == "/"


def test_password_reset_flow_ends_old_sessions(app, client, make_user):
    user = make_user()
    device = app.test_client()  # a second device, logged in before the reset
    device.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert device.get("/account/").status_code == 200

    resp = client.post("/auth/forgot", data={"email": user.email})
    assert resp.status_code == 302
    link = _link(_last_mail(app))
    resp = client.post(
        link, data={"password": "brand-new-passphrase", "confirm": "brand-new-passphrase"}
    )
    assert resp.status_code == 302
    # the link works once: the password change bumped the session version it carries
    assert client.get(link).status_code == 302
    assert "/auth/forgot" in client.get(link).headers["Location"]
    # the other device is logged out
    assert device.get("/account/").status_code == 302
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": "brand-new-passphrase"}
    )
    assert resp.status_code == 302


def test_forgot_unknown_email_sends_nothing_but_says_the_same(app, client):
    client.get("/lang/en")
    resp = client.post("/auth/forgot", data={"email": "ghost@example.tw"}, follow_redirects=True)
    assert "If an account uses that address" in resp.get_data(as_text=True)
    assert _count(app, MailMessage) == 0


def test_expired_and_tampered_tokens(app, client, make_user):
    user = make_user(verified=False)
    with app.test_request_context():
        from participate.tokens import make_verify_token

        with app.app_context():
            token = make_verify_token(db.session.get(User, user.id))
    assert client.get(f"/auth/verify/{token}x").status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email_verified_at is None
    app.config["TOKEN_MAX_AGE_VERIFY"] = -1
    client.get(f"/auth/verify/{token}")
    with app.app_context():
        assert db.session.get(User, user.id).email_verified_at is None
    app.config["TOKEN_MAX_AGE_VERIFY"] = 3600
    client.get(f"/auth/verify/{token}")
    with app.app_context():
        assert db.session.get(User, user.id).email_verified_at is not None
