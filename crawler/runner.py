"""Run one crawl of one source: the library function behind `newshub crawl`.

Database work (schema, source row, run row) happens here, before and after the reactor runs,
so the crawl itself only ever talks to the database from the pipeline's writer thread.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, NoReturn

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from crawler import settings as default_settings
from crawler.config import DISCOVERY_SETTINGS, Paths, Source
from crawler.errors import NewshubError
from crawler.heap import frozen_heap
from crawler.locks import schema_lock, source_lock
from crawler.log_format import json_log_handler, remove_log_handler
from crawler.run_summary import CrawlSummary, summarize
from crawler.spiders.hub import HubSpider
from pipelines.db.engine import open_engine
from pipelines.db.history import reap_dead_runs, record_skipped, running_run
from pipelines.db.runs import ensure_source, finish_run, start_run
from pipelines.db.schema import ensure_schema
from pipelines.db.spool_replay import replay_spools


class CrawlFailed(NewshubError):
    """The crawl ran but did not succeed; the message is one line for the user."""


class CrawlSkipped(NewshubError):
    """Another run of the source holds its lock; cron should simply try again next time."""

    exit_code = 75  # EX_TEMPFAIL


@dataclasses.dataclass
class CrawlOptions:
    """Per-run overrides of a source's limits and politeness."""

    max_articles: int | None = None
    concurrency: int | None = None
    delay: float | None = None
    trigger: str = "manual"
    # The cluster worker (host:pid) and job running this crawl (crawler.scheduling.worker).
    worker: str | None = None
    job_id: int | None = None
    progress: bool = False
    # Scrapy's log goes to <data>/logs/SOURCE-RUN.log at this level, or to stderr with verbose.
    log_level: str = "INFO"
    verbose: bool = False
    # "json": one JSON object per log line, with source and run id (crawler.log_format).
    log_format: str = "human"
    # Extra Scrapy settings (tests and benchmarks use this; users use newshub.toml).
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)


def build_settings(
    source: Source,
    paths: Paths,
    options: CrawlOptions,
    *,
    source_id: int,
    run_id: int,
    run_uuid: str,
) -> Settings:
    """newshub's defaults, then the source's politeness, then the command line's overrides."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    values: dict[str, Any] = {
        "WARC_DIR": str(paths.warc_dir),
        "WARC_PREFIX": source.name,
        "WARC_RUN_ID": run_uuid,
        "DB_URL": paths.database_url,
        "DB_SOURCE_ID": source_id,
        "DB_RUN_ID": run_id,
        "DB_SPOOL_DIR": str(paths.data_dir / "spool"),
        "HUB_MAX_ARTICLES": options.max_articles or source.max_articles,
        "CLOSESPIDER_TIMEOUT": source.timeout or default_settings.CLOSESPIDER_TIMEOUT,
        "PROGRESS_ENABLED": options.progress and not options.verbose,
        "LOG_LEVEL": options.log_level,
        "LOG_FILE": None if options.verbose else str(log_path(paths, source, run_id)),
        "LOG_FILE_APPEND": False,
        # JSON logs (crawler.log_format) replace Scrapy's root handler with their own.
        "LOG_INSTALL_ROOT_HANDLER": options.log_format != "json",
    }
    if paths.frontier_url:  # share the queue and the dupefilter with the source's other workers
        values["SCHEDULER"] = "crawler.frontier.RedisFrontier"
        values["FRONTIER_URL"] = paths.frontier_url
        values["FRONTIER_KEY"] = f"{paths.frontier_prefix}:{source.name}"
    for key, enabled in source.discovery.items():
        values[DISCOVERY_SETTINGS[key]] = enabled
    concurrency = options.concurrency or source.concurrency
    if concurrency:
        values["CONCURRENT_REQUESTS"] = max(concurrency, 1)
        values["CONCURRENT_REQUESTS_PER_DOMAIN"] = max(concurrency, 1)
        values["AUTOTHROTTLE_TARGET_CONCURRENCY"] = float(max(concurrency, 1))
    delay = options.delay if options.delay is not None else source.delay
    if delay is not None:
        values["DOWNLOAD_DELAY"] = delay
        values["AUTOTHROTTLE_START_DELAY"] = delay
        # A zero delay asks for full speed (local mirrors, tests); AutoThrottle would slow it.
        values["AUTOTHROTTLE_ENABLED"] = delay > 0
    values.update(options.settings)
    settings.setdict(values, priority="cmdline")
    return settings


def log_path(paths: Paths, source: Source, run_id: int) -> Path:
    """Where a run's Scrapy log goes when it is not shown on stderr."""
    return paths.data_dir / "logs" / f"{source.name}-{run_id}.log"


