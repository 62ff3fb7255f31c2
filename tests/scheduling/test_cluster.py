"""The cluster's job side without workers: the broker URL, queues, dispatch, the bound.

Dispatch tests run against the real engine (Procrastinate on the test PostgreSQL database);
the end-to-end tests with `newshub worker` processes are in test_cluster_workers.py.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from crawler.cli import main
from crawler.config import ConfigError, Source, load_sources
from crawler.scheduling import daemon as daemon_module
from crawler.scheduling.cluster import broker_url, conninfo, dispatch, job_app
from crawler.scheduling.daemon import Daemon, DaemonOptions
from crawler.scheduling.density import default_max_concurrent_crawls, max_concurrent_crawls
from crawler.scheduling.worker import CrawlJobFailed, CrawlWorker, WorkerOptions
from pipelines.db.engine import make_engine
from tests.conftest import fresh_postgres_database
from tests.waiting import wait_for

PROCRASTINATE = str(Path(sys.executable).with_name("procrastinate"))


def test_broker_url_must_be_postgresql() -> None:
    assert broker_url({}) is None and broker_url({"NEWSHUB_BROKER_URL": " "}) is None
    url = "postgresql+psycopg://u:secret@db.example/newshub"
    assert broker_url({"NEWSHUB_BROKER_URL": url}) == url
    assert conninfo(url) == "postgresql://u:secret@db.example/newshub"
    for bad in ("amqp://guest:secret@127.0.0.1:5672//", "redis://:secret@127.0.0.1:6379/0"):
        with pytest.raises(ConfigError, match="must be a postgresql:// URL") as error:
            broker_url({"NEWSHUB_BROKER_URL": bad})
        assert "secret" not in str(error.value)
    with pytest.raises(ConfigError, match="not a database URL"):
        broker_url({"NEWSHUB_BROKER_URL": "not a url"})


def test_a_source_names_its_queue(tmp_path: Path) -> None:
    config = tmp_path / "newshub.toml"
    source = '[[source]]\nname = "hub"\nhome = "http://hub.test/"\n'
    config.write_text(source + 'queue = "eu"\n')
    assert load_sources(config)["hub"].queue == "eu"
    config.write_text(source)
    assert load_sources(config)["hub"].queue is None
    config.write_text(source + 'queue = "eu west"\n')
    with pytest.raises(ConfigError, match="'queue' must be letters"):
        load_sources(config)


def test_the_bound_comes_from_cores_and_memory() -> None:
    assert default_max_concurrent_crawls(cores=2, memory=24_000) == 8  # CPU-bound: 4 per core
    assert default_max_concurrent_crawls(cores=16, memory=2_000) == 8  # memory: 1600 / 200
    assert default_max_concurrent_crawls(cores=1, memory=100) == 1  # never below one
    assert max_concurrent_crawls(3) == 3 and max_concurrent_crawls(None) >= 1
    daemon = Daemon(
        {n: Source(n, f"http://{n}.test/", schedule="every 1h") for n in "abcde"},
        Path("newshub.toml"),
        DaemonOptions(max_concurrent_crawls=2, crawls_per_process=1),
    )
    assert daemon.pool_size() == 2  # five sources, two crawls at once
    batched = Daemon(daemon.sources, Path("newshub.toml"), DaemonOptions(max_concurrent_crawls=2))
    # Two crawl processes at once, eight sources each: a thread per source waits in them.
    assert batched.process_bound() == 2 and batched.pool_size() == 5


def test_due_crawls_beyond_the_bound_wait_most_overdue_first(tmp_path: Path) -> None:
    """Five sources due at once, one crawl at a time: they start in order of how overdue they
    are (APScheduler hands due jobs to the bounded executor oldest next run time first)."""
    order = tmp_path / "order"
    names = ["e", "d", "c", "b", "a"]  # e is the most overdue
    daemon = Daemon(
        {n: Source(n, f"http://{n}.test/", schedule="every 1h") for n in names},
        tmp_path / "newshub.toml",
        DaemonOptions(max_concurrent_crawls=1, jitter=0, crawls_per_process=1),
        command=["sh", "-c", f'echo "$0" >> {order}; sleep 0.2'],
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    scheduler = daemon.build(engine)
    now = datetime.now(UTC)
    for index, name in enumerate(names):  # due 10 s, 9 s, ... 6 s ago
        scheduler.modify_job(name, next_run_time=now - timedelta(seconds=10 - index))
    daemon_module._daemon = daemon
    runner = threading.Thread(target=scheduler.start)
    try:
        runner.start()
        wait_for(lambda: len(_lines(order)) == 5, 30, "five crawls")
    finally:
        daemon.stop()
        runner.join(10)
        daemon_module._daemon = None
        engine.dispose()
    assert _lines(order) == names


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def jobs_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty PostgreSQL database as NEWSHUB_BROKER_URL."""
    url = fresh_postgres_database(request)
    monkeypatch.setenv("NEWSHUB_BROKER_URL", url)
    yield url


