"""Extraction in worker processes, so parsing pages uses the cores the reactor's GIL cannot.

In a thread, extraction (lxml parsing plus Python walking the tree) competes with the reactor
thread for the GIL and a 2-core machine runs the crawl at about one core; in worker processes
both cores work (bench/throughput.py). The workers (crawler.extraction.worker) start on first
use, as fresh interpreters (the crawl process has threads, which a fork would copy half-way);
their number is the setting HUB_EXTRACTION_PROCESSES (None: one less than the cores; 0: a
thread, as before). `read` runs crawler.page_reading.read_page (the page's kind, links,
identity, requisites and Article from one parse): bytes, a URL, a headers dict and SiteRules
in, a PageReading out, all picklable.

Calls and replies travel through pipes the event loop reads and writes itself (asyncio pipe
transports): no thread in the crawl process, where concurrent.futures' process pool kept two
busy, a feeder and a manager, and spent 3 % of the crawl's CPU on them (bench/throughput.py).

A worker whose parent dies (kill -9 of the crawl) sees its call pipe close and exits; a worker
that dies (killed, out of memory) is replaced, and the pages it was reading are read once more
in the new one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from crawler.page_reading import PageReading, read_page

from .rules import SiteRules
from .worker import FRAME, frame

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
# Seconds a worker gets to finish its page and exit when the pool closes, before it is killed.
CLOSE_TIMEOUT = 10.0


class WorkerLost(RuntimeError):
    """The worker process reading a page died before it answered."""


def default_processes() -> int:
    """One less than the cores this process may run on: the reactor keeps one."""
    return max(len(os.sched_getaffinity(0)) - 1, 0)


class _Worker(asyncio.Protocol):
    """One worker process: the call pipe's transport, and the reply pipe read as a protocol
    (frames in, futures resolved)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.calls: asyncio.WriteTransport | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.alive = True
        self._buffer = bytearray()

    def submit(self, number: int, payload: bytes) -> asyncio.Future[Any]:
        assert self.calls is not None
        future = asyncio.get_running_loop().create_future()
        self.pending[number] = future
        self.calls.write(frame(number, payload))
        return future

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME.size:
            number, size = FRAME.unpack_from(self._buffer)
            end = FRAME.size + size
            if len(self._buffer) < end:
                return
            payload = bytes(self._buffer[FRAME.size : end])
            del self._buffer[:end]
            future = self.pending.pop(number)
            if future.done():  # its caller was cancelled
                continue
            try:
                ok, value = pickle.loads(payload)
            except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
                ok, value = False, RuntimeError(f"unreadable extraction result: {exc!r}")
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        """The reply pipe ended: the worker exited (closed by the pool) or died."""
        self.alive = False
        if self.calls is not None:
            self.calls.close()
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerLost(f"extraction process {self.process.pid} died"))


class ExtractionPool:
    """`await pool.read(...)`: `crawler.page_reading.read_page` in a worker process (or, with
    0 processes, in a thread). `await pool.close()` when done."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._workers: list[_Worker] = []
        self._numbers = itertools.count()
        self._starting = asyncio.Lock()

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [worker.process.pid for worker in self._workers if worker.alive]

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
        payload = pickle.dumps(call, pickle.HIGHEST_PROTOCOL)
        try:
            return await self._call(payload)
        except WorkerLost as lost:
            logger.warning("%s; extracting %s in a new one", lost, url)
            return await self._call(payload)

    async def _call(self, payload: bytes) -> Any:
        worker = min(await self._live_workers(), key=lambda w: len(w.pending))
        return await worker.submit(next(self._numbers), payload)

    async def _live_workers(self) -> list[_Worker]:
        """The workers, dead ones replaced (started here on first use)."""
        async with self._starting:
            self._workers = [worker for worker in self._workers if worker.alive]
            while len(self._workers) < self.processes:
                self._workers.append(await self._start())
            return self._workers

    async def _start(self) -> _Worker:
        loop = asyncio.get_running_loop()
        calls_read, calls_write = os.pipe()
        replies_read, replies_write = os.pipe()
        # sys.path as this process has it, as multiprocessing's spawn does: the worker imports
        # the same crawler package (a checkout run with -m, an installed one).
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; from crawler.extraction.worker import main"
            f"; main({calls_read}, {replies_write})"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.DEVNULL,
                pass_fds=(calls_read, replies_write),
            )
        except OSError:
            os.close(calls_write)
            os.close(replies_read)
            raise
        finally:  # the worker's ends of the pipes are its own now
            os.close(calls_read)
            os.close(replies_write)
        worker = _Worker(process)
        await loop.connect_read_pipe(lambda: worker, os.fdopen(replies_read, "rb", buffering=0))
        worker.calls, _ = await loop.connect_write_pipe(
            asyncio.Protocol, os.fdopen(calls_write, "wb", buffering=0)
        )
        if not worker.alive:  # it died at once: its reply pipe ended before this one was set
            worker.calls.close()
        return worker

    async def close(self) -> None:
        """Let the workers finish their pages and exit (killed after CLOSE_TIMEOUT seconds)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.calls is not None:
                worker.calls.close()  # end of calls: the worker exits
        for worker in workers:
            await asyncio.to_thread(_wait, worker.process)


def _wait(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(CLOSE_TIMEOUT)
    except subprocess.TimeoutExpired:
        logger.warning("extraction process %d did not exit; killing it", process.pid)
        process.kill()
        process.wait()
