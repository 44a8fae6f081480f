"""Open data: the versioned JSON API (/api/v1), the site search page, personal API tokens and
the open-data downloads, under one parent blueprint (``participate.api.views.bp``)."""

from __future__ import annotations

from flask import Flask

from participate import signals


def init_app(app: Flask) -> None:
    from participate.api import tokens, views

    app.register_blueprint(views.bp)
    signals.connect(signals.navigation, views.navigation)
    signals.connect(signals.personal_data, tokens.personal_data)
    signals.connect(signals.account_deleting, tokens.revoke_on_deletion)
