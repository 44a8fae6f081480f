"""Side effects that must wait for the commit: mail, notifications, search, re-analysis.

An operation never sends mail or enqueues a job itself: it adds the effect here, inside
the transaction it is writing, and :mod:`participate.boundary` runs the effects once that
transaction has committed (and drops them when it rolls back). So mail is never sent for a
write that was undone, and a mail server that fails never undoes a write.

Effects are plain functions with hashable arguments (ids, short strings). The same effect
with the same arguments is kept once per transaction: a hundred votes in one discussion
ask for one re-analysis, not a hundred.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from participate.extensions import db

_KEY = "outbox"


@dataclass(frozen=True)
class Effect:
    fn: Callable[..., Any]
    args: tuple[Hashable, ...]

    @property
    def name(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"


def add(fn: Callable[..., Any], *args: Hashable) -> None:
    """Run ``fn(*args)`` after the current transaction commits (once, however often added)."""
    pending: dict[tuple[Any, ...], Effect] = db.session.info.setdefault(_KEY, {})
    pending.setdefault((fn, args), Effect(fn, args))


def pending() -> list[Effect]:
    """What would run if the transaction committed now (tests and diagnostics read this)."""
    return list(db.session.info.get(_KEY, {}).values())


def take() -> list[Effect]:
    """Remove and return the queued effects, in the order they were first added."""
    return list(db.session.info.pop(_KEY, {}).values())


def discard() -> None:
    """Forget the queued effects: their transaction rolled back."""
    db.session.info.pop(_KEY, None)
