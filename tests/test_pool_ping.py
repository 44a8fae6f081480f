"""PostgreSQL connections are pinged when they come out of the pool after a rest, not on
every checkout (participate._ping_when_idle): a connection the server dropped while it
rested is replaced without failing the request that takes it; one back in use at once is
trusted, so a busy server pays no round trip per request."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

import participate
from participate.extensions import db
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="server connections")


@pytest.fixture()
def own_app(app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app with its own pool on the suite's database (so dropping its connections
    leaves the suite's pool alone), pinging connections that rested ``request.param``
    seconds."""
    other = participate.create_app({**app.config, "DATABASE_PING_AFTER_IDLE": request.param})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_the_pools_connection(app: Flask) -> None:
    """Use one connection and return it to the pool, then have the server end it."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


def _query(app: Flask) -> int:
    with app.app_context():
        try:
            return db.session.execute(text("SELECT 1")).scalar()
        finally:
            db.session.remove()


@pytest.mark.parametrize("own_app", [0], indirect=True)  # every checkout has rested
def test_a_connection_dropped_while_resting_is_replaced_unseen(own_app):
    _drop_the_pools_connection(own_app)
    assert _query(own_app) == 1


@pytest.mark.parametrize("own_app", [3600], indirect=True)
def test_a_connection_back_in_use_at_once_is_not_pinged(own_app):
    # The other side of the same rule: no ping, so the dropped connection is found out by
    # the query itself (SQLAlchemy then discards it and the next request gets a new one).
    _drop_the_pools_connection(own_app)
    with pytest.raises(OperationalError):
        _query(own_app)
    assert _query(own_app) == 1
