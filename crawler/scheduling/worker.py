"""`newshub worker`: a Procrastinate worker that runs the crawls the scheduler dispatched.

Crawls run in processes of their own, as under the local daemon: the jobs a worker takes in
one wave run together, up to `crawls_per_process`, in one process and one reactor
(`newshub crawl A B --worker W --job-of A=J:T ...`, crawler.batch): memory returned at its
end, and a crashing crawl takes at most its batch down, never the worker. Each job stays a
job of its own: its source's lock, its run row (with its job id), its redelivery. The child
dies with the worker (Linux PR_SET_PDEATHSIG), so a
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from crawler import settings as defaults
from crawler.errors import NewshubError
from crawler.scheduling.batches import Batcher, Result, end, follow, outcomes

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
    # Jobs run together in one crawl process (crawler.scheduling.batches); `concurrency`
    # then counts processes.
    crawls_per_process: int = defaults.CRAWLS_PER_PROCESS
    batch_window: float = defaults.SCHEDULER_BATCH_WINDOW

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
        self.batcher = Batcher(
            options.crawls_per_process, options.concurrency, options.batch_window, self._run_batch
        )

    def command(self, jobs: dict[str, tuple[str, int, float | None]]) -> list[str]:
        """`newshub crawl` for a batch of jobs: source -> (trigger, job id, timeout)."""
        base = [
            sys.executable, "-m", "crawler", "--config", str(self.options.config_file),
            "crawl", *jobs, "--worker", self.options.name,
        ]  # fmt: skip
        if len(jobs) == 1:
            ((trigger, job_id, _),) = jobs.values()
            return [*base, "--trigger", trigger, "--job", str(job_id)]
        return [*base, *(f"--job-of={n}={j}:{t}" for n, (t, j, _) in jobs.items())]

    def _jobs_at_once(self) -> int:
        """Jobs taken at once: every job of every process."""
        return self.options.concurrency * max(1, self.options.crawls_per_process)

    def run(self) -> None:
        """Work until SIGTERM/SIGINT, then stop the running crawls and return."""
        asyncio.run(self._run())

    async def _run(self) -> None:
        from procrastinate.worker import Worker

        self._worker = Worker(
            self.app,
            queues=list(self.options.queues) or None,
            name=self.options.name,
            # A job waits in its batch's process: room for every job of every process.
            concurrency=self._jobs_at_once(),
            install_signal_handlers=False,
            update_heartbeat_interval=self.options.heartbeat,
            stalled_worker_timeout=self.options.stalled_after,
            shutdown_graceful_timeout=self.options.stop_grace + 10,
        )
        loop = asyncio.get_running_loop()
        # Procrastinate runs a sync job in the loop's default executor (min(32, cores + 4)
        # threads): a thread for every job the batches hold, and a few for the rest.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=self._jobs_at_once() + 4))
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
        self.batcher.stop()
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
        from procrastinate.exceptions import ConnectorException

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
            except ConnectorException as exc:  # the database away for a moment: next beat
                logger.warning("cannot look for stalled jobs: %s", exc)

    def crawl(self, source: str, trigger: str, job_id: int, timeout: float | None = None) -> None:
        """One job: its crawl, in a process with the jobs taken meanwhile, to its end.
        Skipped (source busy) counts as done."""
        with self._lock:
            stopping = self._stopping
        result = None if stopping else self.batcher.submit(source, (trigger, job_id, timeout))
        if result is None:
            raise CrawlJobFailed("the worker is stopping")
        code, last = result
        log = logging.LoggerAdapter(logger, {"source": source})
        if code == 0:
            log.info("job %d: crawl of %s finished", job_id, source)
        elif code == EX_TEMPFAIL:
            log.info("job %d: crawl of %s skipped: %s", job_id, source, last)
        else:
            raise CrawlJobFailed(f"crawl of {source} failed (exit {code}): {last}")

    def _run_batch(
        self,
        jobs: dict[str, tuple[str, int, float | None]],
        report: Callable[[str, Result], None],
    ) -> dict[str, Result]:
        """One crawl process for a batch of jobs; each source's exit code and last line, told
        to `report` as soon as the process prints it."""
        names = list(jobs)
        with self._lock:
            if self._stopping:
                return {}
            child = subprocess.Popen(
                self.command(jobs),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,  # a Ctrl-C reaches the worker, which stops it in order
                preexec_fn=_die_with_parent,
            )
            self._children[child.pid] = child
        which = ", ".join(f"{n} (job {j})" for n, (_, j, _) in jobs.items())
        logger.info("crawl of %s started (pid %d)", which, child.pid)
        timeouts = [t for _, _, t in jobs.values()]
        # Each crawler stops at its own CLOSESPIDER_TIMEOUT; this is the last resort.
        timeout = None if None in timeouts else max(t for t in timeouts if t is not None)
        why = f"stopped by the worker: over its {timeout:g} s timeout" if timeout else ""

        def over_time() -> None:
            logger.error("crawl of %s %s", which, why)
            end(child, self.options.stop_grace)

        try:
            output, over = follow(child, names, report, timeout, over_time)
        finally:
            with self._lock:
                self._children.pop(child.pid, None)
        results = outcomes(output, names, child.returncode)
        for name, (code, last) in results.items():
            if code in (0, EX_TEMPFAIL) or code is None:
                continue
            if not last and code < 0:
                last = f"killed by {signal.Signals(-code).name}"
            if over:
                last = f"{why} ({last})"
            results[name] = (code, last)
        return results


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
