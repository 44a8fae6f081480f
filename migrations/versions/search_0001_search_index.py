"""search index: search_document, FTS5 on SQLite, stored GIN-indexed tsvector on PostgreSQL

Revision ID: search_0001
Revises: moderation_0002
Create Date: 2026-11-27 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = "moderation_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("agency_ids", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("kind", "item_id", name="uq_search_document_kind_item"),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index("ix_search_document_proposal", ["proposal_id"], unique=False)
        batch_op.create_index(
            "ix_search_document_cover",
            ["id", "visible", "updated_at", "kind", "status", "agency_ids"],
            unique=False,
        )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # External-content FTS5 table kept in step with search_document by triggers, so a
        # plain DELETE on search_document (reindex, test cleanup) empties it too.
        op.execute(
            "CREATE VIRTUAL TABLE search_document_fts USING fts5("
            "search_text, content='search_document', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
            "INSERT INTO search_document_fts(rowid, search_text) "
            "VALUES (new.id, new.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
            "INSERT INTO search_document_fts(search_document_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
            "INSERT INTO search_document_fts(search_document_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO search_document_fts(rowid, search_text) "
            "VALUES (new.id, new.search_text); END"
        )
    elif bind.dialect.name == "postgresql":
        # The 'simple' tsvector of search_text, stored (a generated column) so ranking does not
        # re-parse every matching row; GIN-indexed for the @@ match.
        op.execute(
            "ALTER TABLE search_document ADD COLUMN search_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute("CREATE INDEX ix_search_document_tsv ON search_document USING gin (search_tsv)")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("search_document_ai", "search_document_ad", "search_document_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_document_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_document_tsv")
        op.execute("ALTER TABLE search_document DROP COLUMN IF EXISTS search_tsv")
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_cover")
        batch_op.drop_index("ix_search_document_proposal")
    op.drop_table("search_document")
