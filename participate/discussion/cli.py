"""``flask import-polis DIR --proposal ID`` and ``flask export-polis ID DIR``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from participate.boundary import unit
from participate.extensions import db
from participate.models import Proposal
from participate.models.discussion import get_or_create_discussion


@click.command("import-polis")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--proposal", "proposal_id", type=int, required=True, help="Proposal id.")
@with_appcontext
def import_polis_command(folder: Path, proposal_id: int) -> None:
    """Load a Pol.is export (comments.csv, votes.csv) into a proposal's discussion.

    Pol.is participants become placeholder accounts named polis-<id> (no email, no password).
    """
    from participate.discussion.polis import PolisFormatError, import_polis

    started = time.perf_counter()
    try:
        with unit():  # all or nothing
            proposal = db.session.get(Proposal, proposal_id)
            if proposal is None:
                raise click.BadParameter(
                    f"no proposal with id {proposal_id}", param_hint="--proposal"
                )
            result = import_polis(folder, proposal)
    except PolisFormatError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Imported into discussion {result.discussion_id}: {result.statements} statements "
        f"({result.hidden} hidden), {result.participants} participants, "
        f"{result.vote_events} vote events ({result.votes} current votes) "
        f"in {time.perf_counter() - started:.1f} s."
    )


@click.command("export-polis")
@click.argument("proposal_id", type=int)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--include-hidden", is_flag=True, help="Also export hidden statements.")
@with_appcontext
def export_polis_command(proposal_id: int, folder: Path, include_hidden: bool) -> None:
    """Write a proposal's discussion as a Pol.is export (participants pseudonymised)."""
    from participate.discussion.polis import export_polis

    with unit():  # keeps the discussion row when this export was the first to need it
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None:
            raise click.BadParameter(f"no proposal with id {proposal_id}", param_hint="PROPOSAL_ID")
        discussion = get_or_create_discussion(proposal)
        stats = export_polis(discussion, folder, include_hidden=include_hidden)
    click.echo(
        f"Wrote {folder}: {stats['statements']} statements, {stats['vote_events']} vote events, "
        f"{stats['voters']} voters."
    )


def register(app: Flask) -> None:
    app.cli.add_command(import_polis_command)
    app.cli.add_command(export_polis_command)
