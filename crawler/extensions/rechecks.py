"""Rechecks archived articles no page of this run linked to, on the usual recheck schedule.

A deleted article drops out of the sitemap, the feeds and the listings, so following links
never asks for it again and its removal would go unseen. When the crawl runs out of work
(`spider_idle`), this extension requests, once, every archived article the run neither
requested nor held back whose recrawl policy (crawler.recrawl_policy: recent, or due after
INCREMENTAL_RECHECK_OLD_DAYS) says it is due. Their answers reach the removals middleware
(404/410, a redirect home) and the spider (a moved article redirects to its new URL).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.recrawl_policy import RecrawlPolicy, RecrawlState

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Scheduler priority of a recheck: like an article found by a link.
RECHECK_PRIORITY = 10


class UnlinkedRechecks:
    """At the first idle moment, asks again for archived articles the run did not reach."""

    def __init__(self, crawler: Crawler, policy: RecrawlPolicy) -> None:
        self.crawler = crawler
        self.policy = policy
        self.state = RecrawlState()
        self.done = False
        self.clock = lambda: datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_RECHECK_UNLINKED"):
            raise NotConfigured("INCREMENTAL_RECHECK_UNLINKED is off")
        if not settings.getbool("CONDITIONAL_ENABLED") or not settings.get("DB_URL"):
            raise NotConfigured("the conditional middleware loads what is archived; it is off")
        extension = cls(crawler, RecrawlPolicy.from_settings(settings))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        conditional = self.crawler.get_downloader_middleware(ConditionalRequestMiddleware)
        if conditional is not None:
            self.state = conditional.state

    def due(self) -> list[str]:
        """Archived articles nobody asked for or held back this run, due for a recheck."""
        seen = self.state.requested | self.state.dropped
        now = self.clock()
        return sorted(
            url
            for url, known in self.state.known.articles.items()
            if url not in seen and self.policy.reason(url, known, None, now) is not None
        )

    def spider_idle(self, spider: Spider) -> None:
        if self.done:
            return
        self.done = True
        if _capped(spider):
            return
        urls = self.due()
        if not urls:
            return
        callback: Any = getattr(spider, "parse_page", None)
        for url in urls:
            self.crawler.engine.crawl(
                scrapy.Request(
                    url, callback=callback, priority=RECHECK_PRIORITY, meta={"hops": "R"}
                )
            )
        self.crawler.stats.set_value("newshub/recrawl/rechecked_unlinked", len(urls))
        logger.info("rechecking %d archived articles no page linked to", len(urls))
        raise DontCloseSpider


def _capped(spider: Spider) -> bool:
    """A run stopped by max_articles saw only part of the site: nothing is missing from it."""
    limit: int | None = getattr(spider, "max_articles", None)
    return limit is not None and limit > 0 and getattr(spider, "articles_seen", 0) >= limit
