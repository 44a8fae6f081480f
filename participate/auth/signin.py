"""The last step of every sign-in (password or digital identity): staff give their second
factor before the session is theirs.

Not an operation (it writes nothing): it decides what the browser session holds. A staff
account with an authenticator app is *pending* until the code is given; one without is
logged in and sent to set one up, and every staff power stays refused until it has
(:func:`participate.policy.mfa.second_factor_ok`).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from participate import policy
from participate.extensions import db
from participate.models import User

PENDING_KEY = "_mfa_pending"
PENDING_SECONDS = 600


def safe_next(target: str | None) -> str:
    """A local path to go back to, or the home page (never another site)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//") and not target.startswith("/\\"):
                return target
    return url_for("main.index")


def finish_login(user: User, remember: bool = False, next_url: str | None = None) -> Response:
    """Log ``user`` in, or hold the login until the second factor is given."""
    session.pop(PENDING_KEY, None)
    if policy.needs_second_factor(user):
        if policy.has_second_factor(user):
            session[PENDING_KEY] = {
                "uid": user.id,
                "version": user.session_version,
                "remember": bool(remember),
                "next": safe_next(next_url),
                "at": int(time.time()),  # the real clock, as for the codes
            }
            return redirect(url_for("mfa.verify"))
        login_user(user, remember=remember)
        flash(
            _(
                "Staff accounts need two-step sign-in. Set up an authenticator app to use "
                "your staff tools."
            ),
            "warning",
        )
        return redirect(url_for("mfa.setup", next=safe_next(next_url)))
    login_user(user, remember=remember)
    return redirect(safe_next(next_url))


def pending() -> tuple[User, dict[str, Any]] | None:
    """The account whose password was right and whose code is awaited, if still fresh."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if int(time.time()) - int(data.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, int(data.get("uid", 0)))
    if user is None or not user.is_active or user.session_version != data.get("version"):
        return None
    return user, data


def complete_pending(user: User, data: dict[str, Any]) -> str:
    """The code was right: the session is now ``user``'s; returns where to go."""
    session.pop(PENDING_KEY, None)
    login_user(user, remember=bool(data.get("remember")))
    return safe_next(data.get("next"))
