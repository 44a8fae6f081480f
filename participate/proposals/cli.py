"""``flask proposals sweep`` and ``flask proposals digest``: run the periodic work by hand
(cron on a host without a Huey consumer, or after restoring a backup)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

group = AppGroup("proposals", help="Proposal lifecycle maintenance.")


@group.command("sweep")
def sweep_command() -> None:
    """Store lapses and closures that are due and notify followers."""
    from participate.proposals.rules import sweep
    from participate.proposals.tasks import deliver_pending

    changed = sweep()
    mailed = deliver_pending(digest=False)
    click.echo(f"{changed} status changes stored, {mailed} people mailed")


@group.command("digest")
def digest_command() -> None:
    """Send the daily digest now."""
    from participate.proposals.tasks import deliver_pending

    click.echo(f"{deliver_pending(digest=True)} digests sent")


def register(app: Flask) -> None:
    app.cli.add_command(group)
