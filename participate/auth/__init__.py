"""The auth area."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from participate.auth.views import bp

    app.register_blueprint(bp)
