"""Demo accounts and agencies for ``make run`` (``participate.cli.seed_all`` adds each
area's content after them).

Idempotent: every row is looked up by a natural key before it is created, so running
``flask seed-demo`` twice leaves the database as after the first run.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from participate.auth import mfa
from participate.auth.passwords import hash_password
from participate.extensions import db
from participate.models import Agency, Role, User
from participate.models.mfa import TotpCredential
from participate.timeutil import utcnow

AGENCIES = [
    ("motc", "交通部", "Ministry of Transportation and Communications"),
    ("mohw", "衛生福利部", "Ministry of Health and Welfare"),
    ("moda", "數位發展部", "Ministry of Digital Affairs"),
    ("moenv", "環境部", "Ministry of Environment"),
    ("moe", "教育部", "Ministry of Education"),
    ("moi", "內政部", "Ministry of the Interior"),
]

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - public demo credentials, printed and documented
# The demo staff accounts' authenticator key (add it to any TOTP app, or run
# `python -m participate.auth.mfa JBSWY3DPEHPK3PXP`): public, like the password.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105
DEMO_USERS = [
    ("admin@demo.participate.tw", "管理員小安", Role.ADMIN, None),
    ("moderator@demo.participate.tw", "審核員阿明", Role.MODERATOR, None),
    ("staff@demo.participate.tw", "交通部承辦人", Role.AGENCY_STAFF, "motc"),
    ("staff-mohw@demo.participate.tw", "衛福部承辦人", Role.AGENCY_STAFF, "mohw"),
    ("citizen@demo.participate.tw", "熱心市民小林", Role.CITIZEN, None),
]


def get_or_create_agency(slug: str, name_zh: str, name_en: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        agency = Agency(slug=slug, name_zh=name_zh, name_en=name_en)
        db.session.add(agency)
        db.session.flush()
    return agency


def get_or_create_user(
    email: str, name: str, role: Role, agency: Agency | None = None, password: str | None = None
) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        now = utcnow()
        user = User(
            email=email,
            display_name=name,
            password_hash=hash_password(password or DEMO_PASSWORD),
            role=role,
            agency_id=agency.id if agency else None,
            email_verified_at=now,
            privacy_accepted_at=now,
        )
        db.session.add(user)
        db.session.flush()
    if role in (Role.AGENCY_STAFF, Role.MODERATOR, Role.ADMIN) and mfa.credential_of(user) is None:
        db.session.add(TotpCredential(user_id=user.id, secret=mfa.seal(DEMO_TOTP_SECRET)))
        db.session.flush()
    return user


def seed_accounts() -> None:
    """The demo agencies and one account per role (idempotent)."""
    agencies = {slug: get_or_create_agency(slug, zh, en) for slug, zh, en in AGENCIES}
    for index, (email, name, role, slug) in enumerate(DEMO_USERS, start=1):
        user = get_or_create_user(email, name, role, agencies.get(slug) if slug else None)
        give_demo_number(user, index)
    db.session.flush()


def give_demo_number(user: User, index: int) -> None:
    """A verified mobile number (+886 900 000 00N, stored as its keyed hash like any
    other), so the demo accounts endorse and propose as before (issue 18)."""
    from participate.identity.operations import number_hash
    from participate.models import PhoneNumber

    if db.session.scalar(select(PhoneNumber.id).where(PhoneNumber.user_id == user.id)):
        return
    db.session.add(PhoneNumber(number_hash=number_hash(f"+886900000{index:03d}"), user_id=user.id))


def describe_accounts(echo: Callable[[str], None] = print) -> None:
    echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    code = mfa.current_code(DEMO_TOTP_SECRET)
    echo(f"  staff two-step sign-in key: {DEMO_TOTP_SECRET} (code now: {code})")
    for email, _name, role, slug in DEMO_USERS:
        echo(f"  {role.value:13} {email}" + (f"  ({slug})" if slug else ""))
