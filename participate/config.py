"""Configuration, read from ``PARTICIPATE_*`` environment variables in this one place.

Defaults are safe for a laptop (SQLite, Huey's SQLite storage, mail to the log); production
is selected with ``PARTICIPATE_ENV=production`` and then refuses to start without a real
secret key, so a forgotten variable cannot ship a guessable session signer.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PARTICIPATE_INSTANCE_PATH", ROOT / "instance"))
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production below


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PARTICIPATE_{name}", default)


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = _env(name)
    return float(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _date(name: str) -> date | None:
    raw = _env(name)
    return date.fromisoformat(raw) if raw else None


# The largest request body accepted. The biggest legitimate one is an agency's response to a
# proposal with 10 measures: 20,000 + 10 x (10,000 + 120) characters, about 121,000; in the
# urlencoded form a browser sends, each CJK character is 9 bytes ("%E4%B8%AD") and an emoji 12,
# so about 1.1 MB (1.45 MB in the worst case). A consultation (draft text 50,000, background
# 10,000) is about 0.6 MB. 1.5 MiB admits all of them and refuses anything much larger before
# it is read.
MAX_CONTENT_LENGTH = 3 * 512 * 1024
# Multipart text parts are parsed in memory: no single field of ours is near 500,000 bytes (the
# longest, 50,000 characters, is at most 200,000 bytes of UTF-8). We take no file uploads.
MAX_FORM_MEMORY_SIZE = 500_000
# A response form has about 5 fields per measure plus the linked-statement checkboxes.
MAX_FORM_PARTS = 1_000


IDENTITY_LEVEL_NAMES = ("none", "email", "mobile", "gov")
DEFAULT_IDENTITY_LEVELS = {
    "read": "none",
    "comment": "email",
    "vote": "email",
    "answer": "email",
    "endorse": "mobile",
    "propose": "mobile",
}


def _levels(raw: str | None) -> dict[str, str]:
    """The default levels, with the ``action=level`` pairs of ``raw`` over them."""
    levels = dict(DEFAULT_IDENTITY_LEVELS)
    for pair in (raw or "").replace(";", ",").split(","):
        if not pair.strip():
            continue
        action, _sep, level = pair.partition("=")
        action, level = action.strip(), level.strip()
        if action not in levels or level not in IDENTITY_LEVEL_NAMES:
            raise ConfigError(
                f"PARTICIPATE_IDENTITY_LEVELS: {pair.strip()!r} is not action=level "
                f"(actions {', '.join(levels)}; levels {', '.join(IDENTITY_LEVEL_NAMES)})"
            )
        levels[action] = level
    return levels


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE / 'participate.db'}"


class ConfigError(RuntimeError):
    """Raised at start-up when the environment cannot make a safe app."""


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, then apply ``overrides``.

    A function rather than classes so tests can build many apps with different settings
    in one process without import-time state.
    """
    env = _env("ENV", "development")
    redis_url = _env("REDIS_URL")
    cfg: dict[str, Any] = {
        "ENV_NAME": env,
        "SECRET_KEY": _env("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", default_database_url()),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Seconds a new PostgreSQL connection may take (unless the URL sets connect_timeout):
        # without it a database host that stopped answering holds each request's thread
        # for the system's TCP timeout, minutes, instead of failing it with a 503.
        "DATABASE_CONNECT_TIMEOUT": _int("DATABASE_CONNECT_TIMEOUT", 10),
        # Seconds a PostgreSQL connection may rest in the pool before it is pinged on its
        # way out (a server restart then costs no request); busier ones are trusted.
        "DATABASE_PING_AFTER_IDLE": _int("DATABASE_PING_AFTER_IDLE", 2),
        # Bodies over the limit answer 413 before they are read (see the constants above).
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", MAX_CONTENT_LENGTH),
        "MAX_FORM_MEMORY_SIZE": MAX_FORM_MEMORY_SIZE,
        "MAX_FORM_PARTS": MAX_FORM_PARTS,
        # How many proxies in front of the app set X-Forwarded-For and X-Forwarded-Proto (0: the
        # app faces clients directly and the headers are ignored, since anyone can send them).
        # With the right count, rate limits key on the real client and HSTS knows HTTPS.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # X-RateLimit-* on every limited response cost a second round trip to the limiter's
        # storage per request (the window's state, read again after the hit): half the
        # limiter's cost on the vote path. Off by default; a 429 still says Retry-After
        # (participate.errors computes it).
        "RATELIMIT_HEADERS_ENABLED": _bool("RATELIMIT_HEADERS", False),
        "RATELIMIT_STRATEGY": "moving-window",
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "REGISTER_RATE_LIMIT": _env("REGISTER_RATE_LIMIT", "10 per hour"),
        "WRITE_RATE_LIMIT": _env("WRITE_RATE_LIMIT", "60 per minute"),
        "VOTE_RATE_LIMIT": _env("VOTE_RATE_LIMIT", "600 per minute"),
        # The site's JSON votes answered in front of Flask (participate.discussion.lane);
        # off, every vote goes through the view (the same answers, slower).
        "VOTE_LANE": _bool("VOTE_LANE", True),
        # The duplicate warning asks while people type (one request per pause), per person
        # (per address when logged out); past the limit it stays quiet until the minute ends,
        # and the check when the statement is posted still warns.
        "SIMILAR_RATE_LIMIT": _env("SIMILAR_RATE_LIMIT", "30 per minute"),
        "MAIL_SERVER": _env("MAIL_SERVER"),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_SENDER": _env("MAIL_SENDER", "participate <no-reply@localhost>"),
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000"),
        "DEV_OUTBOX": _bool("DEV_OUTBOX", env != "production"),
        "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
        "LANGUAGES": ["zh_Hant_TW", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "TOKEN_MAX_AGE_VERIFY": _int("TOKEN_MAX_AGE_VERIFY", 60 * 60 * 48),
        "TOKEN_MAX_AGE_RESET": _int("TOKEN_MAX_AGE_RESET", 60 * 60),
        "PASSWORD_MIN_LENGTH": 10,
        "HUEY_IMMEDIATE": _bool("HUEY_IMMEDIATE", False),
        "HEARTBEAT_STALE_SECONDS": _int("HEARTBEAT_STALE_SECONDS", 180),
        # The proposal lifecycle (join.gov.tw defaults), overridable per site.
        "ENDORSEMENT_DAYS": _int("ENDORSEMENT_DAYS", 60),
        "ENDORSEMENT_THRESHOLD": _int("ENDORSEMENT_THRESHOLD", 5000),
        "RESPONSE_DAYS": _int("RESPONSE_DAYS", 60),
        "REVIEW_WORKING_DAYS": _int("REVIEW_WORKING_DAYS", 5),
        "REACTION_DAYS_AFTER_RESPONSE": _int("REACTION_DAYS_AFTER_RESPONSE", 3),
        "CONSULTATION_DAYS": _int("CONSULTATION_DAYS", 60),
        "MAX_PROPOSAL_AGENCIES": _int("MAX_PROPOSAL_AGENCIES", 3),
        # Draft regulations (法規預告): the comment period (shorter only with a stated
        # reason, never below the minimum) and the days after it to publish the responses.
        "REGULATION_COMMENT_DAYS": _int("REGULATION_COMMENT_DAYS", 60),
        "REGULATION_MIN_COMMENT_DAYS": _int("REGULATION_MIN_COMMENT_DAYS", 7),
        "REGULATION_RESPONSE_DAYS": _int("REGULATION_RESPONSE_DAYS", 30),
        "ELECTION_FREEZE_START": _date("ELECTION_FREEZE_START"),
        "ELECTION_FREEZE_END": _date("ELECTION_FREEZE_END"),
        "ANALYSIS_DEBOUNCE_SECONDS": _float("ANALYSIS_DEBOUNCE_SECONDS", 30),
        "ANALYSIS_MIN_DELAY_SECONDS": _float("ANALYSIS_MIN_DELAY_SECONDS", 2),
        "ANALYSIS_GRACE_SECONDS": _float("ANALYSIS_GRACE_SECONDS", 120),
        "ANALYSIS_RETRY_BASE_SECONDS": _float("ANALYSIS_RETRY_BASE_SECONDS", 30),
        "ANALYSIS_RETRY_MAX_SECONDS": _float("ANALYSIS_RETRY_MAX_SECONDS", 3600),
        "ANALYSIS_RUN_TIMEOUT_SECONDS": _float("ANALYSIS_RUN_TIMEOUT_SECONDS", 900),
        "API_READ_RATE_LIMIT": _env("API_READ_RATE_LIMIT", "600 per minute"),
        "API_WRITE_RATE_LIMIT": _env("API_WRITE_RATE_LIMIT", "60 per minute"),
        "OPENDATA_DIR": _env("OPENDATA_DIR"),  # default: instance/opendata
        # Moderation. Reports from this many distinct people hide an item pending review.
        "MODERATION_REPORT_THRESHOLD": _int("MODERATION_REPORT_THRESHOLD", 3),
        # Extra banned words/patterns, comma or newline separated ("re:" prefix = regex);
        # moderators also keep a list in the database (the "Banned words" page).
        "MODERATION_BANNED_WORDS": _env("MODERATION_BANNED_WORDS", ""),
        # A post with at least this many links waits for review (0 = off).
        "MODERATION_MAX_LINKS": _int("MODERATION_MAX_LINKS", 3),
        # Posts from accounts younger than this wait for review (0 = off; e.g. 24 during a
        # brigading wave). Off by default: holding every newcomer buries the moderators.
        "MODERATION_NEW_ACCOUNT_HOURS": _int("MODERATION_NEW_ACCOUNT_HOURS", 0),
        # Accounts younger than this whose content gets held or reported are flagged.
        "MODERATION_FLAG_ACCOUNT_HOURS": _int("MODERATION_FLAG_ACCOUNT_HOURS", 72),
        # Flood detection: the same text from this many accounts within the window.
        "MODERATION_FLOOD_MINUTES": _int("MODERATION_FLOOD_MINUTES", 10),
        "MODERATION_FLOOD_ACCOUNTS": _int("MODERATION_FLOOD_ACCOUNTS", 3),
        "MODERATION_FLOOD_SIMILARITY": _float("MODERATION_FLOOD_SIMILARITY", 0.85),
        # Alerts to moderators: queue longer than this, or an item older than this many
        # hours; at most one alert per interval.
        "MODERATION_ALERT_QUEUE_SIZE": _int("MODERATION_ALERT_QUEUE_SIZE", 50),
        "MODERATION_ALERT_AGE_HOURS": _int("MODERATION_ALERT_AGE_HOURS", 48),
        "MODERATION_ALERT_INTERVAL_HOURS": _int("MODERATION_ALERT_INTERVAL_HOURS", 6),
        # Agency staff may moderate the consultations their agency is responsible for.
        "MODERATION_AGENCY_STAFF": _bool("MODERATION_AGENCY_STAFF", False),
        "MODERATION_PAGE_SIZE": _int("MODERATION_PAGE_SIZE", 25),
        # How long after a decision the author may appeal.
        "MODERATION_APPEAL_DAYS": _int("MODERATION_APPEAL_DAYS", 14),
        # Staff (agency staff, moderators, admins) need a TOTP second factor, given in the
        # session, before any staff power works. Keep it on; the demo accounts come enrolled.
        "REQUIRE_STAFF_2FA": _bool("REQUIRE_STAFF_2FA", True),
        "MFA_RATE_LIMIT": _env("MFA_RATE_LIMIT", "5 per minute;20 per hour"),
        # Key for the TOTP secrets at rest (default: derived from SECRET_KEY).
        "MFA_ENCRYPTION_KEY": _env("MFA_ENCRYPTION_KEY"),
        # Government digital identity (OpenID Connect). Off unless all three are set.
        "OIDC_ISSUER": _env("OIDC_ISSUER"),
        "OIDC_CLIENT_ID": _env("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": _env("OIDC_CLIENT_SECRET"),
        "OIDC_SCOPES": _env("OIDC_SCOPES", "openid"),
        # Key of the HMAC kept instead of the OpenID subject (default: derived from SECRET_KEY;
        # set it in production so rotating SECRET_KEY does not orphan every link).
        "OIDC_HMAC_KEY": _env("OIDC_HMAC_KEY"),
        # Identity levels (participate/policy/identity.py): the level each action needs,
        # "none" < "email" < "mobile" < "gov"; e.g. PARTICIPATE_IDENTITY_LEVELS=
        # "endorse=gov,propose=mobile" changes only the actions it names.
        "IDENTITY_LEVELS": _levels(_env("IDENTITY_LEVELS", "")),
        # Mobile verification: the country calling codes accepted (886 = Taiwan, whose
        # numbers are checked as 09xxxxxxxx), the SMS gateway ("dev": the dev outbox;
        # "http": POST to SMS_HTTP_URL), the key of the numbers' HMAC, the codes' limits.
        "SMS_COUNTRIES": [
            c.strip().lstrip("+")
            for c in (_env("SMS_COUNTRIES", "886") or "").split(",")
            if c.strip()
        ],
        "SMS_GATEWAY": _env("SMS_GATEWAY", "dev"),
        "SMS_HTTP_URL": _env("SMS_HTTP_URL"),
        "SMS_HTTP_TOKEN": _env("SMS_HTTP_TOKEN"),
        "SMS_SENDER": _env("SMS_SENDER", "participate"),
        "PHONE_HMAC_KEY": _env("PHONE_HMAC_KEY"),
        "PHONE_CODE_MINUTES": _int("PHONE_CODE_MINUTES", 10),
        "PHONE_CODE_MAX_TRIES": _int("PHONE_CODE_MAX_TRIES", 5),
        "PHONE_CODES_PER_NUMBER_PER_DAY": _int("PHONE_CODES_PER_NUMBER_PER_DAY", 5),
        "PHONE_CODES_PER_ACCOUNT_PER_DAY": _int("PHONE_CODES_PER_ACCOUNT_PER_DAY", 5),
        "PHONE_CODES_PER_CLIENT_PER_HOUR": _int("PHONE_CODES_PER_CLIENT_PER_HOUR", 10),
        "SMS_RATE_LIMIT": _env("SMS_RATE_LIMIT", "5 per 10 minutes;20 per day"),
        # Days a deleted account's number hash is kept (so it cannot endorse twice).
        "PHONE_RETENTION_DAYS": _int("PHONE_RETENTION_DAYS", 365),
        # The integrity panel: an hour is a burst above this many times the proposal's
        # median hourly rate, and with at least INTEGRITY_BURST_MIN endorsements.
        "INTEGRITY_BURST_FACTOR": _float("INTEGRITY_BURST_FACTOR", 5),
        "INTEGRITY_BURST_MIN": _int("INTEGRITY_BURST_MIN", 10),
        "TESTING": False,
    }
    if overrides:
        cfg.update(overrides)
    if cfg["ENV_NAME"] == "production" and cfg["SECRET_KEY"] in (None, "", DEV_SECRET):
        raise ConfigError("PARTICIPATE_SECRET_KEY must be set to a long random value in production")
    if not isinstance(cfg["TRUSTED_PROXIES"], int) or cfg["TRUSTED_PROXIES"] < 0:
        raise ConfigError("PARTICIPATE_TRUSTED_PROXIES must be 0 or the number of proxies")
    if cfg["ENV_NAME"] == "production" and len(str(cfg["SECRET_KEY"])) < 32:
        raise ConfigError("PARTICIPATE_SECRET_KEY must be at least 32 characters in production")
    if cfg["ENV_NAME"] == "production" and len(str(cfg.get("PHONE_HMAC_KEY") or "")) < 32:
        raise ConfigError(
            "PARTICIPATE_PHONE_HMAC_KEY must be set to a long random value in production "
            "(it keys the hashes of verified mobile numbers; never change it)"
        )
    return cfg
