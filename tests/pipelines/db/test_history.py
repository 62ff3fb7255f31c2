"""Runs tell the truth: an interrupted run's counts come from the rows it stored."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from pipelines.db.history import explain_stopped_run, reap_dead_runs
from pipelines.db.models import CrawlRun
from pipelines.db.runs import ensure_source, start_run
from pipelines.db.store import ArchiveStore
from tests.pipelines.db.test_store import SOURCE, capture, item


def store_pages(engine: Engine, source_id: int, run_id: int, pages: int, start: int = 0) -> None:
    store = ArchiveStore(engine, source_id, run_id, batch_size=10, flush_interval=0.05)
    store.start()
    for i in range(start, start + pages):
        url = f"http://hub.test/a{i}/"
        store.add_capture(capture(f"<urn:{run_id}:{i}>", url))
        store.add_article(item(f"body {run_id}", f"<urn:{run_id}:{i}>", url=url))
    store.close()
    assert store.errors == []


def run_row(engine: Engine, run_id: int) -> CrawlRun:
    with engine.connect() as connection:
        return connection.execute(select(CrawlRun).where(CrawlRun.id == run_id)).one()  # type: ignore[return-value]


def test_a_killed_run_is_interrupted_with_what_it_stored(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    first, _ = start_run(engine, source_id)
    store_pages(engine, source_id, first, 5)
    killed, _ = start_run(engine, source_id)  # rewrites 3 of them, adds 4 new ones, then dies
    store_pages(engine, source_id, killed, 7, start=2)
    current, _ = start_run(engine, source_id)
    assert reap_dead_runs(engine, source_id, current_run=current) == [first, killed]
    row = run_row(engine, killed)
    assert row.status == "interrupted" and "ended without closing" in row.error
    assert (row.pages_fetched, row.articles_new, row.articles_updated) == (7, 4, 3)
    assert row.bytes_archived == 7 * 10 and row.finished_at is not None


def test_a_run_stopped_by_the_scheduler_says_so(engine: Engine) -> None:
    source_id = ensure_source(engine, SOURCE)
    since = datetime.now(UTC) - timedelta(seconds=1)
    running, _ = start_run(engine, source_id)
    store_pages(engine, source_id, running, 2)
    why = "stopped by the scheduler: over its 2 s timeout"
    assert explain_stopped_run(engine, os.getpid(), since, why) == running
    row = run_row(engine, running)
    assert row.status == "interrupted" and row.error == why and row.pages_fetched == 2
    # A run its process closed itself keeps its status and gains the reason.
    assert explain_stopped_run(engine, os.getpid(), since, "shutdown") == running
    assert run_row(engine, running).error == f"shutdown: {why}"
    assert explain_stopped_run(engine, os.getpid(), datetime.now(UTC) + timedelta(1), why) is None
