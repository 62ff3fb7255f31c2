"""Scheduled sources as `newshub schedule list` shows them, read without the daemon."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import Engine, column, inspect, select, table

from crawler.config import Source

JOB_TABLE = "apscheduler_jobs"


@dataclasses.dataclass(frozen=True)
class JobInfo:
    """A scheduled source as `newshub schedule list` shows it."""

    source: str
    schedule: str | None
    next_run: datetime | None
    in_config: bool
    in_store: bool


def scheduled_jobs(engine: Engine | None, sources: dict[str, Source]) -> list[JobInfo]:
    """Every configured schedule and every stored job, with the stored next run time.

    Reads the job table directly (no unpickling), so listing works while the daemon runs.
    """
    stored: dict[str, datetime | None] = {}
    if engine is not None and inspect(engine).has_table(JOB_TABLE):  # None: no database yet
        jobs = table(JOB_TABLE, column("id"), column("next_run_time"))
        with engine.connect() as connection:
            for job_id, stamp in connection.execute(select(jobs.c.id, jobs.c.next_run_time)):
                stored[job_id] = None if stamp is None else datetime.fromtimestamp(stamp, UTC)
    names = sorted({n for n, s in sources.items() if s.schedule} | stored.keys())
    return [
        JobInfo(
            source=name,
            schedule=sources[name].schedule if name in sources else None,
            next_run=stored.get(name),
            in_config=name in sources and bool(sources[name].schedule),
            in_store=name in stored,
        )
        for name in names
    ]
