"""My account: profile, password, download my data, delete my account."""

from __future__ import annotations

import json

from sqlalchemy import select

from participate.extensions import db
from participate.models import AuditLog, User
from tests.conftest import PASSWORD


def test_profile_update_and_bad_input(app, client, make_user, login):
    user = make_user(name="舊名字")
    login(client, user)
    client.get("/lang/en")
    resp = client.post("/account/", data={"display_name": "  新名字 ", "locale": "en"})
    assert resp.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.display_name, saved.locale, saved.email_digest) == ("新名字", "en", False)
    resp = client.post(
        "/account/", data={"display_name": "新名字", "locale": "zh_Hant_TW", "email_digest": "y"}
    )
    assert resp.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.locale, saved.email_digest) == ("zh_Hant_TW", True)
    resp = client.post("/account/", data={"display_name": "<script>", "locale": "en"})
    assert resp.status_code == 200
    assert 'id="display_name-error"' in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "新名字"


def test_change_password_requires_current(app, client, make_user, login):
    user = make_user()
    login(client, user)
    client.get("/lang/en")
    data = {
        "pw-current": "wrong-one-entirely",
        "pw-password": "another-passphrase",
        "pw-confirm": "another-passphrase",
    }
    resp = client.post("/account/password", data=data)
    assert resp.status_code == 400
    assert "The current password is not correct." in resp.get_data(as_text=True)
    data["pw-current"] = PASSWORD
    assert client.post("/account/password", data=data).status_code == 302
    client.post("/auth/logout")
    resp = client.post("/auth/login", data={"email": user.email, "password": "another-passphrase"})
    assert resp.status_code == 302


def test_download_my_data(app, client, make_user, login, make_agency):
    agency = make_agency(name_zh="交通部")
    user = make_user(role="agency_staff", agency=agency, name="承辦人")
    login(client, user)
    resp = client.get("/account/data.json")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    data = json.loads(resp.get_data(as_text=True))
    assert data["account"]["email"] == user.email
    assert data["account"]["display_name"] == "承辦人"
    assert data["account"]["agency"] == "交通部"
    assert data["account"]["role"] == "agency_staff"


def test_delete_account_erases_personal_data(app, client, make_user, login):
    user = make_user(name="要離開的人")
    login(client, user)
    client.get("/lang/en")
    resp = client.post(
        "/account/delete", data={"del-password": "wrong-password-x", "del-confirm": "y"}
    )
    assert resp.status_code == 400
    assert "The password is not correct." in resp.get_data(as_text=True)
    resp = client.post("/account/delete", data={"del-password": PASSWORD})
    assert resp.status_code == 400  # the confirmation box is required
    with app.app_context():
        assert db.session.get(User, user.id).deleted_at is None

    resp = client.post("/account/delete", data={"del-password": PASSWORD, "del-confirm": "y"})
    assert resp.status_code == 302
    with app.app_context():
        gone = db.session.get(User, user.id)
        assert gone.deleted_at is not None
        assert gone.email is None and gone.password_hash is None and gone.display_name == ""
        assert gone.public_name == ""
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.delete"))
        assert entry.target_id == user.id
    # the session is gone and the old credentials no longer work
    assert client.get("/account/").status_code == 302
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 200


def test_account_pages_need_login(client):
    for url in ("/account/", "/account/data.json"):
        resp = client.get(url)
        assert resp.status_code == 302
        assert "/auth/login" in resp.headers["Location"]


def test_language_switch_is_remembered_for_the_account(app, client, make_user, login):
    """The header's form (POST, CSRF) stores the account's language; a GET link switches
    only the session (tests/test_language.py has the rest)."""
    user = make_user()
    login(client, user)
    assert client.get("/lang/en?next=/account/").headers["Location"] == "/account/"
    with app.app_context():
        assert db.session.get(User, user.id).locale is None
    assert client.post("/lang/en", data={"next": "/account/"}).headers["Location"] == "/account/"
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    client.post("/lang/zh_Hant_TW")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "zh_Hant_TW"
