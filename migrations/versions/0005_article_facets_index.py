"""covering index of the article facets

The web interface counts the articles a search finds by source, category, agency, language,
author and month (`newshub_archive.facets`). Reading those columns from the table means
reading every matching row, bodies included; this index holds them all (PostgreSQL includes
the id), so the counts come from the index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["source_id", "category", "agency", "language", "author", "published_at"]


def upgrade() -> None:
    op.create_index(
        "ix_articles_facets", "articles", COLUMNS, postgresql_include=["id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_articles_facets", table_name="articles")
