"""Extension points other areas register into at import, so the account area stays small.

- ``personal_data``: functions ``(user) -> (key, data)`` adding to "download my data".
- ``account_deletion``: functions ``(user) -> None`` run inside the deletion transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

# --- Moderation (the moderation area registers the handlers; writers call them) ---------


@dataclass(frozen=True)
class ScreenRequest:
    """Content about to be published: ``kind`` is "statement", "reply", "proposal" or "user"."""

    user: Any
    kind: str
    text: str
    discussion_id: int | None = None


@dataclass(frozen=True)
class ScreenResult:
    """``action``: "publish", "hold" (hidden until a moderator approves) or "reject"."""

    action: str
    reason: str
    message: str = ""


# Called by write functions before content is published; the strictest result wins.
content_screeners: list[Callable[[ScreenRequest], ScreenResult | None]] = []
# Called first in every write rule as ``guard(user, action, target=None)``; a guard raises
# ``participate.auth.rules.RuleError`` (status 403) to refuse, e.g. for a suspended user.
write_guards: list[Callable[..., None]] = []
# Called with the Report after it was committed (the moderation area auto-hides from here).
report_filed: list[Callable[[Any], None]] = []


def screen(request: ScreenRequest) -> ScreenResult | None:
    """Run every screener; "reject" beats "hold" beats publish (None)."""
    worst: ScreenResult | None = None
    for screener in content_screeners:
        result = screener(request)
        if result is None or result.action == "publish":
            continue
        if worst is None or (result.action == "reject" and worst.action != "reject"):
            worst = result
    return worst


# Full-text search: functions yielding ``participate.search.SearchDoc`` for every item an area
# wants searchable; ``flask reindex`` rebuilds the index from all of them.
search_sources: list[Callable[[], Any]] = []
