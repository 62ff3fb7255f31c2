"""Run history: skipped runs, runs whose process died, and what `newshub runs` lists.

A `running` row outlives its process when the process is killed (kill -9, OOM, a reboot).
Such rows are found at the next run's start and marked `interrupted`, so no stale row lives
forever and the history says what really happened.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update

from pipelines.db.models import ArticleVersion, Capture, CrawlRun, SourceRow
from pipelines.db.runs import finish_run, start_run

STATUSES = ("running", "finished", "failed", "skipped", "interrupted")


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """One crawl_runs row as the CLI shows it."""

    id: int
    source: str
    status: str
    trigger: str
    hostname: str
    pid: int
    started_at: datetime
    finished_at: datetime | None
    pages: int
    new: int
    updated: int
    unchanged: int
    error: str | None
    # Scrapy's and newshub's counters for the run (`log_count/ERROR`, `newshub/db_errors`, ...).
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The cluster worker (host:pid) and job that ran it; None outside a cluster.
    worker: str | None = None
    job_id: int | None = None

    @property
    def ran_on(self) -> str:
        """Where the run ran: its worker and job in a cluster, else its host and pid."""
        if self.worker:
            job = f" job {self.job_id}" if self.job_id is not None else ""
            return f"worker {self.worker}{job}"
        return f"{self.hostname}:{self.pid}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def reap_dead_runs(
    engine: Engine,
    source_id: int,
    *,
    current_run: int,
    lock_free: Callable[[str], bool] | None = None,
    shared: bool = False,
) -> list[int]:
    """Mark `running` runs whose process is gone as `interrupted`; returns their ids.

    Call it holding the source's run lock: then every `running` run of the source but the
    current one, on any host, is dead (a live one would hold the lock). A run of another
    source is dead when it ran on this host and its process is gone, or when `lock_free` says
    nobody holds that source's lock (a run takes the lock before it writes its row).
    `shared`: the caller holds the lock shared (a frontier worker), so other runs of its
    source may be live workers: they are judged like runs of other sources.
    """
    host = socket.gethostname()
    runs, sources = CrawlRun.__table__, SourceRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(runs.c.id, runs.c.source_id, runs.c.hostname, runs.c.pid, sources.c.name)
            .join(sources, sources.c.id == runs.c.source_id)
            .where(runs.c.status == "running", runs.c.id != current_run)
        ).all()

    def dead(row: Any) -> bool:
        if row.source_id == source_id and not shared:
            return True
        if row.hostname == host and not pid_alive(row.pid):
            return True
        return lock_free is not None and lock_free(row.name)

    found = [row.id for row in rows if dead(row)]
    note = "the crawl process ended without closing its run"
    for run_id in found:
        interrupt_run(engine, run_id, f"{note} (found by run {current_run})")
    return found


def interrupt_run(engine: Engine, run_id: int, reason: str) -> bool:
    """Mark a `running` run `interrupted`, with the counts of what it stored; False if it
    was not running (its process closed it meanwhile)."""
    with engine.begin() as connection:
        counts = stored_counts(connection, run_id)
        changed = connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id, CrawlRun.status == "running")
            .values(
                status="interrupted",
                finished_at=datetime.now(UTC),
                pages_fetched=counts["pages"],
                articles_new=counts["new"],
                articles_updated=counts["updated"],
                bytes_archived=counts["bytes"],
                error=reason,
            )
        )
    return changed.rowcount == 1


def stored_counts(connection: Connection, run_id: int) -> dict[str, int]:
    """What a run stored, from its rows: captures (pages, bytes of their WARC response
    records) and article versions from those captures (new: an article's first version)."""
    captures, versions = Capture.__table__, ArticleVersion.__table__
    pages, size = connection.execute(
        select(func.count(), func.coalesce(func.sum(captures.c.warc_length), 0)).where(
            captures.c.run_id == run_id
        )
    ).one()
    first = (
        select(versions.c.article_id, func.min(versions.c.id).label("first_id"))
        .group_by(versions.c.article_id)
        .subquery()
    )
    in_run = (
        select(versions.c.id, versions.c.article_id)
        .join(captures, captures.c.warc_record_id == versions.c.warc_record_id)
        .where(captures.c.run_id == run_id)
        .subquery()
    )
    is_first = in_run.c.id == first.c.first_id
    new, updated = connection.execute(
        select(
            func.coalesce(func.sum(case((is_first, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_first, 0), else_=1)), 0),
        ).select_from(in_run.join(first, first.c.article_id == in_run.c.article_id))
    ).one()
    return {"pages": pages, "bytes": int(size), "new": int(new), "updated": int(updated)}


def explain_stopped_run(
    engine: Engine, pid: int, since: datetime, reason: str, *, host: str | None = None
) -> int | None:
    """Say on the run of crawl process `pid` (started after `since`) why it was stopped.

    A run still `running` (the process died before closing it) becomes `interrupted` with
    its stored counts; a run the process closed keeps its status and gains the reason.
    """
    runs = CrawlRun.__table__
    with engine.connect() as connection:
        row = connection.execute(
            select(runs.c.id, runs.c.status, runs.c.error)
            .where(
                runs.c.pid == pid,
                runs.c.hostname == (host or socket.gethostname()),
                runs.c.started_at >= since,
            )
            .order_by(runs.c.id.desc())
            .limit(1)
        ).first()
    if row is None:  # stopped before it wrote its run row
        return None
    if row.status == "running" and interrupt_run(engine, row.id, reason):
        return int(row.id)
    error = reason if not row.error else f"{reason}: {row.error}"
    with engine.begin() as connection:
        connection.execute(update(CrawlRun).where(CrawlRun.id == row.id).values(error=error))
    return int(row.id)


def record_skipped(engine: Engine, source_id: int, *, trigger: str, reason: str) -> int:
    """Record a run that did not start because another run of the source holds the lock."""
    run_id, _ = start_run(engine, source_id, trigger=trigger)
    finish_run(engine, run_id, status="skipped", counts={}, error=reason)
    return run_id


def running_run(engine: Engine, source_id: int) -> RunInfo | None:
    """The newest `running` run of a source (the one holding its lock, normally)."""
    runs = _query(engine, source_id=source_id, status="running", limit=1)
    return runs[0] if runs else None


def list_runs(engine: Engine, *, source: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The newest runs first, optionally of one source."""
    return _query(engine, source=source, limit=limit)


def last_results(engine: Engine) -> dict[str, RunInfo]:
    """Each source's newest run that is not `running` or `skipped`: what the last crawl did."""
    table = CrawlRun.__table__
    newest = (
        select(func.max(table.c.id))
        .where(table.c.status.not_in(("running", "skipped")))
        .group_by(table.c.source_id)
    )
    runs = _query(engine, ids=newest, limit=None)
    return {run.source: run for run in runs}


def _query(
    engine: Engine,
    *,
    source: str | None = None,
    source_id: int | None = None,
    status: str | None = None,
    ids: Any = None,
    limit: int | None = 20,
) -> list[RunInfo]:
    runs, sources = CrawlRun.__table__, SourceRow.__table__
    query = (
        select(runs, sources.c.name.label("source_name"))
        .join(sources, sources.c.id == runs.c.source_id)
        .order_by(runs.c.id.desc())
    )
    if source is not None:
        query = query.where(sources.c.name == source)
    if source_id is not None:
        query = query.where(runs.c.source_id == source_id)
    if status is not None:
        query = query.where(runs.c.status == status)
    if ids is not None:
        query = query.where(runs.c.id.in_(ids))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        RunInfo(
            id=row.id,
            source=row.source_name,
            status=row.status,
            trigger=row.trigger,
            hostname=row.hostname,
            pid=row.pid,
            started_at=row.started_at,
            finished_at=row.finished_at,
            pages=row.pages_fetched,
            new=row.articles_new,
            updated=row.articles_updated,
            unchanged=row.articles_unchanged,
            error=row.error,
            stats=row.stats or {},
            worker=row.worker,
            job_id=row.job_id,
        )
        for row in rows
    ]
