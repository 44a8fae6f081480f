"""Two-step sign-in for staff: enrolment, the code after the password, staff powers refused
without it, one-time codes and recovery codes, the administrator's reset, rate limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from participate import policy
from participate.auth import mfa
from participate.auth.operations import set_role
from participate.errors import RuleError
from participate.extensions import db
from participate.models import AuditLog, MailMessage, Role, User
from participate.models.mfa import RecoveryCode, TotpCredential
from participate.timeutil import utcnow
from tests.conftest import PASSWORD, TOTP_SECRET, second_factor, totp_code


@pytest.fixture(autouse=True)
def _csrf_clients(client: Any) -> None:
    """Every ``app.test_client()`` here carries CSRF tokens like the ``client`` fixture's."""


def _user_id(client: Any) -> int | None:
    with client.session_transaction() as sess:
        value = sess.get("_user_id")
    return int(value.split(":")[0]) if value else None


def _password(client: Any, user: Any) -> Any:
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD})


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _audit(app: Any, action: str) -> list[AuditLog]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_citizens_log_in_with_the_password_alone(app, client, make_user):
    person = make_user()
    resp = _password(client, person)
    assert resp.status_code == 302 and not resp.headers["Location"].startswith("/auth/two")
    assert _user_id(client) == person.id


def test_staff_give_the_code_after_the_password(app, client, make_user):
    moderator = make_user(role="moderator")
    resp = _password(client, moderator)
    assert resp.headers["Location"] == "/auth/two-factor"
    assert _user_id(client) is None  # the session is not theirs yet
    assert client.get("/moderation/").status_code == 302
    page = client.get("/auth/two-factor")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(True)
    wrong = client.post("/auth/two-factor", data={"code": "000000"})
    assert wrong.status_code == 400 and _user_id(client) is None
    second_factor(app, client, moderator)
    assert _user_id(client) == moderator.id
    assert client.get("/moderation/").status_code == 200


def test_a_code_is_accepted_once(app, make_user):
    moderator = make_user(role="moderator")
    code = totp_code(app, moderator)
    one, two = app.test_client(), app.test_client()
    _password(one, moderator)
    assert one.post("/auth/two-factor", data={"code": code}).status_code == 302
    _password(two, moderator)
    replay = two.post("/auth/two-factor", data={"code": code})
    assert replay.status_code == 400 and _user_id(two) is None


def test_enrolment_shows_qr_and_key_and_gives_ten_recovery_codes(app, client, make_user):
    staff = make_user(role="moderator", totp=False)
    resp = _password(client, staff)
    assert resp.headers["Location"].startswith("/auth/two-factor/setup")
    assert _user_id(client) == staff.id  # logged in, but the staff tools stay locked
    locked = client.get("/moderation/")
    assert locked.status_code == 403 and "/auth/two-factor?next=" in locked.get_data(True)
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "otpauth://totp/" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    bad = client.post("/auth/two-factor/setup", data={"code": "123456"})
    assert bad.status_code == 400 and _count(app, TotpCredential) == 0
    done = client.post("/auth/two-factor/setup", data={"code": mfa.current_code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert client.get("/moderation/").status_code == 200
    with app.app_context():
        credential = db.session.scalar(select(TotpCredential))
        assert secret not in credential.secret  # encrypted at rest
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash)))
        assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)
    assert len(_audit(app, "mfa.enrol")) == 1


def test_citizens_are_not_offered_enrolment(app, client, make_user, login):
    login(client, make_user())
    assert client.get("/auth/two-factor/setup").headers["Location"].endswith("/auth/security")
    assert "two-factor/setup" not in client.get("/auth/security").get_data(as_text=True)


def test_recovery_code_works_once(app, client, make_user):
    staff = make_user(role="admin", totp=False)
    _password(client, staff)
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = client.post("/auth/two-factor/setup", data={"code": mfa.current_code(secret)})
    code = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))[3]
    other = app.test_client()
    _password(other, staff)
    used = other.post("/auth/two-factor", data={"code": code.upper()})
    assert used.status_code == 302 and _user_id(other) == staff.id
    third = app.test_client()
    _password(third, staff)
    again = third.post("/auth/two-factor", data={"code": code})
    assert again.status_code == 400 and _user_id(third) is None
    with app.app_context():
        assert mfa.recovery_codes_left(db.session.get(User, staff.id)) == 9
    assert len(_audit(app, "mfa.recovery_used")) == 1


