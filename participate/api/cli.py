"""``flask reindex``: rebuild the search index from every registered source."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the full-text search index (proposals, consultations, statements, responses)."""
    from participate import search

    started = time.perf_counter()
    n = search.rebuild(echo=click.echo)
    click.echo(f"Indexed {n} documents in {time.perf_counter() - started:.1f} s.")


def register(app: Flask) -> None:
    app.cli.add_command(reindex_command)
