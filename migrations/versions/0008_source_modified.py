"""the source's own change signals, as it gave them

`articles.source_modified` keeps the WordPress REST API's `modified_gmt` of the article as last
seen, `articles.source_lastmod` its sitemap `<lastmod>` text, both raw: a recrawl treats any
difference as a change, whatever the site's clock or timezone says. Plain ADD/DROP COLUMN (no
batch table copy), so the SQLite full-text triggers of 0002 stay.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("source_modified", sa.Text()), ("source_lastmod", sa.Text()))


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("articles", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        # SQLite >= 3.35 drops a column in place; a batch copy would lose the FTS triggers.
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
