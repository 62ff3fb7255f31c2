"""Caps on the requests a hub can make a crawl issue, so no hostile or broken hub runs forever.

A spider middleware placed next to the spider (before the requisites middleware adds its own,
separately capped requests). Per response it caps the links followed from one page, and for a
sitemap the child sitemaps of an index and the URLs of a urlset. Per request it caps URL length,
path depth, a path segment repeated (`/a/a/a/...` traps) and the query-string variants of one
path (`?date=` calendar traps). Each dropped request is counted in `newshub/caps/CAP`; the first
hit of each cap is logged. The run still finishes; its summary names the caps that were hit.
Total requests and wall time are Scrapy's own CloseSpider caps (CLOSESPIDER_PAGECOUNT, _TIMEOUT).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals

from crawler.middlewares.offsite import on_site_check

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

STATS_PREFIX = "newshub/caps/"
# WordPress's plain permalinks (`/?p=123`, `/?cat=4`, `/?paged=2`): one query variant per post,
# category or page of the site's own database, a finite set however large, never a trap.
WORDPRESS_IDS = frozenset({"p", "page_id", "cat", "tag", "author", "paged", "attachment_id"})


class CrawlCaps:
    """Drops requests over the CAPS_* limits (0 switches a limit off), counting each."""

    def __init__(self, crawler: Crawler, limits: dict[str, int]) -> None:
        self.crawler = crawler
        self.limits = limits
        # Distinct query strings requested per scheme://host/path (at most the cap each): a
        # link repeated on every page is one variant, a calendar's next day is another.
        self.variants: defaultdict[str, set[str]] = defaultdict(set)
        self.logged: set[str] = set()
        # Off-site links are dropped downstream and never fetched: they count against no cap.
        self.on_site: Callable[[Request], bool] = lambda request: True

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        names = (
            "links_per_page",
            "sitemaps_per_index",
            "urls_per_sitemap",
            "url_length",
            "path_depth",
            "repeated_segment",
            "query_variants",
        )
        settings = crawler.settings
        caps = cls(crawler, {name: settings.getint(f"CAPS_{name.upper()}") for name in names})
        crawler.signals.connect(caps.spider_opened, signal=signals.spider_opened)
        return caps

    def spider_opened(self, spider: Any) -> None:
        self.on_site = on_site_check(self.crawler)  # the engine, and so the middleware, exists

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        from_sitemap = _callback_name(response.request) == "parse_sitemap"
        followed: Counter[str] = Counter()
        async for entry in result:
            if not isinstance(entry, Request) or not self.on_site(entry):
                yield entry
                continue
            if from_sitemap:
                per_response = (
                    "sitemaps_per_index"
                    if _callback_name(entry) == "parse_sitemap"
                    else "urls_per_sitemap"
                )
            else:
                per_response = "links_per_page"
            followed[per_response] += 1
            cap = self.cap_hit(entry.url, followed[per_response], per_response)
            if cap is None:
                yield entry
            else:
                self._drop(cap, entry, response)

    def cap_hit(self, url: str, followed: int, per_response: str) -> str | None:
        """The name of the cap this request is over, or None to let it through."""
        limits = self.limits
        if limits[per_response] and followed > limits[per_response]:
            return per_response
        if limits["url_length"] and len(url) > limits["url_length"]:
            return "url_length"
        parts = urlsplit(url)
        segments = [segment for segment in parts.path.split("/") if segment]
        if limits["path_depth"] and len(segments) > limits["path_depth"]:
            return "path_depth"
        most = Counter(segments).most_common(1)
        if limits["repeated_segment"] and most and most[0][1] > limits["repeated_segment"]:
            return "repeated_segment"
        if parts.query and limits["query_variants"] and not _wordpress_id(parts.query):
            seen = self.variants[f"{parts.scheme}://{parts.netloc}{parts.path}"]
            if parts.query not in seen:
                if len(seen) >= limits["query_variants"]:
                    return "query_variants"
                seen.add(parts.query)
        return None

    def _drop(self, cap: str, request: Request, response: Response) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(STATS_PREFIX + cap)
        if cap not in self.logged:
            self.logged.add(cap)
            logger.warning(
                "cap %s (%d, CAPS_%s) hit: not following %s from %s; further hits only counted",
                cap,
                self.limits[cap],
                cap.upper(),
                request.url[:200],
                response.url[:200],
            )
        # A link dropped for being one too many on this page may be followed from another.
        release = getattr(self.crawler.spider, "release", None)
        if callable(release):
            release(request.url)


def _callback_name(request: Request | None) -> str:
    callback = getattr(request, "callback", None)
    return getattr(callback, "__name__", "") if callback is not None else ""


def _wordpress_id(query: str) -> bool:
    """Whether a query string only names WordPress posts, terms or pages (`p=123&paged=2`)."""
    names = {name for name, _, _ in (pair.partition("=") for pair in query.split("&"))}
    return names <= WORDPRESS_IDS
