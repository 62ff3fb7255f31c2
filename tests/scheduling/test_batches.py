"""Due crawls grouped into crawl processes (crawler.scheduling.batches) by the daemon.

A stand-in crawl command shows how waves are cut into batches and that the process bound counts
processes; the slow test runs `newshub schedule run` on three demo hubs due at once and finds
their three runs made by one crawl process.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import DBAPIError

from crawler.config import Source
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.scheduling import daemon as daemon_module
from crawler.scheduling.batches import Batcher, Result, outcomes
from crawler.scheduling.daemon import Daemon, DaemonOptions
from pipelines.db.engine import make_engine
from pipelines.db.models import CrawlRun, SourceRow
from tests.waiting import wait_for


def test_a_wave_is_cut_into_batches_and_processes_are_bounded() -> None:
    ran: list[list[str]] = []
    running = []

    def run(members: dict[str, object], report: Callable[[str, Result], None]) -> dict[str, Result]:
        running.append(1)
        assert len(running) == 1, "one process at a time"
        ran.append(list(members))
        first, *rest = members
        report(first, (0, "early"))  # its line came: its caller returns while the rest run
        time.sleep(0.2)
        running.pop()
        return {name: (0, "ok") for name in rest}

    batcher = Batcher(per_process=2, processes=1, window=0.5, run=run)
    results: dict[str, object] = {}
    threads = [
        threading.Thread(target=lambda n=n: results.update({n: batcher.submit(n, None)}))
        for n in "abcde"
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # due in this order
    assert batcher.submit("e", None) is None  # already waiting: not twice
    for thread in threads:
        thread.join(10)
    assert ran == [["a", "b"], ["c", "d"], ["e"]]
    assert results == {"a": (0, "early"), "b": (0, "ok"), "c": (0, "early"), "d": (0, "ok")} | {
        "e": (0, "early")
    }
    batcher.stop()
    assert batcher.submit("a", None) is None


def test_each_source_gets_its_own_line_or_the_process_status() -> None:
    output = "noise\nhub0  finished  run 3: 4 pages\nhub1  skipped  busy\n"
    assert outcomes(output, ["hub0", "hub1", "hub2"], -9) == {
        "hub0": (0, "run 3: 4 pages"),
        "hub1": (75, "busy"),
        "hub2": (-9, "hub1  skipped  busy"),  # killed before its line
    }
    assert outcomes("a\nsource done\n", ["hub"], 0) == {"hub": (0, "source done")}


def test_sources_due_at_once_share_a_process(tmp_path: Path) -> None:
    """Five sources due at once, two per process, one process at a time: three processes, the
    most overdue first."""
    order = tmp_path / "order"
    names = ["e", "d", "c", "b", "a"]  # e is the most overdue
    daemon = Daemon(
        {n: Source(n, f"http://{n}.test/", schedule="every 1h") for n in names},
        tmp_path / "newshub.toml",
        DaemonOptions(max_concurrent_crawls=1, jitter=0, crawls_per_process=2, batch_window=1),
        command=["sh", "-c", f'echo "$0 $*" >> {order}; sleep 0.2'],
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    scheduler = daemon.build(engine)
    now = datetime.now(UTC)
    for index, name in enumerate(names):
        scheduler.modify_job(name, next_run_time=now - timedelta(seconds=10 - index))
    daemon_module._daemon = daemon
    runner = threading.Thread(target=scheduler.start)
    try:
        runner.start()
        wait_for(lambda: order.exists() and len(order.read_text().splitlines()) == 3, 30, "3")
    finally:
        daemon.stop()
        runner.join(10)
        daemon_module._daemon = None
        engine.dispose()
    assert [line.strip() for line in order.read_text().splitlines()] == ["e d", "c b", "a"]


@pytest.mark.slow
def test_the_daemon_crawls_three_hubs_due_at_once_in_one_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'newshub.db'}"
    config = tmp_path / "newshub.toml"
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(data), "NEWSHUB_CONFIG": str(config)}
    env["NEWSHUB_DATABASE_URL"] = url
    servers = [DemoServer(DemoHub(8, seed=i)) for i in range(3)]
    for server in servers:
        server.start()
    engine = make_engine(url)

    def first_runs() -> list:
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    select(SourceRow.name, CrawlRun.status, CrawlRun.pid, CrawlRun.trigger)
                    .join(SourceRow, SourceRow.id == CrawlRun.source_id)
                    .order_by(CrawlRun.id)
                ).all()
        except DBAPIError:  # no schema yet
            return []
        firsts: dict[str, object] = {}
        for row in rows:
            firsts.setdefault(row.name, row)
        return list(firsts.values())

    try:
        config.write_text(
            "".join(
                f'[[source]]\nname = "hub{i}"\nhome = "{s.url}/"\nschedule = "every 6s"\n'
                "concurrency = 4\ndelay = 0\n"
                for i, s in enumerate(servers)
            )
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "schedule", "run"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(
                lambda: (
                    len(runs := first_runs()) == 3 and all(r.status == "finished" for r in runs)
                ),
                60,
                "three finished runs",
            )
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
            log = daemon.communicate()[1]
        runs = first_runs()
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
    assert {r.trigger for r in runs} == {"daemon"}
    assert len({r.pid for r in runs}) == 1, (runs, log)
    started = re.search(r"crawl of (hub\d), (hub\d), (hub\d) started \(pid (\d+)\)", log)
    assert started and sorted(started.groups()[:3]) == ["hub0", "hub1", "hub2"], log
    assert int(started[4]) == runs[0].pid
