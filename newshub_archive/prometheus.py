"""The archive's counters in Prometheus' text format (`newshub stats --format prometheus`).

Written with prometheus_client, so names, labels and escaping follow the exposition format;
serve the output with node_exporter's textfile collector (a cron job writes it to a .prom file)
or any scrape wrapper. Everything is labelled by source.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Engine, func, select

from newshub_archive.health import FAILED
from newshub_archive.stats import ArchiveStats
from pipelines.db.models import CrawlRun, SourceRow


class _ArchiveCollector:
    """A prometheus_client collector over numbers already read from the database."""

    def __init__(self, report: ArchiveStats, runs: list[Any]) -> None:
        self.report, self.runs = report, runs

    def collect(self) -> Iterator[Any]:
        by_status = CounterMetricFamily(
            "newshub_runs", "Crawl runs by final status.", labels=["source", "status"]
        )
        failures = CounterMetricFamily(
            "newshub_run_failures", "Crawl runs that failed or were interrupted.", labels=["source"]
        )
        pages = CounterMetricFamily("newshub_pages_fetched", "Pages fetched.", labels=["source"])
        archived = CounterMetricFamily(
            "newshub_archived_bytes", "Bytes written to WARC files by runs.", labels=["source"]
        )
        last_success = GaugeMetricFamily(
            "newshub_last_success_timestamp_seconds",
            "When the newest successful run finished (Unix time).",
            labels=["source"],
        )
        totals: dict[str, dict[str, float]] = {}
        for row in self.runs:
            by_status.add_metric([row.source, row.status], row.runs)
            total = totals.setdefault(row.source, {"pages": 0, "bytes": 0, "failures": 0})
            total["pages"] += row.pages or 0
            total["bytes"] += row.bytes or 0
            total["failures"] += row.runs if row.status in FAILED else 0
        for name, total in sorted(totals.items()):
            failures.add_metric([name], total["failures"])
            pages.add_metric([name], total["pages"])
            archived.add_metric([name], total["bytes"])
        yield from (by_status, failures, pages, archived)
        articles = GaugeMetricFamily("newshub_articles", "Articles stored.", labels=["source"])
        captures = GaugeMetricFamily("newshub_captures", "Captures stored.", labels=["source"])
        on_disk = GaugeMetricFamily(
            "newshub_warc_bytes", "Size on disk of the source's WARC files.", labels=["source"]
        )
        removed = GaugeMetricFamily(
            "newshub_articles_removed",
            "Archived articles the site has removed (404/410, a redirect home).",
            labels=["source"],
        )
        for source in self.report.sources:
            articles.add_metric([source.name], source.articles)
            removed.add_metric([source.name], source.removed)
            captures.add_metric([source.name], source.captures)
            if source.warc_bytes is not None:
                on_disk.add_metric([source.name], source.warc_bytes)
            finished = (source.last_success or {}).get("finished_at")
            if finished is not None:
                last_success.add_metric([source.name], finished.timestamp())
        yield from (articles, removed, captures, on_disk, last_success)


def prometheus_text(engine: Engine, report: ArchiveStats, source: str | None = None) -> str:
    """The exposition text for `report`'s sources and their run history."""
    runs, sources = CrawlRun.__table__, SourceRow.__table__
    query = (
        select(
            sources.c.name.label("source"),
            runs.c.status,
            func.count().label("runs"),
            func.sum(runs.c.pages_fetched).label("pages"),
            func.sum(runs.c.bytes_archived).label("bytes"),
        )
        .join(sources, sources.c.id == runs.c.source_id)
        .group_by(sources.c.name, runs.c.status)
        .order_by(sources.c.name, runs.c.status)
    )
    if source is not None:
        query = query.where(sources.c.name == source)
    with engine.connect() as connection:
        rows = list(connection.execute(query))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ArchiveCollector(report, rows))
    return generate_latest(registry).decode("utf-8")
