"""Flask CLI commands: ``create-admin``, ``seed-demo`` and each area's own commands."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from participate.boundary import unit
from participate.extensions import db
from participate.models import Role, User


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="管理員", help="Display name.")
@click.password_option(
    envvar="PARTICIPATE_ADMIN_PASSWORD", help="Password (or PARTICIPATE_ADMIN_PASSWORD)."
)
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first administrator, or promote an existing account to administrator."""
    from participate import audit
    from participate.auth.rules import hash_password, normalise_email
    from participate.timeutil import utcnow

    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    with unit():
        email = normalise_email(email)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                display_name=name,
                password_hash=hash_password(password),
                email_verified_at=utcnow(),
                privacy_accepted_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
        before = user.role.value if user.role else None
        user.role = Role.ADMIN
        user.agency_id = None
        audit.record(
            None,
            "role.change",
            "user",
            user.id,
            before={"role": before},
            after={"role": "admin"},
            via="cli",
        )
    click.echo(f"{email} is now an administrator.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo data (idempotent)."""
    seed_all(click.echo)


def seed_all(echo: Callable[[str], None] = print) -> None:
    """Accounts, then each area's demo content in the order they build on each other:
    proposals, the discussions of those proposals, the opinion reports of those."""
    from participate.demo import describe_accounts, seed_accounts
    from participate.discussion.demo import seed_demo as seed_discussions
    from participate.proposals.data import seed_demo as seed_proposals
    from participate.reports.demo import seed_analyses

    with unit():
        seed_accounts()
        seed_proposals(echo)
        seed_discussions(echo)
        seed_analyses(echo)
    describe_accounts(echo)


def register_cli(app: Flask) -> None:
    """The commands that belong to no single area (each area adds its own in init_app)."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
