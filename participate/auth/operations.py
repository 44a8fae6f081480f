"""Account rules as plain functions: registration, verification, reset, login, roles."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participate import audit, signals
from participate.errors import RuleError
from participate.extensions import db
from participate.mail import send_mail
from participate.models import Agency, Role, User
from participate.timeutil import utcnow
from participate.tokens import make_reset_token, make_verify_token

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash to compare against when the email is unknown, so timing doesn't reveal accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(email: str, display_name: str, password: str) -> User:
    """Create a citizen account and send the verification mail, in one transaction."""
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise RuleError(_("An account with this email already exists."), field="email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=Role.CITIZEN,
        privacy_accepted_at=utcnow(),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same email
        db.session.rollback()
        raise RuleError(_("An account with this email already exists."), field="email") from exc
    send_verification(user)
    db.session.commit()
    return user


def send_verification(user: User) -> None:
    link = url_for("auth.verify", token=make_verify_token(user), _external=True)
    send_mail(
        user.email or "",
        _("Confirm your email address"),
        _(
            "Hello %(name)s,\n\nPlease confirm your email address by opening this link:\n"
            "%(link)s\n\nThe link is valid for 48 hours.",
            name=user.display_name,
            link=link,
        ),
    )


def verify_email(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()


def request_password_reset(email: str) -> None:
    """Send a reset link if the account exists; say nothing either way to the requester."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    link = url_for("auth.reset", token=make_reset_token(user), _external=True)
    send_mail(
        user.email or "",
        _("Reset your password"),
        _(
            "Hello %(name)s,\n\nSomeone asked to reset the password of your account. "
            "If it was you, open this link within an hour:\n%(link)s\n\n"
            "If it was not you, ignore this message; your password is unchanged.",
            name=user.display_name,
            link=link,
        ),
    )
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session (their cookies carry the old version)."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email) if email else None
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        return None
    if not user.is_active or not check_password(user, password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def set_role(actor: User, user: User, role: Role, agency: Agency | None) -> None:
    """Grant or revoke a role; only admins may, and every change is audited."""
    if not actor.is_admin:
        raise RuleError(_("Only administrators can change roles."), status=403)
    if role == Role.AGENCY_STAFF and agency is None:
        raise RuleError(_("Agency staff must belong to an agency."), field="agency")
    if user.id == actor.id and role != Role.ADMIN:
        raise RuleError(_("You cannot remove your own administrator role."), field="role")
    if user.deleted_at is not None:
        raise RuleError(_("This account has been deleted."), status=409)
    before = {"role": user.role.value, "agency_id": user.agency_id}
    user.role = role
    user.agency_id = agency.id if role == Role.AGENCY_STAFF and agency else None
    audit.record(
        actor,
        "role.change",
        "user",
        user.id,
        before=before,
        after={"role": role.value, "agency_id": user.agency_id},
    )
    db.session.commit()


def create_agency(actor: User, slug: str, name_zh: str, name_en: str) -> Agency:
    if not actor.is_admin:
        raise RuleError(_("Only administrators can create agencies."), status=403)
    slug = slug.strip().lower()
    if db.session.scalar(select(func.count()).select_from(Agency).where(Agency.slug == slug)):
        raise RuleError(_("This short name is already used."), field="slug")
    if db.session.scalar(
        select(func.count()).select_from(Agency).where(Agency.name_zh == name_zh.strip())
    ):
        raise RuleError(_("An agency with this name already exists."), field="name_zh")
    agency = Agency(slug=slug, name_zh=name_zh.strip(), name_en=name_en.strip())
    db.session.add(agency)
    db.session.flush()
    audit.record(actor, "agency.create", "agency", agency.id, name=agency.name_zh)
    db.session.commit()
    return agency


@dataclass
class Deletion:
    user_id: int


def delete_account(user: User) -> Deletion:
    """Erase personal data; what the person wrote stays, attributed to "deleted user"."""
    user.email = None
    user.password_hash = None
    user.display_name = ""
    user.locale = None
    user.deleted_at = utcnow()
    user.session_version += 1
    user.email_verified_at = None
    signals.account_deleting.send(user)
    audit.record(user, "account.delete", "user", user.id)
    db.session.commit()
    return Deletion(user_id=user.id)
