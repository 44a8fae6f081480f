"""The in-memory rate-limit storage (no Redis configured) under concurrent requests: the
suite once saw a 500 ("threads can only be started once") when several survey answers
arrived together and two threads restarted the library's expiry timer at once."""

from __future__ import annotations

import sys
import threading
import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from participate.extensions import limiter
from participate.ratelimit_storage import ThreadSafeMemoryStorage


def test_without_redis_the_app_limits_in_the_thread_safe_storage(app):
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("participate-memory://")
    with app.app_context():
        assert isinstance(limiter.storage, ThreadSafeMemoryStorage)


def test_threads_arriving_together_never_fail_a_limit_check(app):
    """Eight threads hit the limit at the same moment, again and again, each time after the
    expiry timer has run out (the moment the library restarts it). Forced thread switches
    make the old check-then-start race show within a few rounds (it failed 1 to 4 times in
    every run of this loop on the library's own storage)."""
    with app.app_context():
        storage = limiter.storage
    strategy = MovingWindowRateLimiter(storage)
    item = parse("1000000/minute")
    errors: list[BaseException] = []
    together = threading.Barrier(8)

    def hit(i: int) -> None:
        for _ in range(150):
            together.wait()
            try:
                strategy.hit(item, f"race-{i}")
            except RuntimeError as exc:
                errors.append(exc)
            if i == 0:
                time.sleep(0.015)  # the timer (10 ms) runs out before the next round

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=hit, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
