"""``flask identity purge-numbers``: delete the number hashes of accounts deleted longer
ago than the retention period (the daily job does it too)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from participate.boundary import command

group = AppGroup("identity", help="Identity levels: mobile numbers.")


@group.command("purge-numbers")
def purge_numbers_command() -> None:
    """Delete detached number hashes older than PARTICIPATE_PHONE_RETENTION_DAYS."""
    from participate.identity.operations import purge_detached_numbers

    with command():
        purged = purge_detached_numbers()
    click.echo(f"{purged} number hashes purged")


def register(app: Flask) -> None:
    app.cli.add_command(group)
