"""What a run did: its outcome and counts from the crawl's stats, and how they are printed."""

from __future__ import annotations

import dataclasses
from typing import Any

from crawler.config import Source
from crawler.middlewares.caps import STATS_PREFIX as CAPS_STATS
from crawler.spiders.hub import HubSpider

# Finish reasons that mean the crawl did what it was asked to do.
# Scrapy's CloseSpider caps (pages, wall time) end a run as `finished`, named in its summary.
SUCCESS_REASONS = frozenset(
    {
        "finished",
        "max_articles",
        "closespider_itemcount",
        "closespider_pagecount",
        "closespider_timeout",
    }
)


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
    # Requests not made because a cap (crawler.middlewares.caps) was hit, per cap.
    caps: dict[str, int] = dataclasses.field(default_factory=dict)
    # Archived articles found under a new URL, marked removed by the site, and back again.
    moved: int = 0
    removed: int = 0
    returned: int = 0

    def lines(self) -> list[str]:
        recrawl = []
        if self.not_modified or self.skipped:
            recrawl = [
                f"recrawl       {self.skipped} skipped as unchanged, "
                f"{self.not_modified} not modified (304)"
            ]
        if self.caps:
            hits = ", ".join(f"{name} {count:,}" for name, count in sorted(self.caps.items()))
            recrawl.append(f"caps hit      {hits} (requests not made)")
        if self.moved or self.removed or self.returned:
            recrawl.append(
                f"identity      {self.moved} moved, {self.removed} removed by the site, "
                f"{self.returned} back"
            )
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


def summarize(
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
    elif stats.get("newshub/storage_error"):
        error = str(stats["newshub/storage_error"])
    elif stats.get("newshub/db_spool_pending"):
        error = (
            f"database unavailable ({stats.get('newshub/db_unavailable')}): "
            f"{stats['newshub/db_spool_pending']} rows kept in {stats.get('newshub/db_spool')}, "
            "written by the next crawl's start"
        )
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
        caps={
            key.removeprefix(CAPS_STATS): int(value)
            for key, value in stats.items()
            if key.startswith(CAPS_STATS)
        },
        moved=int(stats.get("newshub/articles_moved", 0)),
        removed=int(stats.get("newshub/removals/removed", 0)),
        returned=int(stats.get("newshub/removals/returned", 0)),
    )
