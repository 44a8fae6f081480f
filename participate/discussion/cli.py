"""``flask import-polis DIR --proposal ID`` and ``flask export-polis ID DIR``.

Each runs as one unit of work (:func:`participate.boundary.command`): a malformed export, an
unknown proposal or a refusal ends with one line naming the file, the row and the column,
a non-zero exit, and nothing written.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from participate.boundary import command
from participate.cli import freeze_objects
from participate.extensions import db
from participate.models import Proposal
from participate.models.discussion import get_or_create_discussion
from participate.security import MAX_ID

PROPOSAL_ID = click.IntRange(1, MAX_ID)
SLOW_KEYS_HINT = 100_000  # vote events from which per-row key checks are worth a hint


def _encoding(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Imported here: nlp.polis_io brings scipy, which the web app and the worker's other
    # commands need not load when the app starts.
    from nlp.polis_io import check_encoding

    try:
        return check_encoding(value)
    except LookupError:
        raise click.BadParameter(_("unknown encoding: %(name)s", name=value)) from None


def _proposal(proposal_id: int, hint: str) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise click.BadParameter(_("no proposal with id %(id)d", id=proposal_id), param_hint=hint)
    return proposal


@click.command("import-polis")
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, readable=True, path_type=Path)
)
@click.option("--proposal", "proposal_id", type=PROPOSAL_ID, required=True, help="Proposal id.")
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    callback=_encoding,
    help="Encoding of the CSV files (big5 and cp950 are common in Taiwanese government "
    "files). A UTF-8 or UTF-16 byte-order mark is detected and wins.",
)
@click.option(
    "--exclusive",
    is_flag=True,
    help="PostgreSQL: check the vote tables' keys and build their indexes once at the end "
    "instead of per vote (several times faster for millions of votes), locking the vote and "
    "account tables until the import ends: for a new site or a maintenance window.",
)
@with_appcontext
def import_polis_command(folder: Path, proposal_id: int, encoding: str, exclusive: bool) -> None:
    """Load a Pol.is export (comments.csv, votes.csv) into a proposal's discussion.

    Pol.is participants become placeholder accounts named polis-<id> (no email, no password).
    Every file is checked before anything is written; the first problem is reported with
    its file, row and column, and nothing is imported.
    """
    from participate.discussion.polis import PolisFormatError, describe, import_polis

    started = time.perf_counter()
    freeze_objects()
    try:
        with command():  # all or nothing
            proposal = _proposal(proposal_id, "--proposal")
            result = import_polis(folder, proposal, encoding=encoding, exclusive=exclusive)
    except PolisFormatError as exc:
        raise click.ClickException(describe(exc)) from exc
    click.echo(
        f"Imported into discussion {result.discussion_id}: {result.statements} statements "
        f"({result.hidden} hidden), {result.participants} participants, "
        f"{result.vote_events} vote events ({result.votes} current votes) "
        f"in {time.perf_counter() - started:.1f} s."
    )
    click.echo("Steps (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items()))
    slow_keys = not result.keys_set_based and result.vote_events >= SLOW_KEYS_HINT
    if slow_keys and db.engine.dialect.name == "postgresql":
        click.echo(
            "The database checked the votes' keys one row at a time. On PostgreSQL 15 or "
            "later, GRANT SET ON PARAMETER session_replication_role TO the app's role to let "
            "the import check them once per participant and statement instead."
        )
    freeze_objects()


@click.command("export-polis")
@click.argument("proposal_id", type=PROPOSAL_ID)
@click.argument("folder", type=click.Path(file_okay=False, writable=True, path_type=Path))
@click.option("--include-hidden", is_flag=True, help="Also export hidden statements.")
@with_appcontext
def export_polis_command(proposal_id: int, folder: Path, include_hidden: bool) -> None:
    """Write a proposal's discussion as a Pol.is export (participants pseudonymised)."""
    from participate.discussion.polis import export_polis

    with command():  # keeps the discussion row when this export was the first to need it
        discussion = get_or_create_discussion(_proposal(proposal_id, "PROPOSAL_ID"))
        stats = export_polis(discussion, folder, include_hidden=include_hidden)
    click.echo(
        f"Wrote {folder}: {stats['statements']} statements, {stats['vote_events']} vote events, "
        f"{stats['voters']} voters."
    )


def register(app: Flask) -> None:
    app.cli.add_command(import_polis_command)
    app.cli.add_command(export_polis_command)
