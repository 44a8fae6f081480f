"""Alembic environment: runs migrations on the app's own engine and metadata."""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")
config = context.config


def _db():
    return current_app.extensions["migrate"].db


# Full-text search objects created by raw SQL in the search_0001 migration, next to the
# search_document table the models do describe: on SQLite the FTS5 table over search_text
# and the shadow tables FTS5 makes for it (search_document_fts_data, _idx, _docsize,
# _config); on PostgreSQL the generated tsvector column and its GIN index.
FTS_TABLE = "search_document_fts"
DATABASE_ONLY = {
    ("column", "search_document", "search_tsv"),
    ("index", "search_document", "ix_search_document_tsv"),
}


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001 - alembic's hook
    """Leave out of autogenerate (and the model-vs-migration test) exactly the full-text
    objects the models cannot describe; every other difference still counts."""
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    table = getattr(getattr(obj, "table", None), "name", None)
    return (type_, table, name) not in DATABASE_ONLY


def run_offline() -> None:
    context.configure(
        url=str(_db().engine.url).replace("%", "%%"),
        target_metadata=_db().metadata,
        include_object=include_object,
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
            # drop a referenced table that has rows, so they are off while migrating. Said
            # to the driver directly, outside any transaction (inside one it is ignored).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=_db().metadata,
            process_revision_directives=skip_empty,
            include_object=include_object,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "sqlite":
            # This connection goes back to the pool: give it its foreign keys back.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
