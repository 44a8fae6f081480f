"""The moderation area's settings, read from the app config (defaults and the
``PARTICIPATE_MODERATION_*`` variables are in :mod:`participate.config`)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def cfg(name: str) -> Any:
    return current_app.config[name]