def test_staff_powers_need_the_second_factor(app, make_user, make_agency):
    agency = make_agency()
    enrolled = make_user(role="admin")
    bare = make_user(role="moderator", totp=False)
    staff = make_user(role="agency_staff", agency=agency, totp=False)
    target = make_user()
    with app.test_request_context():
        admin = db.session.get(User, enrolled.id)
        assert policy.is_admin(admin)  # a job or command: enrolment is what counts
        admin.second_factor_verified = False  # a browser session that did not give the code
        assert not policy.is_admin(admin) and not policy.can_manage_roles(admin)
        with pytest.raises(RuleError) as refused:
            set_role(admin, db.session.get(User, target.id), Role.MODERATOR, None)
        assert refused.value.status == 403
        assert not policy.can_moderate(db.session.get(User, bare.id))
        assert not policy.is_agency_staff(db.session.get(User, staff.id))
        assert not policy.can_open_consultation(db.session.get(User, staff.id), utcnow())
        admin.second_factor_verified = True
        assert policy.can_manage_roles(admin)
        db.session.rollback()


def test_session_without_the_code_is_refused_staff_writes(app, client, make_user):
    moderator = make_user(role="moderator")
    with client.session_transaction() as sess:  # a remembered login: no code this session
        sess["_user_id"] = f"{moderator.id}:1"
    resp = client.post("/moderation/terms", data={"term": "壞字"})
    assert resp.status_code in (302, 403)
    assert resp.status_code == 403 or resp.headers["Location"].startswith("/auth/two-factor")
    assert "完成兩步驟登入之前" in client.get("/").get_data(as_text=True)  # the banner
    second_factor(app, client, moderator)
    assert client.get("/moderation/").status_code == 200


def test_admin_resets_a_second_factor_with_an_audit_entry(app, make_user, login):
    admin, moderator = make_user(role="admin"), make_user(role="moderator")
    mod_client, admin_client = app.test_client(), app.test_client()
    login(mod_client, moderator)
    assert mod_client.get("/moderation/").status_code == 200
    login(admin_client, admin)
    resp = admin_client.post(f"/auth/two-factor/reset/{moderator.id}", data={"reason": "手機遺失"})
    assert resp.status_code == 302
    assert _count(app, TotpCredential, TotpCredential.user_id == moderator.id) == 0
    assert _count(app, RecoveryCode, RecoveryCode.user_id == moderator.id) == 0
    [entry] = _audit(app, "mfa.reset")
    assert entry.actor_id == admin.id and entry.target_id == moderator.id
    assert entry.reason == "手機遺失"
    assert _count(app, MailMessage, MailMessage.recipient == moderator.email) == 1
    # the moderator's session gave a code for the removed app: its staff tools lock
    assert mod_client.get("/moderation/").status_code == 403
    assert admin_client.post(f"/auth/two-factor/reset/{admin.id}").status_code == 403


def test_only_admins_reset(app, make_user, login, client):
    moderator, other = make_user(role="moderator"), make_user(role="moderator")
    login(client, moderator)
    assert client.post(f"/auth/two-factor/reset/{other.id}").status_code == 403
    assert _count(app, TotpCredential, TotpCredential.user_id == other.id) == 1
    assert _audit(app, "mfa.reset") == []


def test_code_attempts_are_rate_limited_per_account(app, make_user):
    app.config["MFA_RATE_LIMIT"] = "5 per minute"
    moderator = make_user(role="moderator")
    statuses = []
    for _ in range(7):
        device = app.test_client()  # a fresh client each time: the account limit still holds
        _password(device, moderator)
        statuses.append(device.post("/auth/two-factor", data={"code": "000000"}).status_code)
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    device = app.test_client()
    _password(device, moderator)
    code = totp_code(app, moderator)
    assert device.post("/auth/two-factor", data={"code": code}).status_code == 429


