"""The parent blueprint: registers the search page, the API, the token page and downloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from participate import signals
from participate.api import (
    project_views,  # noqa: F401 - its routes register on the v1 blueprint
    regulation_views,  # noqa: F401 - its routes register on the v1 blueprint
    survey_views,  # noqa: F401 - its routes register on the v1 blueprint
    tokens,
)
from participate.api.cli import opendata_build_command, reindex_command
from participate.api.search_views import bp as search_bp
from participate.api.token_views import bp as tokens_bp
from participate.api.v1 import bp as v1_bp
from participate.opendata.views import bp as opendata_bp
from participate.signals import NavItem

# cli_group=None puts the commands at the top level: ``flask reindex``.
bp = Blueprint("api", __name__, cli_group=None)
bp.cli.add_command(reindex_command)
bp.cli.add_command(opendata_build_command)
bp.register_blueprint(search_bp)
bp.register_blueprint(v1_bp)  # with the survey routes survey_views added to it
bp.register_blueprint(tokens_bp)
bp.register_blueprint(opendata_bp)


def navigation(_sender: Any = None) -> list[NavItem]:
    return [
        NavItem("api.search.page", _l("Search"), 30),
        NavItem("api.opendata.index", _l("Open data"), 31),
    ]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.personal_data, tokens.personal_data)
    signals.connect(signals.account_deleting, tokens.revoke_on_deletion)
