"""Scaling out: two `newshub crawl` workers of one source share a Redis frontier.

Both processes crawl the same demo hub with NEWSHUB_FRONTIER_URL set, into one database and
one WARC folder: they split the work, every URL is fetched once overall, every article is
stored once. Without Redis the test skips with the reason; with CI=true it fails instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import ConfigError, resolve_frontier, resolve_paths, safe_url
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.locks import source_lock
from newshub_archive.verify import verify
from pipelines.db.engine import make_engine
from pipelines.db.models import ArticleRow, CrawlRun

FRONTIER_URL = os.environ.get("NEWSHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ARTICLES = 60


@pytest.fixture
def frontier_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    try:
        import redis

        client = redis.Redis.from_url(FRONTIER_URL)
        client.ping()
    except Exception as exc:
        reason = f"Redis not reachable at {FRONTIER_URL}: {str(exc).splitlines()[0]}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} (CI=true: frontier tests must run)")
        pytest.skip(reason)
    prefix = f"newshub-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


_WAKE = """
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.frontier import wake_engine

woken = []


class Idle(scrapy.Spider):
    name = "idle"

    async def start(self):
        return
        yield

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signals.spider_idle)
        return spider

    def idle(self):
        woken.append(wake_engine(self.crawler))


process = CrawlerProcess({"TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "ERROR"})
process.crawl(Idle)
process.start()
print("woken", woken)
"""


def test_wake_engine_reaches_the_private_scrapy_api_it_needs() -> None:
    """wake_engine uses `engine._slot.nextcall`, which Scrapy may rename in any release: this
    fails then (an AttributeError in the idle handler), instead of the frontier polling slowly."""
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-c", _WAKE], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[-2] == "woken [True]", run.stdout + run.stderr


def test_frontier_is_off_unless_configured() -> None:
    paths = resolve_paths({"NEWSHUB_DATA_DIR": "d"})
    assert (paths.frontier_url, paths.frontier_prefix) == (None, "newshub")
    assert resolve_frontier({"NEWSHUB_FRONTIER_URL": "redis://r:6379/2"}) == (
        "redis://r:6379/2",
        "newshub",
    )
    with pytest.raises(ConfigError) as error:
        resolve_frontier({"NEWSHUB_FRONTIER_URL": "http://user:s3cret@r:6379/0"})
    assert "s3cret" not in str(error.value) and "***" in str(error.value)
    assert safe_url("redis://:s3cret@r:6379/0") == "redis://:***@r:6379/0"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
@pytest.mark.slow
def test_two_workers_split_one_crawl(
    backend: str, frontier_prefix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'newshub.db'}"
    else:
        from tests.conftest import fresh_postgres_database

        database_url = fresh_postgres_database(request)
    env = {
        **os.environ,
        "NEWSHUB_DATA_DIR": str(tmp_path),
        "NEWSHUB_DATABASE_URL": database_url,
        "NEWSHUB_FRONTIER_URL": FRONTIER_URL,
        "NEWSHUB_FRONTIER_PREFIX": frontier_prefix,
    }
    hub = DemoHub(ARTICLES, seed=3)
    with DemoServer(hub) as server:
        command = [
            sys.executable, "-m", "crawler.cli", "crawl", "--url", server.url + "/",
            "--name", "hub", "--concurrency", "4", "--delay", "0",
        ]  # fmt: skip
        workers = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [(w.wait(timeout=120), *(s.decode() for s in w.communicate())) for w in workers]
        fetched = Counter(target for _, target, _ in server.requests)
        base = server.url
    assert [code for code, _, _ in results] == [0, 0], results

    truth = {base + article.path for article in hub.articles}
    article_fetches = {article.path: fetched[article.path] for article in hub.articles}
    assert set(article_fetches.values()) == {1}, "each article fetched once in total"
    twice = {target: n for target, n in fetched.items() if n > 1}
    assert twice == {"/robots.txt": 2}, "only robots.txt is fetched by each worker"

    warcs = tmp_path / "warcs"
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            articles = connection.execute(select(ArticleRow.url)).scalars().all()
            runs = connection.execute(select(CrawlRun).order_by(CrawlRun.id)).all()
        # Every capture of both workers resolves to its record (id, length, payload digest).
        audit = verify(engine, warcs, deep=True)
    finally:
        engine.dispose()
    assert audit.ok, audit.problems
    assert audit.captures == sum(fetched.values())
    assert len(articles) == ARTICLES and set(articles) == truth, "every article stored once"
    assert [run.status for run in runs] == ["finished", "finished"]
    pages = [run.pages_fetched for run in runs]
    assert all(n > 0 for n in pages), f"both workers fetched pages: {pages}"
    assert sum(pages) == sum(fetched.values()), (pages, sum(fetched.values()))
    assert sum(run.articles_new for run in runs) == ARTICLES

    files = sorted(warcs.glob("*.warc.gz"))
    pids = {name.rsplit("~", 1)[1].split(".")[0] for name in (f.name for f in files)}
    assert len(pids) == 2, f"WARC files of both workers (host~pid names): {files}"
    assert {f for run in runs for f in run.warc_files} == {f.name for f in files}
    assert not list(warcs.glob("*.open"))
    warcio = Path(sys.executable).with_name("warcio")
    check = subprocess.run([str(warcio), "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    import redis

    client = redis.Redis.from_url(FRONTIER_URL)
    try:
        assert not list(client.scan_iter(match=f"{frontier_prefix}:*")), "last worker cleans up"
    finally:
        client.close()
    print(f"pages per worker: {pages}; requests served: {sum(fetched.values())}")


def test_workers_share_the_source_lock_apart_from_plain_runs(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        first, second = (source_lock(engine, "hub", shared=True) for _ in range(2))
        assert first.acquire() and second.acquire(), "frontier workers run together"
        plain = source_lock(engine, "hub")
        assert not plain.acquire(), "a plain run waits for the workers"
        first.release()
        second.release()
        assert plain.acquire()
        assert not source_lock(engine, "hub", shared=True).acquire(), "and they for it"
        plain.release()
    finally:
        engine.dispose()
