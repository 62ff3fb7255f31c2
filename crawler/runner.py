"""Run one crawl of one source: the library function behind `newshub crawl`.

Database work (schema, source row, run row) happens here, before and after the reactor runs,
so the crawl itself only ever talks to the database from the pipeline's writer thread.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, NoReturn

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.config import Paths, Source
from crawler.errors import NewshubError
from crawler.locks import schema_lock, source_lock
from crawler.log_format import json_log_handler, remove_log_handler
from crawler.spiders.hub import HubSpider
from pipelines.db.engine import open_engine
from pipelines.db.history import reap_dead_runs, record_skipped, running_run
from pipelines.db.runs import ensure_source, finish_run, start_run
from pipelines.db.schema import ensure_schema

# Finish reasons that mean the crawl did what it was asked to do.
SUCCESS_REASONS = frozenset({"finished", "max_articles", "closespider_itemcount"})


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
    progress: bool = False
    # Scrapy's log goes to <data>/logs/SOURCE-RUN.log at this level, or to stderr with verbose.
    log_level: str = "INFO"
    verbose: bool = False
    # "json": one JSON object per log line, with source and run id (crawler.log_format).
    log_format: str = "human"
    # Extra Scrapy settings (tests and benchmarks use this; users use newshub.toml).
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CrawlSummary:
    """What a run did, as printed at its end and stored in crawl_runs."""

    source: str
    run_id: int
    status: str
    reason: str
    pages: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    warc_files: list[str]
    bytes_archived: int
    duration: float
    error: str | None = None
    # Archived articles a recrawl did not download again: 304 answers, and skipped requests.
    not_modified: int = 0
    skipped: int = 0

    def lines(self) -> list[str]:
        recrawl = []
        if self.not_modified or self.skipped:
            recrawl = [
                f"recrawl       {self.skipped} skipped as unchanged, "
                f"{self.not_modified} not modified (304)"
            ]
        outcome = self.status if self.reason == self.status else f"{self.status}: {self.reason}"
        return [
            f"source        {self.source} (run {self.run_id}, {outcome})",
            f"pages         {self.pages} fetched",
            f"articles      {self.articles_new} new, {self.articles_updated} updated, "
            f"{self.articles_unchanged} unchanged",
            *recrawl,
            f"warc files    {len(self.warc_files)} ({self.bytes_archived:,} bytes archived)",
            f"duration      {self.duration:.1f} s",
        ]


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
        "HUB_MAX_ARTICLES": options.max_articles or source.max_articles,
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


def crawl(source: Source, paths: Paths, options: CrawlOptions | None = None) -> CrawlSummary:
    """Crawl one source into the WARC folder and the database; raises CrawlFailed on failure."""
    options = options or CrawlOptions()
    engine = open_engine(paths.database_url)
    frontier = bool(paths.frontier_url)
    # Frontier workers of one source run together: they share its lock, apart from plain runs.
    lock = source_lock(engine, source.name, shared=frontier)
    try:
        with schema_lock(engine):  # simultaneous first runs must not race to migrate
            ensure_schema(engine)
        source_id = ensure_source(engine, source)
        if not lock.acquire():
            _skip(engine, source, source_id, options.trigger)
        run_id, run_uuid = start_run(engine, source_id, trigger=options.trigger)
        reap_dead_runs(
            engine,
            source_id,
            current_run=run_id,
            lock_free=lambda n: _free(engine, n),
            shared=frontier,
        )
    except BaseException:
        lock.release()
        engine.dispose()
        raise
    settings = build_settings(
        source, paths, options, source_id=source_id, run_id=run_id, run_uuid=run_uuid
    )
    if not options.verbose:
        log_path(paths, source, run_id).parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stats: dict[str, Any] = {}
    spider: HubSpider | None = None
    json_handler = None
    if options.log_format == "json":  # build_settings left Scrapy's root handler out
        json_handler = json_log_handler(
            settings.get("LOG_FILE"), options.log_level, source=source.name, run_id=run_id
        )
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(HubSpider)
        failures: list[str] = []
        process.crawl(crawler, source=source).addErrback(
            lambda failure: failures.append(f"{failure.type.__name__}: {failure.getErrorMessage()}")
        )
        process.start()
        if failures:
            stats["newshub/startup_error"] = failures[0]
        stats.update(crawler.stats.get_stats() if crawler.stats else {})
        spider = crawler.spider  # type: ignore[assignment]
    finally:
        summary = _summarize(
            source, run_id, stats, spider, time.monotonic() - started, frontier=frontier
        )
        _record(engine, summary, stats)
        lock.release()
        engine.dispose()
        remove_log_handler(json_handler)
    if summary.status != "finished":
        reason = summary.error or f"crawl ended: {summary.reason}"
        if not options.verbose:
            reason += f" (log: {log_path(paths, source, run_id)})"
        raise CrawlFailed(reason)
    return summary


def _record(engine: Any, summary: CrawlSummary, stats: dict[str, Any]) -> None:
    """Close the run's crawl_runs row with what the run did."""
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


def _free(engine: Any, source_name: str) -> bool:
    """Whether nobody holds a source's run lock (then its `running` rows are dead)."""
    lock = source_lock(engine, source_name)
    try:
        return lock.acquire()
    finally:
        lock.release()


def _skip(engine: Any, source: Source, source_id: int, trigger: str) -> NoReturn:
    """Record a `skipped` run and say which run holds the source's lock."""
    holder = running_run(engine, source_id)
    who = f" (run {holder.id}, pid {holder.pid} on {holder.hostname})" if holder else ""
    reason = f"source {source.name!r} is already being crawled{who}; this run is skipped"
    record_skipped(engine, source_id, trigger=trigger, reason=reason)
    raise CrawlSkipped(reason)


def _summarize(
    source: Source,
    run_id: int,
    stats: dict[str, Any],
    spider: HubSpider | None,
    duration: float,
    *,
    frontier: bool = False,
) -> CrawlSummary:
    reason = str(stats.get("finish_reason", "interrupted"))
    pages = int(stats.get("downloader/response_count", 0))
    error = None
    if stats.get("newshub/startup_error"):
        error = f"crawl could not start: {stats['newshub/startup_error']}"
    elif spider is not None and spider.seed_error and pages == 0:
        error = f"cannot reach {source.home}: {spider.seed_error}"
    elif stats.get("newshub/db_errors"):
        error = f"database writes failed: {stats['newshub/db_errors'][0]}"
    elif reason not in SUCCESS_REASONS:
        error = f"crawl stopped early: {reason}"
    elif pages == 0 and not frontier:  # a frontier worker may join when nothing is left
        error = f"nothing fetched from {source.home}"
    if error:
        status = "interrupted" if reason in ("shutdown", "interrupted") else "failed"
    else:
        status = "finished"
    not_modified = int(stats.get("newshub/recrawl/not_modified", 0))
    skipped = int(stats.get("newshub/recrawl/skipped", 0))
    return CrawlSummary(
        source=source.name,
        run_id=run_id,
        status=status,
        reason=reason,
        pages=pages,
        articles_new=int(stats.get("newshub/articles_new", 0)),
        articles_updated=int(stats.get("newshub/articles_updated", 0)),
        # Unchanged: same content on refetch, a 304, or skipped as unchanged (sitemap lastmod).
        articles_unchanged=int(stats.get("newshub/articles_unchanged", 0)) + not_modified + skipped,
        warc_files=list(stats.get("newshub/warc_files", [])),
        bytes_archived=int(stats.get("warc/bytes_written", 0)),
        duration=duration,
        error=error,
        not_modified=not_modified,
        skipped=skipped,
    )
