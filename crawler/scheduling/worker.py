"""`newshub worker`: a Procrastinate worker that runs the crawls the scheduler dispatched.

Each crawl is still its own process, `newshub crawl SOURCE --trigger T --worker W --job J`,
as under the local daemon: a fresh reactor, memory returned at its end, and a crashing crawl
cannot take the worker down. The child dies with the worker (Linux PR_SET_PDEATHSIG), so a
worker killed with `kill -9` leaves no crawl behind that would keep the source's lock.

Redelivery: every worker writes a heartbeat into `procrastinate_workers`; a job still `doing`
whose worker has not beaten for `stalled_after` seconds belonged to a dead worker, and every
live worker puts such jobs back on their queue (Procrastinate's stalled-job API). The crawl
that runs them again finds the dead run `running` and marks it `interrupted` (history.py).
A long crawl is never redelivered while its worker lives: there is no delivery timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from crawler import settings as defaults
from crawler.errors import NewshubError

logger = logging.getLogger(__name__)

EX_TEMPFAIL = 75
PR_SET_PDEATHSIG = 1


class CrawlJobFailed(NewshubError):
    """A crawl job's process failed; Procrastinate records the job as failed."""


@dataclasses.dataclass(frozen=True)
class WorkerOptions:
    """How one `newshub worker` runs."""

    config_file: Path
    concurrency: int
    queues: tuple[str, ...] = ()  # empty: every queue
    heartbeat: float = defaults.WORKER_HEARTBEAT
    stalled_after: float = defaults.WORKER_STALLED_AFTER
    stop_grace: float = defaults.SCHEDULER_STOP_GRACE

    @property
    def name(self) -> str:
        """Host and pid: what crawl_runs.worker records and the job logs show."""
        return f"{socket.gethostname()}:{os.getpid()}"


class CrawlWorker:
    """One worker process: its Procrastinate worker, its crawl children, their shutdown."""

    def __init__(self, app: Any, options: WorkerOptions) -> None:
        self.app = app
        self.options = options
        self._children: dict[int, subprocess.Popen[str]] = {}
        self._lock = threading.Lock()
        self._stopping = False
        self._worker: Any = None

    def command(self, source: str, trigger: str, job_id: int) -> list[str]:
        return [
            sys.executable, "-m", "crawler.cli", "--config", str(self.options.config_file),
            "crawl", source, "--trigger", trigger,
            "--worker", self.options.name, "--job", str(job_id),
        ]  # fmt: skip

    def run(self) -> None:
        """Work until SIGTERM/SIGINT, then stop the running crawls and return."""
        asyncio.run(self._run())

    async def _run(self) -> None:
        from procrastinate.worker import Worker

        self._worker = Worker(
            self.app,
            queues=list(self.options.queues) or None,
            name=self.options.name,
            concurrency=self.options.concurrency,
            install_signal_handlers=False,
            update_heartbeat_interval=self.options.heartbeat,
            stalled_worker_timeout=self.options.stalled_after,
            shutdown_graceful_timeout=self.options.stop_grace + 10,
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop, signum)
        requeuer = asyncio.create_task(self._requeue_stalled())
        queues = ", ".join(self.options.queues) or "every queue"
        logger.info(
            "worker %s: up to %d crawls at once, on %s",
            self.options.name, self.options.concurrency, queues,
        )  # fmt: skip
        try:
            async with self.app.open_async():
                await self._worker.run()
        finally:
            requeuer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await requeuer
        logger.info("worker %s stopped", self.options.name)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Take no new job, SIGTERM the running crawls (they close their runs), then end."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            children = list(self._children.values())
        logger.info("%s received: stopping", signal.Signals(signum).name)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        if children:  # SIGKILL whatever is left after the grace period
            killer = threading.Timer(self.options.stop_grace, self._kill_children)
            killer.daemon = True
            killer.start()
        if self._worker is not None:
            self._worker.stop()

    def _kill_children(self) -> None:
        with self._lock:
            leftovers = list(self._children.values())
        for child in leftovers:
            logger.warning("crawl process %d did not stop in time: killing it", child.pid)
            with contextlib.suppress(ProcessLookupError):
                child.kill()

    async def _requeue_stalled(self) -> None:
        """Every heartbeat, put the jobs of workers that stopped beating back on their queue."""
        manager = self.app.job_manager
        while True:
            await asyncio.sleep(self.options.heartbeat)
            try:
                stalled = await manager.get_stalled_jobs(
                    seconds_since_heartbeat=self.options.stalled_after
                )
                for job in stalled:
                    logger.warning(
                        "job %s (%s) lost its worker: delivering it again",
                        job.id, job.task_kwargs.get("source"),
                    )  # fmt: skip
                    await manager.retry_job(job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away for a moment: try again next beat
                logger.warning("cannot look for stalled jobs: %s", exc)

    def crawl(self, source: str, trigger: str, job_id: int, timeout: float | None = None) -> None:
        """One job: one crawl process, to its end. Skipped (source busy) counts as done."""
        with self._lock:
            if self._stopping:
                raise CrawlJobFailed("the worker is stopping")
            child = subprocess.Popen(
                self.command(source, trigger, job_id),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,  # a Ctrl-C reaches the worker, which stops it in order
                preexec_fn=_die_with_parent,
            )
            self._children[job_id] = child
        log = logging.LoggerAdapter(logger, {"source": source})
        log.info("job %d: crawl of %s started (pid %d)", job_id, source, child.pid)
        why = ""
        try:
            try:
                output, _ = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                why = f"stopped by the worker: over its {timeout:g} s timeout"
                log.error("job %d: crawl of %s %s", job_id, source, why)
                output = self._end(child)
        finally:
            with self._lock:
                self._children.pop(job_id, None)
        last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
        code = child.returncode
        if code == 0:
            log.info("job %d: crawl of %s finished", job_id, source)
        elif code == EX_TEMPFAIL:
            log.info("job %d: crawl of %s skipped: %s", job_id, source, last)
        else:
            if not last and code < 0:
                last = f"killed by {signal.Signals(-code).name}"
            if why:
                last = f"{why} ({last})"
            raise CrawlJobFailed(f"crawl of {source} failed (exit {code}): {last}")

    def _end(self, child: subprocess.Popen[str]) -> str:
        """SIGTERM a crawl, SIGKILL it after the grace period; its output so far."""
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            output, _ = child.communicate(timeout=self.options.stop_grace)
        except subprocess.TimeoutExpired:
            child.kill()
            output, _ = child.communicate()
        return output


# The running worker: jobs reach it through this module (Procrastinate calls a function).
_worker: CrawlWorker | None = None


def run_crawl_job(
    context: Any, source: str, trigger: str = "daemon", timeout: float | None = None
) -> None:
    """The `newshub.crawl` task: one crawl of `source` in a child process of this worker."""
    if _worker is None:
        raise CrawlJobFailed("no newshub worker is running in this process")
    _worker.crawl(source, trigger, int(context.job.id), timeout)


def run_worker(app: Any, options: WorkerOptions) -> None:
    """Run a worker in the foreground until SIGTERM or Ctrl-C."""
    global _worker
    _worker = CrawlWorker(app, options)
    try:
        _worker.run()
    finally:
        _worker = None


def _die_with_parent() -> None:
    """In the crawl child: be killed when the worker dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
