"""Flask CLI commands: ``create-admin``, ``seed-demo`` and each area's own commands."""

from __future__ import annotations

import gc
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from participate import search
from participate.boundary import command

NAME_LENGTH = 40  # User.display_name


def freeze_objects() -> None:
    """For a short-lived command process: the objects alive now leave the garbage
    collector's view (``gc.freeze``), so its later collections, and the final ones at exit,
    do not walk them again: about a second of ``flask analyse`` after a 2M-vote run. Not
    under tests, whose one process runs many commands and must free their cycles."""
    if not current_app.testing:
        gc.freeze()


def _checked(email: str, name: str, password: str) -> tuple[str, str]:
    """The email and the name as the sign-up form would accept them, and a password it
    would accept, or click's error naming the argument."""
    from email_validator import EmailNotValidError, validate_email

    from participate.auth.forms import common_passwords

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(
            _("%(email)s is not a valid email address: %(reason)s", email=email, reason=exc),
            param_hint="EMAIL",
        ) from exc
    if len(email) > 254:
        raise click.BadParameter(_("Use at most 254 characters."), param_hint="EMAIL")
    from participate.auth.operations import accept_display_name
    from participate.errors import RuleError

    try:  # the rule of every display name: no control, bidi or invisible character
        name = accept_display_name(name, "name")
    except RuleError as exc:
        raise click.BadParameter(exc.message, param_hint="--name") from exc
    if len(name) > NAME_LENGTH or any(ch in name for ch in "<>\"'&"):
        raise click.BadParameter(
            _("Use at most %(n)d characters, without < > \" ' &.", n=NAME_LENGTH),
            param_hint="--name",
        )
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.BadParameter(
            _("Use at least %(n)d characters.", n=minimum), param_hint="password"
        )
    if password.lower() in common_passwords() or len(set(password)) < 4:
        raise click.BadParameter(
            _("This password is too common. Choose another."), param_hint="password"
        )
    return email, name


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

    email, name = _checked(email, name, password)
    with command():
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

    with command():
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
