"""``flask analyse --proposal ID`` (or ``--all``): run the opinion analysis now, in this
process, without a worker; useful right after ``flask import-polis`` and for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from participate.boundary import command
from participate.cli import freeze_objects
from participate.extensions import db
from participate.models import Discussion, Vote
from participate.reports import scheduler
from participate.security import MAX_ID


@click.command("analyse")
@click.option(
    "--proposal",
    "proposal_id",
    type=click.IntRange(1, MAX_ID),
    help="Analyse this proposal's discussion.",
)
@click.option("--all", "everything", is_flag=True, help="Analyse every discussion with votes.")
@with_appcontext
def analyse_command(proposal_id: int | None, everything: bool) -> None:
    """Run the analysis synchronously: the worker's job (same units of work, same rows, same
    one-run rule), without the follow-up scheduling."""
    if everything == (proposal_id is not None):
        raise click.UsageError("give either --proposal ID or --all")
    freeze_objects()
    with command():
        if everything:
            ids = sorted(set(db.session.scalars(select(Vote.discussion_id).distinct())))
        else:
            found = db.session.scalar(
                select(Discussion.id).where(Discussion.proposal_id == proposal_id)
            )
            if found is None:
                raise click.BadParameter(
                    f"proposal {proposal_id} has no discussion", param_hint="--proposal"
                )
            ids = [found]
        failed = 0
        for discussion_id in ids:
            outcome = scheduler.run_analysis(discussion_id, "command", requeue=False)
            click.echo(
                f"discussion {discussion_id}: {outcome.status}"
                + (f" ({outcome.error})" if outcome.error else "")
            )
            failed += outcome.status == "failed"
    freeze_objects()
    if failed:
        raise click.ClickException(f"{failed} analysis run(s) failed")


def register(app: Flask) -> None:
    """Add the report area's commands (called from the area's ``init_app``)."""
    app.cli.add_command(analyse_command)
