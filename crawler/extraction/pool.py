"""Extraction in worker processes, so parsing pages uses the cores the reactor's GIL cannot.

In a thread, extraction (lxml parsing plus Python walking the tree) competes with the reactor
thread for the GIL and a 2-core machine runs the crawl at about one core; in a process pool
both cores work (bench/throughput.py). The pool is spawned on first use ("spawn": the crawl
process has threads, which fork would copy half-way), its size is the setting
HUB_EXTRACTION_PROCESSES (None: one less than the cores; 0: a thread, as before). `read` runs
crawler.page_reading.read_page (the page's kind, links, identity, requisites and Article from
one parse): bytes, a URL, a headers dict and SiteRules in, a PageReading out, all picklable.

A worker whose parent dies (kill -9 of the crawl) exits by itself within a second; a pool whose
worker died (killed, out of memory) is replaced and the page extracted once more in the new one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

from crawler.page_reading import PageReading, read_page

from .rules import SiteRules

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


def default_processes() -> int:
    """One less than the cores this process may run on: the reactor keeps one."""
    return max(len(os.sched_getaffinity(0)) - 1, 0)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: leave when the crawl process is gone (re-parented), since a killed
    parent never tells its pool to shut down."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ExtractionPool:
    """`await pool.read(...)`: `crawler.page_reading.read_page` in a worker process (or, with
    0 processes, in a thread)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self._executor

    async def read(
        self,
        html: bytes,
        url: str,
        headers: Mapping[str, str],
        rules: SiteRules | None,
        **options: Any,
    ) -> PageReading:
        """crawler.page_reading.read_page in a worker; options are its keyword arguments."""
        call = partial(read_page, html, url, dict(headers), rules, **options)
        return await self.run(call, url)

    async def run(self, call: Callable[[], _T], url: str) -> _T:
        """call() in a worker process (a thread with 0 processes); url names it in logs."""
        if self.processes <= 0:
            return await asyncio.to_thread(call)
        loop = asyncio.get_running_loop()
        pool = self._pool()
        try:
            return await loop.run_in_executor(pool, call)
        except BrokenProcessPool:
            logger.warning("an extraction process died; extracting %s in a new pool", url)
            if self._executor is pool:  # the first of its callers to hear replaces it
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            return await loop.run_in_executor(self._pool(), call)

    def close(self) -> None:
        """Stop the workers (waits for them: call from a thread, not the reactor)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
