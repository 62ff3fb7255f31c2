"""The crawl's stats collector counts as Scrapy's does, and is the one a crawl uses."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector

from crawler import settings as default_settings
from crawler.stats import CrawlStats
from tests.newshub_crawler import newshub_crawler


def test_counts_like_scrapys_memory_collector() -> None:
    crawler = newshub_crawler(STATS_CLASS=default_settings.STATS_CLASS)  # as crawls have it
    assert isinstance(crawler.stats, CrawlStats)
    ours, scrapys = CrawlStats(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, scrapys):
        stats.open_spider()
        stats.inc_value("pages")
        stats.inc_value("pages", 2)
        stats.max_value("depth", 3)
        stats.max_value("depth", 1)
        stats.min_value("start", 5)
        stats.set_value("file", "a.warc.gz")
    assert ours.get_stats() == scrapys.get_stats() == {
        "pages": 3, "depth": 3, "start": 5, "file": "a.warc.gz"
    }  # fmt: skip
    assert type(ours).__getattribute__ is object.__getattribute__
