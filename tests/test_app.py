"""The app as a whole: health, errors, headers, configuration, translations, migrations, demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from sqlalchemy import func, select

from participate.config import ConfigError, load_config
from participate.extensions import db
from participate.i18n import merged_catalog
from participate.models import Agency, User

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_reports_database_and_queue(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True
    assert "worker_alive" in body["queue"]


def test_error_pages_in_both_languages(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert 'lang="zh-Hant-TW"' in html
    assert "找不到" in html
    client.get("/lang/en")
    html = client.get("/no-such-page").get_data(as_text=True)
    assert 'lang="en"' in html and "We could not find that page." in html
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"


def test_english_browser_gets_english_by_default(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html
    html = client.get("/", headers={"Accept-Language": "zh-TW,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="zh-Hant-TW"' in html


def test_security_headers_and_csp_nonce(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in resp.get_data(as_text=True)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert client.get("/").headers["Content-Security-Policy"] != csp  # fresh nonce per request


def test_an_answer_without_a_page_gets_the_policy_without_a_nonce(client):
    """JSON and redirects have no script to allow: the same policy, no nonce made for it."""
    for resp in (client.get("/healthz"), client.get("/api/v1/proposals")):
        assert resp.status_code == 200 and resp.is_json
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "nonce" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setenv("PARTICIPATE_ENV", "production")
    monkeypatch.delenv("PARTICIPATE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config()
    monkeypatch.setenv("PARTICIPATE_SECRET_KEY", "too-short")
    with pytest.raises(ConfigError):
        load_config()
    monkeypatch.setenv("PARTICIPATE_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("PARTICIPATE_PHONE_HMAC_KEY", raising=False)
    with pytest.raises(ConfigError):  # the key of the mobile numbers' hashes is required too
        load_config()
    monkeypatch.setenv("PARTICIPATE_PHONE_HMAC_KEY", "k" * 40)
    cfg = load_config()
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["DEV_OUTBOX"] is False


def test_database_and_redis_urls_from_environment(monkeypatch):
    monkeypatch.setenv("PARTICIPATE_DATABASE_URL", "postgresql+psycopg://u@db/participate")
    monkeypatch.setenv("PARTICIPATE_REDIS_URL", "redis://cache:6379/1")
    cfg = load_config()
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/participate"
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/1"


def test_outbox_hidden_when_disabled(app, client):
    app.config["DEV_OUTBOX"] = False
    assert client.get("/dev/outbox").status_code == 404


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.participate.tw" in first.output
    with app.app_context():
        counts = {
            m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in db.Model.__subclasses__()
            if hasattr(m, "__table__")
        }
        assert counts["Agency"] >= 3 and counts["User"] >= 4
        assert db.session.scalar(select(Agency).where(Agency.name_zh == "交通部")) is not None
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        again = {
            m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in db.Model.__subclasses__()
            if hasattr(m, "__table__")
        }
    assert again == counts
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == "staff@demo.participate.tw"))
        assert staff.agency.name_zh == "交通部"


def _msgids() -> set[str]:
    found: set[str] = set()
    method_map = [
        ("participate/**.py", "python"),
        ("templates/**.html", "jinja2.ext:babel_extract"),
    ]
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        options_map={"templates/**.html": {}},
        keywords={**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None},
    ):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            found.add(message)
    return found


def test_every_message_has_a_traditional_chinese_translation():
    catalog = merged_catalog("zh_Hant_TW")
    missing = sorted(m for m in _msgids() if not catalog.get(m) or not catalog.get(m).string)
    assert not missing, f"{len(missing)} messages lack zh_Hant_TW translations: {missing[:30]}"


def test_migrations_match_the_models(app):
    """A model change without its migration fails here, on both databases. This is alembic's
    own autogenerate check run through migrations/env.py, so its ``include_object`` filter
    (which leaves out the full-text objects the search migration makes by raw SQL) is the
    one being tested, and every other difference, types included, counts."""
    from alembic.util import AutogenerateDiffsDetected

    with app.app_context():
        try:
            _autogenerate_check()
        except AutogenerateDiffsDetected as exc:
            pytest.fail(str(exc))


def test_migration_check_still_sees_tables_named_like_search(app):
    """The filter is exact: a stray table whose name merely starts with ``search_`` is a
    difference (the old check ignored anything mentioning "search_")."""
    from alembic.util import AutogenerateDiffsDetected
    from sqlalchemy import text

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE search_document_extra (id INTEGER PRIMARY KEY)"))
        try:
            with pytest.raises(AutogenerateDiffsDetected, match="search_document_extra"):
                _autogenerate_check()
        finally:
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE search_document_extra"))


def _autogenerate_check() -> None:
    """``flask db check`` without its sys.exit: raises AutogenerateDiffsDetected."""
    from alembic import command
    from flask import current_app

    command.check(current_app.extensions["migrate"].migrate.get_config())
