"""Per-source run locks and run history, on SQLite and PostgreSQL.

Two real `newshub crawl` processes of one source started together: one crawls, the other exits
75 (EX_TEMPFAIL) with one line and a `skipped` row, also on an empty database (the schema lock
keeps their first-run migrations apart).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crawler.config import ConfigError, Source
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.locks import schema_lock, source_lock
from pipelines.db.engine import make_engine
from pipelines.db.history import list_runs, reap_dead_runs, record_skipped
from pipelines.db.models import CrawlRun
from pipelines.db.runs import ensure_source, start_run

HOLD = """
import sys, time
from crawler.locks import source_lock
from pipelines.db.engine import make_engine
lock = source_lock(make_engine(sys.argv[1]), "hub")
print(lock.acquire(), flush=True)
time.sleep(60)
"""


def test_one_holder_per_source_and_sources_apart(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        first, second = source_lock(engine, "hub"), source_lock(engine, "hub")
        assert first.acquire() and not second.acquire()
        other = source_lock(engine, "other")
        assert other.acquire(), "different sources run concurrently"
        with schema_lock(engine):
            pass  # its own name: never waits for a source's lock
        first.release()
        assert second.acquire()
        second.release()
        other.release()
        first.release()  # twice is harmless
        with pytest.raises(ConfigError):  # "hub\n" would get a lock of its own beside "hub"'s
            source_lock(engine, "hub\n")
    finally:
        engine.dispose()


def test_a_killed_holder_leaves_no_stale_lock(database_url: str) -> None:
    engine = make_engine(database_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        lock = source_lock(engine, "hub")
        assert not lock.acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 10  # PostgreSQL notices the closed socket at once
        while not lock.acquire() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lock.held
        lock.release()
    finally:
        holder.kill()
        holder.wait()
        engine.dispose()


def test_dead_runs_are_marked_interrupted(engine: Engine) -> None:
    hub = ensure_source(engine, Source("hub", "http://hub.test/"))
    other = ensure_source(engine, Source("other", "http://other.test/"))
    third = ensure_source(engine, Source("third", "http://third.test/"))
    elsewhere, _ = start_run(engine, hub)  # another host: dead, since we hold hub's lock
    dead_here, _ = start_run(engine, other)  # this host, a process that no longer exists
    alive_here, _ = start_run(engine, other)  # this host, this live process, holding the lock
    far_free, _ = start_run(engine, third)  # another host, and nobody holds third's lock
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with engine.begin() as connection:
        for run, host, pid in (
            (elsewhere, "far-away-host", 1),
            (dead_here, socket.gethostname(), int(gone.stdout)),
            (far_free, "far-away-host", 1),
        ):
            connection.execute(
                CrawlRun.__table__.update().where(CrawlRun.id == run).values(hostname=host, pid=pid)
            )
    held = source_lock(engine, "other")
    assert held.acquire()

    def lock_free(name: str) -> bool:
        lock = source_lock(engine, name)
        try:
            return lock.acquire()
        finally:
            lock.release()

    try:
        current, _ = start_run(engine, hub)
        reaped = reap_dead_runs(engine, hub, current_run=current, lock_free=lock_free)
    finally:
        held.release()
    assert sorted(reaped) == [elsewhere, dead_here, far_free]
    statuses = {run.id: run.status for run in list_runs(engine)}
    assert statuses == {
        elsewhere: "interrupted",
        dead_here: "interrupted",
        alive_here: "running",
        far_free: "interrupted",
        current: "running",
    }
    error = next(run.error for run in list_runs(engine) if run.id == far_free)
    assert error and f"found by run {current}" in error
    skipped = record_skipped(engine, hub, trigger="cron", reason="busy")
    run = list_runs(engine, source="hub", limit=1)[0]
    assert (run.id, run.status, run.trigger, run.error) == (skipped, "skipped", "cron", "busy")


@pytest.mark.slow
def test_two_crawls_of_one_source_started_together(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(tmp_path), "NEWSHUB_DATABASE_URL": database_url}
    with DemoServer(DemoHub(10, seed=4)) as server:
        command = [
            sys.executable, "-m", "crawler.cli", "crawl", "--url", server.url + "/",
            "--name", "hub", "--concurrency", "1", "--delay", "0.05", "--trigger", "cron",
        ]  # fmt: skip
        crawls = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [(c.wait(timeout=120), *(s.decode() for s in c.communicate())) for c in crawls]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 75], results
    _, out, err = next(r for r in results if r[0] == 75)
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("Error: source 'hub' is already being crawled (run ")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(CrawlRun.status, CrawlRun.trigger)).all()
    finally:
        engine.dispose()
    assert sorted(rows) == [("finished", "cron"), ("skipped", "cron")]
