"""The discussion area: statements, threaded replies, votes, routing, Pol.is import/export."""

from __future__ import annotations

from flask import Flask

from participate import signals


def init_app(app: Flask) -> None:
    from participate.discussion import cli, data, views

    app.register_blueprint(views.bp)
    signals.connect(signals.personal_data, data.personal_data)
    cli.register(app)
