"""dedup key of archived payloads

`captures.dedup_key` is the lookup key of a capture's payload for deduplication across crawls
(`pipelines.warc.dedup`: Content-Encoding plus SHA-1 of the decoded payload); a crawl loads its
source's keys at start and writes a `revisit` record for a payload already archived.
Plain ADD/DROP COLUMN, like 0003, so no batch table copy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("captures", sa.Column("dedup_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_captures_dedup_key"), "captures", ["dedup_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_captures_dedup_key"), table_name="captures")
    # SQLite >= 3.35 drops a column in place; a batch copy would rebuild the table.
    op.execute("ALTER TABLE captures DROP COLUMN dedup_key")
