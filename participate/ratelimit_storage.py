"""The in-memory rate-limit storage, safe for threads (``participate-memory://``).

Why: the ``limits`` library's MemoryStorage restarts its expiry timer with an unguarded
check-then-start. Two request threads that meet there at once (gunicorn's threads, or the
test server, when no Redis is configured) both see the timer stopped, and the second
``start()`` raises "threads can only be started once": a 500 for a reader who did nothing
wrong (seen in the suite's concurrent survey answers). Everything else in that storage
already holds per-key locks; this only serialises the restart. With Redis configured
(production), this storage is not used.
"""

from __future__ import annotations

import threading
from typing import Any

from limits.storage import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry timer is restarted by one thread at a time."""

    STORAGE_SCHEME = ["participate-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self._expiry_restart = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._expiry_restart = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_expiry_restart", None)
        return state

    # The base class calls its private ``__schedule_expiry`` under this mangled name.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the base class's name
        with self._expiry_restart:
            super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def thread_safe(uri: str | None) -> str | None:
    """The storage URI to give Flask-Limiter: ``memory://`` (the default without Redis,
    and the tests') becomes this module's storage; any other URI is kept."""
    if uri is not None and uri.startswith("memory://"):
        return "participate-memory://" + uri[len("memory://") :]
    return uri


__all__ = ["ThreadSafeMemoryStorage", "thread_safe"]
