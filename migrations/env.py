"""Alembic environment: runs migrations on the app's own engine and metadata."""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")
config = context.config


def _db():
    return current_app.extensions["migrate"].db


def run_offline() -> None:
    context.configure(
        url=str(_db().engine.url).replace("%", "%%"),
        target_metadata=_db().metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    def skip_empty(ctx, revision, directives):  # noqa: ANN001 - alembic's callback signature
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    with _db().engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations copy and drop tables; with foreign keys on, SQLite refuses to
            # drop a referenced table that has rows. Checks resume on the next connection.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=_db().metadata,
            process_revision_directives=skip_empty,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
