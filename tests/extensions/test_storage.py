"""A full disk stops the crawl: run `failed` with the reason, exit non-zero with one line,
the WARC files whole (`warcio check`), and no traceback or logging error in the log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.config import Source
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoHub
from crawler.extensions.storage import StorageGuard, free_bytes
from crawler.run_summary import summarize
from pipelines.db.engine import make_engine
from pipelines.db.models import CrawlRun

# The reserve is a module default: a test lowers it in the child process only.
NEWSHUB_WITH_RESERVE = (
    "import sys, crawler.settings as s; s.STORAGE_MIN_FREE = int(sys.argv.pop(1)); "
    "from crawler.cli import main; main(prog_name='newshub')"
)


def crawl(data: Path, database_url: str, home: str, reserve: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSHUB_DATA_DIR": str(data), "NEWSHUB_DATABASE_URL": database_url}
    command = [sys.executable, "-c", NEWSHUB_WITH_RESERVE, str(reserve), "crawl", "--url", home,
               "--name", "hub", "--concurrency", "8", "--delay", "0"]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def failed_run(database_url: str) -> CrawlRun:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(CrawlRun)).one()  # type: ignore[return-value]
    finally:
        engine.dispose()


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    return lines[0]


def test_free_bytes_of_a_folder_not_yet_created(tmp_path: Path) -> None:
    assert free_bytes(tmp_path / "not" / "yet") == free_bytes(tmp_path) > 0


def test_too_little_space_at_start_fails_at_once(small_disk: Path, database_url: str) -> None:
    with DemoServer(DemoHub(10, seed=2)) as server:
        result = crawl(small_disk, database_url, server.url + "/", 100 * 1024 * 1024)
    assert "disk almost full" in one_line(result)
    run = failed_run(database_url)
    assert run.status == "failed" and "disk almost full" in (run.error or "")


# The demo hub's 400 articles take about 4 MB of WARC: a 2 MB disk fills half way through.
@pytest.mark.slow
@pytest.mark.parametrize("small_disk", ["2m"], indirect=True)
def test_disk_full_mid_crawl_fails_cleanly(small_disk: Path, database_url: str) -> None:
    with DemoServer(DemoHub(400, seed=3)) as server:
        result = crawl(small_disk, database_url, server.url + "/", 0)
    line = one_line(result)
    assert "WARC write failed" in line and "No space left" in line
    run = failed_run(database_url)
    assert run.status == "failed" and "No space left" in (run.error or "")
    warcs = sorted((small_disk / "warcs").glob("*.warc.gz"))
    assert warcs and not list((small_disk / "warcs").glob("*.open"))
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", *map(str, warcs)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    log = "\n".join(path.read_text(errors="replace") for path in (small_disk / "logs").iterdir())
    assert "Traceback" not in log and "Logging error" not in log + result.stderr


def test_a_write_failure_fails_the_run_even_when_the_crawl_ends_before_a_check(
    tmp_path: Path,
) -> None:
    """The last responses are refused quickly after the disk fills: the crawl may finish
    between two checks, and the run must still fail."""
    settings = {"WARC_ENABLED": True, "WARC_DIR": str(tmp_path), "STORAGE_MIN_FREE": 0}
    crawler = get_crawler(Spider, settings)
    crawler.stats = StatsCollector(crawler)
    guard = StorageGuard.from_crawler(crawler)
    crawler.stats.set_value("warc/write_error", "[Errno 28] No space left on device")
    crawler.stats.set_value("finish_reason", "finished")  # the engine ran out of work
    guard.spider_closed()
    message = crawler.stats.get_value("newshub/storage_error")
    assert message == f"WARC write failed in {tmp_path}: [Errno 28] No space left on device"
    summary = summarize(Source("hub", "http://hub.test/"), 1, crawler.stats.get_stats(), None, 1.0)
    assert summary.status == "failed" and summary.error == message
