"""Spider middleware that drops a request for a URL this process already sent to the scheduler.

Most links on a hub page repeat (menus, "latest posts" widgets, related posts: 19 per page on
the demo hub). Scrapy's duplicate filter (or crawler.frontier's, shared by several workers)
stays the authority on what is fetched; this only spares it the repeats, which made the crawl
cost a quarter more CPU when each went through scheduling, the off-site check and
fingerprinting (bench/crawl.py --articles 500: 25,862 repeats for 1,366 pages, 37 s of CPU
instead of 29 s; with this middleware 33 s). The hub spider asks `passed_before` before it
builds a Request at all, which spares the rest.

It runs last on the spider's output (priority 90, below the incremental middleware's 100), so
a request another middleware held back was never recorded here, and a later link to the same
URL (a sitemap entry with a newer date) still passes: no middleware has to report back.

URLs are remembered by their 64-bit fingerprint (crawler.fingerprints), at 8 bytes each rather
than the URL string's 150 and a set's slot: a crawl of a large hub sends on every one of its
URLs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request

from crawler.fingerprints import FingerprintSet

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


class RepeatedLinksMiddleware:
    """Lets each URL through once per process; `dont_filter` requests always pass."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.passed = FingerprintSet()  # each URL sent on

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def passed_before(self, url: str) -> bool:
        """Whether a request for url went on to the scheduler already (this process, this run)."""
        return url in self.passed

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for entry in result:
            if isinstance(entry, Request) and not entry.dont_filter:
                if entry.url in self.passed:
                    self.crawler.stats.inc_value("newshub/repeated_links")
                    continue
                self.passed.add(entry.url)
            yield entry
