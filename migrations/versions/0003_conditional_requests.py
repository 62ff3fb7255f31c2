"""validators for conditional recrawls

`articles.etag` and `articles.last_modified` keep the validators of the page an article was
last fetched as, so the next crawl can ask If-None-Match / If-Modified-Since and get a 304.
Plain ADD/DROP COLUMN (no batch table copy), so the SQLite full-text triggers of 0002 stay.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("etag", sa.Text()), ("last_modified", sa.String(length=64)))


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("articles", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        # SQLite >= 3.35 drops a column in place; a batch copy would lose the FTS triggers.
        op.execute(f"ALTER TABLE articles DROP COLUMN {name}")
