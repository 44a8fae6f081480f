"""Registration, email verification, login, password reset: through HTTP, real database."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import Agency, AuditLog, MailMessage, Role, User
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


def test_register_operation_mails_only_after_the_commit(app):
    """The verification mail waits in the outbox: a unit of work that fails after the
    registration leaves neither the account nor a mail; one that commits sends it."""
    from participate import outbox
    from participate.auth.operations import register_user
    from participate.boundary import unit

    with app.test_request_context():
        with pytest.raises(RuntimeError, match="failed later"), unit():
            register_user("later@example.tw", "晚一點", GOOD["password"])
            assert [e.name for e in outbox.pending()] == ["participate.mail.send_mail"]
            assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 0
            raise RuntimeError("the request failed later")
        assert outbox.pending() == []
    assert _count(app, User) == 0 and _count(app, MailMessage) == 0

    with app.test_request_context(), unit():
        register_user("later@example.tw", "晚一點", GOOD["password"])
    assert _count(app, User) == 1
    assert _last_mail(app).recipient == "later@example.tw"


def test_registration_request_that_fails_sends_no_mail(app, client, monkeypatch, caplog):
    """Counted where the mail leaves (the transport logs every mail it sends), not in the
    dev outbox table, which would roll back with the request even if a mail had gone out."""
    import participate.auth.views as auth_views

    caplog.set_level(logging.INFO, logger="participate.mail")

    def sent() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "participate.mail"]

    def fail(*_args, **_kwargs):
        raise RuntimeError("the request fails after the operation")

    monkeypatch.setattr(auth_views, "login_user", fail)
    resp = client.post("/auth/register", data=GOOD)
    assert resp.status_code == 500
    assert _count(app, User) == 0
    assert sent() == []
    monkeypatch.undo()
    assert client.post("/auth/register", data=GOOD).status_code == 302
    assert _last_mail(app).recipient == "lin.mei@example.tw"
    assert len(sent()) == 1 and sent()[0].startswith("mail to lin.mei@example.tw:")


def test_failing_mail_server_never_undoes_the_registration(app, client):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # nothing listens on port 1: refused at once
    app.config["MAIL_PORT"] = 1
    resp = client.post("/auth/register", data=GOOD)
    assert resp.status_code == 302
    assert _count(app, User) == 1
    assert _count(app, MailMessage) == 0


def test_role_and_agency_operations_ask_the_policy(app, make_user):
    """The admin pages stop other roles first; the operations refuse on their own too (a
    moderator, and an administrator while suspended), and write nothing."""
    from datetime import timedelta

    from participate.auth.operations import create_agency, set_role
    from participate.boundary import unit
    from participate.errors import RuleError
    from participate.timeutil import utcnow

    moderator = make_user(role="moderator")
    suspended_admin = make_user(role="admin")
    target = make_user()
    with app.app_context(), unit():
        db.session.get(User, suspended_admin.id).suspended_until = utcnow() + timedelta(days=1)
    for actor_id in (moderator.id, suspended_admin.id):
        with app.test_request_context():
            actor = db.session.get(User, actor_id)
            with pytest.raises(RuleError) as refused, unit():
                set_role(actor, db.session.get(User, target.id), Role.ADMIN, None)
            assert refused.value.status == 403
            with pytest.raises(RuleError) as refused, unit():
                create_agency(actor, "x-ministry", "某部", "X Ministry")
            assert refused.value.status == 403
    with app.app_context():
        assert db.session.get(User, target.id).role == Role.CITIZEN
    assert _count(app, Agency) == 0 and _count(app, AuditLog) == 0


def test_register_race_is_a_form_error_and_the_session_stays_usable(app, make_user, monkeypatch):
    """Two registrations with one email at once: the second passes the lookup, then loses at
    the unique key. Only its savepoint rolls back; the page can still read the database."""
    import participate.auth.operations as operations
    from participate.boundary import unit
    from participate.errors import RuleError

    make_user(email="race@example.tw")
    monkeypatch.setattr(operations, "find_by_email", lambda _email: None)
    with app.test_request_context():
        with pytest.raises(RuleError) as lost, unit():
            try:
                operations.register_user("race@example.tw", "慢一步", GOOD["password"])
            finally:
                assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert (lost.value.field, lost.value.status) == ("email", 409)
    assert _count(app, User) == 1 and _count(app, MailMessage) == 0


def test_resend_verification_mail(app, client, make_user, login):
    user = make_user(verified=False)
    login(client, user)
    assert _count(app, MailMessage) == 0
    resp = client.post("/auth/unverified")
    assert resp.status_code == 302
    mail = _last_mail(app)
    assert mail.recipient == user.email and "/auth/verify/" in mail.body
    assert client.get(_link(mail)).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email_verified_at is not None
    assert client.post("/auth/unverified").status_code == 302  # verified: nothing to resend
    assert _count(app, MailMessage) == 1
