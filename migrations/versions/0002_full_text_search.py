"""full-text search over article titles and bodies

SQLite: an external-content FTS5 table `articles_fts` on `articles`, kept in sync by triggers
named as sqlite-utils names them, so Datasette and sqlite-utils find and use it. PostgreSQL: a
stored generated `tsvector` column (title weight A, body B) with a GIN index. Both tokenize the
same way (no stemming, no stop words, diacritics kept) so a query finds the same articles.

The FTS table and the PostgreSQL column are deliberately outside the models: the drift check
skips them (pipelines/schema.py). A later SQLite batch migration that recreates `articles`
drops these triggers; it must call `create_sqlite_triggers()` again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END""",
    """CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END""",
    # Only title and body changes touch the index: a recrawl that bumps last_seen costs nothing.
    """CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END""",
)

PG_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'B')"
)


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            'CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content="articles", '
            "content_rowid=\"id\", tokenize='unicode61 remove_diacritics 0')"
        )
        create_sqlite_triggers()
        op.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(
            f"ALTER TABLE articles ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_au", "articles_ad", "articles_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
