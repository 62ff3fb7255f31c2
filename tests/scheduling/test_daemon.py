"""The scheduler daemon: schedules, job reconciliation, child processes, and a real run.

The end-to-end test runs `newshub schedule run` with seconds-level schedules against a demo
hub and an unreachable site, then stops it with SIGTERM in the middle of a crawl.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from crawler.config import ConfigError, Source, load_sources
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.scheduling.daemon import Daemon, DaemonOptions
from crawler.scheduling.expressions import cron_weekdays, make_trigger, parse_duration
from pipelines.db.engine import make_engine
from pipelines.db.models import Capture, CrawlRun, SourceRow
from pipelines.db.runs import ensure_source
from pipelines.db.schema import ensure_schema
from tests.waiting import wait_for

MONDAY = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "after_monday_noon"),
    [
        ("*/30 * * * *", "2026-11-30 12:30"),
        ("0 3 * * 0", "2026-12-06 03:00"),  # cron's Sunday, not APScheduler 3's Monday
        ("0 3 * * 1-5", "2026-12-01 03:00"),
        ("@daily", "2026-12-01 00:00"),
        ("every 30m", "2026-11-30 12:30"),
        ("2h", "2026-11-30 14:00"),
    ],
)
def test_schedules(schedule: str, after_monday_noon: str) -> None:
    trigger = make_trigger(schedule, timezone=UTC)
    fire = trigger.get_next_fire_time(None, MONDAY)
    if "interval" in str(trigger):  # intervals count from their start, i.e. now
        fire = MONDAY + trigger.interval
    assert fire.strftime("%Y-%m-%d %H:%M") == after_monday_noon


def test_durations_weekdays_and_jitter() -> None:
    assert parse_duration("every 90 minutes") == 5400 and parse_duration("6h") == 21600
    assert parse_duration("soon") is None
    assert cron_weekdays("0,6") == "sun,sat" and cron_weekdays("*/3") == "sun,wed,sat"
    assert make_trigger("every 10s", jitter=60).jitter == 1  # a tenth of the interval at most
    assert make_trigger("0 * * * *", jitter=60).jitter == 60
    for bad in ("* * * *", "every 0s", "61 * * * *", "0 0 * * 9", "tomorrow"):
        with pytest.raises(ValueError):
            make_trigger(bad)


def test_config_rejects_a_bad_schedule_or_timeout(tmp_path: Path) -> None:
    config = tmp_path / "newshub.toml"
    source = '[[source]]\nname = "hub"\nhome = "http://hub.test/"\n'
    config.write_text(source + 'schedule = "every 30m"\ntimeout = "90m"\n')
    loaded = load_sources(config)["hub"]
    assert (loaded.schedule, loaded.timeout) == ("every 30m", 5400.0)
    config.write_text(source + 'schedule = "*/30 * * *"\n')
    with pytest.raises(ConfigError, match=r"'schedule' must be a cron expression") as error:
        load_sources(config)
    assert "\n" not in str(error.value)
    config.write_text(source + 'timeout = "long"\n')
    with pytest.raises(ConfigError, match="'timeout' must be a duration"):
        load_sources(config)


def _daemon(tmp_path: Path, command: str, **options: float) -> Daemon:
    options.setdefault("batch_window", 0)
    return Daemon(
        {"hub": Source("hub", "http://hub.test/", schedule="every 1h")},
        tmp_path / "newshub.toml",
        DaemonOptions(**options),  # type: ignore[arg-type]
        command=[sys.executable, "-c", command],
    )


def test_crashing_hanging_and_stubborn_crawls_do_not_harm_the_daemon(tmp_path: Path) -> None:
    crash = _daemon(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert crash.launch("hub") == -signal.SIGKILL
    assert crash.launch("hub") == -signal.SIGKILL, "and the next run starts as usual"

    hang = _daemon(tmp_path, "import time; time.sleep(60)", stop_grace=5)
    started = time.monotonic()
    assert hang.launch("hub", timeout=0.5) == -signal.SIGTERM
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    deaf = _daemon(tmp_path, stubborn, stop_grace=0.5)
    assert deaf.launch("hub", timeout=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 10


def test_stop_terminates_running_crawls_and_refuses_new_ones(tmp_path: Path) -> None:
    daemon = _daemon(tmp_path, "import time; time.sleep(60)", stop_grace=5)
    codes: list[int | None] = []
    worker = threading.Thread(target=lambda: codes.append(daemon.launch("hub")))
    worker.start()
    while not daemon._children:
        time.sleep(0.05)
    daemon.stop()
    worker.join(10)
    assert codes == [-signal.SIGTERM]
    assert daemon.launch("hub") is None


def test_stopped_crawls_say_why_in_the_log_and_in_their_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    ensure_schema(engine)
    source_id = ensure_source(engine, Source("hub", "http://hub.test/"))
    crawl = (
        "import time; from pipelines.db.engine import make_engine; "
        f"from pipelines.db.runs import start_run; start_run(make_engine({url!r}), {source_id}); "
        "time.sleep(60)"
    )
    slow = _daemon(tmp_path, crawl, stop_grace=5)
    slow.engine = engine
    with caplog.at_level(logging.INFO):
        assert slow.launch("hub", timeout=8) == -signal.SIGTERM
    with engine.connect() as connection:
        (run,) = connection.execute(select(CrawlRun)).all()
    assert run.status == "interrupted" and "over its 8 s timeout" in run.error
    assert "failed (exit -15) after 8s: stopped by the scheduler: over its 8 s timeout" in (
        caplog.text
    )
    # Stopped while starting: no output and no run row yet, and still a reason in the log.
    starting = _daemon(tmp_path, "import time; time.sleep(60)", stop_grace=5)
    worker = threading.Thread(target=starting.launch, args=("hub",))
    with caplog.at_level(logging.INFO):
        worker.start()
        while not starting._children:
            time.sleep(0.05)
        starting.stop()
        worker.join(10)
    assert "after 0s: stopped by the scheduler daemon's shutdown" in caplog.text
    engine.dispose()


@pytest.mark.slow
def test_the_daemon_runs_crawls_on_time_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'newshub.db'}"
    config = tmp_path / "newshub.toml"
    env = {
        **os.environ,
        "NEWSHUB_DATA_DIR": str(data),
        "NEWSHUB_DATABASE_URL": url,
        "NEWSHUB_CONFIG": str(config),
    }
    engine = make_engine(url)

    def runs(source: str) -> list:
        try:
            with engine.connect() as connection:
                return connection.execute(
                    select(CrawlRun)
                    .join(SourceRow, SourceRow.id == CrawlRun.source_id)
                    .where(SourceRow.name == source)
                    .order_by(CrawlRun.id)
                ).all()
        except DBAPIError:  # no schema yet
            return []

    def captures(run_id: int) -> int:
        with engine.connect() as connection:
            return len(connection.execute(select(Capture.id).where(Capture.run_id == run_id)).all())

    with DemoServer(DemoHub(150, seed=9)) as server:
        config.write_text(
            f'[[source]]\nname = "hub"\nhome = "{server.url}/"\nschedule = "every 2s"\n'
            "concurrency = 1\ndelay = 0.05\n"
            '[[source]]\nname = "down"\nhome = "http://127.0.0.1:9/"\nschedule = "every 2s"\n'
            "delay = 0\n"
        )
        started = datetime.now(UTC)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "schedule", "run", "--stop-grace", "30"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Failed crawls of "down" keep coming while "hub" crawls on.
            wait_for(
                lambda: len([r for r in runs("down") if r.status == "failed"]) >= 2,
                60,
                "2 failed runs",
            )
            wait_for(
                lambda: (r := runs("hub")) and captures(r[-1].id) > 10, 60, "a crawl in progress"
            )
            assert runs("hub")[-1].status == "running"
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
            log = daemon.communicate()[1]
    engine_runs = {name: runs(name) for name in ("hub", "down")}
    engine.dispose()

    assert "job hub: added" in log and "SIGTERM received" in log, log
    for name, found in engine_runs.items():
        assert found and all(r.trigger == "daemon" for r in found)
        # On time: the first run within a few seconds of its first due time (start + 2 s).
        assert (found[0].started_at - started).total_seconds() < 10, name
        assert "running" not in {r.status for r in found} and "skipped" not in {
            r.status for r in found
        }
        for before, after in itertools.pairwise(found):
            assert before.finished_at is not None and before.finished_at <= after.started_at
    assert engine_runs["hub"][-1].status == "interrupted"  # stopped by the daemon's SIGTERM
    assert {r.status for r in engine_runs["down"]} == {"failed"}
    assert not list((data / "warcs").glob("*.open")), "WARC files closed"
    assert list((data / "warcs").glob("hub-*.warc.gz"))


def test_jobs_are_reconciled_with_the_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)

    def reconcile(sources: dict[str, Source]) -> dict[str, str]:
        daemon = Daemon(sources, tmp_path / "newshub.toml")
        scheduler = daemon.build(engine)
        # Commit the pending jobs to the store the way start() does, without blocking.
        from apscheduler.schedulers.base import BaseScheduler

        BaseScheduler.start(scheduler, paused=True)
        BaseScheduler.shutdown(scheduler, wait=False)
        return daemon.actions

    a = Source("a", "http://a.test/", schedule="every 30m")
    b = Source("b", "http://b.test/", schedule="0 * * * *")
    assert reconcile({"a": a, "b": b}) == {"a": "added", "b": "added"}
    assert reconcile({"a": a, "b": b}) == {"a": "kept", "b": "kept"}
    c = Source("c", "http://c.test/", schedule="@daily")
    changed = Source("a", "http://a.test/", schedule="every 10m")
    assert reconcile({"a": changed, "c": c}) == {"b": "removed", "a": "changed", "c": "added"}
    engine.dispose()
