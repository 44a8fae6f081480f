"""Who the request is: Flask-Login's user loader, and the hot paths' way around it.

Session ids are ``id:version``: a password change, a suspension's logout or a role change
bumps the account's ``session_version`` and every older cookie stops naming anyone. The
loader reads the account once per request that asks for ``current_user``; the vote, the
busiest request, reads it inside its own one query instead (``session_identity`` gives it
the id and version from the signed cookie without a read, ``use_user`` hands the result to
Flask-Login), so nothing is cached and nothing needs invalidating.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, session
from sqlalchemy import ColumnElement, and_, bindparam

from participate import policy
from participate.auth import mfa
from participate.extensions import db
from participate.models import User


def parse_session_id(user_id: object) -> tuple[int, int] | None:
    """``(id, version)`` from a session's ``id:version``, or None when it is not one."""
    if not isinstance(user_id, str):
        return None
    try:
        uid, version = (int(part) for part in user_id.split(":", 1))
    except ValueError:
        return None
    return uid, version


def session_identity() -> tuple[int, int] | None:
    """Who the signed session cookie names, without a database read: what the vote reads
    its voter with (in its own query) and keys its rate limit by. Only the server signs
    the cookie; whether the account still holds that version is the query's to check."""
    return parse_session_id(session.get("_user_id"))


def session_account() -> ColumnElement[bool]:
    """The join condition by which a hot path's one query finds the session's account: the
    id and version of :func:`session_params` (bound as ``uid`` and ``version``), not deleted.
    What :func:`load_user` checks, in SQL; with :func:`use_user` the result becomes
    ``current_user``."""
    return and_(
        User.id == bindparam("uid"),
        User.session_version == bindparam("version"),
        User.deleted_at.is_(None),
    )


def session_params() -> dict[str, Any]:
    """``uid`` and ``version`` for :func:`session_account` (both None when logged out)."""
    identity = session_identity()
    uid, version = identity if identity is not None else (None, None)
    return {"uid": uid, "version": version}


def _mark_second_factor(user: User) -> None:
    """A staff account carries whether this session passed the second factor (what
    ``policy.mfa.second_factor_ok`` reads)."""
    if policy.needs_second_factor(user):
        user.second_factor_verified = mfa.session_verified(user)  # type: ignore[attr-defined]


def use_user(user: User | None) -> Any:
    """Give Flask-Login the user a view loaded itself (validated by its query the way
    :func:`load_user` validates), so ``current_user`` needs no second read; a staff
    account gets the second-factor mark :func:`load_user` gives it. Returns what
    ``current_user`` now is (the account, or the anonymous user), so the view can hand the
    object itself to its operation instead of the proxy."""
    if user is not None:
        _mark_second_factor(user)
        g._login_user = user
        return user
    anonymous = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    g._login_user = anonymous
    return anonymous


def load_user(user_id: str) -> User | None:
    """Session ids are ``id:version``; a bumped version logs the old cookie out."""
    parsed = parse_session_id(user_id)
    if parsed is None:
        return None
    uid, version = parsed
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.is_active:
        return None
    _mark_second_factor(user)
    return user
