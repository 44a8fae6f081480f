"""Fixtures: a real database (SQLite file or a throwaway PostgreSQL database), migrated
with Alembic exactly as in production, emptied after every test; factories for users
and agencies; a test client that carries CSRF tokens like a browser; a live server and
Chromium for browser tests.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("PARTICIPATE_TEST_BACKEND", "sqlite")
POLIS_DATA = Path(os.environ.get("PARTICIPATE_POLIS_DATA", ROOT.parent / "shared/data/polis"))
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"
# Every staff account the factories make has this authenticator key (staff act only with
# their second factor; the helpers below give it the way a person would).
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
STAFF_ROLES = ("agency_staff", "moderator", "admin")

os.environ.setdefault("PARTICIPATE_HUEY_IMMEDIATE", "1")


def pytest_report_header(config: pytest.Config) -> str:
    return f"participate: database backend = {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    import psycopg

    admin_url = make_url(os.environ["PARTICIPATE_TEST_DATABASE_URL"])
    name = f"participate_test_{secrets.token_hex(4)}"
    conninfo = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from participate import create_app
    from participate.jobs import huey

    huey.immediate = True
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
            "MAIL_SERVER": None,
            "DEV_OUTBOX": True,
        }
    )
    with application.app_context():
        upgrade(revision="head")  # one head: a branched history fails here, loudly
    _SESSION_APP[:] = [application]
    yield application
    # Close pooled connections before the throwaway PostgreSQL database is dropped, or psycopg
    # warns at exit about connections the server killed (an error under filterwarnings).
    with application.app_context():
        from participate.extensions import db

        db.session.remove()
        db.engine.dispose()


def _empty_all_tables(app: Flask) -> None:
    from participate.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in tables)
                        + " RESTART IDENTITY CASCADE"
                    )
                )
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                has_seq = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first()
                if has_seq:
                    conn.execute(text("DELETE FROM sqlite_sequence"))
        for hook in CLEANUP_HOOKS:
            hook(app)


# Areas with state outside the ORM tables (search indexes...) add a cleanup here.
CLEANUP_HOOKS: list[Callable[[Flask], None]] = []


def _forget_similarity_indexes(app: Flask) -> None:
    """The duplicate warning's indexes are keyed by what the statements' ids look like;
    emptied tables start their ids again, so the next test must not meet the last one's."""
    from participate.discussion.similar import forget

    forget()


CLEANUP_HOOKS.append(_forget_similarity_indexes)


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    saved = dict(app.config)
    from participate.extensions import limiter

    limiter.reset()
    yield
    app.config.clear()
    app.config.update(saved)
    _empty_all_tables(app)


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        from participate.extensions import db

        db.session.remove()