@dataclasses.dataclass
class PreparedRun:
    """One source's run between its start and its end: lock held, run row written."""

    source: Source
    paths: Paths
    options: CrawlOptions
    lock: Any
    run_id: int
    settings: Settings
    frontier: bool
    started: float = dataclasses.field(default_factory=time.monotonic)


def prepare_run(engine: Any, source: Source, paths: Paths, options: CrawlOptions) -> PreparedRun:
    """Take the source's lock and write its run row (CrawlSkipped when the lock is held)."""
    frontier = bool(paths.frontier_url)
    # Frontier workers of one source run together: they share its lock, apart from plain runs.
    lock = source_lock(engine, source.name, shared=frontier)
    try:
        source_id, run_id, run_uuid = _begin(engine, lock, source, paths, options)
    except BaseException:
        lock.release()
        raise
    settings = build_settings(
        source, paths, options, source_id=source_id, run_id=run_id, run_uuid=run_uuid
    )
    if not options.verbose:
        log_path(paths, source, run_id).parent.mkdir(parents=True, exist_ok=True)
    return PreparedRun(source, paths, options, lock, run_id, settings, frontier)


def finish_prepared(
    engine: Any,
    run: PreparedRun,
    stats: dict[str, Any],
    spider: HubSpider | None,
    duration: float | None = None,
) -> CrawlSummary:
    """Summarize a run, store its outcome and release its lock."""
    took = time.monotonic() - run.started if duration is None else duration
    summary = summarize(run.source, run.run_id, stats, spider, took, frontier=run.frontier)
    try:
        _record(engine, summary, stats)
    finally:
        run.lock.release()
    return summary


def failure_reason(run: PreparedRun, summary: CrawlSummary) -> str | None:
    """The one line a failed run ends with (None when it finished)."""
    if summary.status == "finished":
        return None
    reason = summary.error or f"crawl ended: {summary.reason}"
    if not run.options.verbose:
        reason += f" (log: {log_path(run.paths, run.source, run.run_id)})"
    return reason


def crawl(source: Source, paths: Paths, options: CrawlOptions | None = None) -> CrawlSummary:
    """Crawl one source into the WARC folder and the database; raises CrawlFailed on failure."""
    options = options or CrawlOptions()
    engine = open_engine(paths.database_url)
    try:
        run = prepare_run(engine, source, paths, options)
        stats: dict[str, Any] = {}
        spider: HubSpider | None = None
        # A full disk must not turn each log line into a "--- Logging error ---" traceback.
        logging.raiseExceptions = False
        json_handler = None
        if options.log_format == "json":  # build_settings left Scrapy's root handler out
            json_handler = json_log_handler(
                run.settings.get("LOG_FILE"),
                options.log_level,
                source=source.name,
                run_id=run.run_id,
            )
        try:
            spider = _run_scrapy(run.settings, source, stats)
        finally:
            try:
                summary = finish_prepared(engine, run, stats, spider)
            finally:
                remove_log_handler(json_handler)
    finally:
        engine.dispose()
    reason = failure_reason(run, summary)
    if reason is not None:
        raise CrawlFailed(reason)
    return summary


