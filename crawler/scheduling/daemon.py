"""`newshub schedule run`: an APScheduler daemon that starts each source's crawls on time.

Crawls run in processes of their own, `newshub crawl A B C --trigger daemon`: the sources due
in one wave are grouped, up to `crawls_per_process`, into one process and one Twisted reactor
(crawler.batch, crawler.scheduling.batches): a fresh reactor each time, memory returned when it
ends, and a hung or crashing crawl takes at most its batch down, never the daemon. Jobs
persist in the database (APScheduler's SQLAlchemyJobStore,
table `apscheduler_jobs`), so a restart neither forgets nor repeats runs; they are reconciled
with the config file at start. The per-source run lock still applies, so a cron run and a
daemon run of one source never overlap either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from crawler import settings as defaults
from crawler.config import Source
from crawler.errors import NewshubError
from crawler.scheduling.batches import Batcher, Result, end, follow, outcomes
from crawler.scheduling.density import max_concurrent_crawls
from crawler.scheduling.expressions import make_trigger
from crawler.scheduling.jobs import JOB_TABLE, reconcile
from crawler.scheduling.leader import wait_for_leadership
from pipelines.db.history import explain_stopped_run

logger = logging.getLogger(__name__)

EX_TEMPFAIL = 75


@dataclasses.dataclass(frozen=True)
class DaemonOptions:
    """How the daemon treats late, long and interrupted runs (seconds)."""

    misfire_grace_time: int = defaults.SCHEDULER_MISFIRE_GRACE_TIME
    jitter: float = defaults.SCHEDULER_JITTER
    timeout: float = defaults.SCHEDULER_TIMEOUT
    stop_grace: float = defaults.SCHEDULER_STOP_GRACE
    standby_poll: float = defaults.SCHEDULER_STANDBY_POLL
    # Crawls run at once (None: crawler.scheduling.density's default for this host); due
    # crawls beyond it wait in the executor's queue, the most overdue first.
    max_concurrent_crawls: int | None = None
    # Sources crawled together in one process (crawler.batch), and how long the first due
    # crawl waits for the rest of its wave (crawler.scheduling.batches).
    crawls_per_process: int = defaults.CRAWLS_PER_PROCESS
    batch_window: float = defaults.SCHEDULER_BATCH_WINDOW


# The running daemon. Persisted jobs name their function by import path, so they reach the
# daemon through this module rather than through a reference pickled into the job store.
_daemon: Daemon | None = None


def run_scheduled_crawl(source: str, schedule: str = "", timeout: float | None = None) -> None:
    """What every job runs: one crawl of `source` in a child process.

    `schedule` rides along in the stored job so a changed config is noticed at start.
    """
    daemon = _daemon
    if daemon is None:
        logger.warning("no scheduler daemon is running; not crawling %s", source)
        return
    if daemon.dispatcher is not None:  # a cluster: a worker runs it (crawler.scheduling.worker)
        daemon.dispatch(source)
        return
    daemon.launch(source, timeout)


class Daemon:
    """Schedules every source that has a `schedule`, one crawl process per run.

    With a `dispatcher` (NEWSHUB_BROKER_URL), a due crawl is handed to it, which enqueues it
    for the cluster's workers, instead of running here.
    """

    def __init__(
        self,
        sources: dict[str, Source],
        config_file: Path,
        options: DaemonOptions | None = None,
        *,
        command: list[str] | None = None,
        dispatcher: Callable[[Source], object] | None = None,
    ) -> None:
        self.sources = {name: s for name, s in sources.items() if s.schedule}
        self.config_file = config_file.resolve()
        self.options = options or DaemonOptions()
        # Program run per crawl, the source name appended (tests put a stand-in here).
        self.base_command = command
        self.dispatcher = dispatcher
        self.scheduler: Any = None
        # The running crawl processes by pid, and why the daemon stopped one, if it did.
        self._children: dict[int, subprocess.Popen[str]] = {}
        self._stopped_why: dict[int, str] = {}
        # The database, once run() has it: runs the daemon stops are told why.
        self.engine: Engine | None = None
        self._changed = threading.Condition()
        self._stopping = False
        self._stopper: threading.Thread | None = None
        # What the last reconciliation did per source: added, changed, kept, removed.
        self.actions: dict[str, str] = {}
        self.batcher = Batcher(
            self.options.crawls_per_process,
            self.process_bound(),
            self.options.batch_window,
            self._run_batch,
        )

    def command(self, *sources: str) -> list[str]:
        if self.base_command is not None:
            return [*self.base_command, *sources]
        return [
            sys.executable, "-m", "crawler", "--config", str(self.config_file),
            "crawl", *sources, "--trigger", "daemon",
        ]  # fmt: skip

    def process_bound(self) -> int:
        """Crawl processes at once (max_concurrent_crawls)."""
        return max_concurrent_crawls(self.options.max_concurrent_crawls)

    def pool_size(self) -> int:
        """Threads for due jobs: one per crawl the running batches hold, at most one a source."""
        if self.dispatcher is not None:  # enqueueing takes a moment: a few threads do
            return max(1, min(len(self.sources), 4))
        bound = self.process_bound() * max(1, self.options.crawls_per_process)
        return max(1, min(len(self.sources), bound))

    def dispatch(self, name: str) -> None:
        """Enqueue one crawl of a source for the cluster's workers."""
        assert self.dispatcher is not None
        source = self.sources.get(name)
        if source is None:
            logger.warning("%s is no longer configured; not dispatching it", name)
            return
        try:
            self.dispatcher(source)
        except NewshubError as exc:
            logger.error("%s", exc)

    def timeout_of(self, source: Source) -> float:
        return source.timeout or self.options.timeout

    # -- scheduling -------------------------------------------------------------------------
    def build(self, engine: Engine) -> Any:
        """A BlockingScheduler on the database job store, its jobs matching the config."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
        self.scheduler = BlockingScheduler(
            jobstores={"default": store},
            # A thread per running crawl, up to the bound: a long crawl delays no other source
            # while there is room. APScheduler submits due jobs oldest next-run-time first, so
            # crawls waiting for a thread start in order of how overdue they are.
            executors={"default": ThreadPoolExecutor(self.pool_size())},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.options.misfire_grace_time,
            },
        )
        self.actions = self.reconcile(store)
        return self.scheduler

    def reconcile(self, store: Any) -> dict[str, str]:
        """Make the stored jobs match the config (crawler.scheduling.jobs.reconcile)."""
        wanted = {}
        for name, source in self.sources.items():
            assert source.schedule is not None
            trigger = make_trigger(source.schedule, jitter=self.options.jitter)
            wanted[name] = (
                trigger,
                {"schedule": source.schedule, "timeout": self.timeout_of(source)},
            )
        return reconcile(
            self.scheduler, store, wanted, run_scheduled_crawl, self.options.misfire_grace_time
        )

    def run(self, engine: Engine) -> None:
        """Schedule until SIGTERM/SIGINT, then stop the running crawls and return.

        While another daemon schedules on the same database, wait as its standby.
        """
        standby_stopped = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):  # until the scheduler's own take over
            signal.signal(signum, lambda *_: standby_stopped.set())
        leadership = wait_for_leadership(engine, self.options.standby_poll, standby_stopped)
        if leadership is None:
            logger.info("standby scheduler stopped")
            return
        self.engine = engine
        try:
            self._schedule(engine)
        finally:
            leadership.release()

    def _schedule(self, engine: Engine) -> None:
        global _daemon
        from apscheduler.events import EVENT_SCHEDULER_START

        scheduler = self.build(engine)
        scheduler.add_listener(self._install_signal_handlers, EVENT_SCHEDULER_START)
        _daemon = self
        try:
            scheduler.start()  # blocks until stop() shuts it down
        finally:
            if self._stopper is not None:
                self._stopper.join()
            else:
                self.stop()
            _daemon = None
        logger.info("scheduler stopped")

    def _install_signal_handlers(self, _event: Any) -> None:
        # Runs in the main thread as the scheduler starts; stopping needs the scheduler's
        # locks, which the main thread may hold, so a signal only starts a stopping thread.
        def handle(signum: int, _frame: Any) -> None:
            if self._stopper is None:
                logger.info("%s received: stopping", signal.Signals(signum).name)
                self._stopper = threading.Thread(target=self.stop, name="newshub-stop")
                self._stopper.start()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def stop(self) -> None:
        """Stop scheduling, SIGTERM the running crawls, SIGKILL them after the grace period."""
        with self._changed:
            if self._stopping:
                return
            self._stopping = True
            children = dict(self._children)
        self.batcher.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for child in children.values():
            self._stopped_why.setdefault(child.pid, "stopped by the scheduler daemon's shutdown")
            logger.info("stopping the crawl process %d", child.pid)
            _signal(child, signal.SIGTERM)
        if not self._wait_for_children(self.options.stop_grace):
            with self._changed:
                leftovers = dict(self._children)
            for child in leftovers.values():
                logger.warning("crawl process %d did not stop in time: killing it", child.pid)
                _signal(child, signal.SIGKILL)
            self._wait_for_children(10)

    def _wait_for_children(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._changed:
            while self._children and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return not self._children

    # -- one run ----------------------------------------------------------------------------
    def launch(self, source: str, timeout: float | None = None) -> int | None:
        """Run one crawl, in a batch with the others due now, to its end (or its timeout);
        returns its exit status (None: not run, the daemon is stopping or it is running)."""
        result = self.batcher.submit(source, timeout)
        if result is None:
            return None
        code, last = result
        log = logging.LoggerAdapter(logger, {"source": source})  # a field in JSON logs
        if code == 0:
            log.info("crawl of %s finished: %s", source, last)
        elif code == EX_TEMPFAIL:
            log.info("crawl of %s skipped: %s", source, last)
        else:
            log.error("crawl of %s failed (exit %s) %s", source, code, last)  # "after Ns: why"
        return code

    def _run_batch(
        self, members: dict[str, float | None], report: Callable[[str, Result], None]
    ) -> dict[str, Result]:
        """One crawl process for a batch of sources (their timeouts): its outcome per source,
        each told to `report` as soon as the process prints it."""
        names = list(members)
        with self._changed:
            if self._stopping:
                return {}
            child = subprocess.Popen(
                self.command(*names),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                # Its own session: a Ctrl-C on the daemon's terminal reaches the daemon only,
                # which then stops the crawls in order.
                start_new_session=True,
            )
            self._children[child.pid] = child
        since = datetime.now(UTC) - timedelta(seconds=1)
        started = time.monotonic()
        which = ", ".join(names)
        logger.info("crawl of %s started (pid %d)", which, child.pid)
        # Each crawler stops itself at its own CLOSESPIDER_TIMEOUT; this is the last resort.
        limit = max(timeout or self.options.timeout for timeout in members.values())

        def over_time() -> None:
            logger.error("crawl of %s ran over its %gs timeout: stopping it", which, limit)
            self._stopped_why[child.pid] = f"stopped by the scheduler: over its {limit:g} s timeout"
            end(child, self.options.stop_grace)

        try:
            output, _ = follow(child, names, report, limit, over_time)
        finally:
            with self._changed:
                self._children.pop(child.pid, None)
                self._changed.notify_all()
        results = outcomes(output, names, child.returncode)
        why = self._stopped_why.pop(child.pid, "")
        if why and self.engine is not None:
            explain_stopped_run(self.engine, child.pid, since, why)
        took = time.monotonic() - started
        for name, (each, last) in results.items():
            if each in (0, EX_TEMPFAIL):  # its own line says it ended before it was stopped
                continue
            if why:
                last = f"{why} ({last})" if last else why
            elif not last and each is not None and each < 0:
                last = f"killed by {signal.Signals(-each).name}"
            results[name] = (each, f"after {took:.0f}s: {last}")
        return results


def _signal(child: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        child.send_signal(signum)
