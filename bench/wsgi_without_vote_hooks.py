"""gunicorn entry point for ``bench/votes.py --without-hooks``: the app without the analysis
request a vote queues for after its commit (``outbox.add(scheduler.request_analysis, ...)``),
to measure the vote path alone (analysis scheduling is measured by the default run).

The effect is dropped where every effect passes, the outbox, by the function it would run,
rather than by patching the discussion area: the vote operation's module and the name it
imports the scheduler under may change, the effect it queues stays the same. votes.py checks
afterwards that no analysis was requested, so a switch that stopped working would show.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from participate import create_app, outbox
from participate.discussion.visibility import vote_changed
from participate.reports import scheduler

_queue_effect = outbox.add


def _add_without_analysis(fn: Callable[..., Any], *args: Hashable) -> None:
    if fn is scheduler.request_analysis or fn is vote_changed:
        return
    _queue_effect(fn, *args)


outbox.add = _add_without_analysis
app = create_app()
