"""Moderation pages: the one queue with its decisions (proposals in review included),
accounts and suspensions, locks and pre-moderation of discussions, banned words, the
moderators' log, the public transparency page, and on the author's side "my moderation
notices" with the appeal form.

Thin views: parse, ask the policy to show or hide, call an operation
(``moderation.operations``), render; the request boundary commits. The routes live in the
``*_views`` modules on the blueprint of ``common_views``; this module registers them, the
navigation badges and the suspension banner. Pages work without JavaScript;
``static/moderation.js`` only adds "select all" to the bulk form.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_login import current_user

from participate import policy, signals
from participate.moderation import (  # noqa: F401 - each registers its routes on the blueprint
    account_views,
    queries,
    queue_views,
    site_views,
)
from participate.moderation.common_views import bp
from participate.moderation.operations import suspension_message
from participate.signals import NavItem


def _queue_badge() -> str | None:
    if not current_user.is_authenticated or not policy.can_see_queue(current_user):
        return None
    count = queries.open_count(current_user)
    return _("Moderation (%(count)d)", count=count) if count else _("Moderation")


def _notices_badge() -> str | None:
    if not current_user.is_authenticated:
        return None
    count = queries.unread_notices(current_user)
    return _("Moderation notices (%(count)d)", count=count) if count else None


def navigation(_sender: Any = None) -> list[NavItem]:
    return [
        NavItem("moderation.queue", _queue_badge, 20),
        NavItem("moderation.notices", _notices_badge, 21),
    ]


def banners(_sender: Any = None) -> list[dict[str, Any]]:
    """Tell a suspended person, above every page, why they cannot write and until when.
    (A lock is shown by the discussion's own pages.)"""
    try:
        if current_user.is_authenticated and current_user.is_suspended():
            return [{"kind": "warning", "text": suspension_message(current_user)}]
    except RuntimeError:  # outside a request (mail templates)
        pass
    return []


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.moderation import data

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.banners, banners)
    signals.connect(signals.personal_data, data.personal_data)
    signals.connect(signals.account_deleting, data.delete_personal_data)
