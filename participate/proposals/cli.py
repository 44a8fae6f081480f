"""``flask proposals sweep`` and ``flask proposals digest``: run the periodic work by hand
(cron on a host without a Huey consumer, or after restoring a backup). Each command is one
unit of work: committed when it succeeds, its mail sent after the commit."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from participate.boundary import command

group = AppGroup("proposals", help="Proposal lifecycle maintenance.")


@group.command("sweep")
def sweep_command() -> None:
    """Store lapses and closures that are due and notify followers."""
    from participate.proposals.notifications import deliver_pending
    from participate.proposals.operations import sweep

    with command():
        changed = sweep()
    with command():
        mailed = deliver_pending(digest=False)
    click.echo(f"{changed} status changes stored, {mailed} people mailed")


@group.command("digest")
def digest_command() -> None:
    """Send the daily digest now."""
    from participate.proposals.notifications import deliver_pending

    with command():
        sent = deliver_pending(digest=True)
    click.echo(f"{sent} digests sent")


def register(app: Flask) -> None:
    app.cli.add_command(group)