def test_switch_off_lets_staff_act_without_it(app, client, make_user):
    app.config["REQUIRE_STAFF_2FA"] = False
    moderator = make_user(role="moderator", totp=False)
    resp = _password(client, moderator)
    assert resp.status_code == 302 and not resp.headers["Location"].startswith("/auth/two")
    assert client.get("/moderation/").status_code == 200


def test_demo_staff_come_enrolled_with_the_documented_key(app, client):
    from participate.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_accounts

    with app.app_context():
        seed_accounts()
        db.session.commit()
        staff = db.session.scalars(select(User).where(User.role != Role.CITIZEN)).all()
        assert len(staff) == 4
        for person in staff:
            assert mfa.unseal(mfa.credential_of(person).secret) == DEMO_TOTP_SECRET
        citizen = db.session.scalar(select(User).where(User.role == Role.CITIZEN))
        assert mfa.credential_of(citizen) is None
    assert DEMO_TOTP_SECRET != TOTP_SECRET
    resp = client.post(
        "/auth/login",
        data={"email": "moderator@demo.participate.tw", "password": DEMO_PASSWORD},
    )
    assert resp.headers["Location"] == "/auth/two-factor"
    code = mfa.current_code(DEMO_TOTP_SECRET)
    assert client.post("/auth/two-factor", data={"code": code}).status_code == 302
    assert client.get("/moderation/").status_code == 200


def test_rfc6238_reference_values():
    """RFC 6238 appendix B (SHA-1, 8 digits there; our 6 digits are its last six)."""
    from datetime import UTC, datetime

    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert mfa.code_at(secret, mfa.step_of(datetime.fromtimestamp(59, UTC))) == "287082"
    assert mfa.code_at(secret, mfa.step_of(datetime.fromtimestamp(1111111109, UTC))) == "081804"
    assert mfa.code_at(secret, mfa.step_of(datetime.fromtimestamp(2000000000, UTC))) == "279037"


def test_reset_reason_with_a_control_character_is_refused_whole(app, make_user, login, client):
    admin, moderator = make_user(role="admin"), make_user(role="moderator")
    login(client, admin)
    resp = client.post(f"/auth/two-factor/reset/{moderator.id}", data={"reason": "遺失\x00"})
    assert resp.status_code == 302
    assert _count(app, TotpCredential, TotpCredential.user_id == moderator.id) == 1
    assert _audit(app, "mfa.reset") == []


def test_new_recovery_codes_replace_the_old_and_need_the_code(app, make_user, login, client):
    staff = make_user(role="agency_staff", agency=None)
    login(client, staff)
    page = client.get("/auth/security").get_data(as_text=True)
    assert "/auth/two-factor/recovery-codes" in page
    made = client.post("/auth/two-factor/recovery-codes")
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", made.get_data(as_text=True))
    assert made.status_code == 200 and len(set(codes)) == 10
    again = client.post("/auth/two-factor/recovery-codes")
    newer = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", again.get_data(as_text=True))
    assert not set(codes) & set(newer)
    device = app.test_client()
    _password(device, staff)
    assert device.post("/auth/two-factor", data={"code": codes[0]}).status_code == 400
    assert device.post("/auth/two-factor", data={"code": newer[0]}).status_code == 302
    assert len(_audit(app, "mfa.recovery_regenerate")) == 2
    locked = app.test_client()
    with locked.session_transaction() as sess:  # a session that did not give the code
        sess["_user_id"] = f"{staff.id}:1"
    resp = locked.post("/auth/two-factor/recovery-codes")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/auth/two-factor")


def test_locked_admin_pages_lead_to_the_code_and_back(app, make_user):
    admin = make_user(role="admin")
    device = app.test_client()
    with device.session_transaction() as sess:  # remembered login, no code this session
        sess["_user_id"] = f"{admin.id}:1"
    resp = device.get("/admin/users")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/auth/two-factor?next=/admin/users?"
    back = device.post(resp.headers["Location"], data={"code": totp_code(app, admin)})
    assert back.status_code == 302 and back.headers["Location"].startswith("/admin/users")
    assert device.get("/admin/users").status_code == 200
