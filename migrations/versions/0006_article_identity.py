"""article identity, removals and language editions

`articles.post_id` is the site's own id of a post (WordPress `?p=ID`), unique per source, so a
post whose slug, date path or category changes stays one row. `articles.removed_at` is when the
site was first seen to have removed an article (404/410 or a redirect to its home page);
`articles.translation_group` links the language editions of one article. `article_events`
keeps the history: moves (old and new URL), removals and returns.

Plain ADD/DROP COLUMN (no batch table copy), so the SQLite full-text triggers of 0002 stay.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("post_id", sa.String(length=32)),
    ("removed_at", sa.DateTime(timezone=True)),
    ("translation_group", sa.Text()),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("articles", sa.Column(name, type_, nullable=True))
    op.create_index(
        "ix_articles_source_id_post_id", "articles", ["source_id", "post_id"], unique=True
    )
    op.create_index("ix_articles_removed_at", "articles", ["removed_at"])
    op.create_index("ix_articles_translation_group", "articles", ["translation_group"])
    op.create_table(
        "article_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_url", sa.Text(), nullable=True),
        sa.Column("new_url", sa.Text(), nullable=True),
        sa.Column("detail", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_events_article_id_articles"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_article_events_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_article_events"),
    )
    op.create_index("ix_article_events_article_id", "article_events", ["article_id"])
    op.create_index(
        "ix_article_events_source_id_old_url", "article_events", ["source_id", "old_url"]
    )


def downgrade() -> None:
    op.drop_index("ix_article_events_source_id_old_url", table_name="article_events")
    op.drop_index("ix_article_events_article_id", table_name="article_events")
    op.drop_table("article_events")
    op.drop_index("ix_articles_translation_group", table_name="articles")
    op.drop_index("ix_articles_removed_at", table_name="articles")
    op.drop_index("ix_articles_source_id_post_id", table_name="articles")
    for name, _ in reversed(COLUMNS):
        # SQLite >= 3.35 drops a column in place; a batch copy would lose the FTS triggers.
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
