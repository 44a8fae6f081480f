"""``flask reindex`` and ``flask opendata-build``: each command is one unit of work
(:func:`participate.boundary.command`): it commits once when it succeeds and rolls back when
it fails, like a request."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from participate.boundary import command


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the full-text search index (proposals, consultations, statements, responses)."""
    from participate import search

    started = time.perf_counter()
    with command():
        n = search.rebuild(echo=click.echo)
    click.echo(f"Indexed {n} documents in {time.perf_counter() - started:.1f} s.")


@click.command("opendata-build")
@click.option("--queue", is_flag=True, help="Queue the build for the worker instead.")
@with_appcontext
def opendata_build_command(queue: bool) -> None:
    """Build the open-data dumps now (the worker also builds them nightly)."""
    if queue:
        from participate.api.tasks import build_open_data

        with command():
            build_open_data()
        click.echo("Queued.")
        return
    from participate.opendata.build import build, dumps_dir

    started = time.perf_counter()
    with command():
        manifest = build()
    click.echo(
        f"Wrote {len(manifest['files'])} files to {dumps_dir()} "
        f"in {time.perf_counter() - started:.1f} s."
    )
