"""Acceptance: a PostgreSQL outage in the middle of a real `newshub crawl` loses nothing.

The test runs its own PostgreSQL (initdb in a temporary folder, its own port) so it can stop
and start it; it needs the PostgreSQL 15 server binaries and root (initdb runs as `postgres`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import ProgrammingError

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, CrawlRun
from tests.newshub_process import newshub

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ARTICLES = 80


class Postgres:
    """A throw-away PostgreSQL server that the test can stop and start at will."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=60
        )

    def init(self) -> None:
        shutil.chown(self.directory, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.directory / "data"), "-A", "trust",
                  "-U", "postgres", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-o", options,
                  "-l", str(self.directory / "server.log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast",
                  "-w", "stop")  # fmt: skip


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs root and the PostgreSQL 15 server binaries to run its own server")
    directory = Path(tempfile.mkdtemp(prefix="newshub-pg-"))  # /tmp: reachable by `postgres`
    server = Postgres(directory)
    server.init()
    server.start()
    try:
        yield server
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                        str(directory / "data"), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(directory, ignore_errors=True)


def article_urls(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(ArticleRow.url)).scalars())


def start_crawl(url: str, data: Path, database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(data), "NEWSHUB_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--url", url, "--name", "hub",
               "--concurrency", "2", "--delay", "0.1"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def wait_for_articles(engine: Engine, crawl: subprocess.Popen[str], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and crawl.poll() is None:
        try:
            if len(article_urls(engine)) >= at_least:
                return
        except ProgrammingError:  # the crawl has not created the schema yet
            pass
        time.sleep(0.3)
    pytest.fail("the crawl stored no articles to interrupt")


@pytest.mark.timeout(600)
@pytest.mark.slow
def test_outage_mid_crawl_loses_nothing(postgres: Postgres, tmp_path: Path) -> None:
    hub = DemoHub(ARTICLES, seed=12)
    engine = make_engine(postgres.url)
    data = tmp_path / "data"
    with DemoServer(hub) as server:
        truth = {server.url + article.path for article in hub.articles}
        crawl = start_crawl(server.url + "/", data, postgres.url)
        wait_for_articles(engine, crawl, 5)
        engine.dispose()
        postgres.stop()
        time.sleep(12)
        assert crawl.poll() is None, "the crawl went on archiving while the database was away"
        postgres.start()
        out, err = crawl.communicate(timeout=400)
    assert crawl.returncode == 0, out + err
    assert "(run 1, finished)" in out
    assert article_urls(engine) == truth
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun)).one()
    assert run.stats["newshub/db_rows_spooled"] > 0, "the outage went through the spool"
    assert run.articles_new == ARTICLES
    verified = newshub("verify", "--deep", data=data, database_url=postgres.url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert not list((data / "spool").glob("*.jsonl"))
    engine.dispose()


@pytest.mark.timeout(600)
@pytest.mark.slow
def test_spool_of_an_outage_that_outlives_the_crawl_is_replayed_at_next_start(
    postgres: Postgres, tmp_path: Path
) -> None:
    hub = DemoHub(ARTICLES, seed=13)
    engine = make_engine(postgres.url)
    data = tmp_path / "data"
    with DemoServer(hub) as server:
        truth = {server.url + article.path for article in hub.articles}
        home = server.url + "/"
        crawl = start_crawl(home, data, postgres.url)
        wait_for_articles(engine, crawl, 5)
        engine.dispose()
        postgres.stop()
        _out, err = crawl.communicate(timeout=400)
    assert crawl.returncode != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), err
    assert "rows kept in" in err and "Traceback" not in err
    assert list((data / "spool").glob("*.jsonl"))
    postgres.start()
    # The hub is gone now: this crawl fails, but its start replays the spool first.
    again = newshub("crawl", "--url", home, "--name", "hub", data=data, database_url=postgres.url)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert article_urls(engine) == truth
    assert not list((data / "spool").glob("*.jsonl"))
    with engine.connect() as connection:
        first = connection.execute(select(CrawlRun).where(CrawlRun.id == 1)).one()
    assert first.status != "running"
    verified = newshub("verify", "--deep", data=data, database_url=postgres.url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    engine.dispose()
