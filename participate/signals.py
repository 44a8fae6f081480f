"""The extension points several areas contribute to, as blinker signals.

Only where more than one area really adds something: a single consumer is called directly.
Each area connects its receivers in its own ``init_app`` (named in ``create_app``), so
reading an area's ``__init__.py`` shows everything it plugs into.

- ``personal_data``: ``send(user)``; each receiver returns ``(key, data)`` for "download my
  data".
- ``account_deleting``: ``send(user)``; each receiver erases the area's personal data of
  the account, inside the deletion's transaction (it flushes, never commits).
- ``navigation``: ``send()``; each receiver returns a list of :class:`NavItem`.
- ``banners``: ``send()``; each receiver returns a list of ``{"kind", "text"}`` notes shown
  above every page (a suspension, an election freeze, stale analyses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace

_signals = Namespace()

personal_data = _signals.signal("personal-data")
account_deleting = _signals.signal("account-deleting")
navigation = _signals.signal("navigation")
banners = _signals.signal("banners")


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation; a callable label is computed per request (a count)
    and hides the item when it returns None. Lower ``order`` comes first."""

    endpoint: str
    label: Any
    order: int = 50


def collect(signal: Any, *args: Any) -> list[Any]:
    """Every receiver's list, concatenated (receivers connected without a sender)."""
    found: list[Any] = []
    for _receiver, result in signal.send(*args) if args else signal.send():
        found.extend(result or [])
    return found


def connect(signal: Any, receiver: Callable[..., Any]) -> None:
    """Connect ``receiver`` strongly (areas' module functions live as long as the process);
    connecting the same function again, as every ``create_app`` in the tests does, is a no-op."""
    signal.connect(receiver, weak=False)