@pytest.mark.postgres
def test_dispatch_queues_one_waiting_crawl_per_source_on_its_queue(jobs_url: str) -> None:
    app = job_app()  # creates the engine's tables on first use
    app = job_app()  # and finds them the second time
    eu = Source("eu-hub", "http://eu.test/", queue="eu", timeout=5400)
    plain = Source("hub", "http://hub.test/")
    with app.open():
        first = dispatch(app, eu, trigger="daemon")
        assert dispatch(app, eu, trigger="daemon") is None  # one waiting crawl per source
        other = dispatch(app, plain, trigger="dispatch")
    assert first is not None and other is not None
    engine = make_engine(jobs_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, queue_name, lock, queueing_lock, args, status"
                    " FROM procrastinate_jobs"
                )
            ).all()
    finally:
        engine.dispose()
    jobs = {row.id: row for row in rows}
    assert set(jobs) == {first, other}
    assert (jobs[first].queue_name, jobs[first].lock, jobs[first].status) == (
        "eu",
        "eu-hub",
        "todo",
    )
    assert jobs[first].args == {"source": "eu-hub", "trigger": "daemon", "timeout": 5400.0}
    assert (jobs[other].queue_name, jobs[other].queueing_lock) == ("default", "hub")
    # The engine's own monitoring works on newshub's jobs as they are.
    shell = subprocess.run(
        [PROCRASTINATE, "--app=crawler.scheduling.cluster.app", "shell", "list_queues"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.returncode == 0, shell.stderr
    assert "eu: 1 jobs (todo: 1," in shell.stdout and "default: 1 jobs (todo: 1," in shell.stdout


@pytest.mark.postgres
def test_crawl_dispatch_from_the_command_line(jobs_url: str, tmp_path: Path) -> None:
    config = tmp_path / "newshub.toml"
    config.write_text('[[source]]\nname = "hub"\nhome = "http://hub.test/"\nqueue = "eu"\n')
    runner = CliRunner()
    env = {"NEWSHUB_DATA_DIR": str(tmp_path / "data"), "NEWSHUB_DATABASE_URL": jobs_url}
    first = runner.invoke(main, ["-c", str(config), "crawl", "hub", "--dispatch"], env=env)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("crawl of hub enqueued on queue 'eu' (job ")
    again = runner.invoke(main, ["-c", str(config), "crawl", "hub", "--dispatch"], env=env)
    assert again.output == "a crawl of hub is already waiting on queue 'eu'\n"
    adhoc = runner.invoke(main, ["crawl", "--url", "http://x.test/", "--dispatch"], env=env)
    assert adhoc.exit_code == 2 and "--dispatch needs a SOURCE" in adhoc.output


def test_cluster_commands_need_the_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSHUB_BROKER_URL", raising=False)
    config = tmp_path / "newshub.toml"
    config.write_text('[[source]]\nname = "hub"\nhome = "http://hub.test/"\n')
    runner = CliRunner()
    for args in (["worker"], ["crawl", "hub", "--dispatch"]):
        result = runner.invoke(main, ["-c", str(config), *args])
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [
            f"Error: {'newshub worker' if args == ['worker'] else '--dispatch'} needs "
            "NEWSHUB_BROKER_URL (the cluster's job database)"
        ]
    bad = runner.invoke(
        main, ["-c", str(config), "worker"], env={"NEWSHUB_BROKER_URL": "amqp://127.0.0.1//"}
    )
    assert bad.exit_code == 1 and "must be a postgresql:// URL" in bad.output


class StandInWorker(CrawlWorker):
    """A worker whose "crawl" is a shell command (the source name is the script)."""

    def command(self, jobs: dict[str, tuple[str, int, float | None]]) -> list[str]:
        (source,) = jobs
        return ["sh", "-c", source]


def test_a_job_succeeds_on_exit_0_or_75_and_fails_with_the_crawls_last_line(
    tmp_path: Path,
) -> None:
    options = WorkerOptions(tmp_path / "newshub.toml", 1, stop_grace=1, batch_window=0)
    worker = StandInWorker(None, options)
    worker.crawl("exit 0", "daemon", 1)
    worker.crawl("echo busy; exit 75", "daemon", 2)  # skipped: another run holds the lock
    with pytest.raises(CrawlJobFailed, match=r"failed \(exit 1\): Error: no such hub$"):
        worker.crawl("echo starting; echo 'Error: no such hub'; exit 1", "daemon", 3)
    with pytest.raises(CrawlJobFailed, match=r"over its 0.5 s timeout \(killed by SIGTERM\)"):
        worker.crawl("exec sleep 30", "daemon", 4, timeout=0.5)
    worker.stop()
    with pytest.raises(CrawlJobFailed, match="the worker is stopping"):
        worker.crawl("exit 0", "daemon", 5)
