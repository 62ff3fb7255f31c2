"""crawler.dupefilter: Scrapy's duplicate filter at 8 bytes a seen request, and its JOBDIR file."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter

from crawler import settings
from crawler.dupefilter import CompactDupeFilter
from tests.newshub_crawler import newshub_crawler


def dupefilter(**values: object) -> CompactDupeFilter:
    crawler = newshub_crawler(Spider, DUPEFILTER_CLASS=settings.DUPEFILTER_CLASS, **values)
    crawler.spider = crawler._create_spider("dupes")
    scheduler = Scheduler.from_crawler(crawler)
    assert isinstance(scheduler.df, CompactDupeFilter)
    return scheduler.df


def test_a_request_is_seen_once_by_its_fingerprint() -> None:
    seen = dupefilter()
    assert not seen.request_seen(Request("http://hub.test/a?x=1&y=2"))
    assert seen.request_seen(Request("http://hub.test/a?y=2&x=1"))  # canonical: the same
    assert seen.request_seen(Request("http://hub.test/a?x=1&y=2#top"))
    assert not seen.request_seen(Request("http://hub.test/a?x=1&y=2", method="POST"))
    assert not seen.request_seen(Request("http://hub.test/b"))
    assert len(seen.seen) == 3


def test_a_seen_request_costs_a_fraction_of_scrapys() -> None:
    requests = [Request(f"http://hub.test/2026/01/{n:06}/a-story/") for n in range(20_000)]

    def traced(df: RFPDupeFilter) -> int:
        for request in requests:  # fingerprints made and cached before: not counted
            df.fingerprinter.fingerprint(request)
        tracemalloc.start()
        for request in requests:
            df.request_seen(request)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return size

    ours, scrapys = traced(dupefilter()), traced(RFPDupeFilter())
    assert ours < scrapys / 4, (ours, scrapys)


def test_a_job_directory_keeps_scrapys_file(tmp_path: Path) -> None:
    first = dupefilter(JOBDIR=str(tmp_path))
    assert not first.request_seen(Request("http://hub.test/a"))
    first.close("shutdown")
    assert (tmp_path / "requests.seen").stat().st_size > 0
    resumed = dupefilter(JOBDIR=str(tmp_path))
    assert resumed.request_seen(Request("http://hub.test/a"))
    assert not resumed.request_seen(Request("http://hub.test/b"))
    resumed.close("finished")
