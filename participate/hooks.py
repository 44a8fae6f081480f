"""Extension points other areas register into at import, so the account area stays small.

- ``personal_data``: functions ``(user) -> (key, data)`` adding to "download my data".
- ``account_deletion``: functions ``(user) -> None`` run inside the deletion transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

personal_data: list[Callable[[Any], tuple[str, Any]]] = []
account_deletion: list[Callable[[Any], None]] = []

# Main navigation: ``(endpoint, label)`` pairs, in order, added by each area's views module.
nav: list[tuple[str, Any]] = []
# Banners above every page: functions returning ``[{"kind": "warning", "text": ...}]``.
banners: list[Callable[[], list[dict[str, Any]]]] = []
# Template names included on the home page, in order (e.g. "proposals/_home.html").
home_sections: list[str] = []
# Demo data loaders ``(echo) -> None`` run by ``flask seed-demo`` after accounts and agencies;
# each must be idempotent (a second run adds nothing).
demo_seeders: list[Callable[[Callable[[str], None]], None]] = []
# Called with a discussion id after a vote has been committed (the report area schedules
# the opinion analysis from here); must be cheap: it runs on the vote hot path.
vote_recorded: list[Callable[[int], None]] = []
# Full-text search: functions yielding ``participate.search.SearchDoc`` for every item an area
# wants searchable; ``flask reindex`` rebuilds the index from all of them.
search_sources: list[Callable[[], Any]] = []
