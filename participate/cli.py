"""Flask CLI commands: ``create-admin``, ``seed-demo`` and each area's own commands."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import with_appcontext

from participate import search
from participate.boundary import unit


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="管理員", help="Display name.")
@click.password_option(
    envvar="PARTICIPATE_ADMIN_PASSWORD", help="Password (or PARTICIPATE_ADMIN_PASSWORD)."
)
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first administrator, or promote an existing account to administrator."""
    from participate.auth.operations import create_admin as make_admin

    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    with unit():
        user = make_admin(email, name, password)
        email = user.email or email
    click.echo(f"{email} is now an administrator.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo data (idempotent)."""
    seed_all(click.echo)


def seed_all(echo: Callable[[str], None] = print) -> None:
    """Accounts, then each area's demo content in the order they build on each other:
    proposals, the discussions of those proposals, the opinion reports of those; then the
    major projects and the draft regulations (whose comments come from the proposals'
    synthetic citizens); then the surveys."""
    from participate.demo import describe_accounts, seed_accounts
    from participate.discussion.demo import seed_demo as seed_discussions
    from participate.projects.data import seed_demo as seed_projects
    from participate.proposals.data import seed_demo as seed_proposals
    from participate.regulations.demo import seed_demo as seed_regulations
    from participate.reports.demo import seed_analyses
    from participate.surveys.demo import seed_demo as seed_surveys

    with unit():
        seed_accounts()
        seed_proposals(echo)
        seed_discussions(echo)
        seed_analyses(echo)
        seed_projects(echo)
        seed_regulations(echo)
        seed_surveys(echo)
        # The seeders write in bulk, past the operations that index what they change.
        search.rebuild()
    describe_accounts(echo)


def register_cli(app: Flask) -> None:
    """The commands that belong to no single area (each area adds its own in init_app)."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
