"""sample index for bounded facet counts on PostgreSQL

A search matching most of a large archive counts its facets on a sample of the matches
(`newshub_archive.search_bounds`): the articles whose id falls in some residues modulo 64.
On PostgreSQL this expression index lets the sample be intersected with the full-text
index's matches (BitmapAnd), so only the sample's rows are read. SQLite samples inside its
FTS5 index and needs nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_articles_sample_bucket ON articles ((id % 64))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_sample_bucket")
