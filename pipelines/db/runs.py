"""Sources and crawl-run bookkeeping, done before and after a crawl (never on the reactor)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from crawler.config import Source
from pipelines.db.models import CrawlRun, SourceRow
from pipelines.db.rows import upsert


def ensure_source(engine: Engine, source: Source) -> int:
    """The id of the source's row, created on first use (safe when two crawlers race)."""
    with engine.begin() as connection:
        connection.execute(
            upsert(connection, SourceRow)
            .values(name=source.name, home_url=source.home, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return connection.execute(
            select(SourceRow.id).where(SourceRow.name == source.name)
        ).scalar_one()


def start_run(
    engine: Engine,
    source_id: int,
    *,
    trigger: str = "manual",
    worker: str | None = None,
    job_id: int | None = None,
) -> tuple[int, str]:
    """Record a run as `running`; returns its row id and UUID (`worker`, `job_id`: the
    cluster worker and job that run it)."""
    run_uuid = str(uuid.uuid4())
    with engine.begin() as connection:
        run_id = connection.execute(
            insert(CrawlRun)
            .values(
                run_uuid=run_uuid,
                source_id=source_id,
                status="running",
                trigger=trigger,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                worker=worker,
                job_id=job_id,
                started_at=datetime.now(UTC),
                pages_fetched=0,
                articles_new=0,
                articles_updated=0,
                articles_unchanged=0,
                bytes_archived=0,
                warc_files=[],
                stats={},
            )
            .returning(CrawlRun.id)
        ).scalar_one()
    return run_id, run_uuid


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int],
    warc_files: Iterable[str] = (),
    stats: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a run with its outcome and numbers."""
    with engine.begin() as connection:
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(
                status=status,
                finished_at=datetime.now(UTC),
                pages_fetched=counts.get("pages", 0),
                articles_new=counts.get("new", 0),
                articles_updated=counts.get("updated", 0),
                articles_unchanged=counts.get("unchanged", 0),
                bytes_archived=counts.get("bytes", 0),
                warc_files=list(warc_files),
                stats=_jsonable(stats or {}),
                error=error,
            )
        )


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    """Scrapy stats hold datetimes and other objects; JSON columns want plain values."""
    plain: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            plain[key] = value.isoformat()
        elif isinstance(value, (str, int, float, bool, list)) or value is None:
            plain[key] = value
        else:
            plain[key] = str(value)
    return plain