def _begin(
    engine: Any, lock: Any, source: Source, paths: Paths, options: CrawlOptions
) -> tuple[int, int, str]:
    """Schema, spooled rows, source row, the lock (or a `skipped` run), the run row, dead runs."""
    with schema_lock(engine):  # simultaneous first runs must not race to migrate
        ensure_schema(engine)
    replay_spools(engine, paths.data_dir / "spool")  # rows an outage kept from the database
    source_id = ensure_source(engine, source)
    if not lock.acquire():
        _skip(engine, source, source_id, options.trigger)
    run_id, run_uuid = start_run(
        engine, source_id, trigger=options.trigger, worker=options.worker, job_id=options.job_id
    )
    reap_dead_runs(
        engine,
        source_id,
        current_run=run_id,
        lock_free=lambda n: _free(engine, n),
        shared=bool(paths.frontier_url),
    )
    return source_id, run_id, run_uuid


def _run_scrapy(settings: Settings, source: Source, stats: dict[str, Any]) -> HubSpider | None:
    """Run the crawl in this process's reactor; its stats go into `stats` as they are."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(HubSpider)
    failures: list[str] = []
    process.crawl(crawler, source=source).addErrback(note_failure, failures)
    # Collections walk the crawl's objects only, and less often (crawler.heap).
    with frozen_heap(settings.getint("HEAP_GC_THRESHOLD")):
        process.start()
    return collect_stats(crawler, failures, stats)


def note_failure(failure: Any, failures: list[str]) -> None:
    """Errback of a crawl that could not start: one line for the run's summary."""
    failures.append(f"{failure.type.__name__}: {failure.getErrorMessage()}")


def collect_stats(crawler: Any, failures: list[str], stats: dict[str, Any]) -> HubSpider | None:
    """A finished crawler's stats (and its startup error) into `stats`; its spider."""
    if failures:
        stats["newshub/startup_error"] = failures[0]
    crawler_stats = started(crawler, "stats")
    stats.update(crawler_stats.get_stats() if crawler_stats else {})
    return started(crawler, "spider")


def started(crawler: Any, name: str) -> Any:
    """A crawler attribute Scrapy sets once the crawl starts (`stats`, `spider`), or None for a
    crawl that failed before: Scrapy raises RuntimeError when one is read before it is set."""
    try:
        return getattr(crawler, name)
    except RuntimeError:
        return None


def _record(engine: Any, summary: CrawlSummary, stats: dict[str, Any]) -> None:
    """Store the run's outcome; if the database is away, the summary says so instead."""
    try:
        finish_run(
            engine,
            summary.run_id,
            status=summary.status,
            counts={
                "pages": summary.pages,
                "new": summary.articles_new,
                "updated": summary.articles_updated,
                "unchanged": summary.articles_unchanged,
                "bytes": summary.bytes_archived,
            },
            warc_files=summary.warc_files,
            stats=stats,
            error=summary.error,
        )
    except SQLAlchemyError as exc:  # the next start marks the run dead and replays its spool
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        summary.status = "failed"
        summary.error = f"{summary.error or 'crawl ended'}; run not recorded: {reason}"


def _free(engine: Any, source_name: str) -> bool:
    """Whether nobody holds a source's run lock (then its `running` rows are dead)."""
    lock = source_lock(engine, source_name)
    try:
        return lock.acquire()
    finally:
        lock.release()


def _skip(engine: Any, source: Source, source_id: int, trigger: str) -> NoReturn:
    """Record a `skipped` run and say which run holds the source's lock."""
    holder = _lock_holder(engine, source_id)
    who = f" (run {holder.id}, pid {holder.pid} on {holder.hostname})" if holder else ""
    reason = f"source {source.name!r} is already being crawled{who}; this run is skipped"
    record_skipped(engine, source_id, trigger=trigger, reason=reason)
    raise CrawlSkipped(reason)


def _lock_holder(engine: Any, source_id: int, wait: float = 2.0) -> Any:
    """The run holding the source's lock: it writes its row just after taking the lock, so a
    run that lost the race may look before the row is there; it looks again for a moment."""
    deadline = time.monotonic() + wait
    while (holder := running_run(engine, source_id)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return holder
