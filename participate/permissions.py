"""Named permission checks used by views; each write rule checks again in its function."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from participate.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """403 unless the logged-in user has one of ``roles`` (admins pass every role check)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from participate.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = role_required(Role.ADMIN)
moderator_required = role_required(Role.MODERATOR)


def may_act_for_agency(user: Any, agency_id: int | None) -> bool:
    """Agency staff act only for their own agency; admins act for any."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == Role.ADMIN or user.is_staff_of(agency_id)


def agency_staff_required(agency_id: int | None) -> None:
    """Abort with 403 unless the current user may act for ``agency_id``."""
    if not may_act_for_agency(current_user, agency_id):
        abort(403)


def write_limit() -> str:
    """The site-wide rate limit for ordinary writes (Flask-Limiter reads it per request)."""
    from flask import current_app

    return current_app.config["WRITE_RATE_LIMIT"]
