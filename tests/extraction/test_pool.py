"""Extraction in worker processes: the same Article as in-process, a dead worker replaced, and
no worker left behind when the crawl process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from crawler.demo.site import DemoHub
from crawler.extraction import SiteRules, extract
from crawler.extraction.pool import ExtractionPool, WorkerLost, default_processes

BASE = "http://hub.test"
ROOT = Path(__file__).resolve().parents[2]


def _pages(n: int) -> list[tuple[bytes, str]]:
    hub = DemoHub(n, seed=3)
    return [
        (hub.render(a.path, base_url=BASE, accept_gzip=False).body, BASE + a.path)
        for a in hub.articles
    ]


def test_processes_extract_what_the_process_itself_does() -> None:
    pages = _pages(6)
    rules = SiteRules.from_mapping({"author": ".no-such-author"})
    headers = {"Content-Type": "text/html; charset=UTF-8"}
    pool = ExtractionPool(1)

    async def run() -> list:
        try:
            return await asyncio.gather(*(pool.read(b, u, headers, rules) for b, u in pages))
        finally:
            await pool.close()

    articles = [reading.article for reading in asyncio.run(run())]
    assert articles == [extract(b, u, headers=headers, rules=rules) for b, u in pages]
    assert all(a.title and a.body for a in articles)


def test_zero_processes_extract_in_a_thread() -> None:
    (body, url), *_ = _pages(1)
    pool = ExtractionPool(0)
    article = asyncio.run(pool.read(body, url, {}, None)).article
    assert article == extract(body, url, headers={}, rules=None)
    assert pool.worker_pids() == []
    assert default_processes() == max(len(os.sched_getaffinity(0)) - 1, 0)


def test_a_killed_worker_is_replaced_and_the_page_extracted() -> None:
    (body, url), *_ = _pages(1)
    pool = ExtractionPool(1)

    async def run() -> tuple:
        try:
            first = (await pool.read(body, url, {}, None)).article
            killed = pool.worker_pids()
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)  # the pool notices the dead worker
            second = (await pool.read(body, url, {}, None)).article
            return first, second, killed, pool.worker_pids()
        finally:
            await pool.close()

    first, second, killed, replacements = asyncio.run(run())
    assert first == second == extract(body, url, headers={}, rules=None)
    assert killed and replacements and not set(killed) & set(replacements)
    assert pool.worker_pids() == []  # closed


def test_a_page_being_read_when_its_worker_dies_is_read_again() -> None:
    pool = ExtractionPool(1)

    async def run() -> tuple:
        try:
            await pool.run(partial(int, "1"), "warm-up")
            (pid,) = pool.worker_pids()
            reading = asyncio.ensure_future(pool.run(partial(time.sleep, 1), "slow"))
            await asyncio.sleep(0.3)
            os.kill(pid, signal.SIGKILL)
            return await reading, pid, pool.worker_pids()
        finally:
            await pool.close()

    result, killed, replacements = asyncio.run(run())
    assert result is None  # time.sleep's, from the new worker
    assert replacements and killed not in replacements


def test_errors_raise_in_the_caller_and_a_page_that_kills_twice_gives_up() -> None:
    pool = ExtractionPool(1)

    async def run() -> tuple:
        try:
            with pytest.raises(ValueError, match="invalid literal"):
                await pool.run(partial(int, "x"), "bad")
            with pytest.raises(WorkerLost, match="died"):
                await pool.run(partial(os._exit, 3), "fatal")
            return await pool.run(partial(int, "7"), "after")
        finally:
            await pool.close()

    assert asyncio.run(run()) == 7


SCRIPT = """
import asyncio, os, signal
from crawler.demo.site import DemoHub
from crawler.extraction.pool import ExtractionPool
hub = DemoHub(1)
art = hub.articles[0]
pool = ExtractionPool(1)
asyncio.run(pool.read(hub.render(art.path, base_url="http://h").body, "http://h/", {}, None))
print(*pool.worker_pids(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_workers_leave_when_the_crawl_process_is_killed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    workers = [int(pid) for pid in result.stdout.split()]
    assert workers
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
