"""Proposals (提點子), endorsement (附議), consultations (眾開講) and official responses."""

from __future__ import annotations

from flask import Flask

from participate import signals


def init_app(app: Flask) -> None:
    from participate.proposals import cli, data, views

    app.register_blueprint(views.bp)
    signals.connect(signals.navigation, views.navigation)
    signals.connect(signals.banners, views.freeze_banner)
    signals.connect(signals.personal_data, data.export_personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
    cli.register(app)
