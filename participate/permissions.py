"""View decorators that ask the policy (participate.policy) before a page is shown, and the
rate limit shared by ordinary write forms. The operations behind the pages ask the policy
again: a decorator only decides whether to show the page at all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from participate import policy

F = TypeVar("F", bound=Callable[..., Any])


def requires(predicate: Callable[[Any], bool]) -> Callable[[F], F]:
    """Log in first (anonymous visitors go to the login page), then 403 unless
    ``predicate(current_user)`` holds."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from participate.extensions import login_manager

                return login_manager.unauthorized()
            if not predicate(current_user):
                if policy.needs_second_factor(current_user) and not policy.second_factor_ok(
                    current_user
                ):  # staff without the code of this session: ask for it, then come back
                    return redirect(url_for("mfa.verify", next=request.full_path))
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = requires(policy.is_admin)
moderator_required = requires(policy.is_moderator)


def write_limit() -> str:
    """The site-wide rate limit for ordinary writes (Flask-Limiter reads it per request)."""
    return current_app.config["WRITE_RATE_LIMIT"]
