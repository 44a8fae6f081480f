"""The second factor staff powers need.

Agency staff, moderators and administrators act only with a TOTP second factor: enrolled,
and — when they act from a browser session — given in that session. The staff predicates of
:mod:`participate.policy.core` (``is_moderator``, ``is_admin``, ``is_agency_staff``, hence
``acts_for`` and ``can_moderate``) ask :func:`second_factor_ok`, so every area's staff rule
carries it without saying so again.

Where the answer about the session comes from: the session loader
(``participate.auth.views.load_user``) sets ``user.second_factor_verified`` to True or False
on the account it loads from the cookie. An account that did not come from a browser session
(a job, a command, an API token made by that person, a test's own object) has no such
attribute; for it, enrolment is what counts.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import Role
from participate.models.mfa import OidcIdentity, TotpCredential

STAFF_ROLES = (Role.AGENCY_STAFF, Role.MODERATOR, Role.ADMIN)


def is_staff_role(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in STAFF_ROLES


def needs_second_factor(user: Any) -> bool:
    """A staff account on a site that requires the second factor (the default)."""
    return is_staff_role(user) and bool(current_app.config["REQUIRE_STAFF_2FA"])


def has_second_factor(user: Any) -> bool:
    """The account has enrolled an authenticator app."""
    count = db.session.scalar(
        select(func.count()).select_from(TotpCredential).where(TotpCredential.user_id == user.id)
    )
    return bool(count)


def second_factor_ok(user: Any) -> bool:
    """May use staff powers as far as the second factor goes (True for everyone else)."""
    if not needs_second_factor(user):
        return True
    in_session = getattr(user, "second_factor_verified", None)
    if in_session is not None:
        return bool(in_session)
    return has_second_factor(user)


def can_enrol_second_factor(user: Any) -> bool:
    """Staff enrol an authenticator app (citizens sign in with a password or their digital
    identity; nothing asks them for a code, so nothing offers to set one up)."""
    return is_staff_role(user) and user.deleted_at is None


def can_link_identity(user: Any) -> bool:
    """Link a government digital identity to the account: an active person."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.deleted_at is None
        and not user.is_suspended()
    )


def has_government_identity(user: Any) -> bool:
    """The account is linked to a government digital identity (the "gov" identity level)."""
    count = db.session.scalar(
        select(func.count()).select_from(OidcIdentity).where(OidcIdentity.user_id == user.id)
    )
    return bool(count)
