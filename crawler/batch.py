"""Crawl several sources in one process: one Twisted reactor, one Scrapy crawler per source.

Measured in docs/scaling.md section 4: eight hubs in one reactor take a sixth of the memory and
less than half the CPU of eight crawl processes. Each source keeps what a single crawl has
(crawler.runner): its lock (a source whose lock is held is `skipped`), its run row, its own
settings (politeness, limits, CLOSESPIDER_TIMEOUT), its WARC files, its log file and its
summary. One source's failure (unreachable, an exception, a closespider) ends that crawler
only; the others go on.

Logging: Scrapy's root handler follows the settings of the newest crawler, which would send
every source's lines to the last source's log. The process is started without it; each source
gets a handler of its own that passes the records naming its crawler (Scrapy puts `spider` or
`crawler` in a record's `extra`; so does a spider's `self.logger`), and the records naming none
(the reactor, Scrapy's start-up lines, the database writer threads, Twisted) go to the
process's log, `<data>/logs/batch-<time>-<pid>.log` (stderr with --verbose).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.log import _get_handler

from crawler import settings as default_settings
from crawler.config import Paths, Source
from crawler.errors import NewshubError
from crawler.heap import frozen_heap
from crawler.log_format import json_log_handler, remove_log_handler
from crawler.run_summary import CrawlSummary
from crawler.runner import (
    CrawlOptions,
    CrawlSkipped,
    PreparedRun,
    collect_stats,
    failure_reason,
    finish_prepared,
    note_failure,
    prepare_run,
)
from crawler.spiders.hub import HubSpider
from pipelines.db.engine import open_engine

EX_OK, EX_FAILED, EX_TEMPFAIL = 0, 1, 75
# Which outcome a batch's exit status reports when its sources differ: a failure first.
SEVERITY = {EX_OK: 0, EX_TEMPFAIL: 1, EX_FAILED: 2}


@dataclasses.dataclass
class Outcome:
    """How one source of a batch ended: its exit status, summary, and one line about it."""

    source: str
    exit_code: int
    message: str = ""
    summary: CrawlSummary | None = None

    @property
    def status(self) -> str:
        return {EX_OK: "finished", EX_TEMPFAIL: "skipped"}.get(self.exit_code, "failed")

    def line(self) -> str:
        """`SOURCE  STATUS  what happened`, one line."""
        s = self.summary
        what = self.message
        if s is not None:
            counts = (
                f"{s.pages} pages, {s.articles_new} new, {s.articles_updated} updated, "
                f"{s.articles_unchanged} unchanged, {len(s.warc_files)} WARC files, "
                f"{s.duration:.1f} s"
            )
            what = f"run {s.run_id}: {counts}" + (f"; {self.message}" if self.message else "")
        return f"{self.source}  {self.status}  {what}"


def exit_code(outcomes: list[Outcome]) -> int:
    """The batch's exit status: 0 when every source finished, else the worst per SEVERITY."""
    return max((o.exit_code for o in outcomes), key=SEVERITY.__getitem__, default=EX_OK)


