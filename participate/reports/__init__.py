"""The opinion report: background analysis of discussions and the report pages."""

from __future__ import annotations

from flask import Flask

from participate import signals


def init_app(app: Flask) -> None:
    from participate.reports import cli, views

    app.register_blueprint(views.bp)
    signals.connect(signals.banners, views.stale_banner)
    cli.register(app)
