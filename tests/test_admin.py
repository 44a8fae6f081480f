"""Admin pages: each page per role, role grants with audit, agency creation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import Agency, AuditLog, Role, User

ADMIN_PAGES = ["/admin/", "/admin/agencies", "/admin/users", "/admin/audit"]


@pytest.mark.parametrize("role", ["citizen", "agency_staff", "moderator"])
def test_admin_pages_forbidden_to_other_roles(client, make_user, make_agency, login, role):
    agency = make_agency() if role == "agency_staff" else None
    user = make_user(role=role, agency=agency)
    login(client, user)
    for url in ADMIN_PAGES + [f"/admin/users/{user.id}"]:
        assert client.get(url).status_code == 403, url
    resp = client.post("/admin/agencies", data={"slug": "x", "name_zh": "某部", "name_en": "X"})
    assert resp.status_code == 403
    resp = client.post(f"/admin/users/{user.id}", data={"role": "admin", "agency": ""})
    assert resp.status_code == 403


def test_admin_pages_need_login(client):
    for url in ADMIN_PAGES:
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_admin_pages_open_to_admin(client, make_user, login):
    admin = make_user(role="admin")
    login(client, admin)
    for url in ADMIN_PAGES + [f"/admin/users/{admin.id}"]:
        assert client.get(url).status_code == 200, url


def test_grant_and_revoke_role_is_audited(app, client, make_user, make_agency, login):
    admin = make_user(role="admin")
    agency = make_agency(name_zh="衛生福利部")
    target = make_user()
    login(client, admin)
    resp = client.post(
        f"/admin/users/{target.id}", data={"role": "agency_staff", "agency": str(agency.id)}
    )
    assert resp.status_code == 302
    resp = client.post(f"/admin/users/{target.id}", data={"role": "citizen", "agency": ""})
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.role == Role.CITIZEN and user.agency_id is None
        entries = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "role.change").order_by(AuditLog.id)
        ).all()
        assert [(e.actor_id, e.detail["after"]["role"]) for e in entries] == [
            (admin.id, "agency_staff"),
            (admin.id, "citizen"),
        ]
        assert entries[0].detail["after"]["agency_id"] == agency.id
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "agency_staff" in page


def test_agency_staff_needs_agency(app, client, make_user, login):
    admin = make_user(role="admin")
    target = make_user()
    login(client, admin)
    client.get("/lang/en")
    resp = client.post(f"/admin/users/{target.id}", data={"role": "agency_staff", "agency": ""})
    assert resp.status_code == 400
    assert "must belong to an agency" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target.id).role == Role.CITIZEN
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_admin_cannot_demote_self(app, client, make_user, login):
    admin = make_user(role="admin")
    login(client, admin)
    resp = client.post(f"/admin/users/{admin.id}", data={"role": "citizen", "agency": ""})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.get(User, admin.id).role == Role.ADMIN


def test_create_agency_and_bad_input(app, client, make_user, login):
    admin = make_user(role="admin")
    login(client, admin)
    client.get("/lang/en")
    ok = {"slug": "moda", "name_zh": "數位發展部", "name_en": "Ministry of Digital Affairs"}
    assert client.post("/admin/agencies", data=ok).status_code == 302
    bad = [
        (dict(ok, slug="has space"), "slug", "letters, digits and hyphens"),
        (dict(ok, slug="moda"), "slug", "already used"),
        (dict(ok, slug="moda2"), "name_zh", "already exists"),
        (dict(ok, slug="x2", name_zh=""), "name_zh", "Enter the Chinese name"),
    ]
    for data, field, message in bad:
        resp = client.post("/admin/agencies", data=data)
        assert resp.status_code == 400, data
        html = resp.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html, (field, message)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Agency)) == 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "agency.create")
            )
            == 1
        )


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "Boss@Example.tw", "--password", "super-secret-pass"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.tw"))
        assert user.role == Role.ADMIN and user.is_verified
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "role.change"))
        assert (entry.actor_id, entry.target_id, entry.detail["via"]) == (None, user.id, "cli")
    result = runner.invoke(args=["create-admin", "x@example.tw", "--password", "short"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_admin_promotes_an_existing_account(app, make_user):
    citizen = make_user(email="lin@example.tw")
    result = app.test_cli_runner().invoke(
        args=["create-admin", "LIN@example.tw", "--password", "super-secret-pass"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        user = db.session.get(User, citizen.id)
        assert user.role == Role.ADMIN
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "role.change"))
        assert entry.detail["before"] == {"role": "citizen"}