class CsrfClient(FlaskClient):
    """A test client that sends the session's CSRF token with every form, as a browser does."""

    csrf_token: str | None = None

    def fetch_csrf(self) -> str:
        page = super().get("/auth/login" if not self._logged_in() else "/account/")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        self.csrf_token = match.group(1)
        return self.csrf_token

    def _logged_in(self) -> bool:
        with self.session_transaction() as sess:
            return "_user_id" in sess

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        if csrf and "json" not in kwargs:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token or self.fetch_csrf())
            kwargs["data"] = data
        elif csrf and "json" in kwargs:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token or self.fetch_csrf())
            kwargs["headers"] = headers
        return super().post(*args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = CsrfClient
    return app.test_client()


@pytest.fixture()
def make_agency(app: Flask) -> Callable[..., Any]:
    from participate.demo import get_or_create_agency
    from participate.extensions import db

    counter = {"n": 0}

    def make(slug: str | None = None, name_zh: str | None = None, name_en: str | None = None):
        counter["n"] += 1
        n = counter["n"]
        with app.app_context():
            agency = get_or_create_agency(
                slug or f"agency-{n}", name_zh or f"測試部{n}", name_en or f"Test Ministry {n}"
            )
            db.session.commit()
            db.session.refresh(agency)
            db.session.expunge(agency)
            return agency

    return make


@pytest.fixture()
def make_user(app: Flask) -> Callable[..., Any]:
    """``make_user(role="citizen", verified=True, agency=None, email=None, name=None,
    totp=True, mobile=None)``: staff come with an authenticator app (``totp=False`` for one
    without); ``mobile`` (default: as ``verified``) gives the account a verified mobile
    number, the level endorsing and proposing need by default."""
    from participate.auth.passwords import hash_password
    from participate.extensions import db
    from participate.models import Role, User
    from participate.timeutil import utcnow

    counter = {"n": 0}
    hashed = hash_password(PASSWORD)

    def make(
        role: str = "citizen",
        verified: bool = True,
        agency: Any = None,
        email: str | None = None,
        name: str | None = None,
        totp: bool = True,
        mobile: bool | None = None,
    ) -> Any:
        counter["n"] += 1
        with app.app_context():
            user = User(
                email=email or f"user{counter['n']}-{secrets.token_hex(3)}@example.tw",
                display_name=name or f"使用者{counter['n']}",
                password_hash=hashed,
                role=Role(role),
                agency_id=getattr(agency, "id", agency),
                email_verified_at=utcnow() if verified else None,
                privacy_accepted_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            if role in STAFF_ROLES and totp:
                enrol_staff(user)
            if verified if mobile is None else mobile:
                from participate.models import PhoneNumber

                db.session.add(PhoneNumber(number_hash=secrets.token_hex(32), user_id=user.id))
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


def enrol_staff(user: Any) -> None:
    """Give ``user`` an authenticator app with :data:`TOTP_SECRET` (inside an app context)."""
    from participate.auth import mfa
    from participate.extensions import db
    from participate.models.mfa import TotpCredential

    db.session.add(TotpCredential(user_id=user.id, secret=mfa.seal(TOTP_SECRET)))
    db.session.flush()


def mark_second_factor(app: Flask, sess: Any, user: Any) -> None:
    """For helpers that write the login session directly: write the second factor's mark
    too, as the two-step page does, when the account has an authenticator app."""
    from sqlalchemy import select

    from participate.auth import mfa
    from participate.extensions import db
    from participate.models.mfa import TotpCredential

    with app.app_context():
        credential = db.session.scalar(
            select(TotpCredential.id).where(TotpCredential.user_id == user.id)
        )
    if credential is not None:
        sess[mfa.SESSION_KEY] = f"{user.id}:{user.session_version or 1}:{credential}"


_SESSION_APP: list[Flask] = []  # the session's app, for helpers called without it


def pass_second_factor(page: Any, user: Any) -> None:
    """In Chromium, after the password: staff land on the two-step page; give the code.
    ``user`` is the account or its email address."""
    page.wait_for_url(lambda url: "/auth/login" not in url)
    if "/auth/two-factor" not in page.url:
        return
    app = _SESSION_APP[0]
    if isinstance(user, str):
        from sqlalchemy import select

        from participate.extensions import db
        from participate.models import User

        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == user))
            db.session.expunge(user)
    page.fill("#code", totp_code(app, user))
    page.locator("main form.form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/auth/two-factor" not in url)


def totp_code(app: Flask, user: Any) -> str:
    """The code the test's authenticator shows now. A code is accepted once; the helper
    forgets the last accepted step, as if the next 30 seconds had passed."""
    from sqlalchemy import update

    from participate.auth import mfa
    from participate.extensions import db
    from participate.models.mfa import TotpCredential

    with app.app_context():
        db.session.execute(
            update(TotpCredential).where(TotpCredential.user_id == user.id).values(last_step=None)
        )
        db.session.commit()
    return mfa.current_code(TOTP_SECRET)


def second_factor(app: Flask, client: FlaskClient, user: Any) -> Any:
    """Give the code on the two-step page, as a staff member does after the password."""
    resp = client.post("/auth/two-factor", data={"code": totp_code(app, user)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


@pytest.fixture()
def login(app: Flask) -> Callable[[FlaskClient, Any], FlaskClient]:
    """Log in through the login form; staff then give their second factor."""

    def do_login(client: FlaskClient, user: Any) -> FlaskClient:
        resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        client.csrf_token = None  # the session changed; fetch a fresh token
        if resp.headers["Location"].startswith("/auth/two-factor"):
            second_factor(app, client, user)
            client.csrf_token = None
        return client

    return do_login


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app served by a real HTTP server thread on 127.0.0.1, for Chromium."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context per test, failing the test on any console error."""
    context = browser.new_context(locale="zh-TW")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.console_errors = errors
    yield pg
    context.close()


def polis_dir(name: str) -> Path:
    """A real Pol.is export from ../shared, or skip: a user's clone does not have it."""
    path = POLIS_DATA / name
    if not path.is_dir():
        pytest.skip(
            f"Pol.is export {path} not present (it lives in ../shared/data/polis, "
            "which CI has and a fresh clone does not)"
        )
    return path
