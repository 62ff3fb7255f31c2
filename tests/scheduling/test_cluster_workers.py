"""A cluster end to end: `newshub worker` processes, the scheduler and PostgreSQL for real.

Generated hubs on loopback ports stand in for the sites; the job engine is Procrastinate on
the test database (NEWSHUB_BROKER_URL); every worker, scheduler and crawl is its own process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, ArticleVersion, Capture, CrawlRun, SourceRow
from tests.conftest import fresh_postgres_database
from tests.newshub_process import newshub
from tests.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class Cluster:
    """A config file, a data folder, a database and the processes started on them."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.data = tmp_path / "data"
        self.config = tmp_path / "newshub.toml"
        self.url = url
        self.engine = make_engine(url)
        self.env = {
            **os.environ,
            "NEWSHUB_DATA_DIR": str(self.data),
            "NEWSHUB_DATABASE_URL": url,
            "NEWSHUB_BROKER_URL": url,
            "NEWSHUB_CONFIG": str(self.config),
        }
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def worker(self, *args: str) -> subprocess.Popen[str]:
        return self.start("worker", "--stalled-after", "3", "--stop-grace", "20", *args)

    def stop(self, process: subprocess.Popen[str]) -> str:
        """SIGTERM a process, wait for it; its stderr."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:
            process.kill()
            return process.communicate()[1]

    def query(self, statement: Any) -> list[Any]:
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(statement).all())
        except DBAPIError:  # no schema yet
            return []

    def runs(self) -> list[Any]:
        return self.query(
            select(CrawlRun.__table__, SourceRow.name.label("source"))
            .join(SourceRow, SourceRow.id == CrawlRun.source_id)
            .order_by(CrawlRun.id)
        )

    def jobs(self) -> list[Any]:
        return self.query(text("SELECT id, status, args FROM procrastinate_jobs ORDER BY id"))

    def workers_up(self) -> int:
        """Procrastinate workers that have registered (each heartbeats in its table)."""
        rows = self.query(text("SELECT count(*) FROM procrastinate_workers"))
        return int(rows[0][0]) if rows else 0

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
        self.engine.dispose()


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path, fresh_postgres_database(request))
    try:
        yield made
    finally:
        made.close()


def write_config(cluster: Cluster, hubs: dict[str, str], **keys: str) -> None:
    lines = []
    for name, url in hubs.items():
        lines.append(f'[[source]]\nname = "{name}"\nhome = "{url}/"\nconcurrency = 2\n')
        lines.extend(f"{key} = {value}\n" for key, value in keys.items())
    cluster.config.write_text("".join(lines))


def test_two_workers_crawl_six_hubs_due_at_once_each_once(cluster: Cluster) -> None:
    articles = 25
    with ExitStack() as stack:
        servers = {
            f"hub{i}": stack.enter_context(DemoServer(DemoHub(articles, seed=20 + i)))
            for i in range(6)
        }
        write_config(
            cluster,
            {name: server.url for name, server in servers.items()},
            schedule='"every 6s"',
            delay="0.1",
        )
        # Two crawl processes of two sources each: a worker takes at most four of the six jobs
        # at once (with the default eight a process, the first to fetch could take all six, as
        # a CI run under load saw), and both are listening before anything is due.
        per_process = ("--crawls-per-process", "2")
        workers = [cluster.worker("--concurrency", "2", *per_process) for _ in range(2)]
        wait_for(lambda: cluster.workers_up() == 2, 60, "both workers registered")
        scheduler = cluster.start("schedule", "run")
        # The first round: six jobs, one per hub; then the scheduler stops, so none repeats.
        wait_for(lambda: len(cluster.jobs()) >= 6, 60, "six dispatched crawls")
        scheduler_log = cluster.stop(scheduler)
        wait_for(
            lambda: (
                len(cluster.jobs()) == 6
                and all(job.status == "succeeded" for job in cluster.jobs())
            ),
            240,
            "six crawls done",
        )
        logs = [cluster.stop(worker) for worker in workers]
    runs = cluster.runs()
    assert sorted(run.source for run in runs) == sorted(servers), (runs, scheduler_log)
    assert {run.status for run in runs} == {"finished"}, logs
    assert {run.trigger for run in runs} == {"daemon"}
    pids = {workers[0].pid, workers[1].pid}
    used = {int(run.worker.rsplit(":", 1)[1]) for run in runs}
    assert used == pids, f"both workers crawl: {used} vs {pids}"
    assert {run.job_id for run in runs} == {job.id for job in cluster.jobs()}
    # Jobs a worker takes in one wave share a crawl process (crawls_per_process), each still
    # its own job and run.
    assert len({run.pid for run in runs}) < len(runs), runs
    count = func.count()
    per_source = dict(
        cluster.query(
            select(SourceRow.name, count)
            .join(ArticleRow, ArticleRow.source_id == SourceRow.id)
            .group_by(SourceRow.name)
        )
    )
    assert per_source == dict.fromkeys(servers, articles)
    assert cluster.query(select(func.count()).select_from(ArticleVersion)) == [(6 * articles,)]
    fetched_twice = cluster.query(
        select(Capture.url).group_by(Capture.url).having(func.count() > 1)
    )
    assert fetched_twice == []
    verify = newshub("verify", "--deep", data=cluster.data, database_url=cluster.url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # Another host mounts the shared data folder elsewhere: the archive reads the same.
    elsewhere = cluster.data.parent / "mounted-elsewhere"
    shutil.copytree(cluster.data, elsewhere)
    for command in (("verify", "--deep"), ("reextract",)):
        result = newshub(*command, data=elsewhere, database_url=cluster.url)
        assert result.returncode == 0, result.stdout + result.stderr


def _captures(engine: Engine, run_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Capture).where(Capture.run_id == run_id)
        ).scalar_one()


def test_a_killed_workers_crawl_is_delivered_again(cluster: Cluster) -> None:
    with DemoServer(DemoHub(25, seed=31)) as server:
        write_config(cluster, {"hub": server.url}, delay="0.3")
        dispatch(cluster)
        doomed = cluster.worker("--concurrency", "1")
        wait_for(
            lambda: (r := cluster.runs()) and _captures(cluster.engine, r[0].id) >= 5,
            90,
            "the first crawl under way",
        )
        first = cluster.runs()[0]
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        wait_for(lambda: not _alive(first.pid), 10, "the crawl to die with its worker")
        rescuer = cluster.worker("--concurrency", "1")
        wait_for(
            lambda: [j.status for j in cluster.jobs()] == ["succeeded"], 180, "the crawl redone"
        )
        log = cluster.stop(rescuer)
    runs = cluster.runs()
    assert [run.status for run in runs] == ["interrupted", "finished"], log
    dead, redone = runs
    assert dead.worker == f"{dead.hostname}:{doomed.pid}"
    assert redone.worker == f"{redone.hostname}:{rescuer.pid}"
    assert dead.job_id == redone.job_id == cluster.jobs()[0].id
    assert "lost its worker: delivering it again" in log
    assert f"found by run {redone.id}" in (dead.error or "")


def test_sigterm_stops_a_worker_and_its_crawl_cleanly(cluster: Cluster) -> None:
    with DemoServer(DemoHub(40, seed=33)) as server:
        write_config(cluster, {"hub": server.url}, delay="0.3")
        dispatch(cluster)
        worker = cluster.worker("--concurrency", "1")
        wait_for(
            lambda: (r := cluster.runs()) and _captures(cluster.engine, r[0].id) >= 5,
            90,
            "the crawl under way",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        log = worker.communicate()[1]
    runs = cluster.runs()
    assert [run.status for run in runs] == ["interrupted"], log
    assert [job.status for job in cluster.jobs()] == ["failed"]  # the next round tries again
    assert "SIGTERM received: stopping" in log
    assert not list((cluster.data / "warcs").glob("*.open")), "WARC files closed"


def dispatch(cluster: Cluster) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "hub", "--dispatch"],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_a_crawl_longer_than_the_stall_timeout_completes_once(cluster: Cluster) -> None:
    """Workers beat every second and count one silent for 3 s as dead; a live worker's crawl
    of 10 s or more is never delivered to the other worker meanwhile."""
    with DemoServer(DemoHub(15, seed=32)) as server:
        write_config(cluster, {"hub": server.url}, delay="0.3")
        workers = [cluster.worker("--concurrency", "1") for _ in range(2)]
        dispatch(cluster)
        wait_for(lambda: [j.status for j in cluster.jobs()] == ["succeeded"], 180, "the crawl done")
        logs = [cluster.stop(worker) for worker in workers]
    runs = cluster.runs()
    assert [run.status for run in runs] == ["finished"], logs
    run = runs[0]
    assert run.finished_at is not None
    assert (run.finished_at - run.started_at).total_seconds() > 3 * 3
    assert not any("delivering it again" in log for log in logs)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
