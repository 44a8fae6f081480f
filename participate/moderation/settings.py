"""The moderation area's settings: defaults here, ``PARTICIPATE_MODERATION_*`` overrides.

Kept in this module (not in participate/config.py) so the area stays self-contained; they
are put into ``app.config`` with ``setdefault`` when the blueprint is registered, so tests
and deployments can still override them through ``create_app(config)``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, current_app

DEFAULTS: dict[str, Any] = {
    # Reports from this many distinct people hide an item pending review.
    "MODERATION_REPORT_THRESHOLD": 3,
    # Extra banned words/patterns, comma or newline separated ("re:" prefix = regex);
    # moderators also keep a list in the database (the "Banned words" page).
    "MODERATION_BANNED_WORDS": "",
    # A post with at least this many links waits for review (0 = off).
    "MODERATION_MAX_LINKS": 3,
    # Posts from accounts younger than this wait for review (0 = off; e.g. 24 during a
    # brigading wave). Off by default: holding every newcomer buries the moderators.
    "MODERATION_NEW_ACCOUNT_HOURS": 0,
    # Accounts younger than this whose content gets held or reported are flagged.
    "MODERATION_FLAG_ACCOUNT_HOURS": 72,
    # Flood detection: the same text from this many accounts within the window.
    "MODERATION_FLOOD_MINUTES": 10,
    "MODERATION_FLOOD_ACCOUNTS": 3,
    "MODERATION_FLOOD_SIMILARITY": 0.85,
    # Alerts to moderators: queue longer than this, or an item older than this many hours;
    # at most one alert per interval.
    "MODERATION_ALERT_QUEUE_SIZE": 50,
    "MODERATION_ALERT_AGE_HOURS": 48,
    "MODERATION_ALERT_INTERVAL_HOURS": 6,
    # Agency staff may moderate the consultations their agency opened.
    "MODERATION_AGENCY_STAFF": False,
    "MODERATION_PAGE_SIZE": 25,
    # How long after a decision the author may appeal.
    "MODERATION_APPEAL_DAYS": 14,
}


def _parse(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def init_config(app: Flask) -> None:
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"PARTICIPATE_{key}")
        app.config.setdefault(key, _parse(raw, default) if raw not in (None, "") else default)


def cfg(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])