def crawl_many(
    sources: list[Source],
    paths: Paths,
    options: CrawlOptions | None = None,
    jobs: dict[str, tuple[int, str]] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Crawl every source at once in this process's reactor; one Outcome per source, in order.

    Each source's run is recorded and its lock released as soon as its own crawl ends (in a
    thread, off the reactor), and `on_outcome` hears of it then, not when the last one ends.
    `jobs`: the cluster job (id, trigger) each source runs for, recorded in its run row.
    Call it once per process (a Twisted reactor does not restart).
    """
    options = options or CrawlOptions()
    unique = list({source.name: source for source in sources}.values())
    batch = _Batch(open_engine(paths.database_url), on_outcome)
    runs: list[PreparedRun] = []
    try:
        for source in unique:
            try:
                own = options
                if jobs and source.name in jobs:
                    job_id, trigger = jobs[source.name]
                    own = dataclasses.replace(options, job_id=job_id, trigger=trigger)
                runs.append(prepare_run(batch.engine, source, paths, own))
            except CrawlSkipped as exc:
                batch.report(Outcome(source.name, EX_TEMPFAIL, str(exc)))
            except NewshubError as exc:
                batch.report(Outcome(source.name, EX_FAILED, str(exc)))
        if runs:
            _run_together(batch, runs, paths, options)
    finally:
        for run in runs:  # every run row is closed, even when the reactor could not start
            if run.source.name in batch.outcomes:
                continue
            stats: dict[str, Any] = {}
            spider = None
            if run.source.name in batch.crawlers:  # stopped with the reactor (a signal)
                spider = collect_stats(*batch.crawlers[run.source.name], stats)
            else:
                stats["newshub/startup_error"] = "the batch stopped before this crawl started"
            batch.conclude(run, stats, spider, time.monotonic() - run.started)
        batch.engine.dispose()
    return [batch.outcomes[source.name] for source in unique]


class _Batch:
    """The outcomes of a batch's sources as they come in, from the reactor's threads."""

    def __init__(self, engine: Any, on_outcome: Callable[[Outcome], None] | None) -> None:
        self.engine = engine
        self.on_outcome = on_outcome
        self.outcomes: dict[str, Outcome] = {}
        self.crawlers: dict[str, tuple[Crawler, list[str]]] = {}
        self._lock = threading.Lock()

    def report(self, outcome: Outcome) -> None:
        with self._lock:
            if outcome.source in self.outcomes:
                return
            self.outcomes[outcome.source] = outcome
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def conclude(
        self, run: PreparedRun, stats: dict[str, Any], spider: HubSpider | None, took: float
    ) -> None:
        """Record a run, release its lock, report its outcome (blocking: not on the reactor)."""
        with self._lock:
            if run.source.name in self.outcomes:
                return
        summary = finish_prepared(self.engine, run, stats, spider, took)
        reason = failure_reason(run, summary)
        code = EX_OK if reason is None else EX_FAILED
        self.report(Outcome(run.source.name, code, reason or "", summary))

    def crawl_ended(self, _: Any, run: PreparedRun, crawler: Crawler, failures: list[str]) -> Any:
        """A crawler's deferred fired: conclude its run in a thread of the reactor's pool."""
        from twisted.internet.threads import deferToThread

        stats: dict[str, Any] = {}
        spider = collect_stats(crawler, failures, stats)
        took = time.monotonic() - run.started
        return deferToThread(self.conclude, run, stats, spider, took)


def _run_together(
    batch: _Batch, runs: list[PreparedRun], paths: Paths, options: CrawlOptions
) -> None:
    """Run every prepared crawl in one reactor, each concluded as it ends."""
    # The process's own settings are merged into every crawler Scrapy creates, and its root
    # log handler follows the newest crawler: it gets the defaults and no root handler.
    base = Settings()
    base.setmodule(default_settings, priority="project")
    base.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    base.set("LOG_LEVEL", options.log_level, priority="cmdline")
    if not options.verbose:
        base.set("LOG_FILE", str(batch_log_path(paths)), priority="cmdline")
    # A full disk must not turn each log line into a "--- Logging error ---" traceback.
    logging.raiseExceptions = False
    logging.root.setLevel(logging.NOTSET)  # as Scrapy does: the handlers filter
    handlers = [_handler(base, options, ProcessRecords(), source=None, run_id=None)]
    try:
        process = CrawlerProcess(base)
        concluded = []
        for index, run in enumerate(runs):
            crawler = Crawler(HubSpider, run.settings, init_reactor=index == 0)
            settings = run.settings
            if options.verbose:  # every source on stderr: name each line's source
                settings = settings.copy()
                settings.set("LOG_FORMAT", f"[{run.source.name}] {settings['LOG_FORMAT']}")
            handlers.append(
                _handler(
                    settings,
                    options,
                    CrawlerRecords(crawler),
                    source=run.source.name,
                    run_id=run.run_id,
                )
            )
            failures: list[str] = []
            deferred = process.crawl(crawler, source=run.source)
            deferred.addErrback(note_failure, failures)
            deferred.addBoth(batch.crawl_ended, run, crawler, failures)
            batch.crawlers[run.source.name] = (crawler, failures)
            concluded.append(deferred)
        from twisted.internet import reactor  # installed by the first crawler
        from twisted.internet.defer import DeferredList

        # The reactor stops once every run is recorded, not when the last crawler ends.
        DeferredList(concluded, consumeErrors=True).addBoth(lambda _: _stop(reactor))
        # Collections walk the crawls' objects only, and less often (crawler.heap).
        with frozen_heap(base.getint("HEAP_GC_THRESHOLD")):
            process.start(stop_after_crawl=False)
    finally:
        for handler in handlers:
            remove_log_handler(handler)


def _stop(reactor: Any) -> None:
    if reactor.running:
        reactor.stop()


def batch_log_path(paths: Paths) -> Path:
    """The process's own log: the lines that name no source."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return paths.data_dir / "logs" / f"batch-{stamp}-{os.getpid()}.log"


def record_crawler(record: logging.LogRecord) -> Any:
    """The crawler a log record names (Scrapy's `extra`), or None."""
    crawler = getattr(record, "crawler", None)
    if crawler is None:
        crawler = getattr(getattr(record, "spider", None), "crawler", None)
    return crawler


class CrawlerRecords(logging.Filter):
    """Passes the records of one crawler."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__()
        self.crawler = crawler

    def filter(self, record: logging.LogRecord) -> bool:
        return record_crawler(record) is self.crawler


class ProcessRecords(logging.Filter):
    """Passes the records that name no crawler."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record_crawler(record) is None


def _handler(
    settings: Settings,
    options: CrawlOptions,
    only: logging.Filter,
    **fields: Any,
) -> logging.Handler:
    """A root handler per Scrapy's LOG_* settings (or JSON lines), passing `only`'s records."""
    handler: logging.Handler
    if options.log_format == "json":
        handler = json_log_handler(settings.get("LOG_FILE"), options.log_level, **fields)
    else:
        Path(settings["LOG_FILE"] or ".").parent.mkdir(parents=True, exist_ok=True)
        handler = _get_handler(settings)  # Scrapy's own: file, format, level, short names
        logging.root.addHandler(handler)
    handler.addFilter(only)
    return handler
