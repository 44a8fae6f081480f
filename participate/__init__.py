"""participate: a public-participation deliberation platform."""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

from participate.config import INSTANCE, ROOT, load_config
from participate.sqlite_writer import BUSY_TIMEOUT, TurnTakingConnection


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides environment settings (tests use it).

    The cyclic garbage collector is paused while the app is built: importing the areas
    creates some hundred thousand objects (models, forms, templates' globals), none of
    them garbage, and the collector's passes over them were 0.3 s of every process start
    (a worker, the job consumer, each ``flask`` command), measured. It runs again after.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_app(config)
    finally:
        if paused:
            gc.enable()


def _build_app(config: dict[str, Any] | None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(config))
    INSTANCE.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)

    from participate import security
    from participate.signed import RememberingSessionInterface

    # The edge, before any blueprint adds a route: every <int:...> is an id in the database's
    # range (out-of-range ones answer 404 from routing), no text segment holds a control
    # character, every JSON body has a bounded depth (the client's address and scheme come
    # from the trusted proxies: last, below).
    app.url_map.converters["int"] = security.IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = security.TextConverter
    app.url_map.converters["path"] = security.TextPathConverter
    app.json = security.BoundedJSONProvider(app)
    app.session_interface = RememberingSessionInterface()

    from participate.extensions import babel, csrf, db, limiter, login_manager, migrate
    from participate.i18n import ensure_compiled, select_locale, select_timezone

    _engine_options(app)
    db.init_app(app)
    with app.app_context():
        _ping_when_idle(db.engine, float(app.config.get("DATABASE_PING_AFTER_IDLE") or 0))
    migrate.init_app(app, db, render_as_batch=True, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    ensure_compiled()
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "participate" / "translations"),
    )
    from participate.ratelimit_storage import thread_safe

    app.config["RATELIMIT_STORAGE_URI"] = thread_safe(app.config.get("RATELIMIT_STORAGE_URI"))
    limiter.init_app(app)
    from participate import ratelimit

    ratelimit.skip_before_views_that_count_themselves(app)
    login_manager.init_app(app)

    from participate import models  # noqa: F401 - registers every table on the metadata
    from participate.auth.views import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    # Flask-Login's own sentence is English; it is flashed through our catalogue instead.
    from flask_babel import gettext

    login_manager.login_message = "Please log in to open this page."
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"

    from participate import errors, paging, templating

    security.init_app(app)
    paging.init_app(app)  # ?page= and the other query arguments, checked before any view
    errors.init_app(app)
    templating.init_app(app)

    from participate import boundary
    from participate.account import views as account
    from participate.admin import views as admin
    from participate.api import views as api
    from participate.auth import views as auth
    from participate.cli import register_cli
    from participate.discussion import views as discussion
    from participate.identity import views as identity
    from participate.main import views as main
    from participate.moderation import views as moderation
    from participate.participants import views as participants
    from participate.projects import views as projects
    from participate.proposals import views as proposals
    from participate.regulations import views as regulations
    from participate.reports import views as reports
    from participate.surveys import views as surveys

    # Every area, explicitly and in this order (navigation and demo data build on it): a
    # missing area fails here, loudly. Each area's init_app registers its blueprint, its
    # CLI commands and its receivers of the signals in participate.signals.
    for area in (
        main,
        auth,
        account,
        admin,
        identity,
        proposals,
        discussion,
        reports,
        regulations,
        moderation,
        participants,
        surveys,
        projects,
        api,
    ):
        area.init_app(app)
    register_cli(app)
    boundary.init_app(app)  # last: it commits before the other after-request functions run
    # The outermost WSGI layer: every layer inside it (the vote's lane too) sees the
    # client's address and scheme as the trusted proxies gave them.
    security.trust_proxies(app)
    return app


def _engine_options(app: Flask) -> None:
    """No liveness ping on every checkout: it was a round trip (a statement on SQLite) on
    every request. A file does not go away the way a server connection does; PostgreSQL's
    connections are pinged when they come out of the pool after a rest
    (:func:`_ping_when_idle`). PostgreSQL connects with a timeout
    (``DATABASE_CONNECT_TIMEOUT``) unless the URL names one."""
    url = make_url(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["pool_pre_ping"] = False
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        timeout = int(app.config.get("DATABASE_CONNECT_TIMEOUT") or 0)
        if timeout > 0:
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault("connect_timeout", timeout)
            options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """Ping a server connection only when it comes out of the pool after a rest of
    ``idle`` seconds or more (``DATABASE_PING_AFTER_IDLE``): a
    restarted server (or a dropped idle connection) then costs one retried checkout, not a
    failed request, as a ping on every checkout did; under load, when connections go back
    to work within milliseconds, no request pays the round trip. A connection that broke
    while busy fails its own request, and SQLAlchemy then discards the pool's others."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine.pool, "checkin")
    def _rested(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < idle:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error for a dead connection
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the connection did not answer its ping")


@event.listens_for(Engine, "do_connect")
def _sqlite_turns(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    """SQLite connections whose writers take turns (participate.sqlite_writer). Set as the
    engine connects rather than in the engine's options, which an app's config carries
    along: an app made from a SQLite app's config for another database must not get it."""
    if dialect.name == "sqlite":
        cparams.setdefault("factory", TurnTakingConnection)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL and a busy timeout make SQLite hold up under several gunicorn workers."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
