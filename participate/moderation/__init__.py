"""Moderation: one queue, decisions with notices and appeals, locks, suspensions, screening."""

from __future__ import annotations

from flask import Flask

from participate import signals


def init_app(app: Flask) -> None:
    from participate.moderation import data, guards, views

    app.register_blueprint(views.bp)
    signals.connect(signals.navigation, views.navigation)
    signals.connect(signals.banners, guards.banners)
    signals.connect(signals.personal_data, data.personal_data)
    signals.connect(signals.account_deleting, data.delete_personal_data)
