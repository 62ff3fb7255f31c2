"""The daemon's stored jobs: kept in step with the config, and listed without the daemon."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, column, inspect, select, table

from crawler.config import Source

logger = logging.getLogger(__name__)

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


def reconcile(
    scheduler: Any,
    store: Any,
    wanted: dict[str, tuple[Any, dict[str, Any]]],
    job: Callable[..., None],
    misfire_grace_time: int,
) -> dict[str, str]:
    """Add, change and remove stored jobs so they are `wanted` (source -> trigger, job kwargs);
    says per source what it did: added, changed, kept, removed.

    An unchanged job keeps its stored next run time, so a restart does not shift it.
    """
    store.start(scheduler, "default")
    existing = {stored.id: stored for stored in store.get_all_jobs()}
    actions: dict[str, str] = {}
    for name in sorted(existing.keys() - wanted.keys()):
        store.remove_job(name)
        actions[name] = "removed"
    for name, (trigger, spec) in sorted(wanted.items()):
        stored = existing.get(name)
        if stored is not None and _same(stored, trigger, spec, misfire_grace_time):
            actions[name] = "kept"
            continue
        scheduler.add_job(
            job,
            trigger,
            args=[name],
            kwargs=spec,
            id=name,
            name=f"crawl {name}",
            replace_existing=True,
        )
        actions[name] = "changed" if stored is not None else "added"
    for name, action in actions.items():
        logger.info("job %s: %s", name, action)
    return actions


def _same(job: Any, trigger: Any, spec: dict[str, Any], grace: int) -> bool:
    return (
        job.kwargs == spec
        and str(job.trigger) == str(trigger)
        and getattr(job.trigger, "jitter", None) == getattr(trigger, "jitter", None)
        and job.misfire_grace_time == grace
    )
