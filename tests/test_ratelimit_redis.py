"""The vote's limit with Redis as the store (production's): counted on the request thread's
own connection, in the same counter the ``limits`` library reads, so the 429's
Retry-After and the counts are the library's."""
# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from participate.extensions import db, limiter
from tests.consumer import redis_up
from tests.discussion_fixtures import add_statements, make_discussion  # noqa: F401

JSON = {"Accept": "application/json"}
REDIS_DB = 12


@pytest.fixture()
def redis_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the same database whose limits live in Redis; the shared limiter's
    store is given back to the session's app afterwards."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    from participate import create_app

    redis.Redis(db=REDIS_DB).flushdb()  # counters of earlier runs (ids start again at 1)
    saved = (limiter._storage, limiter._limiter)
    try:
        other = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": app.config["SECRET_KEY"],
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_DB}",
                "VOTE_RATE_LIMIT": "3 per minute",
                "SERVER_NAME": None,
                "MAIL_SERVER": None,
            }
        )
        yield other
        with other.app_context():  # its own engine: its connections closed before exit
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter._storage, limiter._limiter = saved


def test_votes_past_the_limit_get_429_with_the_window_reset(
    redis_app, make_user, login, make_discussion
):
    from participate import ratelimit

    _pid, did = make_discussion()
    sids = add_statements(redis_app, did, [f"意見 {i}" for i in range(5)])
    user = make_user()
    from tests.conftest import CsrfClient

    redis_app.test_client_class = CsrfClient
    client = login(redis_app.test_client(), user)
    answers = [
        client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
        for sid in sids[:4]
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "error" in answers[-1].get_json()
    with redis_app.app_context():
        (item,) = ratelimit._items("3 per minute")
        stats = ratelimit._strategy().get_window_stats(item, "vote", f"user:{user.id}")
        assert stats.remaining == 0  # the library reads the counter the votes moved
    # another thread of the same process has its own connection and the same counter
    seen: list[int] = []
    thread = threading.Thread(
        target=lambda: seen.append(
            client.post(
                f"/discussion/statements/{sids[4]}/vote", data={"value": "agree"}, headers=JSON
            ).status_code
        )
    )
    thread.start()
    thread.join()
    assert seen == [429]
