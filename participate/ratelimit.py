"""The hot path's rate limit: one fixed-window counter per key, in the limiter's own store.

Flask-Limiter's decorator costs a vote more than the vote's SQL did: it resolves the
route's limits, blueprint exemptions and request filters on every call, and the moving
window it is configured with (right for logins, where a burst at a window's edge matters)
is a Lua script over a list in Redis. Votes need neither: a person's vote budget
(``VOTE_RATE_LIMIT``) is generous, so a fixed window (one INCR with its expiry, one round
trip) bounds a script just as well, and the twice-the-limit burst a fixed window allows at
its edge is still far under what would hurt. The counters live in the same storage as every
other limit (Redis when configured, else memory), so several workers on several machines
share them, and ``RATELIMIT_ENABLED`` switches this off with the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import redis
from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from participate.auth.loader import session_identity
from participate.extensions import limiter

_STRATEGY: dict[int, FixedWindowRateLimiter] = {}
_View = TypeVar("_View", bound=Callable[..., Any])


class Limited(TooManyRequests):
    """A 429 that knows when the window resets (the error page's Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


@lru_cache(maxsize=32)
def _items(limit: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limit))


def _strategy() -> FixedWindowRateLimiter:
    storage: Any = limiter.storage
    strategy = _STRATEGY.get(id(storage))
    if strategy is None:
        strategy = _STRATEGY[id(storage)] = FixedWindowRateLimiter(storage)
    return strategy


# Where a request's WSGI environment records the scopes it was counted in already.
_COUNTED = "participate.ratelimit.counted"


def enforce(limit: str, scope: str, key: str, environ: dict[str, Any] | None = None) -> None:
    """Count one hit of ``key`` against ``limit`` ("600 per minute;…") in ``scope``; past
    any of its windows, a 429 with the seconds until that window resets.

    Given the request's WSGI ``environ``, a request is counted once per scope, however
    many layers ask: the vote's lane (``participate.discussion.lane``) counts a vote before
    it answers or hands it to the view, and the view then asks again. A hit refused for
    the budget is not recorded, so the layer after it refuses too."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    counted: set[str] | None = None
    if environ is not None:
        counted = environ.setdefault(_COUNTED, set())
        if scope in counted:
            return
    strategy = _strategy()
    storage: Any = limiter.storage
    own_line = type(storage) is RedisStorage
    for item in _items(limit):
        if own_line:
            allowed = _redis_incr(storage, item.key_for(scope, key), item.get_expiry()) <= (
                item.amount
            )
        else:
            allowed = strategy.hit(item, scope, key)
        if not allowed:
            reset = strategy.get_window_stats(item, scope, key).reset_time
            raise Limited(max(1, int(reset - time.time()) + 1))
    if counted is not None:
        counted.add(scope)


_LINES = threading.local()


def _redis_incr(storage: RedisStorage, key: str, expiry: int) -> int:
    """The fixed window's one round trip (the ``limits`` Redis storage's own INCR-and-expire
    script, on its own key: the same counter ``strategy.hit`` moves), sent on this thread's
    own connection. Through the storage's shared pool each command also took a connection
    from the pool, polled it for stale data and gave it back: measured 120 against 52 us of
    CPU a call (``redis-py``, one EVALSHA). A request thread sends one command at a time, so
    a connection of its own needs no lock; a broken one is dropped and made anew on the
    next call, and the error reaches the caller as the storage's would."""
    line = getattr(_LINES, "line", None)
    if line is None or line[0] is not storage:
        pool = storage.get_connection().connection_pool
        client = redis.Redis(
            connection_pool=redis.ConnectionPool(
                connection_class=pool.connection_class, **pool.connection_kwargs
            ),
            single_connection_client=True,
        )
        line = _LINES.line = (storage, client)
    try:
        return int(storage.lua_incr_expire([storage.prefixed_key(key)], [expiry, 1], line[1]))
    except storage.base_exceptions as exc:
        _LINES.line = None
        line[1].close()
        if storage.wrap_exceptions:
            raise StorageError(exc) from exc
        raise


def person_key() -> str:
    """The hot writes are limited per person, not per address: many people share a
    school's NAT. The person is the one the signed session names (no database read: the
    write reads the account in its own query); a visitor is limited by address."""
    identity = session_identity()
    if identity is not None:
        return key_of_person(identity[0])
    return f"ip:{request.remote_addr}"


def key_of_person(user_id: int) -> str:
    """:func:`person_key` for a person known by id (the vote's lane reads the cookie itself)."""
    return f"user:{user_id}"


def counts_itself(view: _View) -> _View:
    """A view that counts its hits with :func:`enforce` (the vote, the endorsement):
    exempt from Flask-Limiter's limits, and its check before every request is skipped
    (:func:`skip_before_views_that_count_themselves`)."""
    view.counts_itself = True  # type: ignore[attr-defined]
    return limiter.exempt(view)


def skip_before_views_that_count_themselves(app: Flask) -> None:
    """Flask-Limiter checks its limits before every request, and for a view marked
    :func:`counts_itself` it still names the endpoint, calls the request filters and
    resolves the meta limits' exemptions before finding nothing to count: a few percent of
    a vote's CPU (measured with py-spy in ``bench/votes.py``). Its before-request hook is
    wrapped to return at once for such a view (the mark on the view function decides, no
    list of names); every other request is checked as before. With limits switched off
    (``RATELIMIT_ENABLED``) Flask-Limiter registers no check, and there is nothing to wrap;
    switched on, a Flask-Limiter that registers its check some other way stops the app
    from starting, rather than letting the votes be counted twice."""
    if not limiter.enabled:
        return
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in hooks:
        raise RuntimeError("Flask-Limiter's before-request check was not found")
    views = app.view_functions

    def check_unless_counted() -> None:
        rule = request.url_rule
        if rule is not None and getattr(views.get(rule.endpoint), "counts_itself", False):
            return None
        return check()

    hooks[hooks.index(check)] = check_unless_counted
