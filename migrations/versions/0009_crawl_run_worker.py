"""the cluster worker and job of a crawl run

`newshub worker` processes run crawls on any host of a cluster (crawler.scheduling.worker);
each run records which worker (host:pid) ran it and the id of its Procrastinate job, so
`newshub runs` and the web interface say where a crawl ran and the engine's own tables can be
joined to the history. Both stay NULL for crawls started outside a cluster.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch table copy (as 0003): other tables point at crawl_runs.
    op.add_column("crawl_runs", sa.Column("worker", sa.String(length=255), nullable=True))
    op.add_column("crawl_runs", sa.Column("job_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for name in ("job_id", "worker"):
        op.execute(f"ALTER TABLE crawl_runs DROP COLUMN {name}")
