"""Account operations: registration, verification, password reset, login, roles, agencies,
deletion. One function per action; each checks the policy, writes, flushes, records the
audit entry and queues its mail in the outbox. None commits: the request (or the CLI
command) around it does, and only then is the mail sent, so a registration that rolled
back never mails anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy, signals
from participate.auth.passwords import check_password, hash_password, spend_equal_time
from participate.auth.queries import find_by_email, normalise_email
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.mail import queue_mail
from participate.models import Agency, Role, User
from participate.moderation import queue as moderation_queue
from participate.text import accept_text
from participate.timeutil import utcnow
from participate.tokens import make_reset_token, make_verify_token


def register_user(email: str, display_name: str, password: str) -> User:
    """Create a citizen account and queue the verification mail (sent after the commit)."""
    email = normalise_email(accept_text(email, "email", empty=_l("Enter your email address.")))
    display_name = accept_display_name(display_name)
    if find_by_email(email) is not None:
        raise RuleError(_("An account with this email already exists."), field="email")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=Role.CITIZEN,
        privacy_accepted_at=utcnow(),
    )
    try:
        with savepoint():  # only the savepoint rolls back on a lost race
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same email
        raise RuleError(
            _("An account with this email already exists."), field="email", status=409
        ) from exc
    moderation_queue.flag_display_name(user)  # a banned word in the name: a moderator looks
    send_verification(user)
    return user


def accept_display_name(name: str | None, field: str = "display_name") -> str:
    """A display name as stored, the same for registration, the profile and the command
    line: one line, no control, bidi or invisible character, something visible in it."""
    return accept_text(name, field, name=True, empty=_l("Enter a display name."))


def send_verification(user: User) -> None:
    """Queue the mail with the link that confirms ``user``'s address (valid 48 hours)."""
    link = url_for("auth.verify", token=make_verify_token(user), _external=True)
    queue_mail(
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
    """The link in the mail was opened: the address is confirmed (once; again is a no-op)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way to the requester."""
    user = find_by_email(accept_text(email, "email", empty=_l("Enter your email address.")))
    if user is None or not user.is_active:
        return
    link = url_for("auth.reset", token=make_reset_token(user), _external=True)
    queue_mail(
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


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session (their cookies carry the old version)."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()


def reset_password(user: User, password: str) -> None:
    """Set a new password from a reset link; the link reached the mailbox, so it also proves
    the address."""
    set_password(user, password)
    verify_email(user)


def authenticate(email: str, password: str) -> User | None:
    """The account these credentials open, or None (the same time and answer whether the
    email is unknown or the password wrong)."""
    email = accept_text(email, "email", empty=_l("Enter your email address."))
    user = find_by_email(email)
    if user is None:
        spend_equal_time(password)
        return None
    if not user.is_active or not check_password(user, password):
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def set_role(actor: User, user: User, role: Role, agency: Agency | None) -> None:
    """Grant or revoke a role; only admins may, and every change is audited."""
    if not policy.can_manage_roles(actor):
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
    db.session.flush()
    audit.record(
        actor,
        "role.change",
        "user",
        user.id,
        before=before,
        after={"role": role.value, "agency_id": user.agency_id},
    )


def create_agency(actor: User, slug: str, name_zh: str, name_en: str) -> Agency:
    """Add a government agency (admins only); its short name and Chinese name are unique."""
    if not policy.can_manage_agencies(actor):
        raise RuleError(_("Only administrators can create agencies."), status=403)
    slug = accept_text(slug, "slug", empty=_l("Enter a short name.")).lower()
    name_zh = accept_text(name_zh, "name_zh", name=True, empty=_l("Enter the Chinese name."))
    name_en = accept_text(name_en, "name_en", name=True, empty=_l("Enter the English name."))
    if db.session.scalar(select(func.count()).select_from(Agency).where(Agency.slug == slug)):
        raise RuleError(_("This short name is already used."), field="slug")
    if db.session.scalar(select(func.count()).select_from(Agency).where(Agency.name_zh == name_zh)):
        raise RuleError(_("An agency with this name already exists."), field="name_zh")
    agency = Agency(slug=slug, name_zh=name_zh, name_en=name_en)
    try:
        with savepoint():  # a concurrent creation with the same slug
            db.session.add(agency)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("This short name is already used."), field="slug", status=409) from exc
    audit.record(actor, "agency.create", "agency", agency.id, name=agency.name_zh)
    return agency


def create_admin(email: str, name: str, password: str) -> User:
    """``flask create-admin``: make the first administrator, or promote an existing account.

    No policy check: whoever runs the command already controls the server. The audit entry
    has no actor and says it came from the command line.
    """
    email = normalise_email(accept_text(email, "email", empty=_l("Enter your email address.")))
    user = find_by_email(email)
    if user is None:
        now = utcnow()
        user = User(
            email=email,
            display_name=accept_display_name(name, "name"),
            password_hash=hash_password(password),
            email_verified_at=now,
            privacy_accepted_at=now,
        )
        db.session.add(user)
        db.session.flush()
    before = user.role.value if user.role else None
    user.role = Role.ADMIN
    user.agency_id = None
    db.session.flush()
    audit.record(
        None,
        "role.change",
        "user",
        user.id,
        before={"role": before},
        after={"role": "admin"},
        via="cli",
    )
    return user


@dataclass
class Deletion:
    user_id: int


def delete_account(user: User) -> Deletion:
    """Erase personal data; what the person wrote stays, attributed to "deleted user".

    Every area erases its own part through ``signals.account_deleting`` (API tokens are
    revoked, follows dropped...), inside this same transaction.
    """
    user.email = None
    user.password_hash = None
    user.display_name = ""
    user.locale = None
    user.deleted_at = utcnow()
    user.session_version += 1
    user.email_verified_at = None
    db.session.flush()
    signals.account_deleting.send(user)
    audit.record(user, "account.delete", "user", user.id)
    return Deletion(user_id=user.id)
